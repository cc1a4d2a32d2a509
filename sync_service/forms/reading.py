"""Finding things in a tab as people leave it: merged cells, «Готово», headers, fields.

Nothing here relies on where Svod first put things (see :mod:`sync_service.forms.layout`):
the «Готово» cell and the header row are found by their text, headers may be renamed
to an alias, reordered or moved down, extra columns are ignored, and rows below a long
run of blank ones are still read (the row loop itself is in
:mod:`sync_service.forms.validation`). Values are returned raw; :mod:`sync_service.forms.cells`
turns them into numbers and dates.

Rows and columns are 1-based everywhere in this module's results, as in a sheet.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_service.forms.layout import READY_DATE_LABEL, READY_LABEL
from sync_service.forms.schema import Form
from sync_service.stores.base import Sheet

READY_ROWS = 10      # «Готово» is looked for in this many rows from the top
HEADER_ROWS = 15     # and the header row of a table form in this many
READY_REACH = 2      # the flag's value is at most this many cells to the right of its label

_NOT_WORD = re.compile(r"[^\w%№]+")
_PARENTHESES = re.compile(r"\s*\([^)]*\)\s*$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)



def label_key(value: Any) -> str:
    """How a label is compared: casefolded, ё as е, punctuation and extra spaces ignored.

    «Количество, экз.:», «количество  экз *» and «КОЛИЧЕСТВО экз» are the same label.
    """
    if value is None or value.__class__ is bool:
        return ""
    text = value if value.__class__ is str else str(value)
    try:
        return _LABEL_KEYS[text]
    except KeyError:
        pass
    key = _NOT_WORD.sub(" ", text.translate(_INVISIBLE).casefold().replace("ё", "е")).strip()
    if len(_LABEL_KEYS) < 8192 and len(text) < 2000:  # labels and help texts repeat in every school's tab
        _LABEL_KEYS[text] = key
    return key


_LABEL_KEYS: dict[str, str] = {}


def is_blank(value: Any) -> bool:
    """True for an empty cell (nothing, or only spaces and invisible characters)."""
    if value is None or value == "":
        return True
    return isinstance(value, str) and not value.translate(_INVISIBLE).strip()


@dataclass
class Filled:
    """The tab's values with merged ranges filled in."""

    rows: list[list[Any]]
    # (row, column) of cells that got their value from a merged range's top-left cell
    copies: frozenset[tuple[int, int]] = frozenset()

    def cell(self, row: int, column: int) -> Any:
        if row - 1 < len(self.rows):
            line = self.rows[row - 1]
            if column - 1 < len(line):
                return line[column - 1]
        return None


def fill_merges(sheet: Sheet) -> Filled:
    """The values of ``sheet`` with each merged range's value in every cell of the range.

    A grade merged over rows 5–9 applies to each of those rows. The sheet itself is not
    changed: the rows a merge touches are copied.
    """
    rows = sheet.rows
    if not sheet.merges:
        return Filled(rows)
    rows = list(rows)
    copied: set[int] = set()
    copies: set[tuple[int, int]] = set()
    for first_row, first_col, last_row, last_col in sheet.merges:
        if first_row - 1 >= len(rows):
            continue
        anchor_line = rows[first_row - 1]
        value = anchor_line[first_col - 1] if first_col - 1 < len(anchor_line) else None
        if value is None:
            continue
        for r in range(first_row, min(last_row, len(rows)) + 1):
            if r not in copied:
                rows[r - 1] = list(rows[r - 1])
                copied.add(r)
            line = rows[r - 1]
            if len(line) < last_col:
                line.extend([None] * (last_col - len(line)))
            for c in range(first_col, last_col + 1):
                if (r, c) != (first_row, first_col):
                    line[c - 1] = value
                    copies.add((r, c))
    return Filled(rows, frozenset(copies))


# --- «Готово» and «Дата сдачи» --------------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    """A labelled value near the top of the tab: where the label is and what follows it."""

    row: int
    column: int            # the label's column
    value: Any = None      # the raw value, None when nothing was typed
    value_column: int | None = None  # where the value is (or where it should be typed)


@dataclass(frozen=True)
class ReadyCells:
    ready: Flag | None = None       # «Готово»
    date: Flag | None = None        # «Дата сдачи»


_READY_KEY = label_key(READY_LABEL)
_DATE_KEY = label_key(READY_DATE_LABEL)
_FLAG_KEYS = (_READY_KEY, _DATE_KEY)


def _flag_at(grid: Filled, row: int, column: int, key: str) -> Flag:
    """The flag whose label is at (row, column): its value is the next non-empty cell to the
    right (within ``READY_REACH`` cells, not counting the label's own merged copies)."""
    line = grid.rows[row - 1]
    label = line[column - 1]
    text = label_key(label)
    if text != key:  # «Готово: да» in one cell
        rest = str(label).split(":", 1)[1] if ":" in str(label) else ""
        return Flag(row, column, rest.strip() or None, column)
    reach, c = READY_REACH, column
    while reach > 0:
        c += 1
        value = line[c - 1] if c - 1 < len(line) else None
        if (row, c) in grid.copies and value == label:
            continue
        if label_key(value) in _FLAG_KEYS:
            break  # the next label: this flag's value is empty
        if not is_blank(value):
            return Flag(row, column, value, c)
        reach -= 1
    return Flag(row, column, None, column + 1)


def find_ready(grid: Filled, *, rows: int = READY_ROWS) -> ReadyCells:
    """«Готово» and «Дата сдачи» in the first ``rows`` rows, in any column."""
    ready = ready_date = None
    for r, line in enumerate(grid.rows[:rows], start=1):
        for c, value in enumerate(line, start=1):
            if value is None or value.__class__ is not str or (r, c) in grid.copies:
                continue
            key = label_key(value)
            if ready is None and (key == _READY_KEY or key.startswith(_READY_KEY + " ") and ":" in value):
                ready = _flag_at(grid, r, c, _READY_KEY)
            elif ready_date is None and (key == _DATE_KEY or key.startswith(_DATE_KEY + " ") and ":" in value):
                ready_date = _flag_at(grid, r, c, _DATE_KEY)
        if ready is not None and ready_date is not None:
            break
    return ReadyCells(ready, ready_date)


# --- the header row of a table form -------------------------------------------------------------

@dataclass
class Header:
    """Where a table form's header is and where each column was found."""

    row: int
    positions: dict[str, int]                                            # column key -> column
    duplicates: list[tuple[str, int]] = field(default_factory=list)      # (column key, column)

    def missing(self, form: Form) -> list[str]:
        return [c.key for c in form.columns if c.key not in self.positions]


def label_index(form: Form) -> dict[str, str]:
    """Every label and alias of ``form``'s columns, as compared, -> the column key."""
    index: dict[str, str] = {}
    for column in form.columns:
        for label in column.labels:
            index.setdefault(label_key(label), column.key)
    return index


def _match(index: dict[str, str], value: Any) -> str | None:
    if value is None or value.__class__ is not str:
        return None
    key = label_key(value)
    found = index.get(key)
    if found is None and "(" in value and len(value) < 80:  # «Класс (1–11)»: a note after the label
        found = index.get(label_key(_PARENTHESES.sub("", value)))
    return found


def find_header(grid: Filled, form: Form, *, rows: int = HEADER_ROWS, index: dict[str, str] | None = None
                ) -> Header | None:
    """The row among the first ``rows`` that carries the most of ``form``'s labels.

    Headers may be in any order; a column is matched once (a second cell with its label
    is a duplicate), other cells are ignored. ``None`` when no row has any label.
    ``index`` is :func:`label_index` of the form, when the caller keeps it.
    """
    index = index if index is not None else label_index(form)
    best: Header | None = None
    best_count = 0
    for r, line in enumerate(grid.rows[:rows], start=1):
        positions: dict[str, int] = {}
        duplicates: list[tuple[str, int]] = []
        for c, value in enumerate(line, start=1):
            key = _match(index, value)
            if key is None:
                continue
            if key in positions:
                if (r, c) not in grid.copies:  # a merged header cell is one header
                    duplicates.append((key, c))
            else:
                positions[key] = c
        if len(positions) > best_count:
            best, best_count = Header(r, positions, duplicates), len(positions)
            if best_count == len(form.columns):
                break  # every column found: no later row can do better
    return best


# --- the fields of a record form ----------------------------------------------------------------

RECORD_VALUE_COLUMN = 2


@dataclass
class Fields:
    """Where each field of a record form was found: its label in column A, value in B."""

    rows: dict[str, int]                                                 # column key -> row
    duplicates: list[tuple[str, int]] = field(default_factory=list)      # (column key, row)


def find_fields(grid: Filled, form: Form, *, index: dict[str, str] | None = None) -> Fields:
    """The row of each field of ``form``: its label (or an alias) in column A, any row."""
    index = index if index is not None else label_index(form)
    found = Fields({})
    for r, line in enumerate(grid.rows, start=1):
        if not line:
            continue
        key = _match(index, line[0])
        if key is None:
            continue
        if key in found.rows:
            if (r, 1) not in grid.copies:
                found.duplicates.append((key, r))
        else:
            found.rows[key] = r
    return found


# --- near misses of a label ---------------------------------------------------------------------

def edit_distance(a: str, b: str, limit: int) -> int:
    """The Damerau–Levenshtein distance of ``a`` and ``b`` (optimal string alignment: an
    insertion, a deletion, a replacement or two neighbours swapped, «Ствака» -> «Ставка», each
    cost 1); anything over ``limit`` is returned as ``limit + 1`` without finishing."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def near_limit(key: str) -> int:
    """How many edits a label of this (compared) length may be off by and still be taken for
    it: one for a short word («Класс»), two for a word or two, three for a long label."""
    length = len(key.replace(" ", ""))
    return 0 if length < 4 else 1 if length <= 6 else 2 if length <= 15 else 3


def near_misses(wanted: Mapping[str, Sequence[str]], found: Sequence[tuple[int, Any]]) -> dict[str, tuple[int, str]]:
    """Which of the ``found`` cells (position, text) that matched no label is a misspelling of
    one of the ``wanted`` labels (key -> its label and aliases): key -> (position, text).

    Case, «ё»/«е», spaces and punctuation are forgiven by :func:`label_key` already; here a
    text counts when it is within :func:`near_limit` edits of a label (or an alias) of exactly
    one wanted key and no other cell is as near to that key. Ambiguous texts are left out:
    advice to rename must never be a guess between two columns."""
    keys = {key: [k for k in map(label_key, labels) if k] for key, labels in wanted.items()}
    candidates: dict[int, list[tuple[int, str]]] = {}   # cell index -> (distance, key)
    for index, (_position, text) in enumerate(found):
        if text is None or text.__class__ is not str or len(text) > 80:
            continue
        typed = label_key(text)
        if not typed:
            continue
        for key, labels in keys.items():
            hits = [d for label in labels
                    if 0 < (d := edit_distance(typed, label, near_limit(label))) <= near_limit(label)]
            if hits and typed not in labels:
                candidates.setdefault(index, []).append((min(hits), key))
    by_key: dict[str, list[tuple[int, int]]] = {}   # key -> (distance, cell index)
    for index, options in candidates.items():
        options.sort()
        if len(options) > 1 and options[0][0] == options[1][0]:
            continue  # as near to two columns: no guess
        distance, key = options[0]
        by_key.setdefault(key, []).append((distance, index))
    out: dict[str, tuple[int, str]] = {}
    for key, options in by_key.items():
        options.sort()
        if len(options) > 1 and options[0][0] == options[1][0]:
            continue  # two cells as near to one column
        position, text = found[options[0][1]]
        out[key] = (position, text)
    return out
