"""Real .xlsx files as office programs and libraries write them (tests/corpus/README.md says
where from): each read by Svod and by openpyxl and compared cell by cell, then «Проверка»
written into it (added, then replaced) and the result read again by both — the other tabs
unchanged, their XML parts byte for byte, Svod's own cells read back as written. What Svod
cannot read it refuses, reading and writing alike, with a Russian reason.
"""
from __future__ import annotations

import functools
import io
import re
import warnings
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest

from sync_service.stores.base import Dropdown, StoreError, TabSpec, WorkbookUnavailable
from sync_service.stores.xlsx import FileRefused, WorkbookRefused, XlsxStore, read_sheets, write_tabs
from sync_service.stores.xlsx.package import REL_CALC_CHAIN, REL_STYLES, Package
from sync_service.stores.xlsx.reader import plain_date

HERE = Path(__file__).parent

# Every file and what it brings. «#N» is the defect N of issue 19 the file failed on.
READ = {
    "poi/47889.xlsx": "#1 an empty <styleSheet/>; formula strings (t=str); no sharedStrings, no docProps",
    "poi/56278.xlsx": "#2 no styles part at all; inline strings; rows and cells without references",
    "poi/59021.xlsx": "#2 no styles part; prefixed namespace (x:); absolute relationship targets; a BOM",
    "poi/dataValidationTableRange.xlsx": "#3 conditional formats (<dxfs>) with number format ids above the main list",
    "poi/ConditionalFormattingSamples.xlsx": "#3 <dxfs> formats (ids 174–176); rich shared strings; merges",
    "poi/stress002.xlsx": "#4 values hidden under merged cells (Schedule E, A16:D16); Excel with VBA",
    "poi/chart_sheet.xlsx": "a chart sheet holds the highest sheetId (a new tab must not take it)",
    "poi/64420.xlsm": "a macro sheet: not read as a tab, its name and id kept",
    "poi/60825.xlsx": "a tab without its part (an old VBA module): ignored, its name kept",
    "poi/InlineStrings.xlsx": "inline strings",
    "poi/52348.xlsx": "inline rich text; merges; no sharedStrings",
    "poi/58315.xlsx": "rich text in shared strings",
    "poi/59746_NoRowNums.xlsx": "rows and cells without references; prefixed namespace; booleans",
    "poi/bug67784.xlsx": "errors (#DIV/0!, #N/A); LibreOffice 7.3",
    "poi/49783.xlsx": "errors; no sharedStrings",
    "poi/61060-conditional-number-formatting.xlsx": "number formats of conditional formatting",
    "poi/stress020.xlsx": "WPS Spreadsheets; merges",
    "poi/github-321.xlsx": "Excel for Mac",
    "poi/formula-eval.xlsx": "Excel Online",
    "poi/51444.xlsx": "LibreOffice 3.3",
    "poi/60384.xlsx": "LibreOffice 5.1; merges",
    "poi/styles.xlsx": "the ODF toolkit; rich shared strings",
    "poi/64508.xlsx": "Excel",
    "poi/66365.xlsx": "formula strings",
    "poi/xlsx-jdbc.xlsx": "absolute relationship targets; inline strings",
    "calamine/date_1904.xlsx": "the 1904 date system; dates and a duration",
    "calamine/date_iso.xlsx": "ISO dates (t=d); times; absolute targets",
    "calamine/richtext-namespaced.xlsx": "rich and inline text in a prefixed namespace",
    "calamine/nonstandard-xml-ns-prefix.xlsx": "a non-standard namespace prefix",
    "calamine/errors.xlsx": "errors",
    "calamine/has_x000D_.xlsx": "a carriage return as Excel escapes it (_x000D_)",
    "calamine/empty_s_attribute.xlsx": "an empty style attribute (s=\"\")",
    "calamine/merge_cells.xlsx": "merged rows, columns and blocks",
    "calamine/table_with_absolute_paths.xlsx": "a table with absolute part names",
}
REFUSED = {
    "poi/sample-beta.xlsx": "beta",        # #5: the Excel 2007 beta namespace
    "poi/SimpleStrict.xlsx": "strict",     # Strict Open XML (its dates are t=d)
    "poi/protect.xlsx": "encrypted",       # a password to open
    "poi/poc-xmlbomb.xlsx": "not_xlsx",    # an entity bomb in an XML part
}
# What openpyxl 3.1 reads differently, and why Svod is right.
NOT_COMPARED = {
    "calamine/empty_s_attribute.xlsx": "openpyxl fails on s=\"\" (TypeError); Excel takes it as no style",
}
NOT_TABS = {"poi/64420.xlsm": {"Macro Sheet"}}   # openpyxl reads a macro sheet as a worksheet

WIDE = tuple(f"вариант {n}" for n in range(40))   # too long for an inline list: goes to «Списки»
ADDED = TabSpec("Проверка", [
    ["Сбор", "Срок", "Доля", "Готово", "Проверено"],
    ["Фонд", date(2026, 9, 30), 0.5, True, datetime(2026, 11, 22, 9, 30)],
    ["в две\r\nстроки", None, 0.125, False, "_x000D_ как набрано"],
], frozen_rows=1, bold_rows=(1,), widths={1: 40}, number_formats={2: "DD.MM.YYYY", 3: "0.0%"},
    dropdowns=(Dropdown(1, 2, 10, WIDE),), protected=True)
REPLACED = TabSpec("Проверка", [["Сбор", "Срок"], ["Кадры", date(2027, 2, 28)]], bold_rows=(1,),
                   number_formats={2: "DD.MM.YYYY"}, protected=True)
SEEN = {  # what Svod reads back from its own tabs: percentages as shown, dates as dates
    "Проверка": [[["Сбор", "Срок", "Доля", "Готово", "Проверено"],
                  ["Фонд", date(2026, 9, 30), "50,0%", True, datetime(2026, 11, 22, 9, 30)],
                  ["в две\r\nстроки", None, "12,5%", False, "_x000D_ как набрано"]],
                 [["Сбор", "Срок"], ["Кадры", date(2027, 2, 28)]]],
}


@functools.cache
def data_of(name: str) -> bytes:
    return (HERE / name).read_bytes()


# --- the oracle: openpyxl, with what Excel shows ---------------------------------------------------

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _percent_digits(fmt: str) -> int | None:
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", (fmt or "").split(";")[0])
    if "%" not in section:
        return None
    fraction = section.split(".", 1)[1] if "." in section else ""
    return len(re.findall(r"[0#?]", fraction.split("%")[0]))


def _shown(cell):
    """The cell's value as a person sees it, in the shape Svod hands values over."""
    value = cell.value
    if isinstance(value, str):
        return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)   # openpyxl leaves Excel's escapes
    if isinstance(value, (datetime, time, timedelta)):
        return plain_date(value)   # the shape the store hands dates over in (not what is tested here)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = _percent_digits(cell.number_format)
        if digits is not None:
            shown = Decimal(repr(value * 100)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
            return f"{shown}".replace(".", ",") + "%"
    return value


def load(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # openpyxl warns about what it does not model
        return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def openpyxl_cells(book, skip=()) -> dict[tuple[str, int, int], object]:
    cells = {}
    for sheet in book.worksheets:
        if sheet.title in skip:
            continue
        for cell in list(sheet._cells.values()):   # the cells that are there, not the dimension's rectangle
            value = _shown(cell)
            if value is not None and value != "":
                cells[(sheet.title, cell.row, cell.column)] = value
    return cells


@functools.cache
def original(name: str) -> tuple[dict, dict]:
    """The file's tabs as Svod reads them, and its cells as openpyxl reads them (once per file)."""
    data = data_of(name)
    oracle = {} if name in NOT_COMPARED else openpyxl_cells(load(data), NOT_TABS.get(name, ()))
    return read_sheets(data), oracle


def svod_cells(sheets) -> dict[tuple[str, int, int], object]:
    return {(title, r, c): value for title, sheet in sheets.items() for r, row in enumerate(sheet.rows, 1)
            for c, value in enumerate(row, 1) if value is not None}


def differences(svod: dict, oracle: dict) -> list:
    found = []
    for key in sorted(set(svod) | set(oracle), key=str):
        a, b = svod.get(key), oracle.get(key)
        if a == b or (isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-9 * max(1.0, abs(b))):
            continue
        found.append((key, a, b))
    return found


# --- reading ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in READ if n not in NOT_COMPARED])
def test_svod_reads_what_openpyxl_reads(name):
    sheets, oracle = original(name)
    assert {title for title, _, _ in oracle} <= set(sheets)
    assert differences(svod_cells(sheets), oracle) == []


def test_hidden_values_under_a_merge_are_not_read():
    """#4: A16:D16 of «Schedule E Supplemental Tables» holds text in B16 too, typed before the
    cells were merged; Excel shows A16's text only, and so does Svod."""
    sheet = read_sheets(data_of("poi/stress002.xlsx"))["Schedule E Supplemental Tables"]
    assert (16, 1, 16, 4) in sheet.merges
    assert sheet.rows[15][0] and all(v is None for v in sheet.rows[15][1:4])
    with zipfile.ZipFile(HERE / "poi/stress002.xlsx") as archive:   # the hidden text is in the file
        assert b'r="B16"' in b"".join(archive.read(n) for n in archive.namelist() if "worksheets/sheet" in n)


def test_read_cases_openpyxl_cannot_check():
    sheets = read_sheets(data_of("calamine/empty_s_attribute.xlsx"))
    assert sheets["Sheet1"].rows[:3] == [["Name", "Value"], ["John", 1], ["Sophia", 2]]
    assert read_sheets(data_of("calamine/has_x000D_.xlsx"))["Sheet1"].rows == [["ABC\r\nDEF"]]
    dates = read_sheets(data_of("calamine/date_1904.xlsx"))["Sheet1"].rows
    assert dates[0][0] == date(2021, 1, 1)   # 1904 system: the serial counts from 1904-01-01


# --- writing ---------------------------------------------------------------------------------------

def _edited_parts(package: Package) -> set[str]:
    """The parts the writer may change: the list of tabs, its relationships, the content
    types, the styles, the calculation chain (dropped: Excel rebuilds it)."""
    parts = {package.workbook_path, package.rels_path, "[Content_Types].xml"}
    return parts | {p for kind in (REL_STYLES, REL_CALC_CHAIN) if (p := package.part_of(kind))}


def check_written(name: str, written: bytes, spec: TabSpec, seen: list) -> None:
    data = data_of(name)
    before, after = Package.load(data), Package.load(written)
    # every part Svod does not own is the same bytes
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(io.BytesIO(written)) as new:
        kept = {n: old.read(n) for n in old.namelist()}
        fresh = set(new.namelist())
        for part in set(kept) - _edited_parts(before):
            assert part in fresh and new.read(part) == kept[part], part
    # the tabs as they were, in their order, then Svod's; names and ids unique
    old_tabs = [(t.name, t.sheet_id, t.state) for t in before.tabs]
    assert [(t.name, t.sheet_id, t.state) for t in after.tabs][:len(old_tabs)] == old_tabs
    assert len({t.sheet_id for t in after.tabs}) == len(after.tabs)
    assert len({t.name.casefold() for t in after.tabs}) == len(after.tabs)
    # Svod reads the other tabs as before and its own as written
    sheets = read_sheets(written)
    read_before, oracle_before = original(name)
    assert {t: s.rows for t, s in sheets.items() if t not in ("Проверка", "Списки")} == \
           {t: s.rows for t, s in read_before.items()}
    assert sheets["Проверка"].rows == seen
    if name in NOT_COMPARED:
        return
    # so does openpyxl; and it sees Svod's dates as dates (their format id collides with nothing)
    book = load(written)
    oracle = openpyxl_cells(book, NOT_TABS.get(name, ()))
    others = {k: v for k, v in oracle.items() if k[0] not in ("Проверка", "Списки")}
    assert differences(others, oracle_before) == []
    own = {(r, c): v for (title, r, c), v in oracle.items() if title == "Проверка"}
    assert own == {(r, c): v for r, row in enumerate(seen, 1) for c, v in enumerate(row, 1) if v is not None}
    tab = book["Проверка"]
    assert tab["A1"].font.b and not tab["A2"].font.b and tab.protection.sheet
    assert tab["B2"].number_format == "DD.MM.YYYY" and tab["B2"].is_date
    if "Доля" in spec.rows[0]:
        assert tab["C2"].number_format == "0.0%"


@pytest.mark.parametrize("name", list(READ))
def test_writing_check_keeps_everything_else(name):
    added = write_tabs(data_of(name), [ADDED])
    check_written(name, added, ADDED, SEEN["Проверка"][0])
    assert "Списки" in read_sheets(added)   # the long dropdown's values
    replaced = write_tabs(added, [REPLACED])
    check_written(name, replaced, REPLACED, SEEN["Проверка"][1])


# --- refusing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, key", list(REFUSED.items()))
def test_what_cannot_be_read_is_not_written(name, key, tmp_path):
    data = data_of(name)
    with pytest.raises(FileRefused) as read:
        read_sheets(data)
    with pytest.raises(FileRefused) as wrote:
        write_tabs(data, [ADDED])
    assert read.value.key == wrote.value.key == key
    assert not read.value.reason.isascii() and "сохраните" in read.value.reason or key == "encrypted"
    # through the store: the school's error with that reason, and the file left as it was
    (tmp_path / "sch01.xlsx").write_bytes(data)
    store = XlsxStore(tmp_path)
    with pytest.raises(WorkbookUnavailable) as caught:
        store.read("sch01.xlsx")
    assert caught.value.reason == read.value.reason
    with pytest.raises(WorkbookRefused) as caught:
        store.write_tabs("sch01.xlsx", [ADDED])
    assert isinstance(caught.value, StoreError) and caught.value.reason == read.value.reason
    assert (tmp_path / "sch01.xlsx").read_bytes() == data
