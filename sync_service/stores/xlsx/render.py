"""Rendering a :class:`TabSpec` as worksheet XML: values written literally (never as
formulas), with the presentation the spec asks for (bold rows, widths, frozen rows,
number formats, dropdowns, protection, merges, print set-up)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

from sync_service.stores.base import Dropdown, PrintSetup, TabSpec
from sync_service.stores.rows import read_back, row_width
from sync_service.stores.xlsx.package import NS_MAIN, NS_REL
from sync_service.stores.xlsx.reader import percent_decimals

__all__ = ["LISTS_TAB", "render_sheet", "lists_spec", "quote_sheet", "print_titles"]

# The hidden, protected tab holding the values of dropdowns too long for Excel's
# 255-character list formula.
LISTS_TAB = "Списки"
_LIST_LIMIT = 250
_BOOL_TEXT = {True: "да", False: "нет"}


# --- rendering a TabSpec as sheet XML --------------------------------------------------------------

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DATE_FORMAT = "DD.MM.YYYY"
_DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
_MAX_TEXT = 32767
_ROWS_A_CHUNK = 500   # rows of sheet XML rendered before they are handed on

StyleFor = Callable[..., int]   # (bold, number format, wrapped[, (text colour, fill)]) -> cellXfs index


# A text that looks like Excel's escape of a character (``_x000D_``) is kept as typed by
# escaping its underscore (ECMA-376 Part 1, 22.9.2.19 ST_Xstring; see reader._ESCAPED).
_LOOKS_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _text(value: str) -> str:
    text = _ILLEGAL.sub("", value[:_MAX_TEXT])
    if "_x" in text:
        text = _LOOKS_ESCAPED.sub(r"_x005F_\1", text)
    # XML turns a carriage return into a line feed: Excel writes it escaped, so does Svod.
    return escape(text.replace("\r", "_x000D_"))


def _serial(value: date, epoch: date) -> float | int:
    if isinstance(value, datetime):
        delta = value - datetime.combine(epoch, time(0))
        serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
        return round(serial, 10)
    return (value - epoch).days


def quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _list_formula(choices: Sequence[str]) -> str | None:
    """The inline list formula of ``choices``, None when Excel would refuse it."""
    text = ",".join(choices)
    if len(text) > _LIST_LIMIT or any("," in c or '"' in c for c in choices):
        return None
    return f'"{text}"'


def _ruled(grid: tuple[int, int, int, int] | None) -> tuple[range, range]:
    """The rows and columns of a ruled table (empty ranges without one)."""
    if grid is None:
        return range(0), range(1)
    top, left, bottom, right = grid
    return range(top, bottom + 1), range(left, right + 1)


def render_sheet(spec: TabSpec, style: StyleFor, list_ref: Callable[[tuple[str, ...]], str], epoch: date,
                 tabs: Mapping[str, str] | None = None) -> Iterator[str]:
    """The worksheet XML of ``spec`` in pieces of a few hundred rows, so that the writer
    compresses each as it comes and a large tab is never whole in memory: values written
    literally (no formulas), presentation as asked; ``tabs`` (casefolded title -> title) are
    the workbook's tabs its links may go to. ``style`` and ``list_ref`` are called as the
    pieces are rendered."""
    bold_rows = set(spec.bold_rows)
    wrap_rows, wrap_columns = set(spec.wrap_rows), set(spec.wrap_columns)
    checkboxes = set(spec.checkboxes)
    column_formats = dict(spec.number_formats)
    out: list[str] = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">']
    printing = spec.print_setup
    if printing is not None:
        out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
    width = max([row_width(spec.rows, spec.title)] + [c for _, c in spec.checkboxes] + list(spec.widths) + [1])
    height = max(len(spec.rows), max((r for r, _ in spec.checkboxes), default=0), 1)
    out.append(f'<dimension ref="A1:{get_column_letter(width)}{height}"/>')
    out.append('<sheetViews><sheetView workbookViewId="0">')
    out.append(_pane(spec.frozen_rows, spec.frozen_columns))
    out.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
    columns = sorted(set(spec.widths) | set(column_formats))
    if columns:
        out.append("<cols>")
        for c in columns:
            attrs = f'min="{c}" max="{c}"'
            attrs += f' width="{spec.widths[c]}" customWidth="1"' if c in spec.widths else ' width="9.140625"'
            if c in column_formats:
                attrs += f' style="{style(False, column_formats[c], False)}"'
            out.append(f"<col {attrs}/>")
        out.append("</cols>")
    out.append("<sheetData>")
    rows = _with_checkboxes(spec.rows, checkboxes) if checkboxes else spec.rows   # (a spool is read as it goes)
    ruled_rows, ruled_columns = _ruled(spec.grid)
    for r, line in enumerate(read_back(rows, spec.title), start=1):
        cells = []
        bold = r in bold_rows
        lines = 1
        ruled_row = r in ruled_rows
        if ruled_row and len(line) < ruled_columns.stop - 1:
            line = [*line, *[None] * (ruled_columns.stop - 1 - len(line))]
        for c, value in enumerate(line, start=1):
            ruled = ruled_row and c in ruled_columns
            if value is None:
                if ruled:   # an empty cell of a ruled table still has its lines
                    cells.append(f'<c r="{get_column_letter(c)}{r}" s="{style(bold, None, False, None, True)}"/>')
                continue
            ref = f"{get_column_letter(c)}{r}"
            fmt = column_formats.get(c)
            if isinstance(value, bool):
                body, kind = f"<v>{int(value)}</v>", ' t="b"'
            elif isinstance(value, (int, float)) and value == value and abs(value) != float("inf"):
                body, kind = f"<v>{value!r}</v>", ""
            elif isinstance(value, date):
                if not fmt or percent_decimals(fmt) is not None:
                    timed = isinstance(value, datetime) and value.time() != time(0)
                    fmt = _DATETIME_FORMAT if timed else _DATE_FORMAT
                body, kind = f"<v>{_serial(value, epoch)!r}</v>", ""
            else:
                body, kind = f'<is><t xml:space="preserve">{_text(str(value))}</t></is>', ' t="inlineStr"'
            wrap = r in wrap_rows or c in wrap_columns
            if wrap and isinstance(value, str):
                lines = max(lines, _wrapped_lines(value, spec.widths.get(c, _DEFAULT_WIDTH)))
            colour = spec.colour_of(r, c, value) if spec.colours else None
            if colour or ruled:
                xf = style(bold, fmt, wrap, colour, ruled)
            else:
                xf = style(bold, fmt, wrap) if bold or fmt or wrap else 0
            styled = f' s="{xf}"' if xf else ""
            cells.append(f'<c r="{ref}"{styled}{kind}>{body}</c>')
        # A wrapped row gets the height of its lines: Excel and LibreOffice do not always
        # grow a row on opening a file, and the lines would overlap the next row.
        height = f' ht="{lines * _LINE_HEIGHT}" customHeight="1"' if lines > 1 else ""
        if cells:
            out.append(f'<row r="{r}"{height}>{"".join(cells)}</row>')
        if r % _ROWS_A_CHUNK == 0:
            yield "".join(out)
            out.clear()
    out.append("</sheetData>")
    if spec.protected:
        # autoFilter="0" sort="0": the protection does not forbid filtering and sorting (ECMA-376 18.3.1.85)
        allowed = ' autoFilter="0" sort="0"' if spec.autofilter else ""
        out.append(f'<sheetProtection sheet="1" objects="1" scenarios="1"{allowed}/>')
    if spec.autofilter:
        first, last = spec.autofilter
        out.append(f'<autoFilter ref="A{first}:{get_column_letter(width)}{max(first, last)}"/>')
    merges = spec.merges
    if merges:
        out.append(f'<mergeCells count="{len(merges)}">')
        out.extend(f'<mergeCell ref="{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"/>'
                   for r1, c1, r2, c2 in merges)
        out.append("</mergeCells>")
    validations = list(spec.dropdowns) + [Dropdown(c, r, r, tuple(_BOOL_TEXT.values())) for r, c in spec.checkboxes]
    if validations:
        out.append(f'<dataValidations count="{len(validations)}">')
        for dropdown in validations:
            formula = _list_formula(dropdown.choices) or list_ref(tuple(dropdown.choices))
            letter = get_column_letter(dropdown.column)
            out.append(f'<dataValidation type="list" errorStyle="warning" allowBlank="1" showInputMessage="1" '
                       f'showErrorMessage="1" errorTitle="Значение не из списка" '
                       f'error="Выберите значение из списка" '
                       f'sqref="{letter}{dropdown.first_row}:{letter}{dropdown.last_row}">'
                       f"<formula1>{escape(formula)}</formula1></dataValidation>")
        out.append("</dataValidations>")
    hyperlinks = _hyperlinks(spec, tabs or {})
    if hyperlinks:
        out.append(f"<hyperlinks>{''.join(hyperlinks)}</hyperlinks>")
    if printing is None:
        out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    else:
        out.append(_print_xml(printing))
    out.append("</worksheet>")
    yield "".join(out)


def _with_checkboxes(rows: Iterable[list], checkboxes: set[tuple[int, int]]) -> list[list]:
    """The rows with «да»/«нет» in the checkboxes' cells (only those rows copied)."""
    rows = list(rows)
    for r, c in checkboxes:
        while len(rows) < r:
            rows.append([])
        line = rows[r - 1] = list(rows[r - 1])
        if len(line) < c:
            line.extend([None] * (c - len(line)))
        line[c - 1] = _BOOL_TEXT[bool(line[c - 1])]
    return rows


_CM = 2.54   # the margins of the XML are in inches
_DEFAULT_WIDTH = 9    # characters: Excel's default column (8.43)
_LINE_HEIGHT = 15     # points: a line of the default 11-point font


def _wrapped_lines(text: str, width: int) -> int:
    """How many lines ``text`` takes wrapped at word boundaries in a column of ``width``
    characters (one less: the cell's padding)."""
    room = max(1, width - 1)
    count = 0
    for paragraph in text.split("\n"):
        count += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > room:
                count += 1
                used = 0
            used = len(word) if not used else used + 1 + len(word)
            while used > room:
                count += 1
                used -= room
    return count


def _print_xml(printing: PrintSetup) -> str:
    """<pageMargins>, <pageSetup> (A4 = paperSize 9, one page wide, as many pages down as it
    takes) and the footer, in the order the schema wants them."""
    left, right, top, bottom = (round(cm / _CM, 3) for cm in printing.margins_cm)
    orientation = "landscape" if printing.landscape else "portrait"
    xml = (f'<pageMargins left="{left}" right="{right}" top="{top}" bottom="{bottom}" header="0.3" footer="0.3"/>'
           f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="{max(1, printing.pages_wide)}" '
           f'fitToHeight="0"/>')
    if printing.footer:
        xml += f"<headerFooter><oddFooter>{escape('&C' + printing.footer)}</oddFooter></headerFooter>"
    return xml


def print_titles(spec: TabSpec) -> str | None:
    """The columns and rows repeated on every printed page as the defined name
    _xlnm.Print_Titles holds them (``'Разнарядка'!$A:$E,'Разнарядка'!$7:$7``), None when
    the tab has none."""
    printing = spec.print_setup
    if printing is None:
        return None
    sheet = quote_sheet(spec.title)
    parts = []
    if printing.title_columns:
        first, last = (get_column_letter(c) for c in printing.title_columns)
        parts.append(f"{sheet}!${first}:${last}")
    if printing.title_rows:
        parts.append(f"{sheet}!${printing.title_rows[0]}:${printing.title_rows[1]}")
    return ",".join(parts) or None


def _hyperlinks(spec: TabSpec, tabs: Mapping[str, str]) -> list[str]:
    """The ``<hyperlink>`` elements of the spec's links to tabs of the workbook: internal
    links (a ``location``, no relationship), as Excel writes «Место в документе» (ECMA-376
    Part 1, 18.3.1.47); they come after ``<dataValidations>`` in the schema's order."""
    out = []
    for (row, column), (title, cell) in sorted(spec.links.items()):
        name = tabs.get(title.casefold())
        if name is None:
            continue  # no such tab: Excel would say «Недопустимая ссылка»
        ref = f"{get_column_letter(column)}{row}"
        location = f"{quote_sheet(name)}!{cell}"
        out.append(f"<hyperlink ref={quoteattr(ref)} location={quoteattr(location)} "
                   f"tooltip={quoteattr(f'Перейти: {name}, {cell}')}/>")
    return out


def _pane(rows: int, columns: int) -> str:
    """The frozen pane of ``rows`` top rows and ``columns`` left columns ("" for none)."""
    if not rows and not columns:
        return ""
    top = f"{get_column_letter(columns + 1)}{rows + 1}"
    pane = {(True, True): "bottomRight", (True, False): "bottomLeft", (False, True): "topRight"}[(bool(rows),
                                                                                                  bool(columns))]
    split = (f' xSplit="{columns}"' if columns else "") + (f' ySplit="{rows}"' if rows else "")
    return (f'<pane{split} topLeftCell="{top}" activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{top}" sqref="{top}"/>')


def lists_spec(lists: Sequence[tuple[str, ...]]) -> TabSpec:
    rows: list[list[Any]] = [[None] * len(lists) for _ in range(max((len(v) for v in lists), default=0))]
    for c, values in enumerate(lists):
        for r, value in enumerate(values):
            rows[r][c] = value
    return TabSpec(LISTS_TAB, rows, protected=True, hidden=True)
