"""The ``fpu_order`` check through ``parse_form``, on a tab as a librarian fills it in."""
from __future__ import annotations

import pytest

from sync_service.findings import CODES, ORDER_CODES, flatten
from sync_service.forms.checks import default_checks
from sync_service.forms.schema import load_schema
from sync_service.forms.validation import parse_form
from sync_service.order.checks import fpu_order
from sync_service.stores.base import Sheet

FORM = load_schema().forms["textbook_order"]
LABELS = [c.label for c in FORM.columns]   # A Код ФПУ, B Авторы, C Название, D Класс, E Издательство, F Кол-во, G Прим.


def sheet(*rows) -> Sheet:
    top = [["Заказ учебников на следующий учебный год — 2026/2027"], ["Готово", True, "Дата сдачи", None],
           ["Одна строка — один учебник для одного класса."], LABELS]
    return Sheet(FORM.tab, top + [list(r) for r in rows])


def check(small_fpu, *rows, students=None, year="2026/2027", fpu=True):
    context = {"academic_year": year, "students_by_grade": students or {}}
    if fpu:
        context["fpu"] = small_fpu
    return parse_form(FORM, sheet(*rows), tab=FORM.tab, context=context)


def test_listed_with_codes():
    assert default_checks()["fpu_order"] is fpu_order
    assert [check.name for check in FORM.checks] == ["fpu_order"] and FORM.checks[0].run is fpu_order
    assert set(ORDER_CODES) <= set(CODES)
    for _code, (severity, message, hint) in ORDER_CODES.items():
        assert severity in ("error", "warning", "info") and message and hint
        assert any("а" <= ch <= "я" for ch in message.lower())


def test_a_clean_order_has_no_findings(small_fpu):
    result = check(small_fpu, ["1.1.2.1.1.1", "Ладыженская", "Русский язык", 5, None, 50],
                   ["1.1.2.3.1.1", "Макарычев", "Алгебра", 8, None, 40], students={5: 50, 8: 40})
    assert flatten(result.findings) == []


def test_every_problem_at_its_cell(small_fpu):
    result = check(
        small_fpu,
        ["9.9.9.9", None, "Математика Мерзляк", 5, None, 10],      # 5: unknown code, with suggestions
        ["1.1.2.1.1.1", None, "Русский язык", 7, None, 10],        # 6: the textbook is for grade 5
        ["1.1.2.5.1.1", None, "Физика", 7, None, 10],              # 7: usable only until 31.08.2027
        ["1.1.2.3.2.1", None, None, 5, None, 12],                  # 8: code only: lookup note
        [None, None, "Rainbow English", 5, None, 3],               # 9: title only: suggestion (and required)
        ["1.1.2.3.2.1", None, None, 5, None, 30],                  # 10: repeat of row 8 -> merged warning
        ["1.1.2.1.1.2", None, "Алгебра", 6, None, 5],              # 11: title does not match the code
        students={5: 35, 6: 30},
    )
    assert sorted(flatten(result.findings)) == sorted([
        [5, "fpu_code", "fpu-unknown-code"],
        [6, "grade", "fpu-grade"],
        [7, "fpu_code", "fpu-expired"],
        [8, "title", "fpu-lookup"],
        [9, "fpu_code", "required"],
        [9, "fpu_code", "fpu-suggest"],
        [10, "title", "fpu-lookup"],
        [10, "copies", "order-duplicate"],
        [11, "title", "fpu-title-mismatch"],
        [8, "copies", "order-exceeds-students"],       # 12 + 30 = 42 > 35 + 10 %
    ])
    by = {(f.row, f.code): f for f in result.findings}
    unknown = by[(5, "fpu-unknown-code")]
    assert unknown.address == "A5" and unknown.severity == "error" and "9.9.9.9" in unknown.message
    assert "1.1.2.3.2.1" in unknown.hint and "Мерзляк" in unknown.hint
    grade = by[(6, "fpu-grade")]
    assert grade.address == "D6" and "для 5 кл., а указан 7 класс" in grade.message
    expired = by[(7, "fpu-expired")]
    assert "до 31.08.2027" in expired.message and "2027/2028" in expired.message and expired.address == "A7"
    lookup = by[(8, "fpu-lookup")]
    assert lookup.severity == "info" and lookup.address == "C8"
    assert "Математика" in lookup.message and "Мерзляк" in lookup.message and "ВЕНТАНА-ГРАФ" in lookup.message
    assert "Rainbow English" in by[(9, "fpu-suggest")].message and "1.1.2.6.1.1" in by[(9, "fpu-suggest")].message
    repeat = by[(10, "order-duplicate")]
    assert repeat.severity == "warning" and "строке 8" in repeat.message and "42 экз." in repeat.message
    assert repeat.address == "F10"
    exceeds = by[(8, "order-exceeds-students")]
    assert exceeds.severity == "warning" and "42" in exceeds.message and "35" in exceeds.message
    # what the librarian typed stays as typed
    assert result.rows[3]["title"] is None


def test_a_repeat_is_a_warning_not_a_blocking_duplicate(small_fpu):
    result = check(small_fpu, ["1.1.2.1.1.1", "x", "Русский язык", 5, None, 10],
                   ["1.1.2.1.1.1", "x", "Русский язык", 5, None, 15])
    assert flatten(result.findings) == [[6, "copies", "order-duplicate"]]
    assert result.errors == 0


def test_the_year_of_the_order_decides_expiry(small_fpu):
    row = ["1.1.2.5.1.1", None, "Физика", 7, None, 10]
    assert "fpu-expired" in [f.code for f in check(small_fpu, row, year="2026/2027").findings]
    assert "fpu-expired" not in [f.code for f in check(small_fpu, row, year="2025/2026").findings]


def test_exceeding_needs_more_than_ten_percent(small_fpu):
    row = ["1.1.2.1.1.1", None, "Русский язык", 5, None, 55]
    assert "order-exceeds-students" not in [f.code for f in check(small_fpu, row, students={5: 50}).findings]
    assert "order-exceeds-students" in [f.code for f in check(small_fpu, row, students={5: 49}).findings]
    assert "order-exceeds-students" not in [f.code for f in check(small_fpu, row).findings]  # no monitoring


def test_without_a_list_one_note(small_fpu):
    result = check(small_fpu, ["1.1.2.1.1.1", None, None, 5, None, 10], fpu=False)
    assert flatten(result.findings) == [[None, None, "fpu-not-loaded"]]
    assert result.findings[0].severity == "info"


@pytest.mark.parametrize("code", sorted(ORDER_CODES))
def test_templates_fill(code):
    from sync_service.findings import make_finding

    finding = make_finding(code, sheet="Заказ учебников", row=7, address="A7", fpu_code="x", reason="r",
                           suggestions="", title="T", grades="5", grade=5, valid_until="31.08.2027",
                           order_year="2027/2028", first_row=5, total=3, copies=3, students=2, typed="t",
                           authors="a", publisher="p", what="w", labels="l", rows=30)
    assert "{" not in finding.message and "{" not in finding.hint
