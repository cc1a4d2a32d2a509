"""The publisher's specification and distribution list as documents to send as they are,
read back from the real .xlsx with openpyxl: the title at A1 and no note of the head's,
the lines in the natural order of their codes, the totals with the amount in words (or a
plain word that there is none), the print set-up, the merged title rows, the signatures."""
from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from sync_service.order.common import MissingSchool, SchoolRows
from sync_service.order.consolidate import build_order, code_order, export_publishers, order_tab
from sync_service.order.fpu import FpuEntry, FpuIndex
from sync_service.stores.xlsx import XlsxStore
from tests.order.conftest import ENTRIES, PROS, VENT

YEAR = "2026/2027"
CUSTOMER = "Управление образования администрации Энского муниципального района"
# Two more codes of one publisher, listed in the federal list out of their natural order
# (and «10» before «3» as text would sort them).
LATER = FpuEntry("1.1.2.1.1.10.1", "Литература (в 2 частях)", "Коровина В.Я.", (5,), PROS, None, "Литература")
EARLIER = FpuEntry("1.1.2.1.1.3.1", "Литература (в 2 частях)", "Чертов В.Ф.", (5,), PROS, None, "Литература")


def row(n, code, grade, copies):
    return {"_row": n, "fpu_code": code, "grade": grade, "copies": copies}


def the_order(prices, **extra):
    fpu = FpuIndex([LATER, *ENTRIES, EARLIER], version=1, source="test")
    orders = [
        SchoolRows("sch01", "МБОУ СОШ №1", [row(5, "1.1.2.3.1.1", 8, 10), row(6, "1.1.2.1.1.10.1", 5, 40),
                                            row(7, "1.1.2.1.1.1", 5, 50), row(8, "1.1.2.3.2.1", 5, 30)]),
        SchoolRows("sch02", "МБОУ СОШ №2", [row(5, "1.1.2.1.1.3.1", 5, 20), row(6, "1.1.2.1.1.1", 5, 25),
                                            row(7, "9.9.9", 5, 4)]),                 # unknown: rejected
    ]
    return build_order(orders, fpu, academic_year=YEAR, prices=prices, made=date(2027, 3, 10), customer=CUSTOMER,
                       missing=[MissingSchool("sch03", "МБОУ СОШ №3", "просрочен"),
                                MissingSchool("sch04", "МБОУ Лицей №4", "не начат")], **extra)


PRICES = {"1.1.2.1.1.1": Decimal("650.00"), "1.1.2.1.1.10.1": Decimal("512.40"), "1.1.2.1.1.3.1": Decimal("499.99"),
          "1.1.2.3.1.1": Decimal("701.15"), "1.1.2.3.2.1": Decimal("480.00")}


def exported(order, tmp_path):
    """Each publisher's file as openpyxl reads it, by the publisher's short name."""
    tmp_path.mkdir(exist_ok=True)
    store = XlsxStore(tmp_path)
    ids = export_publishers(order, store)
    return {pub.short: (openpyxl.load_workbook(tmp_path / workbook_id), tmp_path / workbook_id)
            for pub, workbook_id in zip(order.publishers, ids)}


def values(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def texts(ws):
    return [str(v) for r in ws.iter_rows(values_only=True) for v in r if v not in (None, "")]


def header_row(ws) -> int:
    first, last = ws.print_title_rows.replace("$", "").split(":")
    assert first == last
    return int(first)


def publishers_tab(tmp_path, title):
    """Просвещение's tab ``title`` in its exported file, and its rows."""
    book, _ = exported(the_order(PRICES), tmp_path)["Просвещение"]
    return book[title], values(book[title])


def test_the_specification_is_a_document_to_send(tmp_path):
    ws, rows = publishers_tab(tmp_path, "Спецификация — Просвещение")
    # the title first; the contract, the parties, the year and the date
    assert rows[0][0] == "Спецификация поставки учебников на 2027/2028 учебный год"
    assert rows[1][0].startswith("к муниципальному контракту №")
    assert rows[2][0] == f"Заказчик: {CUSTOMER}"
    assert rows[3][0] == f"Поставщик: {PROS}"
    assert rows[4][0] == "Учебный год: 2027/2028. Дата составления: 10.03.2027"
    # no note of the head's: no warning sign, none of the debtors, nothing on rejected rows
    everything = " ".join(texts(ws))
    assert "⚠" not in everything and "sch03" not in everything and "Лицей" not in everything
    assert "Не сдали" not in everything and "ошибками" not in everything
    # the table: numbered lines in the natural order of the codes
    top = header_row(ws)
    assert rows[top - 1] == ["№ п/п", "Код ФПУ", "Авторы", "Наименование", "Класс", "Количество, экз.",
                             "Цена за экз., руб.", "Сумма, руб."]
    assert ws.freeze_panes == f"A{top + 1}"
    body = rows[top:top + 4]
    assert [r[1] for r in body] == ["1.1.2.1.1.1", "1.1.2.1.1.3.1", "1.1.2.1.1.10.1", "1.1.2.3.1.1"]
    assert [r[0] for r in body] == [1, 2, 3, 4]
    assert [r[5] for r in body] == [75, 20, 40, 10]
    # the totals: copies and amount, then the amount in words as a contract writes it
    total = rows[top + 4]
    assert total[3] == "Итого" and total[5] == 145
    assert total[7] == pytest.approx(48750 + 9999.80 + 20496 + 7011.50)
    assert ws.cell(top + 5, 1).font.b
    assert rows[top + 6][0] == "Всего по спецификации: 145 экземпляров на сумму 86\u202f257 руб. 30 коп."
    assert rows[top + 7][0] == "(Восемьдесят шесть тысяч двести пятьдесят семь рублей 30 копеек)."
    # the signatures of both parties, side by side
    signatures = rows[top + 9:top + 14]
    assert [(r[0], r[4]) for r in signatures] == [
        ("Заказчик:", "Поставщик:"), (CUSTOMER, PROS),
        ("____________ / ____________________ /", "____________ / ____________________ /"),
        ("(подпись)          (ФИО)", "(подпись)          (ФИО)"), ("М.П.", "М.П.")]
    assert len(rows) == top + 14
    # merged: the title rows and the sum in words over the width, each party over its half
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:H1", "A2:H2", "A3:H3", "A4:H4", "A5:H5", f"A{top + 7}:H{top + 7}", f"A{top + 8}:H{top + 8}"} <= merged
    assert {f"A{top + 10}:D{top + 10}", f"E{top + 10}:H{top + 10}", f"A{top + 14}:D{top + 14}"} <= merged
    assert ws.cell(1, 1).font.b
    # nothing cut off: the header and the authors' and titles' cells wrap their text
    assert all(ws.cell(top, c).alignment.wrap_text for c in range(1, 9))
    assert ws.cell(top + 1, 3).alignment.wrap_text and ws.cell(top + 1, 4).alignment.wrap_text
    assert not ws.cell(top + 1, 6).alignment.wrap_text
    # and their rows are as high as their lines (Excel and LibreOffice do not always grow them)
    assert ws.row_dimensions[top].height == 30                  # «Количество, экз.» in 12 characters
    assert ws.row_dimensions[top + 1].height == 30              # «Ладыженская Т.А., Баранов М.Т.» in 30
    assert ws.row_dimensions[top + 4].height is None            # «Макарычев Ю.Н., Миндюк Н.Г.» fits
    # print set-up: A4 landscape (eight columns), one page wide, the header on every page, page numbers
    assert int(ws.page_setup.paperSize) == 9
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${top}:${top}"
    assert ws.oddFooter.center.text == "Страница &P из &N"
    assert 0.3 < ws.page_margins.left < 1 and 0.3 < ws.page_margins.top < 1
    # the publisher's copy is not protected: the clerk types the contract's number and date
    assert not ws.protection.sheet


def test_the_distribution_list_is_a_document_too(tmp_path):
    ws, rows = publishers_tab(tmp_path, "Разнарядка — Просвещение")
    assert rows[0][0] == "Разнарядка учебников по школам на 2027/2028 учебный год"
    assert rows[2][0] == f"Заказчик: {CUSTOMER}" and rows[3][0] == f"Поставщик: {PROS}"
    everything = " ".join(texts(ws))
    assert "⚠" not in everything and "sch03" not in everything and "Не сдали" not in everything
    top = header_row(ws)
    assert rows[top - 1] == ["№ п/п", "Код ФПУ", "Наименование", "Класс", "Всего, экз.", "sch01 МБОУ СОШ №1",
                             "sch02 МБОУ СОШ №2"]
    body = rows[top:top + 4]
    assert [(r[0], r[1], r[4], r[5], r[6]) for r in body] == [
        (1, "1.1.2.1.1.1", 75, 50, 25), (2, "1.1.2.1.1.3.1", 20, None, 20), (3, "1.1.2.1.1.10.1", 40, 40, None),
        (4, "1.1.2.3.1.1", 10, 10, None)]
    assert rows[top + 4][2] == "Итого" and rows[top + 4][4:] == [145, 100, 45]
    assert rows[top + 6][0] == "Всего: 145 экземпляров для 2 школ."
    assert (rows[top + 8][0], rows[top + 8][3]) == ("Заказчик:", "Поставщик:")
    assert rows[top + 12][0] == "М.П."
    assert {"A1:G1", "A5:G5", f"A{top + 9}:C{top + 9}", f"D{top + 9}:G{top + 9}"} <= {
        str(r) for r in ws.merged_cells.ranges}
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.fitToWidth) == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${top}:${top}"
    assert ws.oddFooter.center.text == "Страница &P из &N"


def test_the_heads_notes_stay_on_her_tab():
    order = the_order({k: v for k, v in PRICES.items() if k != "1.1.2.1.1.3.1"})
    notes = [r[0] for r in order_tab(order).rows[:3]]
    assert notes[0] == "⚠ Не сдали заказ (2): sch03 МБОУ СОШ №3 (просрочен); sch04 МБОУ Лицей №4 (не начат)"
    assert notes[1] == "⚠ Не вошли в заказ строки с ошибками: 1 (см. «Проверку» школ)"
    assert notes[2] == "⚠ Нет цены в прайс-листе: Просвещение — 1 строка — сумма этих спецификаций не подсчитана"


def test_an_unknown_price_is_said_plainly_instead_of_a_wrong_sum(tmp_path):
    order = the_order({k: v for k, v in PRICES.items() if k != "1.1.2.1.1.3.1"})
    files = exported(order, tmp_path)
    ws = files["Просвещение"][0]["Спецификация — Просвещение"]
    rows = values(ws)
    top = header_row(ws)
    assert rows[top + 1][1] == "1.1.2.1.1.3.1" and rows[top + 1][6] is None and rows[top + 1][7] is None
    assert rows[top + 4][3] == "Итого" and rows[top + 4][7] is None      # no partial sum
    assert rows[top + 6][0] == ("Всего по спецификации: 145 экземпляров. Сумма не подсчитана: нет цены в "
                                "прайс-листе для 1 строки из 4 (№ 2).")
    assert "рубл" not in " ".join(texts(ws))
    # the other publisher has all its prices: its sum in words
    vent = files["ВЕНТАНА-ГРАФ"][0]["Спецификация — ВЕНТАНА-ГРАФ"]
    assert [r[0] for r in values(vent)[header_row(vent) + 3:header_row(vent) + 5]] == [
        "Всего по спецификации: 30 экземпляров на сумму 14\u202f400 руб. 00 коп.",
        "(Четырнадцать тысяч четыреста рублей 00 копеек)."]
    # no price list at all: no price columns, and the document says there is no sum
    bare = exported(the_order(None), tmp_path / "bare")["Просвещение"][0]["Спецификация — Просвещение"]
    rows = values(bare)
    top = header_row(bare)
    assert rows[top - 1][-1] == "Количество, экз." and rows[top + 4][5] == 145
    assert rows[top + 6][0] == "Всего по спецификации: 145 экземпляров. Сумма не указана: цены издательства не " \
                               "загружены в Svod."
    assert {"A1:F1", f"A{top + 9}:C{top + 9}", f"D{top + 9}:F{top + 9}"} <= {str(r) for r in bare.merged_cells.ranges}
    assert bare.page_setup.orientation == "portrait"


def test_without_a_customer_a_line_to_fill_in(tmp_path):
    order = build_order([SchoolRows("sch01", "МБОУ СОШ №1", [row(5, "1.1.2.3.2.1", 5, 3)])],
                        FpuIndex(ENTRIES, version=1, source="t"), academic_year=YEAR)
    ws = exported(order, tmp_path)["ВЕНТАНА-ГРАФ"][0]["Спецификация — ВЕНТАНА-ГРАФ"]
    rows = values(ws)
    assert rows[2][0] == "Заказчик: ____________________" and rows[3][0] == f"Поставщик: {VENT}"
    assert rows[4][0] == "Учебный год: 2027/2028. Дата составления: «____» ______ 20____ г."


def test_exporting_again_keeps_one_print_title_per_tab(tmp_path):
    order = the_order(PRICES)
    store = XlsxStore(tmp_path)
    export_publishers(order, store)
    ids = export_publishers(order, store)          # rewritten in place
    for workbook_id in ids:
        workbook = zipfile.ZipFile(tmp_path / workbook_id).read("xl/workbook.xml").decode()
        assert workbook.count("_xlnm.Print_Titles") == 2
        assert 'localSheetId="0"' in workbook and 'localSheetId="1"' in workbook
        book = openpyxl.load_workbook(io.BytesIO((tmp_path / workbook_id).read_bytes()))
        assert [ws.print_title_rows for ws in book] == ["$7:$7", "$7:$7"]


@pytest.mark.parametrize("codes", [
    ["1.1.2.1.1.10.1", "1.1.2.1.1.3.1", "1.1.2.1.1.3", "1.1.1.9", "1.1.10", "2.1", "1.1.2.1.1.3.2"],
])
def test_natural_order_of_codes(codes):
    assert sorted(codes, key=code_order) == ["1.1.1.9", "1.1.2.1.1.3", "1.1.2.1.1.3.1", "1.1.2.1.1.3.2",
                                             "1.1.2.1.1.10.1", "1.1.10", "2.1"]


def test_the_exchange_list_prints_like_the_documents():
    from sync_service.order.exchange import ExchangeItem, exchange_tab, propose
    from sync_service.stores.xlsx import new_workbook

    plan = propose([ExchangeItem("sch01", "МБОУ СОШ №1", "offer", "1.1.2.1.1.1", "Русский язык", 5, 8),
                    ExchangeItem("sch02", "МБОУ СОШ №2", "need", "1.1.2.1.1.1", "Русский язык", 5, 5)])
    ws = openpyxl.load_workbook(io.BytesIO(new_workbook([exchange_tab(plan)])))["Обмен"]
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$2:$2" and ws.oddFooter.center.text == "Страница &P из &N"
    assert "A1:J1" in {str(r) for r in ws.merged_cells.ranges}


def test_a_distribution_list_of_many_schools_prints_readably(tmp_path):
    """24 schools do not fit one A4 page at a readable size: the list prints over pages wide,
    each repeating the textbook's columns, and the signatures stay on the first page."""
    schools = [SchoolRows(f"sch{n:02d}", f"МБОУ СОШ №{n}", [row(5, "1.1.2.1.1.1", 5, n)]) for n in range(1, 25)]
    order = build_order(schools, FpuIndex(ENTRIES, version=1, source="t"), academic_year=YEAR)
    ws = exported(order, tmp_path)["Просвещение"][0]["Разнарядка — Просвещение"]
    widths = [6, 14, 40, 7, 10] + [14] * 24          # the columns as written, in characters
    assert [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in (1, 3, 6, 29)] == [6, 40, 14, 14]
    assert ws.print_title_cols == "$A:$E" and ws.print_title_rows == "$7:$7"
    pages = int(ws.page_setup.fitToWidth)
    assert pages == 3 and int(ws.page_setup.fitToHeight) == 0
    # each page at 70 % or more: what is not repeated shares the pages with the repeated columns
    assert sum(widths) + (pages - 1) * sum(widths[:5]) <= pages * 144 / 0.7
    rows = values(ws)
    signatures = next(i for i, r in enumerate(rows) if r[0] == "Заказчик:") + 1
    parties = {str(r) for r in ws.merged_cells.ranges if r.min_row == signatures}
    assert parties == {f"A{signatures}:D{signatures}", f"E{signatures}:I{signatures}"}   # 133 of 144 characters
    assert sum(widths[:9]) <= 144
    assert rows[signatures - 1][4] == "Поставщик:"


@pytest.mark.parametrize("title", ["Спецификация — Просвещение", "Разнарядка — Просвещение"])
def test_the_table_is_ruled_from_its_header_to_its_totals_and_nothing_else(tmp_path, title):
    """On paper a right-aligned «№» runs into the code beside it («11.1.1.1.1.1») and a
    school's numbers into the next school's column: the table has thin lines around every
    cell, the empty ones too; the title, the totals in words and the signatures have none."""
    ws, rows = publishers_tab(tmp_path, title)
    top = header_row(ws)
    end = next(n for n, r in enumerate(rows, start=1) if "Итого" in r)
    width = len(rows[top - 1])

    def ruled(r, c):
        border = ws.cell(r, c).border
        return all(getattr(border, side).style == "thin" for side in ("left", "right", "top", "bottom"))

    assert all(ruled(r, c) for r in range(top, end + 1) for c in range(1, width + 1))
    assert any(ws.cell(r, c).value in (None, "") for r in range(top, end + 1) for c in range(1, width + 1))
    assert not any(ruled(r, c) for r in [*range(1, top), *range(end + 1, ws.max_row + 1)]
                   for c in range(1, width + 1))
