"""Reading the federal list and price lists as the official files come, and looking up."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from sync_service.findings import flatten
from sync_service.order.fpu import (
    FpuIndex,
    csv_sheet,
    normalize_code,
    parse_grades,
    parse_price,
    read_fpu_file,
    read_fpu_sheet,
    read_price_file,
    read_price_sheet,
    sample_fpu_path,
    sample_prices_path,
)
from sync_service.stores.base import Sheet

HEADER = ["Порядковый номер учебника", "Наименование учебника", "Автор/авторский коллектив", "Класс",
          "Наименование издателя(ей) учебника", "Дата, до которой допускается использование"]


@pytest.mark.parametrize("raw, grades", [
    (5, (5,)), ("5", (5,)), (5.0, (5,)), ("5-9", (5, 6, 7, 8, 9)), ("10–11", (10, 11)), ("1 - 4", (1, 2, 3, 4)),
    ("5, 6", (5, 6)), ("10-11 классы", (10, 11)), ("5-й", (5,)), ("7 кл.", (7,)),
    (datetime(2024, 9, 5), (5, 6, 7, 8, 9)),   # Excel turned «5-9» into 5 September
    ("12", None), ("0-3", None), ("9-5", None), ("пять", None), (None, None), (True, None),
])
def test_grades(raw, grades):
    assert parse_grades(raw) == grades


@pytest.mark.parametrize("raw, code", [
    ("1.1.1.1.1.1", "1.1.1.1.1.1"), (" 1.1.2.3. ", "1.1.2.3"), ("1,1,1,2", "1.1.1.2"), ("№1.1.2.1", "1.1.2.1"),
    (1.1, "1.1"), ("1.1.1. Начальное общее образование", None), (15, None), ("", None), (None, None),
])
def test_codes(raw, code):
    assert normalize_code(raw) == code


def test_prices():
    assert parse_price("1 024,50 руб.") == Decimal("1024.50")
    assert parse_price(512.4) == Decimal("512.40")
    assert parse_price("0") is None and parse_price("бесплатно") is None and parse_price(None) is None


def _official_workbook(path):
    """An official-style list: a title over three rows, a header of two rows with merged
    cells, a row of column numbers, section rows, a publisher merged over two rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ФПУ"
    sheet["A1"] = "Приложение к приказу Министерства просвещения Российской Федерации"
    sheet.merge_cells("A1:G1")
    sheet["A2"] = "Федеральный перечень учебников, допущенных к использованию"
    sheet.merge_cells("A2:G2")
    sheet["A4"] = "Порядковый номер учебника"
    sheet.merge_cells("A4:A5")
    sheet["B4"] = "Учебник"
    sheet.merge_cells("B4:D4")
    sheet["B5"], sheet["C5"], sheet["D5"] = "Наименование учебника", "Автор/авторский коллектив", "Класс"
    sheet["E4"] = "Наименование издателя(ей) учебника"
    sheet.merge_cells("E4:E5")
    sheet["F4"] = "Дата, до которой допускается использование учебника"
    sheet.merge_cells("F4:F5")
    sheet.append([1, 2, 3, 4, 5, 6])                                                         # row 6
    sheet.append(["1.1.1. Начальное общее образование"])                                     # row 7
    sheet.merge_cells("A7:F7")
    sheet.append(["1.1.1.1.1. Русский язык (учебный предмет)"])                              # row 8
    sheet.merge_cells("A8:F8")
    sheet.append(["1.1.1.1.1.1.", "Азбука (в 2 частях)", "Горецкий В.Г. и др.", 1,
                  "АО «Издательство «Просвещение»", None])                                   # row 9
    sheet.append(["1.1.1.1.1.2", "Русский язык", "Канакина В.П., Горецкий В.Г.", "1 - 4", None,
                  date(2027, 8, 31)])                                                         # row 10: merged publisher
    sheet.merge_cells("E9:E10")
    sheet.append(["1.1.1.1.2.1", "Математика", "Моро М.И.", "1–4", "АО «Издательство «Просвещение»",
                  "до 31.08.2028"])                                                           # row 11
    sheet.append(["1.1.1.1.2.2", "Без издателя", "Автор А.А.", 2, None, None])               # row 12: skipped
    sheet.append(["1.1.1.1.2.3", "Странный класс", "Автор Б.Б.", "первый", "ООО «ДРОФА»"])   # row 13: skipped
    sheet.append(["1.1.1.1.1.1", "Повтор кода", "Автор В.В.", 3, "ООО «ДРОФА»"])             # row 14: skipped
    sheet.append(["1.1.2. Основное общее образование"])                                      # row 15
    sheet.append(["1.1.2.1.1.1", "Русский язык (в 2 частях)", "Ладыженская Т.А.", "5-9",
                  "АО «Издательство «Просвещение»", "31.08.2026"])                           # row 16
    book.save(path)


def test_reads_a_messy_official_sheet(tmp_path):
    _official_workbook(tmp_path / "fpu.xlsx")
    read = read_fpu_file(tmp_path / "fpu.xlsx")
    assert [(e.code, e.grades, e.publisher, e.valid_until) for e in read.entries] == [
        ("1.1.1.1.1.1", (1,), "АО «Издательство «Просвещение»", None),
        ("1.1.1.1.1.2", (1, 2, 3, 4), "АО «Издательство «Просвещение»", date(2027, 8, 31)),
        ("1.1.1.1.2.1", (1, 2, 3, 4), "АО «Издательство «Просвещение»", date(2028, 8, 31)),
        ("1.1.2.1.1.1", (5, 6, 7, 8, 9), "АО «Издательство «Просвещение»", date(2026, 8, 31)),
    ]
    assert read.entries[0].subject == "Русский язык"       # from the section row above
    assert read.entries[0].title == "Азбука (в 2 частях)" and read.entries[0].authors == "Горецкий В.Г. и др."
    assert flatten(read.findings) == [[12, None, "fpu-row-skipped"], [13, None, "fpu-row-skipped"],
                                      [14, None, "fpu-row-skipped"]]
    messages = [f.message for f in read.findings]
    assert "не указан издатель" in messages[0] and "непонятный класс «первый»" in messages[1]
    assert "уже есть в строке 9" in messages[2]
    assert [f.address for f in read.findings] == ["E12", "D13", "A14"]


def test_a_sheet_without_the_header_is_one_error():
    read = read_fpu_sheet(Sheet("Лист1", [["Что-то"], ["совсем", "другое"]]))
    assert read.entries == [] and flatten(read.findings) == [[None, None, "fpu-header-not-found"]]
    assert "«Наименование учебника»" in read.findings[0].hint


def test_codes_in_a_second_column():
    """Some files number rows («№ п/п») and keep the dotted code in «Код»."""
    rows = [["№ п/п", "Код", "Наименование", "Авторы", "Класс", "Издательство"],
            [1, "1.2.3", "Физика", "Перышкин А.В.", 7, "ООО «ДРОФА»"]]
    read = read_fpu_sheet(Sheet("x", rows))
    assert [e.code for e in read.entries] == ["1.2.3"] and not read.findings


@pytest.mark.parametrize("encoding, delimiter", [("utf-8", ";"), ("utf-8-sig", ","), ("cp1251", ";")])
def test_csv_encodings_and_delimiters(encoding, delimiter):
    lines = [delimiter.join(HEADER), delimiter.join(["1.1.2.5.1.1", "Физика", "Перышкин А.В.", "7", "ООО ДРОФА", ""])]
    sheet = csv_sheet("\n".join(lines).encode(encoding), "fpu.csv")
    read = read_fpu_sheet(sheet)
    assert [(e.code, e.title, e.grades) for e in read.entries] == [("1.1.2.5.1.1", "Физика", (7,))]


def test_the_shipped_sample():
    read = read_fpu_file(sample_fpu_path())
    assert not read.findings and 250 <= len(read.entries) <= 350
    publishers = {e.publisher for e in read.entries}
    assert {"АО «Издательство «Просвещение»", "ООО «ДРОФА»", "ООО «Русское слово — учебник»",
            "ООО «БИНОМ. Лаборатория знаний»", "ООО «Издательский центр ВЕНТАНА-ГРАФ»",
            "ООО «Издательство «Экзамен»»", "ООО «Издательство «Академкнига/Учебник»»"} <= publishers
    assert {g for e in read.entries for g in e.grades} == set(range(1, 12))
    assert any(e.valid_until and e.valid_until < date(2027, 9, 1) for e in read.entries)
    assert "ОБРАЗЕЦ" in sample_fpu_path().read_text(encoding="utf-8").splitlines()[0]
    prices = read_price_file(sample_prices_path())
    assert not prices.findings and set(prices.prices) == {e.code for e in read.entries}


def test_price_sheet():
    rows = [["Прайс-лист"], ["Код ФПУ", "Наименование", "Цена, руб."], ["1.1.1", "А", "450,00"], ["1.1.2", "Б", "?"],
            ["Раздел 2"]]
    read = read_price_sheet(Sheet("Цены", rows))
    assert read.prices == {"1.1.1": Decimal("450.00")}
    assert flatten(read.findings) == [[4, None, "fpu-row-skipped"]] and read.findings[0].address == "C4"


def test_lookups_and_suggestions(sample_fpu):
    assert sample_fpu.get("1.1.1.1.1.1").title.startswith("Азбука")
    assert sample_fpu.get(" 1,1,1,1,1,1 ") is sample_fpu.get("1.1.1.1.1.1")
    assert sample_fpu.get("9.9.9") is None and "1.1.1.1.1.1" in sample_fpu
    found = sample_fpu.suggest("Математика Мерзляк", 5)
    assert found and "Мерзляк" in found[0].authors and 5 in found[0].grades
    assert sample_fpu.suggest("физика перышкин", 8)[0].grades == (8,)
    assert sample_fpu.suggest("квантовая хромодинамика") == []


def test_suggestions_on_a_list_the_size_of_the_real_one(sample_fpu):
    """~3 000 entries, as the real list (its speed: bench/fpu_bench.py)."""
    index = FpuIndex(list(sample_fpu) * 10)
    found = index.suggest("Русский язык Ладыженская", 6)
    assert found and all("Ладыженская" in e.authors for e in found) and 6 in found[0].grades
