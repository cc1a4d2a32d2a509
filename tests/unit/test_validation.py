"""parse_form: every finding of a tab at once, as ``[[row, column_key, code], …]`` tables."""
import re
import shutil
from datetime import date

import pytest

from sheets_schema import SCHEMA_DIR
from sync_service.findings import CODES, Finding, flatten, make_finding
from sync_service.forms.cells import Failure
from sync_service.forms.layout import form_tab
from sync_service.forms.schema import Column, Form, NamedCheck, SchemaError, compile_expression, load_schema
from sync_service.forms.validation import cell_finding, data_hash, parse_form
from sync_service.model import Collection
from sync_service.stores.base import Sheet

SCHEMA = load_schema()
FORMS = SCHEMA.forms


def school_tab(form: Form, data: list[list], *, ready=False, ready_date=None) -> Sheet:
    """The tab as Svod creates it (header in row 4, data from row 5), then filled in."""
    rows = [list(r) for r in form_tab(Collection(form.key, form, "2026/2027", date(2026, 9, 30))).rows]
    rows[1][1], rows[1][3] = ready, ready_date
    if form.shape == "record":
        values = {label: value for label, value in data}
        for row in rows[4:]:
            row[1] = values.get(row[0])
        return Sheet(form.tab, rows)
    return Sheet(form.tab, rows + [list(r) for r in data])


def parse(form: Form, sheet: Sheet | None, **kwargs):
    return parse_form(form, sheet, tab=sheet.title if sheet else form.tab, **kwargs)


PROVISION = FORMS["textbook_provision"]


# --- table forms: the cells ---------------------------------------------------------------------

@pytest.mark.parametrize("data, findings", [
    ([[5, "Математика", 25, 25, 100]], []),
    ([["5А", "математика", "25", "25", "100 %"]], []),
    ([[None, "Математика", 25, 25, None]], [[5, "grade", "required"]]),
    ([["пятый", "Математика", 25, 25, None]], [[5, "grade", "type"]]),
    ([[5, "Математика", "#REF!", 25, None]], [[5, "students", "formula-error"]]),
    ([[5, "Математика", 25, 6000, None]], [[5, "copies", "range"]]),
    ([[5, "Матика", 25, 25, None]], [[5, "subject", "choice"]]),
    ([[5, "Математика", 25, 25, 10]], [[5, "provision", "rule-warning"]]),
    ([[5, "Математика", 0, 25, None]], []),                       # division by zero: the rule is skipped
    ([[5, "Математика", None, 25, 100]], [[5, "students", "required"]]),  # a missing side: skipped
    ([[None, None, "abc", None, None]], [[5, "grade", "required"], [5, "subject", "required"],
                                         [5, "students", "type"], [5, "copies", "required"]]),
    ([[5, "Математика", 25, 25, None], [5, "Математика ", 20, 20, None]], [[6, "grade", "duplicate-row"]]),
    ([[5, "Математика", 25, 25, None], [], [None, ""], ["—", "-", None, None, None], [6, "Физика", 20, 20, None]], []),
])
def test_table_cells(data, findings):
    assert flatten(parse(PROVISION, school_tab(PROVISION, data)).findings) == findings


def test_rows_values_and_computed():
    result = parse(PROVISION, school_tab(PROVISION, [
        ["5 кл.", "математика", "1 000", "976", "97,6 %"], [], ["6", "Физика", 20, 10, None]], ready=True))
    assert result.rows == [
        {"grade": 5, "subject": "Математика", "students": 1000, "copies": 976, "provision": 97.6, "_row": 5},
        {"grade": 6, "subject": "Физика", "students": 20, "copies": 10, "provision": None, "_row": 7},
    ]
    assert result.computed == {"provision_pct": [97.6, 50.0]}
    assert result.ready is True and result.findings == []
    assert result.positions == {"grade": 1, "subject": 2, "students": 3, "copies": 4, "provision": 5}


def test_a_bad_cell_is_none_in_the_row():
    result = parse(PROVISION, school_tab(PROVISION, [[5, "Математика", "много", 10, None]]))
    assert result.rows[0]["students"] is None
    assert result.computed == {"provision_pct": [None]}


def test_a_grade_merged_over_rows_applies_to_each():
    sheet = school_tab(PROVISION, [[5, "Математика", 25, 25, None], [None, "Русский язык", 25, 25, None],
                                   [None, "История", 25, 25, None]])
    sheet.merges = [(5, 1, 7, 1)]
    result = parse(PROVISION, sheet)
    assert [row["grade"] for row in result.rows] == [5, 5, 5]
    assert result.findings == []


def test_header_moved_down_renamed_reordered_with_extra_columns():
    rows = [["Мониторинг"], ["Готово", "да"], [], [], [], [],
            ["№", "Предмет", "Учебников, экз.", "Класс", "Примечание", "Обучающихся"],
            [1, "Математика", 25, 5, "ок", 25],
            [2, "Химмия", 25, 13, "", "x"]]
    result = parse(PROVISION, Sheet("Обеспеченность", rows))
    assert result.rows[0] == {"grade": 5, "subject": "Математика", "students": 25, "copies": 25, "provision": None,
                              "_row": 8}
    assert flatten(result.findings) == [[9, "subject", "choice"], [9, "grade", "type"], [9, "students", "type"]]
    # addresses are where the columns are in this sheet, not in the form
    assert [f.address for f in result.findings] == ["B9", "D9", "F9"]
    assert result.ready is True


def test_missing_and_duplicate_columns():
    rows = [["Готово", False], ["Класс", "Предмет", "Учебников в фонде, экз.", "Предмет"], [5, "Физика", 20, "x"]]
    result = parse(PROVISION, Sheet("Обеспеченность", rows))
    # «Обучающихся» is required, «Обеспеченность, %» is not
    assert flatten(result.findings) == [[2, "students", "missing-column"], [2, "subject", "duplicate-column"]]
    missing, duplicate = result.findings
    assert (missing.address, duplicate.address, duplicate.severity) == (None, "D2", "warning")
    assert result.rows[0]["students"] is None


def test_header_not_found():
    result = parse(PROVISION, Sheet("Обеспеченность", [["Готово", True], ["что-то"], [1, 2, 3]]))
    assert flatten(result.findings) == [[None, None, "header-not-found"]]
    assert "«Класс»" in result.findings[0].hint
    assert result.rows == [] and result.computed == {"provision_pct": []}


def test_missing_tab():
    result = parse_form(PROVISION, None, tab="Обеспеченность")
    assert not result.present
    assert flatten(result.findings) == [[None, None, "missing-tab"]]
    assert result.findings[0].message == "Нет листа «Обеспеченность»"


def test_pattern_uses_the_columns_message():
    staffing = FORMS["staffing"]
    result = parse(staffing, school_tab(staffing, [
        ["Иванова 2", "Педагог-библиотекарь", "1", "Высшее педагогическое", 20, 10]]))
    assert flatten(result.findings) == [[5, "full_name", "pattern"]]
    assert result.findings[0].message == "«Иванова 2»: ФИО пишется буквами, без цифр"


def test_staffing_row_with_every_type():
    staffing = FORMS["staffing"]
    row = ["Иванова Мария Петровна", "педагог-библиотекарь", "0,5", "высшее педагогическое", "20", "30",
           "Первая", 2023, "01.02.1980", "8 916 123-45-67", "Lib@School.RU"]
    result = parse(staffing, school_tab(staffing, [row]))
    assert result.rows[0] == {
        "full_name": "Иванова Мария Петровна", "position": "Педагог-библиотекарь", "rate": 0.5,
        "education": "Высшее педагогическое", "experience_total": 20, "experience_library": 30,
        "category": "Первая", "courses_year": 2023, "birth_date": date(1980, 2, 1), "phone": "+79161234567",
        "email": "Lib@school.ru", "_row": 5}
    assert flatten(result.findings) == [[5, "experience_library", "rule"]]
    assert result.findings[0].message == "Библиотечный стаж больше общего стажа: 30 > 20"


# --- duplicates and rules -----------------------------------------------------------------------

def test_duplicate_row_names_the_first_row():
    result = parse(PROVISION, school_tab(PROVISION, [
        [5, "Математика", 25, 25, None], [6, "Физика", 20, 20, None], ["5А", "математика", 25, 25, None]]))
    assert flatten(result.findings) == [[7, "grade", "duplicate-row"]]
    finding = result.findings[0]
    # a repeat is called a repeat, and says where the first one is
    assert finding.message == "Повторяется строка: Класс: 5, Предмет: Математика — уже есть в строке 5"
    assert finding.hint == "Удалите повтор (строка 7) или объедините его со строкой 5."


def test_duplicate_rows_with_an_incomplete_key_are_not_repeats():
    exchange = FORMS["textbook_exchange"]  # key: kind, fpu_code (optional), grade
    result = parse(exchange, school_tab(exchange, [
        ["Излишек", None, "Алгебра", None, 7, None, 3], ["Излишек", None, "Геометрия", None, 7, None, 2]]))
    assert result.findings == []


def test_text_keys_repeat_whatever_the_case():
    plan = FORMS["work_plan"]
    result = parse(plan, school_tab(plan, [["Массовая работа", "Неделя книги", None, "Март"],
                                           ["Массовая работа", "НЕДЕЛЯ КНИГИ", None, "март"]]))
    assert flatten(result.findings) == [[6, "activity", "duplicate-row"]]


def test_rule_message_and_hint_show_the_operands():
    result = parse(PROVISION, school_tab(PROVISION, [[5, "Математика", 25, 20, 96]]))
    finding = result.findings[0]
    assert finding.code == "rule-warning" and finding.severity == "warning"
    assert finding.message == ("Процент обеспеченности не совпадает с экземплярами и числом обучающихся: "
                               "96 ≠ 80 (допустимое расхождение 1)")
    assert finding.hint == ("Проверьте числа в строке 5: «Обеспеченность, %» (E5) = 96, "
                            "«Учебников в фонде, экз.» (D5) = 20, «Обучающихся» (C5) = 25. "
                            "Если всё верно, оставьте как есть.")
    assert finding.params["rule"] == "provision_matches"


# --- record forms ---------------------------------------------------------------------------------

ANNUAL = FORMS["annual_report"]
ANNUAL_OK = [("Количество обучающихся в ОО", 500), ("Количество читателей, всего", 450),
             ("из них обучающихся", 400), ("из них педагогов и сотрудников", 50), ("Количество посещений", "9 000"),
             ("Книговыдача, экз.", "12 000"), ("Объём фонда, экз.", 15000), ("в т.ч. учебников, экз.", 9000)]


def test_record_with_ratios():
    result = parse(ANNUAL, school_tab(ANNUAL, ANNUAL_OK, ready="да", ready_date="25.06.2026"))
    assert result.findings == []
    assert result.record["loans"] == 12000 and result.record["site_page"] is None
    assert "_row" not in result.record
    assert result.computed == {"reading_rate": 26.7, "visit_rate": 20.0, "circulation_rate": 0.8,
                               "books_per_reader": 33.3, "coverage": 90.0}
    assert (result.ready, result.ready_date) == (True, date(2026, 6, 25))
    assert result.positions["students"] == 2


@pytest.mark.parametrize("changes, findings", [
    ({"из них обучающихся": 600}, [[7, "readers_students", "rule"], [7, "readers_students", "rule"]]),
    ({"Количество посещений": 100}, [[9, "visits", "rule-warning"]]),
    ({"Количество посещений": None}, [[9, "visits", "required"]]),   # and visits_ge_readers is skipped
    ({"Книговыдача, экз.": "много"}, [[10, "loans", "type"]]),
    ({"Количество читателей, всего": "#DIV/0!"}, [[6, "readers", "formula-error"]]),
    ({"Количество обучающихся в ОО": 6000}, [[5, "students", "range"]]),
    ({"Страница библиотеки на сайте ОО": "сайт школы"}, [[15, "site_page", "type"]]),
])
def test_record_cells_and_rules(changes, findings):
    data = dict(ANNUAL_OK) | changes
    result = parse(ANNUAL, school_tab(ANNUAL, list(data.items())))
    assert flatten(result.findings) == findings
    assert all(f.address == f"B{f.row}" for f in result.findings)


def test_record_rule_hint_names_every_cell():
    data = dict(ANNUAL_OK) | {"из них обучающихся": 600}
    finding = parse(ANNUAL, school_tab(ANNUAL, list(data.items()))).findings[0]
    assert finding.hint == ("Проверьте числа в строке 7: «из них обучающихся» (B7) = 600, "
                            "«Количество обучающихся в ОО» (B5) = 500.")


def test_record_missing_and_duplicate_fields():
    rows = [["Готово", False], ["Количество обучающихся в ОО", 500], ["Количество читателей, всего", 450],
            ["количество обучающихся в оо:", 501]]
    result = parse(ANNUAL, Sheet("Годовой отчёт", rows))
    assert flatten(result.findings) == [
        [None, "readers_students", "missing-field"], [None, "visits", "missing-field"],
        [None, "loans", "missing-field"], [None, "fund_total", "missing-field"],
        [None, "fund_textbooks", "missing-field"], [4, "students", "duplicate-field"]]
    assert result.record["students"] == 500


def test_an_untouched_record_asks_for_nothing():
    result = parse(ANNUAL, school_tab(ANNUAL, []))
    assert result.findings == [] and result.rows == []
    assert result.computed == {"reading_rate": None, "visit_rate": None, "circulation_rate": None,
                               "books_per_reader": None, "coverage": None}


# --- «Готово» -----------------------------------------------------------------------------------

@pytest.mark.parametrize("form_key, ready, data, findings", [
    ("textbook_provision", True, [], [[2, None, "empty-form"]]),
    ("textbook_provision", "да", [[None, None]], [[2, None, "empty-form"]]),
    ("textbook_provision", False, [], []),
    ("annual_report", True, [], [[2, None, "empty-form"]]),
    ("annual_report", "почти", ANNUAL_OK, [[2, None, "type"]]),
])
def test_ready(form_key, ready, data, findings):
    form = FORMS[form_key]
    result = parse(form, school_tab(form, data, ready=ready))
    assert flatten(result.findings) == findings
    assert result.ready is (ready in (True, "да"))


def test_empty_form_points_at_the_flag():
    finding = parse(PROVISION, school_tab(PROVISION, [], ready=True)).findings[0]
    assert (finding.address, finding.severity) == ("B2", "error")


def test_ready_value_that_is_not_yes_or_no_is_a_warning():
    finding = parse(ANNUAL, school_tab(ANNUAL, ANNUAL_OK, ready="почти")).findings[0]
    assert (finding.severity, finding.address, finding.column) == ("warning", "B2", "Готово")
    assert finding.message == "«почти» — не «да» или «нет»"


def test_ready_not_found_and_bad_ready_date():
    rows = [["Мониторинг"], ["Дата сдачи", "вчера"], [], ["Класс", "Предмет", "Обучающихся", "Учебников в фонде, экз."],
            [5, "Физика", 20, 20]]
    result = parse(PROVISION, Sheet("Обеспеченность", rows))
    assert flatten(result.findings) == [[None, None, "ready-not-found"], [2, None, "bad-ready-date"]]
    assert result.findings[1].address == "B2"
    assert result.findings[1].message == "«вчера» в поле «Дата сдачи» — не дата"
    assert result.ready is False and result.ready_date is None


def test_ready_date_is_parsed():
    result = parse(PROVISION, school_tab(PROVISION, [[5, "Физика", 20, 20]], ready=True, ready_date=46290))
    assert result.ready_date == date(2026, 9, 25)


def test_a_tab_with_its_header_in_row_1_has_no_flag():
    schools = SCHEMA.head["schools"]
    rows = [["Код", "Название", "Библиотекарь", "E-mail", "Книга", "Активна"],
            ["sch01", "Школа №1", "Иванова", "a@b.ru", "sch01.xlsx", "да"],
            ["sch 02", "Школа №2", None, "нет почты", None, "нет"]]
    result = parse_form(schools, Sheet("Школы", rows), tab="Школы")
    assert flatten(result.findings) == [[3, "code", "pattern"], [3, "email", "type"]]
    assert result.rows[0]["active"] is True and result.rows[1]["active"] is False


# --- every message is finished and says where ------------------------------------------------------

CELL_CODES = {"required", "type", "formula-error", "range", "choice", "pattern", "bad-ready-date"}


def every_kind_of_finding() -> list[Finding]:
    findings = []
    bad = [["13", "Химмия", "#REF!", 6000, 10], [None, "Физика", 20, 20, None], [5, "Физика", 20, 20, None],
           [5, "физика", 20, 20, None]]
    findings += parse(PROVISION, school_tab(PROVISION, bad, ready=True, ready_date="вчера")).findings
    findings += parse(PROVISION, school_tab(PROVISION, [], ready=True)).findings
    findings += parse(FORMS["staffing"], school_tab(FORMS["staffing"], [["Иванова 2", "Библиотекарь", 1,
                                                                          "Среднее общее", 5, 10]])).findings
    data = dict(ANNUAL_OK) | {"из них обучающихся": 600, "Количество посещений": 100}
    findings += parse(ANNUAL, school_tab(ANNUAL, list(data.items()), ready="почти")).findings
    findings += parse(ANNUAL, Sheet("Годовой отчёт", [["Количество обучающихся в ОО", 1],
                                                      ["Количество обучающихся в ОО", 2]])).findings
    findings += parse(PROVISION, Sheet("Обеспеченность", [["Класс", "Класс"]])).findings
    findings += parse(PROVISION, Sheet("Обеспеченность", [["ничего"]])).findings
    findings += parse_form(PROVISION, None, tab="Обеспеченность").findings
    return findings


def test_every_code_of_parse_form_is_covered():
    codes = {f.code for f in every_kind_of_finding()}
    assert codes == {"missing-tab", "header-not-found", "missing-column", "missing-field", "duplicate-column",
                     "duplicate-field", "required", "type", "formula-error", "range", "choice", "pattern",
                     "duplicate-row", "rule", "rule-warning", "empty-form", "ready-not-found", "bad-ready-date"}


def test_no_placeholder_is_left_and_cells_are_named():
    for finding in every_kind_of_finding():
        assert not re.search(r"\{\w+\}", finding.message + finding.hint), finding
        assert finding.form == "textbook_provision" or finding.form in FORMS
        assert finding.sheet
        if finding.address:
            assert finding.row and re.fullmatch(r"[A-Z]+\d+", finding.address)
        if finding.code in CELL_CODES:
            assert finding.address in finding.hint, finding
            assert finding.column
        if finding.code in ("rule", "rule-warning"):
            assert f"({finding.address})" in finding.hint
        if finding.code == "duplicate-row":
            assert str(finding.row) in finding.hint


def test_findings_are_the_same_as_make_finding_builds():
    for finding in every_kind_of_finding():
        params = finding.params
        built = make_finding(finding.code, form=finding.form, sheet=finding.sheet, row=finding.row,
                             column=finding.column, column_key=finding.column_key, address=finding.address,
                             severity=finding.severity, **params)
        assert built == finding and built.params == finding.params


# --- named checks -----------------------------------------------------------------------------------

def test_named_checks_get_the_result_and_the_context():
    seen = {}

    def probe(form, result, context):
        seen["context"] = context
        return [cell_finding(form, result, "type", row=row["_row"], column_key="code", value=row["code"],
                             expected="код", expected_hint="код из списка") for row in result.rows]

    form = Form(key="probe", title="Проба", tab="Проба", shape="table", checks=(NamedCheck("probe_check", probe),),
                columns=(Column(key="code", label="Код", type="text", required=True),))
    result = parse_form(form, Sheet("Проба", [["Примечание", "Код"], [None, "x1"]]), tab="Проба",
                        context={"fpu": "список"})
    assert seen["context"] == {"fpu": "список"}
    assert flatten(result.findings) == [[2, "code", "type"]]
    assert result.findings[0].address == "B2"
    assert result.findings[0].hint == "Впишите в ячейку B2 код из списка."


def test_checks_without_context_get_an_empty_mapping():
    def probe(form, result, context):
        return [make_finding("ready-not-found")] if context == {} else []

    form = Form(key="probe", title="Проба", tab="Проба", shape="table", checks=(NamedCheck("probe_check", probe),),
                columns=(Column(key="code", label="Код", type="text"),))
    result = parse_form(form, Sheet("Проба", [["Код"]]), tab="Проба")
    assert [f.code for f in result.findings] == ["ready-not-found"]


def test_a_form_naming_an_unknown_check_does_not_load(tmp_path):
    """A check nobody listed is a mistake in the schema, not a check silently skipped."""
    root = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, root)
    order = root / "forms" / "textbook_order.yaml"
    assert "fpu_order" in order.read_text(encoding="utf-8")
    with pytest.raises(SchemaError) as failure:
        load_schema(root, checks={})
    assert failure.value.file == str(order) and failure.value.path == "checks[0]"
    assert "unknown check 'fpu_order'" in str(failure.value) and "textbook_order.yaml" in str(failure.value)

    order.write_text(order.read_text(encoding="utf-8").replace("fpu_order", "fpu_ordr"), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"textbook_order\.yaml: checks\[0\]: unknown check 'fpu_ordr'.*fpu_order"):
        load_schema(root)
    assert [c.name for c in load_schema(SCHEMA_DIR).forms["textbook_order"].checks] == ["fpu_order"]


# --- expressions, hashes, many rows ---------------------------------------------------------------

@pytest.mark.parametrize("source, values, expected", [
    ("copies / students * 100", {"copies": 20, "students": 25}, 80.0),
    ("copies / students * 100", {"copies": 20, "students": 0}, None),
    ("copies / students * 100", {"copies": 20, "students": None}, None),
    ("copies / students * 100", {"copies": 20, "students": True}, None),
    ("copies / students * 100", {"copies": 20, "students": "25"}, None),
    ("-(a + b) / 2", {"a": 1, "b": 2.5}, -1.75),
    ("a - b", {"a": 1}, None),
    ("(fund_total - fund_textbooks) / readers", {"fund_total": 10, "fund_textbooks": 4, "readers": 3}, 2.0),
    ("a / b", {"a": 10 ** 400, "b": 3}, None),
    ("2 * 3 + 1", {}, 7),
])
def test_expressions_missing_values_and_zero_divisors(source, values, expected):
    expr = compile_expression(source)
    assert expr(values) == expected and type(expr(values)) is type(expected)
    columns = [[values.get(name)] for name in expr.names]
    assert expr.over(1, *columns) == [expected]


def test_data_hash_is_stable_and_ignores_row_numbers():
    one = parse(PROVISION, school_tab(PROVISION, [[5, "Физика", 20, 20, None]]))
    moved = parse(PROVISION, school_tab(PROVISION, [[], [], ["5", "физика", "20", "20", None]]))
    ticked = parse(PROVISION, school_tab(PROVISION, [[5, "Физика", 20, 20, None]], ready=True))
    changed = parse(PROVISION, school_tab(PROVISION, [[5, "Физика", 20, 21, None]]))
    assert data_hash(one) == data_hash(moved)
    assert len({data_hash(one), data_hash(ticked), data_hash(changed)}) == 3
    assert re.fullmatch(r"[0-9a-f]{64}", data_hash(one))
    staffing = FORMS["staffing"]
    dated = parse(staffing, school_tab(staffing, [["Иванова", None, None, None, None, None, None, None, "1.2.1980"]]))
    assert data_hash(dated) != data_hash(one)


def test_ten_thousand_rows():  # how fast: bench/core_bench.py
    subjects = SCHEMA.lists["subjects"]
    data = [[g, subjects[i % len(subjects)], 25 + i % 7, f"{25 + i % 5}", None if i % 3 else "100 %"]
            for i, g in ((i, 1 + i % 11) for i in range(10_000))]
    result = parse(PROVISION, school_tab(PROVISION, data, ready=True))
    assert len(result.rows) == 10_000
    assert len(result.computed["provision_pct"]) == 10_000
    assert {f.code for f in result.findings} <= {"duplicate-row", "rule-warning", "more-findings"}
    # bounded: 20 of each kind, then one that sums up the rest; the counts are every one
    kinds = {(f.code, f.column_key, f.params.get("rule")) for f in result.findings if f.code != "more-findings"}
    assert len(result.findings) <= 21 * len(kinds)
    assert result.errors > len([f for f in result.findings if f.blocking])


def test_failure_is_a_value():
    assert Failure("type", {"value": "x"}) == Failure("type", {"value": "x"})
    assert set(CODES) >= {"duplicate-field"}


# --- a misspelt header: rename, not add (issue 15) ----------------------------------------------

STAFFING = FORMS["staffing"]
STAFF_ROW = ["Иванова Анна", "Педагог-библиотекарь", 1, "Высшее библиотечное", 20, 12, None, None, None, None, None]


def _with_header(form: Form, header: dict[int, str], data: list[list]) -> Sheet:
    sheet = school_tab(form, data)
    for col, text in header.items():
        sheet.rows[3][col - 1] = text
    return sheet


@pytest.mark.parametrize("typed", ["Ствака", "Ставкa ", "Савка", "Стaвка", "СТАВКАА"])
def test_a_misspelt_required_header_is_to_be_renamed(typed):
    result = parse(STAFFING, _with_header(STAFFING, {3: typed}, [STAFF_ROW]))
    (finding,) = [f for f in result.findings if f.column_key == "rate"]
    assert (finding.code, finding.address, finding.severity) == ("misspelt-column", "C4", "error")
    assert finding.hint == f"Переименуйте «{typed.strip()}» в «Ставка» (ячейка C4)."
    assert "Добавьте" not in finding.hint


def test_the_example_finding_of_the_issue():
    result = parse(STAFFING, _with_header(STAFFING, {3: "Ствака"}, [STAFF_ROW]))
    (finding,) = [f for f in result.findings if f.column_key == "rate"]
    assert finding.message == "Заголовок «Ствака» похож на «Ставка», но написан иначе: столбец не прочитан"
    assert finding.hint == "Переименуйте «Ствака» в «Ставка» (ячейка C4)."


def test_a_misspelt_optional_header_is_a_warning_not_silence():
    result = parse(STAFFING, _with_header(STAFFING, {8: "Год последних курсв"}, [STAFF_ROW]))
    (finding,) = [f for f in result.findings if f.column_key == "courses_year"]
    assert (finding.code, finding.severity, finding.address) == ("misspelt-column", "warning", "H4")


def test_case_yo_spaces_and_a_colon_are_no_misspelling_at_all():
    result = parse(STAFFING, _with_header(STAFFING, {3: "  СТАВКА: ", 5: "Общий  стаж, лет."}, [STAFF_ROW]))
    assert [f for f in result.findings if f.code in ("misspelt-column", "missing-column")] == []


@pytest.mark.parametrize("header", [
    {3: "Стаж"},                                  # far from every label: the old advice
    {3: "Ставка1", 4: "Ставка2"},                 # two cells as near to one column: no guess
])
def test_no_guess_without_one_clear_near_miss(header):
    result = parse(STAFFING, _with_header(STAFFING, header, [STAFF_ROW]))
    codes = {f.code for f in result.findings if f.column_key == "rate"}
    assert codes == {"missing-column"}


def test_a_misspelt_field_of_a_record_form_is_to_be_renamed():
    fund = FORMS["library_fund"]
    sheet = school_tab(fund, [])
    label = fund.columns[0].label
    row = next(i for i, line in enumerate(sheet.rows, start=1) if line and line[0] == label)
    sheet.rows[row - 1][0] = label[:3] + label[4] + label[3] + label[5:]   # two letters swapped
    sheet.rows[row - 1][1] = 100
    result = parse(fund, sheet)
    (finding,) = [f for f in result.findings if f.column_key == fund.columns[0].key]
    assert (finding.code, finding.address) == ("misspelt-field", f"A{row}")
    assert finding.hint.startswith("Переименуйте «")


# --- advice that fits the column ---------------------------------------------------------------

def test_a_type_hint_takes_its_example_and_bounds_from_the_column():
    row = list(STAFF_ROW)
    row[4] = "двадцать"   # «Общий стаж, лет»: 0–60
    (finding,) = parse(STAFFING, school_tab(STAFFING, [row])).findings
    assert finding.hint == "Впишите в ячейку E5 целое число от 0 до 60, например 15."
    assert "120" not in finding.hint


def test_every_layout_hint_says_where():
    sheet = _with_header(STAFFING, {3: "Оклад", 9: "ФИО"}, [STAFF_ROW])   # «Ставка» gone, «ФИО» twice
    found = {f.code: f for f in parse(STAFFING, sheet).findings}
    assert found["missing-column"].hint == ("Добавьте в строку заголовков (строка 4) столбец «Ставка» или верните "
                                            "его прежнее название заголовка.")
    assert found["duplicate-column"].hint == "Удалите лишний столбец (заголовок в ячейке I4) или переименуйте его."
    empty = parse(STAFFING, school_tab(STAFFING, [], ready=True)).findings
    assert [f.hint for f in empty if f.code == "empty-form"] == [
        "Заполните форму или снимите отметку «Готово» (ячейка B2)."]
