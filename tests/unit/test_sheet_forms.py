"""The head's own forms as data: «Формы» and «Правила» read into forms, their mistakes as
findings at their cells, their keys kept across changes, and the shipped forms exported to
the same layout and read back unchanged."""
from __future__ import annotations

import shutil

import pytest

from sheets_schema import SCHEMA_DIR
from sync_service.forms.checks import default_checks
from sync_service.forms.form_keys import column_keys, slug
from sync_service.forms.schema import load_schema
from sync_service.forms.sheet_export import export_tabs, form_yaml
from sync_service.forms.sheet_forms import SEVERITIES, SHAPES, TYPES, layouts, read_head_forms
from sync_service.forms.written_rules import WrittenRuleError, parse_written_rule
from sync_service.stores.base import Sheet, Workbook
from tests.factory import shipped_schema

SCHEMA = shipped_schema()
HEADER = [c.label for c in SCHEMA.head["forms"].columns]
RULES = [c.label for c in SCHEMA.head["form_rules"].columns]


def workbook(forms: list[list], rules: list[list] | None = None, lists: list[list] | None = None) -> Workbook:
    sheets = {"Формы": Sheet("Формы", [HEADER, *forms])}
    if rules is not None:
        sheets["Правила"] = Sheet("Правила", [RULES, *rules])
    if lists is not None:
        sheets["Списки"] = Sheet("Списки", lists)
    return Workbook("head", "Настройки ОМО", sheets, "1")


def read(book: Workbook, memories=()):
    return read_head_forms(book, SCHEMA, memories=list(memories), checks=default_checks())


def test_the_russian_names_are_the_lists_of_the_forms_tab():
    assert SCHEMA.lists["field_types"] == tuple(TYPES)
    assert SCHEMA.lists["form_shapes"] == tuple(SHAPES)
    assert SCHEMA.lists["rule_severities"] == tuple(SEVERITIES)


def test_a_form_is_read_with_its_columns_lists_and_rules():
    book = workbook([
        ["Опрос после семинара", "Опрос", "Запись", None, None, None, None, None, None, "Ответьте до пятницы."],
        [None, None, None, "Участников", "Целое число", "да", 0, 50],
        [None, None, None, "Из них впервые", "Целое число", None, 0, 50],
        [None, None, None, "Оценка", "Выбор из списка", None, None, None, "Оценки"],
        [None, None, None, "Предмет", "Выбор из списка", None, None, None, "subjects"],
        [None, None, None, "Телефон для связи", "Телефон"],
    ], rules=[["Опрос после семинара", "Из них впервые ≤ Участников", None, "Предупреждение"]],
        lists=[["Оценки"], ["Хорошо"], ["Плохо"]])
    result = read(book)
    assert [f.code for f in result.findings] == []
    form = result.defined[0].form
    assert (form.key, form.title, form.tab, form.shape, form.help) == (
        "opros_posle_seminara", "Опрос после семинара", "Опрос", "record", "Ответьте до пятницы.")
    assert [(c.key, c.type, c.required) for c in form.columns] == [
        ("uchastnikov", "integer", True), ("iz_nikh_vpervye", "integer", False), ("otsenka", "choice", False),
        ("predmet", "choice", False), ("telefon_dlya_svyazi", "phone", False)]
    assert form.column("otsenka").choices == ("Хорошо", "Плохо")
    assert form.column("predmet").choices_list == "subjects"
    assert form.personal_keys == {"telefon_dlya_svyazi"}
    rule = form.rules[0]
    assert (rule.left.source, rule.op, rule.right.source, rule.severity) == (
        "iz_nikh_vpervye", "<=", "uchastnikov", "warning")
    assert rule.holds({"iz_nikh_vpervye": 5, "uchastnikov": 4}) is False


def test_every_kind_of_mistake_is_one_finding_at_its_cell_and_only_the_broken_form_is_held_back():
    book = workbook([
        ["Хорошая", "Хорошая", None, "Число", "Целое число"],
        ["Плохая", "Плохая", None, "А", "Нмбер"],
        [None, None, None, "Б", "Число", None, 5, 1],
        [None, None, None, "В", "Выбор из списка", None, None, None, "Нет такого"],
        [None, None, None, "Б", "Число"],
        [None, None, None, None, "Текст"],
        [None, None, None, "Г", None],
        [None, None, None, "Д", "Выбор из списка"],
        [None, None, None, "Е", "Текст", None, 1, 2, "x; y"],
        [None, "Другая", None, "Ж", "Число"],
        [None, None, None, "З", "Число", None, None, None, None, None, None, "magic"],
        ["Мониторинг библиотечного фонда", "Фонд", None, "И", "Число"],
        ["Слишком", "Очень длинное название листа формы", None, "К", "Число"],
        [None, None, None, "Л", "Число", None, None, None, None, None, None, None, "Ключ"],
        [None, None, None, "М", "Число", None, None, None, None, None, None, None, "k"],
        [None, None, None, "Н", "Число", None, None, None, None, None, None, None, "k"],
        ["Пустая", "Пустая"],
    ], rules=[["Плохая", "Б > Неизвестный"], ["Плохая", "Б"], ["Плохая", "Е = 1"], ["Нет формы", "Б > 1"]])
    result = read(book)
    got = sorted((f.sheet, f.address, f.code) for f in result.findings)
    assert got == sorted([
        ("Формы", "E3", "choice"), ("Формы", "G4", "form-min-max"), ("Формы", "I5", "form-unknown-list"),
        ("Формы", "D6", "form-duplicate-column"), ("Формы", "D7", "form-missing-label"),
        ("Формы", "E8", "form-missing-type"), ("Формы", "I9", "form-missing-list"),
        ("Формы", "G10", "form-bounds-ignored"), ("Формы", "I10", "form-list-ignored"),
        ("Формы", "B11", "form-conflict"), ("Формы", "L12", "form-unknown-check"),
        ("Формы", "A13", "form-title-taken"), ("Формы", "B13", "form-tab-taken"), ("Формы", "B14", "form-bad-tab"),
        ("Формы", "M15", "pattern"), ("Формы", "M17", "form-duplicate-key"), ("Формы", "D18", "form-no-columns"),
        ("Правила", "B2", "rule-unknown-column"), ("Правила", "B3", "rule-syntax"),
        ("Правила", "B4", "rule-not-numeric"), ("Правила", "A5", "rule-unknown-form")])
    states = {d.title: d.form is not None for d in result.defined}
    assert states == {"Хорошая": True, "Плохая": False, "Мониторинг библиотечного фонда": False,
                      "Слишком": False, "Пустая": False}
    messages = {f.code: f.message + " " + f.hint for f in result.findings}
    assert "Мин (5) больше Макс (1)" in messages["form-min-max"]
    assert "«Нет такого»" in messages["form-unknown-list"] and "subjects" in messages["form-unknown-list"]
    assert "«Неизвестный»" in messages["rule-unknown-column"] and "«Б»" in messages["rule-unknown-column"]
    assert "Хорошая" in messages["rule-unknown-form"]


def test_without_a_forms_tab_nothing_is_known():
    assert read(Workbook("head", "h", {}, "1")).read is False
    headerless = Workbook("head", "h", {"Формы": Sheet("Формы", [["что-то"], ["ещё"]])}, "1")
    result = read(headerless)
    assert result.read is False and [f.code for f in result.findings] == ["header-not-found"]


def test_keys_follow_renames_survive_insertions_and_come_back_with_their_label():
    keys, memory = column_keys(["Фонд всего", "Учебники", "Читатели"], [None] * 3, None)
    assert keys == ["fond_vsego", "uchebniki", "chitateli"]
    keys, memory = column_keys(["Новый", "Фонд всего", "Учебники, экз.", "Читатели"], [None] * 4, memory)
    assert keys == ["novyy", "fond_vsego", "uchebniki", "chitateli"]              # inserted, and renamed
    assert memory.columns[2].labels == ("Учебники, экз.", "Учебники")
    keys, memory = column_keys(["Фонд всего", "Читатели"], [None] * 2, memory)     # two removed
    assert keys == ["fond_vsego", "chitateli"]
    assert {c.key for c in memory.columns if not c.current} == {"novyy", "uchebniki"}
    keys, memory = column_keys(["Фонд всего", "Учебники", "Читатели"], [None] * 3, memory)  # back again
    assert keys == ["fond_vsego", "uchebniki", "chitateli"]
    keys, _ = column_keys(["Фонд", "Учебники", "Читатели"], ["fund", None, None], memory)  # a typed key wins
    assert keys == ["fund", "uchebniki", "chitateli"]
    assert slug("5 класс", fallback="c") == "c_5_klass" and slug("Ёлка!", fallback="c") == "elka"


def test_a_renamed_column_keeps_its_key_and_its_old_label_reads_old_tabs():
    first = read(workbook([["Дарение", None, None, "Экземпляров", "Целое число"],
                           [None, None, None, "Класс", "Класс"]]))
    memory = first.defined[0].memory
    again = read(workbook([["Дарение", None, None, "Экземпляров, шт.", "Целое число"],
                           [None, None, None, "Класс", "Класс"]]), [memory])
    form = again.defined[0].form
    assert form.key == first.defined[0].form.key
    assert form.column("ekzemplyarov").labels == ("Экземпляров, шт.", "Экземпляров")
    old, new = layouts(first.defined[0].form), layouts(form)
    assert old[0] != new[0] and old[1] == new[1]  # the tab's look changed, not what it holds


@pytest.mark.parametrize("text, expected", [
    ("Учебники ≤ Фонд всего", ("b", "<=", "a")),
    ("учебники, экз. <= «Фонд всего, экз.»", ("b", "<=", "a")),
    ("Учебники × 2 ≤ Фонд всего + 1 000", ("b * 2", "<=", "a + 1000")),
    ("(Учебники + 0,5) / Фонд всего ≈ 1 ± 0,5", ("( b + 0.5 ) / a", "~=", "1")),
    ("Фонд всего ≠ 0", ("a", "!=", "0")),
])
def test_written_rules(text, expected):
    columns = [("a", "Фонд всего, экз.", True), ("b", "Учебники, экз.", True), ("c", "Название", False)]
    rule = parse_written_rule(text, columns)
    assert (rule.left, rule.op, rule.right) == expected


@pytest.mark.parametrize("text, code, value", [
    ("Учебники", "rule-syntax", None), ("1 < Учебники < 2", "rule-syntax", None),
    ("Учебники ≤ Фонд", "rule-unknown-column", "Фонд"), ("Название = 1", "rule-not-numeric", "Название"),
    ("Учебники ≤ Фонд всего ± 1", "rule-syntax", None), ("Учебники Фонд всего ≤ 1", "rule-syntax", None),
])
def test_written_rules_that_cannot_be_read(text, code, value):
    columns = [("a", "Фонд всего, экз.", True), ("b", "Учебники, экз.", True), ("c", "Название", False)]
    with pytest.raises(WrittenRuleError) as caught:
        parse_written_rule(text, columns)
    assert caught.value.code == code
    if value:
        assert caught.value.params["value"] == value


def test_every_shipped_form_exported_to_the_forms_layout_reads_back_the_same():
    forms_tab, rules_tab = export_tabs(SCHEMA)
    renamed = []
    for row in forms_tab.rows[1:]:
        row = list(row)
        row[0] = f"Моя {row[0]}"
        if row[1]:
            row[1] = f"Моя {row[1]}"[:31]
        renamed.append(row)
    rules = [[f"Моя {r[0]}", *r[1:]] for r in rules_tab.rows[1:]]
    result = read(workbook(renamed, rules))
    assert [f for f in result.findings if f.blocking] == []
    back = {d.title.removeprefix("Моя "): d.form for d in result.defined}
    for form in SCHEMA.forms.values():
        copy = back[form.title]
        assert copy.shape == form.shape
        assert [(c.key, c.type, c.required, c.min, c.max, c.choices, c.personal) for c in copy.columns] == [
            (c.key, c.type, c.required, c.min, c.max, c.choices, c.personal) for c in form.columns], form.key
        assert [(r.left.names, r.op, r.right.names, r.severity, r.tolerance) for r in copy.rules] == [
            (r.left.names, r.op, r.right.names, r.severity, r.tolerance) for r in form.rules], form.key
        sample = {c.key: 7 for c in form.columns}
        assert [r.holds(sample) for r in copy.rules] == [r.holds(sample) for r in form.rules], form.key


def test_a_heads_form_as_yaml_loads_as_a_form_file(tmp_path):
    result = read(workbook([["Дарение книг", "Дарение", None, "Экземпляров", "Целое число", "да", 0, 100],
                            [None, None, None, "Жанр", "Выбор из списка", None, None, None, "Проза; Поэзия"]],
                           [["Дарение книг", "Экземпляров ≥ 1"]]))
    defined = result.defined[0]
    folder = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (folder / "forms" / f"{defined.key}.yaml").write_text(form_yaml(defined.mapping), encoding="utf-8")
    form = load_schema(folder).forms[defined.key]
    assert form == defined.form
