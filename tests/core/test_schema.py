"""The schema loader: the shipped forms load, and mistakes name the file and the path."""
import shutil

import pytest

from sheets_schema import SCHEMA_DIR
from sync_service.forms.schema import SchemaError, compile_expression, load_schema

FORM_KEYS = {"annual_report", "work_plan", "staffing", "textbook_provision", "umk", "library_fund",
             "event_report", "textbook_order", "textbook_exchange", "contest_results"}


def test_every_form_of_the_calendar_is_defined():
    schema = load_schema()
    assert set(schema.forms) == FORM_KEYS
    assert set(schema.head) == {"schools", "plan", "forms", "form_rules"}
    # the calendar starts in September
    assert list(schema.forms)[:3] == ["staffing", "textbook_provision", "umk"]


def test_record_forms_carry_the_library_ratios():
    annual = load_schema().forms["annual_report"]
    assert annual.shape == "record"
    ratios = {c.key: c.value({"loans": 3000, "readers": 600, "visits": 4800, "fund_total": 12000,
                              "students": 800}) for c in annual.computed}
    assert ratios == {"reading_rate": 5.0, "visit_rate": 8.0, "circulation_rate": 0.25,
                      "books_per_reader": 20.0, "coverage": 75.0}


def test_personal_columns_are_marked():
    schema = load_schema()
    assert schema.forms["staffing"].personal_keys == {"full_name", "birth_date", "phone", "email"}
    assert schema.head["schools"].personal_keys == {"librarian", "email"}


@pytest.mark.parametrize("values, holds", [
    ({"readers_students": 10, "students": 20}, True),
    ({"readers_students": 30, "students": 20}, False),
    ({"readers_students": 30}, None),  # a missing side skips the rule
])
def test_rules_skip_when_a_side_is_missing(values, holds):
    rule = load_schema().forms["annual_report"].rules[0]
    assert rule.holds(values) is holds


def test_expressions_allow_arithmetic_only():
    assert compile_expression("a / b * 100")({"a": 1, "b": 4}) == 25
    assert compile_expression("a / b")({"a": 1, "b": 0}) is None
    with pytest.raises(ValueError):
        compile_expression("__import__('os')")


@pytest.fixture
def schema_copy(tmp_path):
    target = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


@pytest.mark.parametrize("edit, path, words", [
    (lambda s: s.replace("type: integer, required: true, min: 0, max: 1000}", "type: intger}", 1),
     "columns[2].type", "unknown type 'intger'"),
    (lambda s: s.replace("choices: subjects", "choices: subjectz", 1), "columns[1].choices", "unknown list"),
    (lambda s: s.replace("right: copies / students * 100", "right: copies / pupils * 100"), "rules[0].right",
     "'pupils' is not a numeric column"),
    (lambda s: s.replace("shape: table", "shape: grid"), "shape", "unknown shape"),
    (lambda s: s.replace("key_columns: [grade, subject]", "key_columns: [grade, topic]"), "key_columns[1]",
     "not a column"),
    (lambda s: s + "colour: red\n", "colour", "unknown field"),
    (lambda s: s.replace("required: true, min: 0, max: 1000}", "min: 0, aggregate: total}", 1),
     "columns[2].aggregate", "unknown aggregate 'total' (expected one of: sum, mean, min, max, count, none)"),
    (lambda s: s.replace("choices: subjects, required: true,", "choices: subjects, aggregate: sum,", 1),
     "columns[1].aggregate", "sum needs a number column"),
    (lambda s: s.replace("type: grade, required: true}", "type: grade, aggregate: mean}", 1),
     "columns[0].aggregate", "mean needs a number column"),
])
def test_a_mistake_names_the_file_and_the_path(schema_copy, edit, path, words):
    file = schema_copy / "forms" / "textbook_provision.yaml"
    file.write_text(edit(file.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        load_schema(schema_copy)
    assert caught.value.file.endswith("textbook_provision.yaml")
    assert caught.value.path == path
    assert words in caught.value.message


def test_each_column_says_how_it_totals_with_defaults_by_type():
    """«Год последних курсов» is not added up (74 907 in the district's «Кадры» before),
    lengths of service are averaged, counts are summed; years, grades, percentages, dates
    and texts have no total unless the form says one."""
    schema = load_schema()
    staffing = schema.forms["staffing"]
    how = {c.key: c.aggregation for c in staffing.columns}
    assert how["courses_year"] == "none" and how["rate"] == "sum" and how["experience_total"] == "mean"
    assert how["position"] == "count" and how["full_name"] == how["birth_date"] == "none"
    provision = {c.key: c.aggregation for c in schema.forms["textbook_provision"].columns}
    assert provision == {"grade": "none", "subject": "none", "students": "sum", "copies": "sum", "provision": "none"}
    assert schema.forms["library_fund"].column("last_inventory").aggregation == "min"
    assert schema.forms["textbook_exchange"].column("year_published").aggregation == "none"


def test_broken_yaml_names_the_line(schema_copy):
    (schema_copy / "forms" / "umk.yaml").write_text("key: umk\ncolumns: [\n", encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        load_schema(schema_copy)
    assert "umk.yaml" in str(caught.value) and "line" in caught.value.path


def test_adding_a_form_needs_no_code(schema_copy):
    (schema_copy / "forms" / "reading_club.yaml").write_text(
        "key: reading_club\ntitle: Клуб чтения\ntab: Клуб\nshape: table\ndeadline_month: 12\n"
        "columns:\n  - {key: members, label: Участников, type: integer, required: true}\n", encoding="utf-8")
    schema = load_schema(schema_copy)
    assert schema.forms["reading_club"].column("members").label == "Участников"


@pytest.mark.parametrize("block, path, words", [
    ("year_over_year:\n  factor: 1\n  compare: [fund_total]\n", "year_over_year.factor", "greater than 1"),
    ("year_over_year:\n  compare: [notes]\n", "year_over_year.compare[0].key", "not an integer or number column"),
    ("year_over_year:\n  compare: [rows]\n", "year_over_year.compare[0].key", "not an integer or number column"),
    ("year_over_year:\n  compare: [{key: readers, at_least: -1}]\n", "year_over_year.compare[0].at_least",
     "at least 0"),
    ("year_over_year:\n  never_decrease: [site_page]\n", "year_over_year.never_decrease[0]", "date field"),
    ("year_over_year:\n  colour: red\n", "year_over_year.colour", "unknown field"),
    ("year_over_year: {}\n", "year_over_year", "name values"),
])
def test_a_mistake_in_year_over_year_names_the_path(schema_copy, block, path, words):
    file = schema_copy / "forms" / "annual_report.yaml"
    text = file.read_text(encoding="utf-8")
    start = text.index("year_over_year:")
    end = text.index("computed:")
    file.write_text(text[:start] + block + text[end:], encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        load_schema(schema_copy)
    assert caught.value.file.endswith("annual_report.yaml") and caught.value.path == path
    assert words in caught.value.message
