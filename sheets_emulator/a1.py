"""A1 notation: parsing ranges and writing them back the way Google does.

A parsed range is a :class:`A1Range`: an optional sheet title plus zero-based,
end-exclusive bounds where ``None`` means "open" (``A:B`` has open rows,
``2:3`` open columns, a bare sheet name is open everywhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import invalid_argument

# Google's largest column is ZZZ (18278); anything with more letters cannot be
# a cell reference, which is why "Sheet1" is a plain title and "D3" is not.
MAX_COLUMN_LETTERS = 3

_CELL_PART = re.compile(r"^\$?([A-Za-z]{1,3})?\$?([0-9]+)?$")
_CELL_LIKE_TITLE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")
_R1C1_LIKE_TITLE = re.compile(r"^[Rr][0-9]*[Cc][0-9]*$")


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    value = 0
    for ch in letters.upper():
        value = value * 26 + (ord(ch) - ord("A") + 1)
    return value - 1


def quote_title(title: str) -> str:
    """Quote a sheet title as Google does when it echoes a range: titles made
    of letters, digits and '_' stay bare unless they read as a cell
    reference (D3, R1C1) or start with a digit."""
    bare = (
        title
        and all(ch.isalnum() or ch == "_" for ch in title)
        and not title[0].isdigit()
        and not _CELL_LIKE_TITLE.match(title)
        and not _R1C1_LIKE_TITLE.match(title)
    )
    if bare:
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class A1Range:
    sheet: str | None
    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None
    # Written as one cell ("B2"): writes treat it as an anchor, not a limit.
    anchor: bool = False

    @property
    def is_whole_sheet(self) -> bool:
        return self.start_row is None and self.end_row is None and self.start_col is None and self.end_col is None


def split_sheet(text: str) -> tuple[str | None, str | None, bool]:
    """Split "'My sheet'!A1:B2" into (title, cells, was_quoted).

    Without '!' the text is either a title or a cell range; the caller
    decides, so both ``title`` and ``cells`` are returned as the same text.
    """
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                break
            title.append(ch)
            i += 1
        else:
            raise invalid_argument(f"Unable to parse range: {text}")
        rest = text[i + 1 :]
        if rest == "":
            return "".join(title), None, True
        if not rest.startswith("!"):
            raise invalid_argument(f"Unable to parse range: {text}")
        return "".join(title), rest[1:], True
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells, False
    return None, text, False


def parse_cells(cells: str) -> tuple[int | None, int | None, int | None, int | None] | None:
    """Parse the part after '!' into (start_row, end_row, start_col, end_col);
    ``None`` if it is not A1 notation."""
    parts = cells.split(":")
    if len(parts) > 2 or not cells:
        return None
    parsed = []
    for part in parts:
        m = _CELL_PART.match(part)
        if not m or (m.group(1) is None and m.group(2) is None):
            return None
        col = column_index(m.group(1)) if m.group(1) else None
        row = int(m.group(2)) - 1 if m.group(2) else None
        if row is not None and row < 0:
            return None
        parsed.append((row, col))
    if len(parsed) == 1:
        row, col = parsed[0]
        if row is None or col is None:
            return None  # a lone "A" or "3" is not a range
        return row, row + 1, col, col + 1
    (r1, c1), (r2, c2) = parsed
    # "A:B2" or "1:B" mix open and closed ends in ways Google rejects.
    if (c1 is None) != (c2 is None) and c1 is None:
        return None
    if r1 is None and r2 is not None:
        return None
    if r1 is not None and r2 is not None and r2 < r1:
        r1, r2 = r2, r1
    if c1 is not None and c2 is not None and c2 < c1:
        c1, c2 = c2, c1
    start_row = r1 if r1 is not None else None
    end_row = r2 + 1 if r2 is not None else None
    if start_row is not None and end_row is None and c1 is None:
        return None
    return start_row, end_row, c1, (c2 + 1 if c2 is not None else None)


def parse(text: str) -> A1Range:
    """Parse a range given by a client. A text without '!' is a cell range
    on the first visible sheet (signalled by ``sheet=None``) when it reads as
    A1 notation, otherwise a sheet title (or a named range: the caller
    resolves titles)."""
    title, cells, quoted = split_sheet(text.strip())
    if cells is None:
        return A1Range(title)
    if title is None:
        bounds = parse_cells(cells)
        if bounds is not None:
            return A1Range(None, *bounds, anchor=":" not in cells)
        return A1Range(cells)
    bounds = parse_cells(cells)
    if bounds is None:
        raise invalid_argument(f"Unable to parse range: {text}")
    return A1Range(title, *bounds, anchor=":" not in cells)


def format_range(
    title: str,
    start_row: int | None,
    end_row: int | None,
    start_col: int | None,
    end_col: int | None,
) -> str:
    """Write bounds back as Google echoes them: ``Sheet1!A1:B2``, a single
    cell as ``Sheet1!B1``, open rows as ``A:B``, open columns as ``2:3``."""
    prefix = quote_title(title) + "!"
    if start_row is None and end_row is None and start_col is None and end_col is None:
        return quote_title(title)
    if start_col is None and end_col is None:
        return f"{prefix}{(start_row or 0) + 1}:{end_row}"
    if start_row is None and end_row is None:
        return f"{prefix}{column_letters(start_col or 0)}:{column_letters(end_col - 1)}"
    first = f"{column_letters(start_col or 0)}{(start_row or 0) + 1}"
    if end_row - (start_row or 0) == 1 and end_col - (start_col or 0) == 1:
        return prefix + first
    return f"{prefix}{first}:{column_letters(end_col - 1)}{end_row}"


def format_original(rng: A1Range, title: str) -> str:
    """Format a range as requested (open ends kept open), for messages like
    "Range ('My sheet'!A1001) exceeds grid limits"."""
    if rng.is_whole_sheet:
        return quote_title(title)

    def corner(row: int | None, col: int | None) -> str:
        return (column_letters(col) if col is not None else "") + (str(row + 1) if row is not None else "")

    first = corner(rng.start_row, rng.start_col)
    last = corner(
        rng.end_row - 1 if rng.end_row is not None else None,
        rng.end_col - 1 if rng.end_col is not None else None,
    )
    text = first if first == last else f"{first}:{last}"
    return f"{quote_title(title)}!{text}"
