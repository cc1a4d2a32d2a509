"""Reading an .xlsx: bytes in, the tabs' values as the person sees them out.

Each sheet's XML is parsed once (the cached values of formulas, shared and inline strings,
the styles that make a number a date or a percent, merged ranges), with openpyxl's helpers
for number formats and Excel dates. Only the parts a read needs are unpacked: not the
photos librarians paste into their workbooks; a part that would unpack to more than 512 MB
(a zip bomb) is refused. Whatever cannot be read raises :class:`FileRefused` with a Russian
reason. docs/architecture.md («The .xlsx format») lists what is read and what refused.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.etree import ElementTree as ET

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from sync_service.stores.base import Sheet
from sync_service.stores.xlsx.package import (
    NS_MAIN,
    REL_SHARED_STRINGS,
    REL_STYLES,
    FileRefused,
    Package,
    refusal,
)

__all__ = ["read_sheets", "percent_decimals", "plain_date"]


def percent_decimals(number_format: str) -> int | None:
    """Decimals shown by a percent format (``'0.0%'`` -> 1), None when it is not a percent format."""
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.split(";")[0])
    if "%" not in section:
        return None
    _, _, fraction = section.partition(".")
    return sum(1 for ch in fraction.split("%")[0] if ch in "0#?")


def _percent_text(value: float, decimals: int) -> str:
    """The percentage as the cell shows it («12,50%» for 0.00%): the cell's own display, which
    the forms' parser reads, so not sync_service.ru.percent (Svod's presentation, one digit)."""
    shown = Decimal(repr(value * 100)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{shown}".replace(".", ",") + "%"


_C, _V, _IS, _T, _R, _ROW, _MERGE = (f"{{{NS_MAIN}}}{tag}" for tag in ("c", "v", "is", "t", "r", "row", "mergeCell"))
_WORKSHEET = f"{{{NS_MAIN}}}worksheet"


@dataclass
class _Look:
    """What turns a sheet's raw cells into what the person sees: the workbook's shared
    strings, which styles show dates, durations or percentages, and its date epoch."""

    shared: list[str]
    dates: set[int]
    durations: set[int]
    percent: dict[int, int]     # style id -> decimals shown
    epoch: datetime


# A character XML cannot carry, as Excel writes it in a text (ECMA-376 Part 1, 22.9.2.19
# ST_Xstring): «abc\r\ndef» is «abc_x000D_\ndef»; a typed «_x000D_» is «_x005F_x000D_».
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _rich_text(item) -> str:
    """The text of a shared or inline string: its ``<t>``, or its runs' (phonetic hints are not shown)."""
    text = []
    for part in item:
        if part.tag == _T:
            text.append(part.text or "")
        elif part.tag == _R:
            text.extend(t.text or "" for t in part.iter(_T))
    return _unescape("".join(text))


def _shared_strings(xml: bytes | None) -> list[str]:
    return [_rich_text(item) for item in ET.fromstring(xml)] if xml else []


def _styles(xml: bytes | None) -> tuple[set[int], set[int], dict[int, int]]:
    """Which cell styles show dates, durations, percentages; no styles part: none do."""
    dates, durations, percent = set(), set(), {}
    if not xml:
        return dates, durations, percent
    root = ET.fromstring(xml)
    # Only the main list: the formats of conditional formatting (<dxfs>) are not cell styles.
    formats = root.find(f"{{{NS_MAIN}}}numFmts")
    custom = {int(n.get("numFmtId")): n.get("formatCode", "")
              for n in (formats if formats is not None else ()) if n.get("numFmtId", "").isdigit()}
    xfs = root.find(f"{{{NS_MAIN}}}cellXfs")
    for style_id, xf in enumerate(xfs if xfs is not None else ()):
        fmt_id = xf.get("numFmtId", "0")
        fmt_id = int(fmt_id) if fmt_id.isdigit() else 0
        fmt = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "General")
        decimals = percent_decimals(fmt)
        if decimals is not None:
            percent[style_id] = decimals
        elif is_date_format(fmt):
            dates.add(style_id)
            if is_timedelta_format(fmt):
                durations.add(style_id)
    return dates, durations, percent


def _look(package: Package) -> _Look:
    shared = package.part_of(REL_SHARED_STRINGS)
    styles = package.part_of(REL_STYLES)
    dates, durations, percent = _styles(package.parts[styles] if styles else None)
    epoch = CALENDAR_MAC_1904 if package.epoch().year == 1904 else CALENDAR_WINDOWS_1900
    return _Look(_shared_strings(package.parts[shared] if shared else None), dates, durations, percent, epoch)


def plain_date(value: Any) -> Any:
    """A date, time or duration of a cell as the store hands it over (base.Sheet): a date
    at midnight as a ``date``, a time as «HH:MM», a duration as its text."""
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        return str(value)
    return value


# Sheets whose XML is larger than this are streamed instead of parsed whole (memory).
_WHOLE_SHEET_BYTES = 64 * 1024 * 1024


def _elements(xml: bytes):
    """The sheet's ``<row>`` and ``<mergeCell>`` elements, rows with their cells."""
    if len(xml) <= _WHOLE_SHEET_BYTES:
        # One C-level parse and a walk over the tree: far fewer Python calls than iterparse.
        root = ET.fromstring(xml)
        if root.tag != _WORKSHEET:
            raise FileRefused("not_xlsx")
        for part in root:
            yield from part
        return
    first = True
    for event, element in ET.iterparse(io.BytesIO(xml), events=("start", "end")):
        if first:
            if element.tag != _WORKSHEET:
                raise FileRefused("not_xlsx")
            first = False
        if event == "end" and element.tag in (_ROW, _MERGE):
            yield element
            if element.tag == _ROW:
                element.clear()


def _cell_value(cell, look: _Look) -> Any:
    """What the cell shows, None for an empty one."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_IS)
        return _rich_text(inline) if inline is not None else None
    value = cell.findtext(_V)
    if not value:  # no cached value (a formula never calculated): nothing shown
        return None
    if kind == "n":
        value = float(value) if "." in value or "E" in value or "e" in value else int(value)
        style = cell.get("s")
        if style:
            style = int(style)
            if style in look.percent:
                return _percent_text(value, look.percent[style])
            if style in look.dates:
                try:
                    return plain_date(from_excel(value, look.epoch, timedelta=style in look.durations))
                except (OverflowError, ValueError):
                    return "#VALUE!"
        return value
    if kind == "s":
        return look.shared[int(value)]
    if kind == "b":
        return value not in ("0", "false")
    if kind == "d":
        return plain_date(from_ISO8601(value))
    if kind == "str":   # a formula's text
        return _unescape(value)
    return value   # "e": an error such as #REF!


def _read_sheet(title: str, xml: bytes, look: _Look) -> Sheet:
    """One sheet's values and merged ranges in one pass over its XML.

    openpyxl's own row reader builds an object per cell; this loop does only what Svod
    needs (cached values, shared strings, dates, percentages) and is several times faster.
    """
    rows: list[list[Any]] = []
    merges: list[tuple[int, int, int, int]] = []
    row_number = 0
    for element in _elements(xml):
        if element.tag == _ROW:
            number = element.get("r")
            row_number = int(number) if number else row_number + 1
            if row_number < 1:
                raise FileRefused("not_xlsx")   # there is no row 0
            line: list[Any] = []
            column = 0
            for cell in element:
                if cell.tag != _C:
                    continue
                ref = cell.get("r")
                column = _column_of(ref) if ref else column + 1
                value = _cell_value(cell, look)
                if value is None or value == "":
                    continue
                if column > len(line):
                    line.extend([None] * (column - len(line)))
                line[column - 1] = value
            if line:
                if row_number > len(rows):
                    rows.extend([] for _ in range(row_number - len(rows)))
                rows[row_number - 1] = line
        elif element.tag == _MERGE:
            first, _, last = element.get("ref", "").partition(":")
            if first:
                merges.append((*_cell_of(first), *_cell_of(last or first)))
    _hide_merged(rows, merges)
    return Sheet(title, rows, merges)


def _hide_merged(rows: list[list[Any]], merges: list[tuple[int, int, int, int]]) -> None:
    """Drop the values under a merged range but its first cell: Excel shows only that one
    (a value typed before the cells were merged stays in the file, invisible)."""
    touched = False
    for r1, c1, r2, c2 in merges:
        for r in range(r1, min(r2, len(rows)) + 1):
            line = rows[r - 1]
            for c in range(c1 + 1 if r == r1 else c1, min(c2, len(line)) + 1):
                if line[c - 1] is not None:
                    line[c - 1], touched = None, True
    if not touched:
        return
    for line in rows:
        while line and line[-1] is None:
            line.pop()
    while rows and not rows[-1]:
        rows.pop()


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_COLUMNS: dict[str, int] = {}


def _column_of(ref: str) -> int:
    letters = ref.rstrip("0123456789$")
    column = _COLUMNS.get(letters)
    if column is None:
        column = 0
        for ch in letters.upper().lstrip("$"):
            column = column * 26 + ord(ch) - 64
        if column < 1:
            raise FileRefused("not_xlsx")   # a reference without its column letters
        _COLUMNS[letters] = column
    return column


def _cell_of(ref: str) -> tuple[int, int]:
    found = _REF.fullmatch(ref)
    if not found:
        raise FileRefused("not_xlsx")
    return int(found.group(2)), _column_of(found.group(1))


def read_package(package: Package, only: set[str] | None = None) -> dict[str, Sheet]:
    """The worksheets of an opened package (or those in ``only``), by title."""
    look = _look(package)
    return {ref.name: _read_sheet(ref.name, package.parts[ref.path], look) for ref in package.sheets()
            if only is None or ref.name in only}


def read_sheets(data: bytes, only: set[str] | None = None) -> dict[str, Sheet]:
    """Every worksheet (or those in ``only``) of the .xlsx in ``data``, by title.

    Only the parts a read needs are unpacked (not the pictures a workbook may carry).
    Raises :class:`FileRefused` with a Russian reason for a file that cannot be read.
    """
    try:
        return read_package(Package.load(data, lazy=True), only)
    except Exception as exc:  # noqa: BLE001 - whatever a broken file makes the parsers raise
        raise refusal(data, exc) from None
