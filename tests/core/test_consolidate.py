"""The consolidated tabs and the «Проверка» tab from literal snapshots."""
from datetime import date, datetime

from sync_service.district.check_tab import CollectionLine, content_hash, render_check_tab
from sync_service.district.consolidate import SchoolLine, Snapshot, collection_tab, consolidated_tabs, status_tab
from sync_service.forms.schema import load_schema
from sync_service.forms.table import Table
from sync_service.model import Collection

SCHEMA = load_schema()
FUND = Collection("library_fund", SCHEMA.forms["library_fund"], "2026/2027", date(2026, 11, 30))
PROVISION = Collection("textbook_provision", SCHEMA.forms["textbook_provision"], "2026/2027", date(2026, 9, 30))
SCHOOLS = [SchoolLine("sch01", "Школа №1"),
           SchoolLine("sch02", "Школа №2", "файл повреждён", datetime(2026, 11, 21, 8)),
           SchoolLine("sch03", "Школа №3")]


def fund(total, textbooks, readers, students, received=100):
    values = {"fund_total": total, "fund_textbooks": textbooks, "fund_fiction": 1000, "received": received,
              "written_off": 10, "readers": readers, "students": students}
    computed = {c.key: c.value(values) for c in FUND.form.computed}
    return Snapshot(Table.from_records([values]), computed)


def test_record_form_is_one_row_per_school_with_district_totals():
    tab = collection_tab(FUND, SCHOOLS, {"sch01": fund(10000, 6000, 500, 800), "sch02": fund(5000, 3000, 250, 300)},
                         {"sch01": "submitted", "sch02": "returned"})
    header, first, second, total = tab.rows
    assert header[:3] == ["Код школы", "Школа", "Статус"]
    assert first[:3] == ["sch01", "Школа №1", "сдан"] and second[:3] == ["sch02", "Школа №2", "возвращён"]
    column = header.index("Фонд всего, экз.")
    assert total[0] == "Итого по району" and total[column] == 15000
    # the district's ratio comes from district totals, not from averaging the schools
    coverage = header.index("Охват чтением, %")
    assert total[coverage] == round(750 / 1100 * 100, 1)


def test_table_form_keeps_every_row_and_its_computed_values():
    rows = [{"grade": 5, "subject": "Математика", "students": 50, "copies": 45, "_row": 5},
            {"grade": 6, "subject": "История", "students": 40, "copies": 40, "_row": 6}]
    snapshot = Snapshot(Table.from_records(rows), {"provision_pct": [90.0, 100.0]})
    tab = collection_tab(PROVISION, SCHOOLS, {"sch03": snapshot}, {"sch03": "submitted"})
    assert [r[:4] for r in tab.rows[1:3]] == [["sch03", "Школа №3", "сдан", 5], ["sch03", "Школа №3", "сдан", 6]]
    assert [r[-1] for r in tab.rows[1:3]] == [90.0, 100.0]
    students = tab.rows[0].index("Обучающихся")
    assert tab.rows[-1][students] == 90 and tab.rows[-1][-1] == round(85 / 90 * 100, 1)


def test_status_tab_has_rates_and_sync_errors():
    statuses = {("sch01", "library_fund"): "submitted", ("sch02", "library_fund"): "submitted_late",
                ("sch03", "library_fund"): "overdue"}
    tab = status_tab([FUND], SCHOOLS, statuses)
    assert tab.rows[1] == ["", "Срок сдачи", "30.11.2026", ""]
    assert tab.rows[3] == ["sch02", "Школа №2", "сдан с опозданием",
                           "файл повреждён (статусы по данным на 21.11.2026)"]
    assert tab.rows[-2] == ["", "Сдали, %", 66.7, ""] and tab.rows[-1] == ["", "Сдали вовремя, %", 33.3, ""]
    never_read = status_tab([FUND], [SchoolLine("sch04", "Школа №4", "файл повреждён")],
                            {("sch04", "library_fund"): "unknown"})
    assert never_read.rows[2] == ["sch04", "Школа №4", "нет данных",
                                  "файл повреждён (книга ни разу не прочитана: нет данных)"]
    tabs = consolidated_tabs([FUND, PROVISION], SCHOOLS, {}, statuses)
    assert [t.title for t in tabs] == ["Статус сдачи", "Фонд", "Обеспеченность"]


def test_check_tab_lists_every_finding_with_its_place():
    lines = [CollectionLine("Мониторинг библиотечного фонда", "Фонд", date(2026, 11, 30), "returned", 1, 0,
                            [("Книгообеспеченность", 8.0)])]
    findings = [{"form_title": "Мониторинг библиотечного фонда", "sheet": "Фонд", "address": "B6", "row": 6,
                 "column": "Учебники, экз.", "message": "«много» — не целое число", "hint": "Впишите число.",
                 "severity": "error"}]
    tab = render_check_tab("Школа №1", lines, findings, checked_at=datetime(2026, 11, 22, 9, 0))
    flat = [row for row in tab.rows if row]
    assert ["Мониторинг библиотечного фонда", "Фонд", "B6", "Учебники, экз.", "«много» — не целое число",
            "Впишите число.", "ошибка"] in flat
    assert ["Мониторинг библиотечного фонда", "Книгообеспеченность", 8.0] in flat
    assert tab.protected
    later = render_check_tab("Школа №1", lines, findings, checked_at=datetime(2026, 11, 23, 9, 0))
    assert content_hash(later) == content_hash(tab)  # only the time differs: no rewrite
    fixed = render_check_tab("Школа №1", lines, [], checked_at=datetime(2026, 11, 23, 9, 0))
    assert content_hash(fixed) != content_hash(tab) and ["Замечаний нет."] in fixed.rows
