"""Findings bounded at the source, and long values shortened in every message (issue 17).

Past 20 findings of one kind (code, column, rule) in a tab, one ``more-findings`` stands
for the rest; the counts and the blocked rows keep every one. Every value a template
quotes goes through ``ru.shortened``; a huge number reads as Excel shows it."""
from __future__ import annotations

from sync_service import ru
from sync_service.district.registry import read_registry
from sync_service.findings import make_finding
from sync_service.forms.found import summarise
from sync_service.forms.layout import head_tab
from sync_service.stores.base import Sheet, Workbook
from tests.unit.test_validation import FORMS, PROVISION, SCHEMA, parse, school_tab

FUND = FORMS["library_fund"]


def fund_with(**values):
    labels = {c.key: c.label for c in FUND.columns}
    return parse(FUND, school_tab(FUND, [[labels[key], value] for key, value in values.items()]))


def by_column(result, key):
    return [f for f in result.findings if f.column_key == key]


def test_a_huge_number_is_quoted_as_excel_shows_it():
    result = fund_with(fund_total=1e308, received=-1.5e300)
    assert [f.message for f in by_column(result, "fund_total")] == ["«1E+308» — не целое число"]
    assert [f.message for f in by_column(result, "received")] == ["«-1,5E+300» — не целое число"]
    assert ru.plain_number(1e16) == "10000000000000000"  # what a person may still want to see whole


def test_a_long_value_is_shortened_in_the_message():
    result = fund_with(fund_total="1" * 400, received=10 ** 400)
    for finding in result.findings:
        assert len(finding.message) <= 140 and len(finding.hint) <= 300, finding.message
    (digits,) = by_column(result, "fund_total")
    assert digits.code == "range" and "… (400 знаков)" in digits.message and "1111111111" in digits.message


def test_every_template_value_goes_through_the_one_helper():
    pasted = "Страница текста " * 500
    finding = make_finding("type", sheet="Фонд", address="B5", value=pasted, expected=pasted, expected_hint=pasted)
    assert len(finding.message) < 200 and len(finding.hint) < 500
    assert ru.shortened(pasted).endswith(f"… ({ru.number(len(pasted))} знаков)")
    assert ru.shortened("короткий") == "короткий"
    # a list Svod composes may be longer than one quoted value, but not without bound
    choices = make_finding("choice", column="Предмет", address="B5", value="x", choices="; ".join(["предмет"] * 200))
    assert 100 < len(choices.hint) < 500


def test_twenty_of_a_kind_then_one_that_sums_up_the_rest():
    rows = [[5, "Математика", "много", 50, None] for _ in range(30)]           # C: students, not a number
    rows += [[5, "Физика", 50, 10, None] for _ in range(3)]                    # a few of another kind
    result = parse(PROVISION, school_tab(PROVISION, rows, ready=True))
    students = [f for f in result.findings if f.column_key == "students"]
    assert [f.code for f in students] == ["type"] * 20 + ["more-findings"]
    more = students[-1]
    assert (more.row, more.address, more.severity) == (25, "C25:C34", "error")
    assert more.message == "И ещё 10 таких же в столбце «Обучающихся»: столбец C, строки 25–34"
    # the summary sits where the first hidden one was: after row 24's findings, before row 25's others
    at = result.findings.index(more)
    assert all((f.row or 0) <= 25 for f in result.findings[:at])
    # every one still counts and blocks its row
    assert result.errors == 30 + 29 + 2  # the type errors, the repeats of row 5, those of row 35
    assert set(range(5, 35)) <= result.blocked_rows


def test_kinds_are_kept_apart():
    a = [make_finding("type", sheet="Т", row=r, column="А", column_key="a", address=f"A{r}", value="x",
                      expected="число", expected_hint="число") for r in range(1, 31)]
    b = [make_finding("required", sheet="Т", row=r, column="А", column_key="a", address=f"A{r}") for r in range(1, 4)]
    c = [make_finding("type", sheet="Т", row=r, column="Б", column_key="b", address=f"B{r}", value="x",
                      expected="число", expected_hint="число", severity="warning") for r in range(1, 26)]
    kept, folded = summarise(a + b + c)
    assert len(kept) == 20 + 1 + 3 + 20 + 1
    assert folded == {"error": 10, "warning": 5}
    assert summarise(a[:20]) == (a[:20], {})


def test_the_heads_plan_is_bounded_too():
    plan = [["nosuchform", "", "2026/2027", None, ""] for _ in range(1000)]
    schools = [["sch01", "Школа №1", "", "", "", "да"]]
    tabs = (head_tab(SCHEMA, "schools", schools), head_tab(SCHEMA, "plan", plan))
    workbook = Workbook("head", "Настройки ОМО", {t.title: Sheet(t.title, [list(r) for r in t.rows]) for t in tabs}, "1")
    registry = read_registry(workbook, SCHEMA, academic_year="2026/2027")
    codes = [f.code for f in registry.findings]
    assert codes.count("unknown-form") == 20 and codes.count("more-findings") == 1
    assert [s.code for s in registry.schools] == ["sch01"]
