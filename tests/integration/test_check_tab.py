"""A school's «Проверка» as a librarian acts on it (issue 15), on real .xlsx files read back
with openpyxl: a misspelt header is to be renamed, advice fits the column, a run of cells
down a column is named as one, a repeat is a repeat; the tab is the first one shown when
there is something to fix, and every place is an internal link to its cell."""
from __future__ import annotations

import zipfile

import openpyxl
import pytest

from sync_service.forms.layout import CHECK_TAB
from sync_service.sync.run import run_sync
from tests.integration.district import build_district, fill

ROW = ["Иванова Анна Петровна", "Педагог-библиотекарь", 1, "Высшее библиотечное", 20, 12, None, None, None, None,
       None]


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    district = build_district(tmp_path_factory.mktemp("check") / "district", schools=2)
    rows = [list(ROW) for _ in range(27)]
    for n, row in enumerate(rows):
        row[0] = f"Петрова Ольга {chr(ord('А') + n)}"
        row[4] = "двадцать"              # «Общий стаж, лет» (E): 27 cells that are no number
    rows.append(list(rows[1]))           # row 32 repeats row 6
    rows[-1][4] = 20
    fill(district, "sch01", "staffing", rows=rows)
    district.edit("sch01", "Кадры", {"C4": "Ствака"})   # the header «Ставка» misspelt
    summary = run_sync(district.svod)
    assert summary.failed == 0
    return district


def check_rows(district, code):
    book = openpyxl.load_workbook(district.path(code))
    sheet = book[CHECK_TAB]
    return book, sheet, [[c.value for c in row] for row in sheet.iter_rows()]


def finding_row(rows, text):
    (number,) = [i for i, row in enumerate(rows, start=1) if any(text in str(v) for v in row if v)]
    return number, rows[number - 1]


def test_a_misspelt_header_is_to_be_renamed_with_a_link_to_its_cell(synced):
    _, sheet, rows = check_rows(synced, "sch01")
    number, row = finding_row(rows, "Переименуйте «Ствака» в «Ставка» (ячейка C4).")
    assert row[1:5] == ["Кадры", "C4", "Ставка", "Заголовок «Ствака» похож на «Ставка», но написан иначе: "
                                                 "столбец не прочитан"]
    assert not any("Добавьте столбец" in str(v) for r in rows for v in r if v)
    link = sheet.cell(number, 3).hyperlink
    assert (link.location, link.target) == ("'Кадры'!C4", None)   # inside the workbook, no relationship


def test_advice_fits_the_column_and_a_run_down_a_column_is_named_as_one(synced):
    _, sheet, rows = check_rows(synced, "sch01")
    _, first = finding_row(rows, "Впишите в ячейку E5 ")
    assert first[5] == "Впишите в ячейку E5 целое число от 0 до 60, например 15."
    number, more = finding_row(rows, "И ещё 7 таких же")
    assert more[2] == "столбец E, строки 25–31"
    assert more[4] == "И ещё 7 таких же в столбце «Общий стаж, лет»: столбец E, строки 25–31"
    assert sheet.cell(number, 3).hyperlink.location == "'Кадры'!E25:E31"
    assert not any("например 120" in str(v) for r in rows for v in r if v)


def test_a_repeated_row_is_called_a_repeat(synced):
    _, _, rows = check_rows(synced, "sch01")
    _, row = finding_row(rows, "Повторяется строка")
    assert row[2] == "A32"
    assert row[4] == "Повторяется строка: ФИО: Петрова Ольга Б — уже есть в строке 6"
    assert row[5] == "Удалите повтор (строка 32) или объедините его со строкой 6."


def test_the_check_tab_comes_first_when_there_is_something_to_fix(synced):
    book, _, _ = check_rows(synced, "sch01")
    assert book.sheetnames[0] == CHECK_TAB
    # the tab Excel opens on and the selection are the librarian's: no other tab is touched
    assert len([ws.title for ws in book if ws.sheet_view.tabSelected]) <= 1
    # a school with nothing to fix keeps it where it was, at the end
    clean = openpyxl.load_workbook(synced.path("sch02"))
    assert clean.sheetnames[-1] == CHECK_TAB


def test_every_form_tab_named_on_the_check_tab_is_a_link_and_no_cell_is_a_formula(synced):
    _, sheet, rows = check_rows(synced, "sch01")
    header = rows.index(["Сбор", "Лист", "Срок сдачи", "Статус", "Ошибок", "Предупреждений", None])
    staffing = next(i for i, row in enumerate(rows, start=1) if i > header and row[1] == "Кадры")
    assert sheet.cell(staffing, 2).hyperlink.location == "'Кадры'!A1"
    with zipfile.ZipFile(synced.path("sch01")) as package:
        names = {n for n in package.namelist() if n.startswith("xl/worksheets/sheet")}
        xml = next(package.read(n).decode() for n in names if b"<hyperlinks>" in package.read(n))
    assert "<f>" not in xml
    # the schema's order: the links after the validations, before the page margins
    assert xml.index("</sheetData>") < xml.index("<hyperlinks>") < xml.index("<pageMargins")


def test_a_fix_brings_the_usual_findings_back(synced):
    synced.edit("sch01", "Кадры", {"C4": "Ставка"})
    run_sync(synced.svod)
    _, _, rows = check_rows(synced, "sch01")
    assert not any("Ствака" in str(v) for r in rows for v in r if v)
