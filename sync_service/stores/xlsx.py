"""Local .xlsx workbooks in one folder: the store for associations that do not use Google.

Reading parses each sheet's XML itself in one pass (the cached values of formulas, shared
strings, the styles that make a number a date or a percent, merged ranges), with
openpyxl's helpers for number formats and Excel dates. Only the parts a read needs are
unpacked: not the photos librarians paste into their workbooks; a part that would unpack
to more than 512 MB (a zip bomb) is refused.

Writing never loads and re-saves a workbook with openpyxl: that would drop the cached
values of the librarian's formulas (Svod would then read them as empty), shapes,
comments' layout and whatever else openpyxl does not model. Instead the service-owned
tabs are rendered to sheet XML here and put into the workbook's zip package next to
the untouched parts of everything else (photos and other media stored as they are, not
compressed again); a few styles (bold, number formats) are
appended to ``styles.xml``. The new file is written beside the old one and swapped in
with ``os.replace``, so a reader never sees half a file.
"""
from __future__ import annotations

import io
import logging
import os
import posixpath
import re
import tempfile
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import unquote, urlparse
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from sync_service.stores.base import (
    Dropdown,
    Sheet,
    StoreError,
    TabSpec,
    Workbook,
    WorkbookChanged,
    WorkbookInfo,
    WorkbookStore,
    WorkbookUnavailable,
)

log = logging.getLogger(__name__)

__all__ = ["XlsxStore", "LISTS_TAB"]

SUFFIXES = (".xlsx", ".xlsm")
# What a head may type in «Книга» that is a spreadsheet file, not part of a name.
_FILE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv"}
# The hidden, protected tab holding the values of dropdowns too long for Excel's
# 255-character list formula.
LISTS_TAB = "Списки"
_LIST_LIMIT = 250
_BOOL_TEXT = {True: "да", False: "нет"}
_TEMP_PREFIX = ".~svod-"

# Why a workbook cannot be used, for the head and the librarian: what happened and what to do.
REASONS = {
    "missing": "файл не найден в папке книг; проверьте имя файла в столбце «Книга» на листе «Школы»",
    "locked": "файл недоступен: нет прав на чтение или он заблокирован другой программой; "
              "закройте его и повторите",
    "empty": "файл пустой (0 байт) — возможно, он ещё сохраняется или копируется; если ошибка повторится, "
             "пересохраните книгу в Excel как .xlsx",
    "truncated": "файл повреждён или записан не до конца (возможно, он ещё копируется); "
                 "откройте его в Excel и пересохраните как .xlsx",
    "xls": "файл в старом формате Excel (.xls); откройте его в Excel и сохраните как «Книга Excel (.xlsx)»",
    "encrypted": "книга защищена паролем на открытие; снимите пароль (Файл → Сведения → Защита книги) "
                 "и сохраните её как .xlsx",
    "ods": "файл в формате OpenDocument (.ods); сохраните его как «Книга Excel (.xlsx)»",
    "not_xlsx": "файл повреждён или не является книгой Excel (.xlsx); пересохраните его в Excel как .xlsx",
    "too_big": "часть книги в распакованном виде больше 512 МБ — это не похоже на отчёт школы; "
               "удалите из книги лишнее (большие картинки, вложения) или пересохраните её",
    "strict": "книга сохранена в формате «Strict Open XML»; сохраните её как обычную «Книга Excel (.xlsx)»",
    "bad_name": "недопустимое имя книги: укажите имя файла в папке книг, без «..»",
    "directory": "это папка, а не файл книги; укажите имя файла .xlsx",
    "unwritable": "не удалось записать файл: нет прав на запись или он открыт в другой программе; "
                  "закройте его и повторите",
}

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_WORKSHEET = NS_REL + "/worksheet"
REL_CALC_CHAIN = NS_REL + "/calcChain"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _marker(stat: os.stat_result) -> str:
    return f"{stat.st_mtime_ns}-{stat.st_size}"


# --- reading ------------------------------------------------------------------------------------

def _percent_decimals(number_format: str) -> int | None:
    """Decimals shown by a percent format (``'0.0%'`` -> 1), None when it is not a percent format."""
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.split(";")[0])
    if "%" not in section:
        return None
    _, _, fraction = section.partition(".")
    return sum(1 for ch in fraction.split("%")[0] if ch in "0#?")


def _percent_text(value: float, decimals: int) -> str:
    shown = Decimal(repr(value * 100)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{shown}".replace(".", ",") + "%"


@dataclass
class _Look:
    """What turns a sheet's raw cells into what the person sees: the workbook's shared
    strings, which styles show dates, durations or percentages, and its date epoch."""

    shared: list[str]
    dates: set[int]
    durations: set[int]
    percent: dict[int, int]     # style id -> decimals shown
    epoch: datetime


def _shared_strings(xml: bytes | None) -> list[str]:
    if not xml:
        return []
    strings = []
    for item in ET.fromstring(xml):
        text = []
        for part in item:
            if part.tag == _T:
                text.append(part.text or "")
            elif part.tag == _R:  # a rich-text run; phonetic hints (rPh) are not shown
                text.extend(t.text or "" for t in part.iter(_T))
        strings.append("".join(text))
    return strings


def _look(package: "_Package") -> _Look:
    root = ET.fromstring(package.parts[package.style_sheet_path()])
    custom = {int(n.get("numFmtId")): n.get("formatCode", "") for n in root.iter(f"{{{NS_MAIN}}}numFmt")}
    dates, durations, percent = set(), set(), {}
    xfs = root.find(f"{{{NS_MAIN}}}cellXfs")
    for style_id, xf in enumerate(xfs if xfs is not None else ()):
        fmt_id = int(xf.get("numFmtId", 0))
        fmt = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "General")
        decimals = _percent_decimals(fmt)
        if decimals is not None:
            percent[style_id] = decimals
        elif is_date_format(fmt):
            dates.add(style_id)
            if is_timedelta_format(fmt):
                durations.add(style_id)
    shared = next((path for kind, path in package.relationships().values() if kind == NS_REL + "/sharedStrings"), None)
    epoch = CALENDAR_MAC_1904 if package.epoch().year == 1904 else CALENDAR_WINDOWS_1900
    return _Look(_shared_strings(package.parts.get(shared)), dates, durations, percent, epoch)


def _plain_date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        return str(value)
    return value


_C, _V, _IS, _T, _R, _ROW, _MERGE = (f"{{{NS_MAIN}}}{tag}" for tag in ("c", "v", "is", "t", "r", "row", "mergeCell"))


def _inline_text(cell) -> str:
    text = []
    inline = cell.find(_IS)
    for part in inline if inline is not None else ():
        if part.tag == _T:
            text.append(part.text or "")
        elif part.tag == _R:
            text.extend(t.text or "" for t in part.iter(_T))
    return "".join(text)


# Sheets whose XML is larger than this are streamed instead of parsed whole (memory).
_WHOLE_SHEET_BYTES = 64 * 1024 * 1024


def _elements(xml: bytes):
    """The sheet's ``<row>`` and ``<mergeCell>`` elements, rows with their cells."""
    if len(xml) <= _WHOLE_SHEET_BYTES:
        # One C-level parse and a walk over the tree: far fewer Python calls than iterparse.
        for part in ET.fromstring(xml):
            yield from part
        return
    for _event, element in ET.iterparse(io.BytesIO(xml)):
        if element.tag in (_ROW, _MERGE):
            yield element
            if element.tag == _ROW:
                element.clear()


def _read_sheet(title: str, xml: bytes, look: _Look) -> Sheet:
    """One sheet's values and merged ranges in one pass over its XML.

    openpyxl's own row reader builds an object per cell; this loop does only what Svod
    needs (cached values, shared strings, dates, percentages) and is several times faster.
    """
    shared, percent, dates, durations, epoch = look.shared, look.percent, look.dates, look.durations, look.epoch
    rows: list[list[Any]] = []
    merges: list[tuple[int, int, int, int]] = []
    row_number = 0
    for element in _elements(xml):
        tag = element.tag
        if tag == _ROW:
            number = element.get("r")
            row_number = int(number) if number else row_number + 1
            line: list[Any] = []
            column = 0
            for cell in element:
                if cell.tag != _C:
                    continue
                ref = cell.get("r")
                column = _column_of(ref) if ref else column + 1
                kind = cell.get("t", "n")
                if kind == "inlineStr":
                    value = _inline_text(cell)
                else:
                    value = cell.findtext(_V)
                    if not value:  # no cached value (a formula never calculated): nothing shown
                        continue
                    if kind == "n":
                        value = float(value) if "." in value or "E" in value or "e" in value else int(value)
                        style = cell.get("s")
                        if style is not None:
                            style = int(style)
                            if style in percent:
                                value = _percent_text(value, percent[style])
                            elif style in dates:
                                try:
                                    value = _plain_date(from_excel(value, epoch, timedelta=style in durations))
                                except (OverflowError, ValueError):
                                    value = "#VALUE!"
                    elif kind == "s":
                        value = shared[int(value)]
                    elif kind == "b":
                        value = value not in ("0", "false")
                    elif kind == "d":
                        value = _plain_date(from_ISO8601(value))
                if value is None or value == "":
                    continue
                if column > len(line):
                    line.extend([None] * (column - len(line)))
                line[column - 1] = value
            if line:
                if row_number > len(rows):
                    rows.extend([] for _ in range(row_number - len(rows)))
                rows[row_number - 1] = line
        elif tag == _MERGE:
            first, _, last = element.get("ref", "").partition(":")
            if first:
                merges.append((*_cell_of(first), *_cell_of(last or first)))
    return Sheet(title, rows, merges)


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_COLUMNS: dict[str, int] = {}


def _column_of(ref: str) -> int:
    letters = ref.rstrip("0123456789$")
    column = _COLUMNS.get(letters)
    if column is None:
        column = 0
        for ch in letters.upper().lstrip("$"):
            column = column * 26 + ord(ch) - 64
        _COLUMNS[letters] = column
    return column


def _cell_of(ref: str) -> tuple[int, int]:
    found = _REF.fullmatch(ref)
    if not found:
        raise ValueError(f"bad cell reference {ref!r}")
    return int(found.group(2)), _column_of(found.group(1))


def read_package(data: bytes, only: set[str] | None = None) -> dict[str, Sheet]:
    """Every tab (or those in ``only``) of the .xlsx in ``data``; errors of a bad file pass through.
    Only the parts a read needs are unpacked (not the pictures a workbook may carry)."""
    package = _Package.load(data, lazy=True)
    if package.strict():
        raise _Strict()
    look = _look(package)
    return {ref.name: _read_sheet(ref.name, package.parts[ref.path], look) for ref in package.sheets()
            if only is None or ref.name in only}


class _Strict(Exception):
    """The workbook is in the «Strict Open XML» flavour, which neither openpyxl nor Svod read."""


def _diagnose(data: bytes) -> str:
    """The reason key for bytes that are not a readable .xlsx."""
    if not data:
        return "empty"
    if data.startswith(_CFB_MAGIC):
        return "encrypted" if _ENCRYPTED_MARK in data else "xls"
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                mimetype = archive.read("mimetype") if "mimetype" in archive.namelist() else b""
        except Exception:  # noqa: BLE001 - a zip that does not open is a broken or unfinished file
            return "truncated"
        if b"opendocument" in mimetype:
            return "ods"
    return "not_xlsx"


# --- rendering a TabSpec as sheet XML --------------------------------------------------------------

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DATE_FORMAT = "DD.MM.YYYY"
_DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
_MAX_TEXT = 32767

StyleFor = Callable[[bool, str | None], int]   # (bold, number format) -> cellXfs index


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value[:_MAX_TEXT]))


def _serial(value: date, epoch: date) -> float | int:
    if isinstance(value, datetime):
        delta = value - datetime.combine(epoch, time(0))
        serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
        return round(serial, 10)
    return (value - epoch).days


def _quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _list_formula(choices: Sequence[str]) -> str | None:
    """The inline list formula of ``choices``, None when Excel would refuse it."""
    text = ",".join(choices)
    if len(text) > _LIST_LIMIT or any("," in c or '"' in c for c in choices):
        return None
    return f'"{text}"'


def render_sheet(spec: TabSpec, style: StyleFor, list_ref: Callable[[tuple[str, ...]], str], epoch: date) -> bytes:
    """The worksheet XML of ``spec``: values written literally (no formulas), presentation as asked."""
    bold_rows = set(spec.bold_rows)
    checkboxes = set(spec.checkboxes)
    column_formats = dict(spec.number_formats)
    out: list[str] = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">']
    width = max([len(r) for r in spec.rows] + [c for _, c in spec.checkboxes] + list(spec.widths) + [1])
    height = max(len(spec.rows), max((r for r, _ in spec.checkboxes), default=0), 1)
    out.append(f'<dimension ref="A1:{get_column_letter(width)}{height}"/>')
    out.append('<sheetViews><sheetView workbookViewId="0">')
    if spec.frozen_rows:
        top = f"A{spec.frozen_rows + 1}"
        out.append(f'<pane ySplit="{spec.frozen_rows}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                   f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>')
    out.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
    columns = sorted(set(spec.widths) | set(column_formats))
    if columns:
        out.append("<cols>")
        for c in columns:
            attrs = f'min="{c}" max="{c}"'
            attrs += f' width="{spec.widths[c]}" customWidth="1"' if c in spec.widths else ' width="9.140625"'
            if c in column_formats:
                attrs += f' style="{style(False, column_formats[c])}"'
            out.append(f"<col {attrs}/>")
        out.append("</cols>")
    out.append("<sheetData>")
    rows = [list(r) for r in spec.rows]
    for r, c in checkboxes:
        while len(rows) < r:
            rows.append([])
        line = rows[r - 1]
        if len(line) < c:
            line.extend([None] * (c - len(line)))
        line[c - 1] = _BOOL_TEXT[bool(line[c - 1])]
    for r, line in enumerate(rows, start=1):
        cells = []
        bold = r in bold_rows
        for c, value in enumerate(line, start=1):
            if value is None:
                continue
            ref = f"{get_column_letter(c)}{r}"
            fmt = column_formats.get(c)
            if isinstance(value, bool):
                body, kind = f"<v>{int(value)}</v>", ' t="b"'
            elif isinstance(value, (int, float)) and value == value and abs(value) != float("inf"):
                body, kind = f"<v>{value!r}</v>", ""
            elif isinstance(value, date):
                if not fmt or _percent_decimals(fmt) is not None:
                    timed = isinstance(value, datetime) and value.time() != time(0)
                    fmt = _DATETIME_FORMAT if timed else _DATE_FORMAT
                body, kind = f"<v>{_serial(value, epoch)!r}</v>", ""
            else:
                body, kind = f'<is><t xml:space="preserve">{_text(str(value))}</t></is>', ' t="inlineStr"'
            xf = style(bold, fmt) if bold or fmt else 0
            styled = f' s="{xf}"' if xf else ""
            cells.append(f'<c r="{ref}"{styled}{kind}>{body}</c>')
        if cells:
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData>")
    if spec.protected:
        out.append('<sheetProtection sheet="1" objects="1" scenarios="1"/>')
    merges = getattr(spec, "merges", ())  # not a TabSpec field yet: the demo's filled tabs carry it
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
    out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    out.append("</worksheet>")
    return "".join(out).encode("utf-8")


def _lists_spec(lists: Sequence[tuple[str, ...]]) -> TabSpec:
    rows: list[list[Any]] = [[None] * len(lists) for _ in range(max((len(v) for v in lists), default=0))]
    for c, values in enumerate(lists):
        for r, value in enumerate(values):
            rows[r][c] = value
    return TabSpec(LISTS_TAB, rows, protected=True, hidden=True)


# --- the zip package ------------------------------------------------------------------------------

_EMPTY_PACKAGE = {
    "[Content_Types].xml":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>',
    "_rels/.rels":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{NS_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
    "xl/workbook.xml":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews><sheets></sheets><calcPr calcId="191029"/></workbook>',
    "xl/_rels/workbook.xml.rels":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{NS_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{NS_REL}/styles" Target="styles.xml"/></Relationships>',
    "xl/styles.xml":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{NS_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>',
}

_BUILTIN_IDS = {fmt: fmt_id for fmt_id, fmt in BUILTIN_FORMATS.items()}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _prefix(xml: str, element: str) -> str:
    """The namespace prefix (with its colon) the document uses for ``element``."""
    found = re.search(rf"<(\w+:)?{element}[\s>/]", xml)
    return found.group(1) or "" if found else ""


def _append_children(xml: str, element: str, snippets: Sequence[str], *, count: int | None = None) -> str:
    """Append ``snippets`` as the last children of the first ``element``; update its count."""
    if not snippets:
        return xml
    p = _prefix(xml, element)
    opening = re.search(rf"<{p}{element}\b[^>]*?(/?)>", xml)
    if opening is None:
        raise ValueError(f"no <{element}>")
    tag = opening.group(0)
    if count is not None:
        tag = re.sub(r'\scount="\d+"', "", tag)
        tag = tag.replace(f"<{p}{element}", f'<{p}{element} count="{count}"', 1)
    if opening.group(1):  # <sheets/>
        tag = tag[:-2].rstrip() + ">"
        return xml[:opening.start()] + tag + "".join(snippets) + f"</{p}{element}>" + xml[opening.end():]
    close = xml.index(f"</{p}{element}>", opening.end())
    return xml[:opening.start()] + tag + xml[opening.end():close] + "".join(snippets) + xml[close:]


@dataclass
class _SheetRef:
    name: str
    sheet_id: int
    rid: str
    path: str
    state: str


class _Styles:
    """Finds or appends the few cell formats Svod's tabs use (bold, number formats)."""

    def __init__(self, xml: str):
        self.xml = xml
        self.p = _prefix(xml, "styleSheet")
        root = ET.fromstring(xml.encode("utf-8"))
        formats = next((e for e in root if _local(e.tag) == "numFmts"), [])
        self.formats = {n.get("formatCode"): int(n.get("numFmtId")) for n in formats}
        fonts = next((e for e in root if _local(e.tag) == "fonts"), None)
        xfs = next((e for e in root if _local(e.tag) == "cellXfs"), None)
        self.fonts = [self._font_key(f) for f in fonts] if fonts is not None else []
        self.xfs = [dict(x.attrib) if not len(x) else None for x in xfs] if xfs is not None else []
        self.base_font = list(fonts[0]) if fonts is not None and len(fonts) else []
        self.cache: dict[tuple[bool, str | None], int] = {}
        self.new_formats: list[str] = []
        self.new_fonts: list[str] = []
        self.new_xfs: list[str] = []

    @staticmethod
    def _font_key(font) -> frozenset:
        return frozenset((_local(c.tag), tuple(sorted(c.attrib.items()))) for c in font)

    def _bold_font(self) -> int:
        children = [(_local(c.tag), tuple(sorted((k, v) for k, v in c.attrib.items() if "}" not in k)))
                    for c in self.base_font if _local(c.tag) != "b"]
        children.insert(0, ("b", ()))
        key = frozenset(children)
        if key in self.fonts:
            return self.fonts.index(key)
        self.fonts.append(key)
        body = "".join(f"<{self.p}{tag}" + "".join(f" {k}={quoteattr(v)}" for k, v in attrs) + "/>"
                       for tag, attrs in children)
        self.new_fonts.append(f"<{self.p}font>{body}</{self.p}font>")
        return len(self.fonts) - 1

    def _format(self, fmt: str) -> int:
        if fmt in _BUILTIN_IDS:
            return _BUILTIN_IDS[fmt]
        if fmt not in self.formats:
            self.formats[fmt] = max([163, *self.formats.values()]) + 1
            self.new_formats.append(f'<{self.p}numFmt numFmtId="{self.formats[fmt]}" formatCode={quoteattr(fmt)}/>')
        return self.formats[fmt]

    def __call__(self, bold: bool, fmt: str | None) -> int:
        if (bold, fmt) not in self.cache:
            attrs = {"numFmtId": str(self._format(fmt) if fmt else 0),
                     "fontId": str(self._bold_font() if bold else 0),
                     "fillId": "0", "borderId": "0", "xfId": "0"}
            if fmt:
                attrs["applyNumberFormat"] = "1"
            if bold:
                attrs["applyFont"] = "1"
            if attrs in self.xfs:
                index = self.xfs.index(attrs)
            else:
                self.xfs.append(attrs)
                self.new_xfs.append(f"<{self.p}xf " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + "/>")
                index = len(self.xfs) - 1
            self.cache[(bold, fmt)] = index
        return self.cache[(bold, fmt)]

    def finish(self) -> str:
        xml = self.xml
        if self.new_formats:
            if re.search(rf"<{self.p}numFmts\b", xml):
                xml = _append_children(xml, "numFmts", self.new_formats, count=len(self.formats))
            else:
                opening = re.search(rf"<{self.p}styleSheet\b[^>]*>", xml)
                block = f'<{self.p}numFmts count="{len(self.new_formats)}">{"".join(self.new_formats)}</{self.p}numFmts>'
                xml = xml[:opening.end()] + block + xml[opening.end():]
        xml = _append_children(xml, "fonts", self.new_fonts, count=len(self.fonts))
        return _append_children(xml, "cellXfs", self.new_xfs, count=len(self.xfs))


_MAX_PART = 512 * 1024 * 1024  # unpacked bytes of one part: more is a zip bomb, not a school's report


class _TooBig(Exception):
    """A part of the package unpacks to more than ``_MAX_PART`` bytes."""


def _unpacked(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > _MAX_PART:
        raise _TooBig(info.filename)
    return archive.read(info)


class _PackedParts(Mapping):
    """Part name -> bytes of a zip, each part unpacked when first asked for and kept."""

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self._infos = {info.filename: info for info in archive.infolist()}
        self._unpacked: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        found = self._unpacked.get(name)
        if found is None:
            found = self._unpacked[name] = _unpacked(self._archive, self._infos[name])
        return found

    def __iter__(self):
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)


# Parts in formats that are compressed already (pictures, media): stored as they are.
_PACKED_FORMATS = frozenset({".jpeg", ".jpg", ".png", ".gif", ".webp", ".mp3", ".mp4", ".m4a", ".zip"})


class _Package:
    """An .xlsx zip held in memory, part name -> bytes, edited by whole parts."""

    def __init__(self, parts: dict[str, bytes] | _PackedParts):
        self.parts = parts
        root = ET.fromstring(parts["_rels/.rels"])
        target = next(r.get("Target") for r in root if r.get("Type", "").endswith("/officeDocument"))
        self.workbook_path = target.lstrip("/")
        folder, name = posixpath.split(self.workbook_path)
        self.folder = folder
        self.rels_path = posixpath.join(folder, "_rels", name + ".rels")

    @classmethod
    def load(cls, data: bytes, *, lazy: bool = False) -> "_Package":
        """The package in ``data``: every part unpacked (to be edited and written back), or
        with ``lazy`` each part when it is first asked for (to be read)."""
        if lazy:
            return cls(_PackedParts(zipfile.ZipFile(io.BytesIO(data))))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return cls({info.filename: _unpacked(archive, info) for info in archive.infolist()})

    @classmethod
    def empty(cls) -> "_Package":
        return cls({name: text.encode("utf-8") for name, text in _EMPTY_PACKAGE.items()})

    def text(self, name: str) -> str:
        return self.parts[name].decode("utf-8")

    def relationships(self) -> dict[str, tuple[str, str]]:
        """Workbook relationship id -> (type, part name)."""
        found = {}
        for rel in ET.fromstring(self.parts[self.rels_path]):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(self.folder, target))
            found[rel.get("Id")] = (rel.get("Type", ""), path)
        return found

    def sheets(self) -> list[_SheetRef]:
        rels = self.relationships()
        sheets = []
        for element in ET.fromstring(self.parts[self.workbook_path]).iter(f"{{{NS_MAIN}}}sheet"):
            rid = element.get(f"{{{NS_REL}}}id")
            kind, path = rels.get(rid, ("", ""))
            if kind == REL_WORKSHEET:
                sheets.append(_SheetRef(element.get("name"), int(element.get("sheetId")), rid, path,
                                        element.get("state", "visible")))
        return sheets

    def strict(self) -> bool:
        return b"purl.oclc.org/ooxml/spreadsheetml" in self.parts[self.workbook_path][:2000]

    def epoch(self) -> date:
        workbook = self.text(self.workbook_path)
        return date(1904, 1, 1) if re.search(r'date1904="(1|true)"', workbook) else date(1899, 12, 30)

    def replace_sheet(self, ref: _SheetRef, xml: bytes, hidden: bool) -> None:
        self.parts[ref.path] = xml
        folder, name = posixpath.split(ref.path)
        # The old sheet's drawings, comments and tables are no longer referenced by it.
        self.parts.pop(posixpath.join(folder, "_rels", name + ".rels"), None)
        self._drop_calc_chain()
        if (ref.state != "visible") != hidden:
            self._set_state(ref, "hidden" if hidden else "visible")

    def add_sheet(self, title: str, xml: bytes, hidden: bool) -> None:
        sheets = self.sheets()
        rels = self.relationships()
        n = 1
        while posixpath.join(self.folder, "worksheets", f"sheet{n}.xml") in self.parts:
            n += 1
        path = posixpath.join(self.folder, "worksheets", f"sheet{n}.xml")
        self.parts[path] = xml
        rid = next(f"rId{i}" for i in range(len(rels) + 1, len(rels) + 1000) if f"rId{i}" not in rels)
        target = posixpath.relpath(path, self.folder or ".")
        self.parts[self.rels_path] = _append_children(self.text(self.rels_path), "Relationships", [
            f'<Relationship Id="{rid}" Type="{REL_WORKSHEET}" Target="{target}"/>']).encode("utf-8")
        self.parts["[Content_Types].xml"] = _append_children(self.text("[Content_Types].xml"), "Types", [
            f'<Override PartName="/{path}" ContentType="{CT_WORKSHEET}"/>']).encode("utf-8")
        workbook = self.text(self.workbook_path)
        p = _prefix(workbook, "sheets")
        sheet_id = max([s.sheet_id for s in sheets] + [0]) + 1
        state = ' state="hidden"' if hidden else ""
        element = (f'<{p}sheet name={quoteattr(title)} sheetId="{sheet_id}"{state} '
                   f'xmlns:svodr="{NS_REL}" svodr:id="{rid}"/>')
        self.parts[self.workbook_path] = _append_children(workbook, "sheets", [element]).encode("utf-8")

    def _set_state(self, ref: _SheetRef, state: str) -> None:
        workbook = self.text(self.workbook_path)
        for found in re.finditer(r"<(\w+:)?sheet\s[^>]*?/>", workbook):
            tag = found.group(0)
            if re.search(rf'\w+:id="{re.escape(ref.rid)}"', tag):
                tag = re.sub(r'\sstate="\w+"', "", tag)
                if state != "visible":
                    tag = tag[:-2].rstrip() + f' state="{state}"/>'
                workbook = workbook[:found.start()] + tag + workbook[found.end():]
                break
        self.parts[self.workbook_path] = workbook.encode("utf-8")

    def _drop_calc_chain(self) -> None:
        """Excel rebuilds the calculation chain; a stale one makes it «repair» the file."""
        for rid, (kind, path) in self.relationships().items():
            if kind != REL_CALC_CHAIN:
                continue
            self.parts.pop(path, None)
            rels = re.sub(rf'<(\w+:)?Relationship\b[^>]*\bId="{re.escape(rid)}"[^>]*/>', "", self.text(self.rels_path))
            self.parts[self.rels_path] = rels.encode("utf-8")
            types = re.sub(rf'<(\w+:)?Override\b[^>]*PartName="/{re.escape(path)}"[^>]*/>', "",
                           self.text("[Content_Types].xml"))
            self.parts["[Content_Types].xml"] = types.encode("utf-8")

    def style_sheet_path(self) -> str:
        return next(path for kind, path in self.relationships().values() if kind == NS_REL + "/styles")

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(self.parts, key=lambda n: n != "[Content_Types].xml"):
                # Excel's own fixed time stamp: the same content gives the same bytes.
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                # photos are compressed already: deflating them again costs seconds, saves nothing
                info.compress_type = (zipfile.ZIP_STORED if posixpath.splitext(name)[1].lower() in _PACKED_FORMATS
                                      else zipfile.ZIP_DEFLATED)
                archive.writestr(info, self.parts[name])
        return buffer.getvalue()


def _existing_lists(data: bytes | None, package: _Package) -> list[tuple[str, ...]]:
    """The lists already on «Списки», one per column, so their ranges stay where they are."""
    if data is None or not any(s.name == LISTS_TAB for s in package.sheets()):
        return []
    sheet = read_package(data, {LISTS_TAB}).get(LISTS_TAB)
    width = max((len(r) for r in sheet.rows), default=0) if sheet else 0
    lists = []
    for c in range(width):
        values = []
        for row in sheet.rows:
            value = row[c] if c < len(row) else None
            if value is None:
                break
            values.append(str(value))
        lists.append(tuple(values))
    return lists


def apply_tabs(package: _Package, tabs: Sequence[TabSpec], data: bytes | None = None) -> list[str]:
    """Put ``tabs`` into ``package``: replace the tabs of those titles, add the others at the end.

    Returns the titles added. ``data`` is the package's original bytes (to read «Списки»).
    """
    styles_path = package.style_sheet_path()
    styles = _Styles(package.text(styles_path))
    epoch = package.epoch()
    lists = _existing_lists(data, package)
    lists_before = len(lists)

    def list_ref(choices: tuple[str, ...]) -> str:
        if choices not in lists:
            lists.append(choices)
        letter = get_column_letter(lists.index(choices) + 1)
        return f"{_quote_sheet(LISTS_TAB)}!${letter}$1:${letter}${max(len(choices), 1)}"

    rendered = [(spec, render_sheet(spec, styles, list_ref, epoch)) for spec in tabs]
    if len(lists) > lists_before:
        spec = _lists_spec(lists)
        rendered.append((spec, render_sheet(spec, styles, list_ref, epoch)))
    package.parts[styles_path] = styles.finish().encode("utf-8")
    existing = {s.name: s for s in package.sheets()}
    added = []
    for spec, xml in rendered:
        if spec.title in existing:
            package.replace_sheet(existing[spec.title], xml, spec.hidden)
        else:
            package.add_sheet(spec.title, xml, spec.hidden)
            added.append(spec.title)
    return added


# --- the store -------------------------------------------------------------------------------------

_UNSAFE_TITLE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class XlsxStore(WorkbookStore):
    """Workbooks are the .xlsx files of ``folder``; a workbook's id is its file name there."""

    name = "xlsx"

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # --- ids and markers ---

    def _path(self, workbook_id: str) -> Path:
        relative = PurePosixPath(workbook_id.replace("\\", "/"))
        if not workbook_id or relative.is_absolute() or ".." in relative.parts:
            raise WorkbookUnavailable(workbook_id, REASONS["bad_name"])
        return self.folder.joinpath(*relative.parts)

    def _lock(self, workbook_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(workbook_id, threading.Lock())

    def workbook_id_for(self, reference: str) -> str:
        """«sch07», «sch07 Школа №7.xlsx», «C:\\Отчёты\\sch07.xlsx», «file:///…» -> the file name."""
        ref = reference.strip().strip("\"'«»").strip()
        if ref.lower().startswith("file:"):
            ref = unquote(urlparse(ref).path)
        if "/" in ref or "\\" in ref:
            path = PureWindowsPath(ref) if "\\" in ref or re.match(r"^[A-Za-z]:", ref) else PurePosixPath(ref)
            if path.is_absolute() or path.drive:
                try:
                    ref = Path(ref).resolve().relative_to(self.folder.resolve()).as_posix()
                except (ValueError, OSError):
                    ref = path.name
            else:
                ref = PurePosixPath(*[p for p in path.parts if p not in (".", "")]).as_posix()
        if PurePosixPath(ref).suffix.lower() not in _FILE_SUFFIXES:
            ref += ".xlsx"
        if not (self.folder / ref).exists():
            # «sch07» for «sch07 МБОУ СОШ №7.xlsx», or the name in another case.
            stem = ref[:-5].casefold() if ref.lower().endswith(".xlsx") else None
            candidates = [w.id for w in self.list_workbooks()
                          if w.id.casefold() == ref.casefold() or stem and w.title.casefold().startswith(stem + " ")]
            if len(candidates) == 1:
                return candidates[0]
        return ref

    def list_workbooks(self) -> list[WorkbookInfo]:
        found = []
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        for entry in entries:
            name = entry.name
            if name.startswith(("~$", ".")) or not name.lower().endswith(SUFFIXES):
                continue
            try:
                if entry.is_file():
                    found.append(WorkbookInfo(name, name.rsplit(".", 1)[0], _marker(entry.stat())))
            except OSError:
                continue
        return sorted(found, key=lambda w: w.id)

    def markers(self, workbook_ids: Sequence[str]) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for workbook_id in workbook_ids:
            try:
                result[workbook_id] = _marker(self._path(workbook_id).stat())
            except (OSError, WorkbookUnavailable):
                result[workbook_id] = None
        return result

    # --- reading ---

    def _load(self, workbook_id: str) -> tuple[bytes, str]:
        """The file's bytes and the marker of exactly those bytes."""
        path = self._path(workbook_id)
        try:
            with open(path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                return handle.read(), _marker(stat)
        except FileNotFoundError:
            raise WorkbookUnavailable(workbook_id, REASONS["missing"]) from None
        except IsADirectoryError:
            raise WorkbookUnavailable(workbook_id, REASONS["directory"]) from None
        except OSError as exc:  # PermissionError, a sharing violation on Windows, an I/O error
            log.info("cannot open %s: %s", path, exc)
            raise WorkbookUnavailable(workbook_id, REASONS["locked"]) from None

    def _unreadable(self, workbook_id: str, data: bytes, exc: Exception) -> WorkbookUnavailable:
        reason = "strict" if isinstance(exc, _Strict) else "too_big" if isinstance(exc, _TooBig) else _diagnose(data)
        if reason == "truncated" and zipfile.is_zipfile(io.BytesIO(data)):
            reason = "not_xlsx"  # a whole zip that is not a workbook (a renamed .docx)
        log.info("cannot read %s (%s): %r", workbook_id, reason, exc)
        return WorkbookUnavailable(workbook_id, REASONS[reason])

    def read(self, workbook_id: str) -> Workbook:
        data, marker = self._load(workbook_id)
        try:
            sheets = read_package(data)
        except Exception as exc:  # noqa: BLE001 - whatever openpyxl raises, the file is unusable
            raise self._unreadable(workbook_id, data, exc) from None
        title = PurePosixPath(workbook_id).name.rsplit(".", 1)[0]
        return Workbook(workbook_id, title, sheets, marker)

    # --- writing ---

    def _write_file(self, path: Path, workbook_id: str, content: bytes, *, replace_if: str | None,
                    exclusive: bool = False) -> str:
        """Write ``content`` to ``path`` through a temporary file in the same folder.

        ``replace_if``: the marker the file must still have (else :class:`WorkbookChanged`);
        ``exclusive``: the file must not exist (else :class:`StoreError`).
        """
        try:
            handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=_TEMP_PREFIX, suffix=".tmp", delete=False)
        except OSError as exc:
            log.info("cannot create a temporary file in %s: %s", path.parent, exc)
            raise WorkbookUnavailable(workbook_id, REASONS["unwritable"]) from None
        temp = Path(handle.name)
        try:
            with handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            if exclusive:
                try:
                    os.link(temp, path)   # fails if the file appeared meanwhile
                except FileExistsError:
                    raise StoreError(f"книга «{workbook_id}» уже есть: новую с тем же именем не создаю") from None
                except OSError:  # a file system without hard links
                    if path.exists():
                        raise StoreError(f"книга «{workbook_id}» уже есть: новую с тем же именем не создаю") from None
                    os.replace(temp, path)
            else:
                if replace_if is not None:
                    try:
                        current = _marker(path.stat())
                    except FileNotFoundError:
                        current = None
                    if current != replace_if:
                        raise WorkbookChanged(workbook_id)
                os.replace(temp, path)
            return _marker(path.stat())
        except OSError as exc:
            log.info("cannot write %s: %s", path, exc)
            raise WorkbookUnavailable(workbook_id, REASONS["unwritable"]) from None
        finally:
            temp.unlink(missing_ok=True)

    def _edit(self, workbook_id: str, tabs: Sequence[TabSpec], expect_marker: str | None,
              only_missing: bool) -> tuple[str, list[str]]:
        path = self._path(workbook_id)
        with self._lock(workbook_id):
            for _attempt in range(3):
                data, marker = self._load(workbook_id)
                if expect_marker is not None and marker != expect_marker:
                    raise WorkbookChanged(workbook_id)
                try:
                    package = _Package.load(data)
                    present = {s.name for s in package.sheets()}
                    wanted = [t for t in tabs if t.title not in present] if only_missing else list(tabs)
                    if not wanted:
                        return marker, []
                    added = apply_tabs(package, wanted, data)
                except Exception as exc:  # noqa: BLE001 - a package we cannot take apart is unusable
                    raise self._unreadable(workbook_id, data, exc) from None
                try:
                    return self._write_file(path, workbook_id, package.to_bytes(), replace_if=marker), added
                except WorkbookChanged:
                    if expect_marker is not None:
                        raise
                    # saved by someone while we wrote: start again from their version
            raise WorkbookChanged(workbook_id)

    def write_tabs(self, workbook_id: str, tabs: Iterable[TabSpec], *, expect_marker: str | None = None) -> str:
        marker, _added = self._edit(workbook_id, list(tabs), expect_marker, only_missing=False)
        return marker

    def add_missing_tabs(self, workbook_id: str, tabs: Sequence[TabSpec]) -> list[str]:
        _marker_after, added = self._edit(workbook_id, list(tabs), None, only_missing=True)
        return [title for title in added if title in {t.title for t in tabs}]

    def create_workbook(self, title: str, tabs: Sequence[TabSpec]) -> str:
        name = title.strip()
        if not name.lower().endswith(SUFFIXES):
            name += ".xlsx"
        if _UNSAFE_TITLE.search(name) or name.startswith(".") or not name[:-5].strip():
            raise StoreError(f"недопустимое имя книги «{title}»: уберите символы \\ / : * ? \" < > |")
        if not tabs:
            raise StoreError("книга без листов: укажите хотя бы один лист")
        path = self.folder / name
        if path.exists():
            raise StoreError(f"книга «{name}» уже есть: новую с тем же именем не создаю")
        package = _Package.empty()
        apply_tabs(package, tabs)
        self._write_file(path, name, package.to_bytes(), replace_if=None, exclusive=True)
        return name
