"""The .xlsx reader and writer on the parts of the format the corpus does not isolate: the
text edits of XML, style sheets that lack lists Excel needs, tab titles as Excel compares
them, and texts Excel escapes."""
from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from sync_service.stores.base import TabSpec
from sync_service.stores.xlsx import FileRefused, new_workbook, read_sheets, write_tabs, xmltext
from sync_service.stores.xlsx.package import Package
from tests.store.test_xlsx_store import librarian_workbook


def librarian_bytes(**sheets) -> bytes:
    return librarian_workbook(io.BytesIO(), **sheets).getvalue()


def with_parts(data: bytes, changes: dict[str, bytes]) -> bytes:
    """``data`` with the parts ``changes`` names replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, changes.get(info.filename, old.read(info)))
    return out.getvalue()


def part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode()


# --- XML as text --------------------------------------------------------------------------------------

def test_elements_are_found_past_quoted_angle_brackets_and_comments():
    xml = ('<?xml version="1.0"?><w:workbook xmlns:w="urn:x"><!-- <sheets> here is a comment -->'
           '<w:sheets><w:sheet name="a>b" id="1"/><w:sheet name=\'c\' id="2"></w:sheet></w:sheets>'
           '<w:other><w:sheet name="nested, not a tab"/></w:other></w:workbook>')
    tabs = xmltext.find(xml, ("workbook", "sheets", "sheet"))
    assert [xmltext.attributes(xml, t)["name"] for t in tabs] == ["a>b", "c"]
    assert tabs[0].prefix == "w:" and tabs[0].empty and not tabs[1].empty
    hidden = xmltext.set_attribute(xml, tabs[0], "state", "hidden")
    assert '<w:sheet state="hidden" name="a>b" id="1"/>' in hidden
    (sheets,) = xmltext.find(hidden, ("workbook", "sheets"))
    added = xmltext.append(hidden, sheets, ['<w:sheet name="d"/>'])
    assert added.count("<w:sheet ") == 4 and '<w:sheet name="d"/></w:sheets>' in added
    (empty,) = xmltext.find("<a><b/></a>", ("a", "b"))
    assert xmltext.append("<a><b/></a>", empty, ["<c/>"]) == "<a><b><c/></b></a>"


# --- style sheets ----------------------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def test_a_style_sheet_without_its_lists_gets_them_with_the_entries_cells_refer_to():
    """A prefixed style sheet with fonts only, and cells styled 2: the missing lists are put in
    the schema's order, cellXfs with three default entries, so that s="2" still exists and
    means the default; Svod's own styles come after them."""
    data = librarian_bytes(Кадры=[["ФИО", "Ставка"], ["Иванова", 1]])
    styles = (f'<?xml version="1.0" encoding="UTF-8"?><x:styleSheet xmlns:x="{MAIN}"><x:fonts count="1">'
              '<x:font><x:sz val="10"/><x:name val="Arial"/></x:font></x:fonts></x:styleSheet>')
    sheet = re.sub(r'<c r="B2"', '<c r="B2" s="2"', part(data, "xl/worksheets/sheet1.xml"))
    data = with_parts(data, {"xl/styles.xml": styles.encode(), "xl/worksheets/sheet1.xml": sheet.encode()})
    assert read_sheets(data)["Кадры"].rows == [["ФИО", "Ставка"], ["Иванова", 1]]

    written = write_tabs(data, [TabSpec("Проверка", [["Итог"], [0.25]], bold_rows=(1,), number_formats={1: "0.0%"})])
    xml = part(written, "xl/styles.xml")
    order = [xmltext.local(s.name) for s in xmltext.find(xml, ("styleSheet", "*"))]
    assert order == ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles"]
    (xfs,) = xmltext.find(xml, ("styleSheet", "cellXfs"))
    entries = re.findall(r"<x:xf [^>]*>", xml[xfs.start:xfs.end])
    assert len(entries) >= 4 and all('numFmtId="0" fontId="0"' in e for e in entries[:3])
    assert "<x:font><x:b/><x:sz" in xml   # the bold font is the file's first font, made bold
    read = read_sheets(written)
    assert read["Кадры"].rows == [["ФИО", "Ставка"], ["Иванова", 1]] and read["Проверка"].rows == [["Итог"], ["25,0%"]]
    book = openpyxl.load_workbook(io.BytesIO(written))
    assert book["Проверка"]["A1"].font.b and book["Проверка"]["A2"].number_format == "0.0%"


def test_a_style_sheet_that_is_not_one_is_refused():
    data = librarian_bytes(Кадры=[["ФИО"]])
    for broken in (b"<styleSheet>", b'<other xmlns="urn:x"/>'):
        with pytest.raises(FileRefused) as caught:
            write_tabs(with_parts(data, {"xl/styles.xml": broken}), [TabSpec("Проверка", [["x"]])])
        assert caught.value.key in ("styles", "not_xlsx") and "пересохраните" in caught.value.reason


# --- titles ------------------------------------------------------------------------------------------

def test_a_tab_of_the_same_title_in_another_case_is_replaced_not_doubled():
    """Excel holds «проверка» and «Проверка» for one name: a second would make it «repair» the file."""
    data = librarian_bytes(Кадры=[["ФИО"]], проверка=[["старое"]])
    written = write_tabs(data, [TabSpec("Проверка", [["новое"]])])
    assert [t.name for t in Package.load(written).tabs] == ["Кадры", "проверка"]
    assert read_sheets(written)["проверка"].rows == [["новое"]]


def test_two_tabs_of_one_title_are_a_defect_of_the_caller_or_of_the_file():
    with pytest.raises(ValueError):
        new_workbook([TabSpec("Итоги", [[1]]), TabSpec("итоги", [[2]])])
    data = librarian_bytes(Кадры=[["ФИО"]], Фонд=[[1]])
    workbook = part(data, "xl/workbook.xml").replace('name="Фонд"', 'name="кадры"')
    doubled = with_parts(data, {"xl/workbook.xml": workbook.encode()})
    for attempt in (read_sheets, lambda d: write_tabs(d, [TabSpec("Проверка", [["x"]])])):
        with pytest.raises(FileRefused) as caught:
            attempt(doubled)
        assert caught.value.key == "duplicate_tabs" and "«кадры»" in caught.value.reason


# --- texts --------------------------------------------------------------------------------------------

def test_texts_keep_carriage_returns_and_what_looks_like_an_escape():
    """XML turns «\\r» into «\\n», so Excel writes it as _x000D_; a typed «_x000D_» is written
    with its underscore escaped. Both come back as they were."""
    texts = ["две\r\nстроки", "_x000D_ набрано", "x_y_ и _x41_", "табуляция\tздесь"]
    data = new_workbook([TabSpec("Проверка", [texts])])
    assert read_sheets(data)["Проверка"].rows == [texts]
    assert "_x005F_x000D_ набрано" in part(data, "xl/worksheets/sheet1.xml")
