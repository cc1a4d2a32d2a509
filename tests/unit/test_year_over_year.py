"""Year-over-year plausibility (``year_over_year:`` of a form): a tenfold jump against the
school's own last year is a warning naming last year's value and cell; a normal change
(±20 %) is not; a date that may only move forward going back is one too."""
from datetime import date

import pytest

from sync_service import ru
from sync_service.findings import flatten
from sync_service.forms.layout import archive_title, form_tab
from sync_service.forms.schema import load_schema
from sync_service.forms.table import Table
from sync_service.forms.validation import parse_form
from sync_service.forms.year_over_year import LastYear, value_of
from sync_service.model import Collection
from sync_service.stores.base import Sheet

SCHEMA = load_schema()
FUND = SCHEMA.forms["library_fund"]
STAFF = SCHEMA.forms["staffing"]
LAST_YEAR = "2025/2026"
BASE = {"fund_total": 15320, "fund_textbooks": 9000, "fund_fiction": 5000, "fund_reference": 300, "received": 600,
        "written_off": 250, "readers": 640, "students": 810, "last_inventory": date(2024, 3, 1)}


def fund_tab(values: dict) -> Sheet:
    rows = [list(r) for r in form_tab(Collection(FUND.key, FUND, "2026/2027", None)).rows]
    labels = {c.label: c.key for c in FUND.columns}
    for row in rows[4:]:
        row[1] = values.get(labels.get(row[0]))
    return Sheet(FUND.tab, rows)


def parsed(form, sheet, last: LastYear | None):
    return parse_form(form, sheet, tab=sheet.title, context={"last_year": last} if last else None)


def last_fund(values: dict) -> LastYear:
    """Last year's snapshot as the sync stores it (JSON: dates as ISO text) and reads it back."""
    result = parse_form(FUND, fund_tab(values), tab=FUND.tab)
    stored = Table.from_json(result.table.to_json())
    return LastYear(LAST_YEAR, archive_title(FUND.tab, LAST_YEAR), stored, dict(result.places))


def test_a_tenfold_jump_is_reported_with_last_years_value_and_cell():
    now = parsed(FUND, fund_tab({**BASE, "fund_total": 153200}), last_fund(BASE))
    jumps = [f for f in now.findings if f.code == "year-jump"]
    assert [(f.column_key, f.severity) for f in jumps] == [("fund_total", "warning")]
    jump = jumps[0]
    row = 5 + [c.key for c in FUND.columns].index("fund_total")
    assert jump.address == f"B{row}" and jump.row == row and jump.sheet == "Фонд"
    assert jump.message == (f"«Фонд всего, экз.»: {ru.number(153200, 0)}, а в прошлом году (2025/2026) — "
                            f"{ru.number(15320, 0)}: в 10 раз больше")
    assert f"лист «Фонд 2025-2026», ячейка B{row}" in jump.hint and "лишнего нуля" in jump.hint


@pytest.mark.parametrize("factor", [0.8, 0.9, 1.0, 1.1, 1.2])
def test_a_normal_change_is_not(factor):
    changed = {k: (round(v * factor) if isinstance(v, int) else v) for k, v in BASE.items()}
    now = parsed(FUND, fund_tab(changed), last_fund(BASE))
    assert [f for f in now.findings if f.code.startswith("year-")] == []


def test_a_fall_to_a_tenth_says_less_and_small_counts_may_jump():
    last = last_fund(BASE)
    now = parsed(FUND, fund_tab({**BASE, "readers": 64, "received": 150}), last)
    # received 600 -> 150: compared (600 is above its at_least of 200), a fall to a quarter
    assert [(f.column_key, f.params["direction"]) for f in now.findings if f.code == "year-jump"] == [
        ("received", "меньше"), ("readers", "меньше")]
    assert "пропущена ли цифра" in [f for f in now.findings if f.code == "year-jump"][0].hint


def test_received_below_at_least_on_both_sides_is_not_compared():
    last = last_fund({**BASE, "received": 10})
    now = parsed(FUND, fund_tab({**BASE, "received": 150}), last)
    assert [f for f in now.findings if f.code == "year-jump"] == []


def test_zero_on_either_side_is_not_compared():
    now = parsed(FUND, fund_tab({**BASE, "written_off": 0}), last_fund(BASE))
    assert [f for f in now.findings if f.code == "year-jump"] == []


def test_the_last_inventory_going_back_is_reported():
    now = parsed(FUND, fund_tab({**BASE, "last_inventory": date(2023, 5, 1)}), last_fund(BASE))
    found = [f for f in now.findings if f.code == "year-decrease"]
    assert flatten(found) == [[found[0].row, "last_inventory", "year-decrease"]]
    assert found[0].message == ("«Дата последней инвентаризации»: 01.05.2023 — раньше, чем в прошлом году "
                                "(2025/2026): 01.03.2024")
    moved_on = parsed(FUND, fund_tab({**BASE, "last_inventory": date(2026, 4, 1)}), last_fund(BASE))
    assert [f for f in moved_on.findings if f.code == "year-decrease"] == []


def test_without_last_year_nothing_is_compared():
    assert [f for f in parsed(FUND, fund_tab({**BASE, "fund_total": 1}), None).findings
            if f.code.startswith("year-")] == []


def staff_tab(count: int) -> Sheet:
    rows = [list(r) for r in form_tab(Collection(STAFF.key, STAFF, "2026/2027", None)).rows]
    for n in range(count):
        rows.append([f"Иванова Анна {chr(1040 + n)}", "Педагог-библиотекарь", 1, "Высшее библиотечное", 20, 10,
                     None, None, None, None, None])
    return Sheet(STAFF.tab, rows)


def test_a_table_form_compares_its_rows_and_column_sums():
    last_result = parse_form(STAFF, staff_tab(5), tab=STAFF.tab)
    last = LastYear(LAST_YEAR, archive_title(STAFF.tab, LAST_YEAR), Table.from_json(last_result.table.to_json()),
                    {"rate": "C"})
    assert value_of(STAFF, last.table, "rows") == 5 and value_of(STAFF, last.table, "rate") == 5
    now = parse_form(STAFF, staff_tab(20), tab=STAFF.tab, context={"last_year": last})
    jumps = {f.column: f for f in now.findings if f.code == "year-jump"}
    assert set(jumps) == {"Работников библиотеки", "Ставок, всего"}
    assert "в 4 раза больше" in jumps["Ставок, всего"].message
    assert "лист «Кадры 2025-2026», столбец C" in jumps["Ставок, всего"].hint
    same = parse_form(STAFF, staff_tab(6), tab=STAFF.tab, context={"last_year": last})
    assert [f for f in same.findings if f.code == "year-jump"] == []


@pytest.mark.parametrize("tab, year, title", [
    ("Кадры", "2026/2027", "Кадры 2026-2027"),
    ("Мероприятия — Месячник", "2026/2027", "Мероприятия — Месячник 26-27"),
    ("Мероприятия — Неделя книги", "2026/2027", "Мероприятия — Неделя кни… 26-27"),
])
def test_archive_titles_fit_excel(tab, year, title):
    assert archive_title(tab, year) == title and len(title) <= 31
