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


def test_record_form_is_one_row_per_school_with_totals_of_the_submitted():
    tab = collection_tab(FUND, SCHOOLS, {"sch01": fund(10000, 6000, 500, 800), "sch02": fund(5000, 3000, 250, 300),
                                         "sch03": fund(4000, 2000, 200, 200)},
                         {"sch01": "submitted", "sch02": "returned", "sch03": "submitted_late"})
    header, first, second, third, total, how = tab.rows
    assert header[:3] == ["Код школы", "Школа", "Статус"]
    assert first[:3] == ["sch01", "Школа №1", "сдан"] and second[:3] == ["sch02", "Школа №2", "возвращён"]
    column = header.index("Фонд всего, экз.")
    # the returned fund of sch02 is shown but not added: the row says whose totals they are
    assert total[:2] == ["Итого", "по 2 сдавшим школам из 3"] and total[column] == 14000
    assert how[0] == "Итог столбца:" and how[column] == "сумма"
    # the district's ratio comes from district totals, not from averaging the schools
    coverage = header.index("Охват чтением, %")
    assert total[coverage] == round(700 / 1000 * 100, 1) and how[coverage] == "по итогам района"
    assert tab.bold_rows == (1, 5) and tab.autofilter == (1, 4) and tab.frozen_columns == 2


def test_totals_follow_each_columns_aggregate():
    staffing = Collection("staffing", SCHEMA.forms["staffing"], "2026/2027", date(2026, 9, 30))
    rows = [{"full_name": "Иванова Анна", "position": "Библиотекарь", "rate": 1.0, "experience_total": 20,
             "experience_library": 10, "courses_year": 2024},
            {"full_name": "Петрова Ольга", "position": "Педагог-библиотекарь", "rate": 0.5, "experience_total": 31,
             "experience_library": 5, "courses_year": 2021}]
    tab = collection_tab(staffing, SCHOOLS, {"sch01": Snapshot(Table.from_records(rows), {})}, {"sch01": "submitted"})
    header, total, how = tab.rows[0], tab.rows[-2], tab.rows[-1]
    at = {label: header.index(label) for label in header}
    assert total[at["Год последних курсов"]] is None and how[at["Год последних курсов"]] is None  # not 4045
    assert (total[at["Ставка"]], how[at["Ставка"]]) == (1.5, "сумма")
    assert (total[at["Общий стаж, лет"]], how[at["Общий стаж, лет"]]) == (25.5, "среднее")
    assert (total[at["Должность"]], how[at["Должность"]]) == (2, "заполнено строк")
    nobody = collection_tab(staffing, SCHOOLS, {"sch01": Snapshot(Table.from_records(rows), {})},
                            {"sch01": "in_progress"})
    assert len(nobody.rows) == 3   # no totals of forms still being typed


def test_table_form_keeps_every_row_and_its_computed_values():
    rows = [{"grade": 5, "subject": "Математика", "students": 50, "copies": 45, "_row": 5},
            {"grade": 6, "subject": "История", "students": 40, "copies": 40, "_row": 6}]
    snapshot = Snapshot(Table.from_records(rows), {"provision_pct": [90.0, 100.0]})
    tab = collection_tab(PROVISION, SCHOOLS, {"sch03": snapshot}, {"sch03": "submitted"})
    assert [r[:4] for r in tab.rows[1:3]] == [["sch03", "Школа №3", "сдан", 5], ["sch03", "Школа №3", "сдан", 6]]
    assert [r[-1] for r in tab.rows[1:3]] == [90.0, 100.0]
    students = tab.rows[0].index("Обучающихся")
    assert tab.rows[-2][students] == 90 and tab.rows[-2][-1] == round(85 / 90 * 100, 1)


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


def test_aggregates_on_literal_values():
    from sync_service.forms.aggregate import aggregate
    values = [3, 4.5, None, "нет", True, 2]
    assert [aggregate(how, values) for how in ("sum", "mean", "min", "max", "count", "none")] == \
        [9.5, 3.2, 2, 4.5, 5, None]     # a bool or a text is not a number; count counts every filled cell
    assert aggregate("min", [date(2026, 3, 1), None, "2025-01-01", date(2025, 5, 4)]) == date(2025, 5, 4)
    assert aggregate("sum", [None, ""]) is None and aggregate("count", []) == 0
    assert aggregate("sum", [0.1, 0.2]) == 0.3


def test_fitted_widths_are_bounded():
    from sync_service.stores.base import fitted_widths
    rows = [["Код школы", "Очень длинное название столбца, которое не влезет никогда"],
            ["sch01", "x" * 200], ["s", None]]
    assert fitted_widths(rows) == {1: 12, 2: 50}
    assert fitted_widths([["№"], [1]]) == {1: 8}
