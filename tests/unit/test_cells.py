"""One cell as Russian users type it: a table of (column type, what was typed, what comes out)."""
from datetime import date, datetime

import pytest

from sync_service.forms.cells import Failure, display, fold, parse_value, parser_for
from sync_service.forms.schema import Column

NBSP, NARROW, ZW = "\u00a0", "\u202f", "\u200b"
SUBJECTS = ("Русский язык", "Литературное чтение", "Иностранный язык (английский)", "Основы безопасности и защиты Родины")


def column(kind: str, **extra) -> Column:
    if kind == "choice":
        extra.setdefault("choices", SUBJECTS)
    return Column(key="c", label="Столбец", type=kind, **extra)


def outcome(value):
    """A parsed value, or the failure's code: what the tables below compare."""
    return value.code if isinstance(value, Failure) else value


@pytest.mark.parametrize("kind, typed, expected", [
    # text: spaces and invisible characters go, formula errors are found
    ("text", "Иванова Мария", "Иванова Мария"),
    ("text", "  Иванова Мария" + NBSP, "Иванова Мария"),
    ("text", ZW + "Иванова" + NBSP + "Мария", "Иванова Мария"),
    ("text", "строка 1\nстрока 2", "строка 1\nстрока 2"),
    ("text", "   ", None),
    ("text", ZW, None),
    # half of a broken emoji (UTF-8 cannot encode it) and NUL (PostgreSQL cannot store it)
    ("text", "Обзор \ud83d новинок\x00", "Обзор \ufffd новинок"),
    ("text", "\x00", None),
    ("integer", "12\x003", 123),
    ("text", "", None),
    ("text", None, None),
    ("text", 7, "7"),
    ("text", 12.5, "12,5"),
    ("text", date(2024, 9, 1), "01.09.2024"),
    ("text", "#REF!", "formula-error"),
    # integer
    ("integer", 120, 120),
    ("integer", "120", 120),
    ("integer", "1 234", 1234),
    ("integer", "1" + NBSP + "234", 1234),
    ("integer", "1" + NARROW + "234", 1234),
    ("integer", "1234,0", 1234),
    ("integer", "1234.00", 1234),
    ("integer", 1234.0, 1234),
    ("integer", " 120 экз.", 120),
    ("integer", "\u22125", -5),
    ("integer", "12,5", "type"),
    ("integer", 12.5, "type"),
    ("integer", "сто", "type"),
    ("integer", True, "type"),
    ("integer", "—", None),
    ("integer", "-", None),
    ("integer", "#DIV/0!", "formula-error"),
    ("integer", " #n/a ", "formula-error"),
    # number
    ("number", "1 234,5", 1234.5),
    ("number", "0,5", 0.5),
    ("number", "0.5", 0.5),
    ("number", 1, 1.0),
    ("number", 0.25, 0.25),
    ("number", "1.234,5", 1234.5),
    ("number", "1,234.5", 1234.5),
    ("number", "полставки", "type"),
    ("number", "nan", "type"),
    ("number", "#VALUE!", "formula-error"),
    # percent: the number as typed
    ("percent", "12,5 %", 12.5),
    ("percent", "12.5%", 12.5),
    ("percent", "95" + NBSP + "%", 95.0),
    ("percent", 12.5, 12.5),
    ("percent", 100, 100.0),
    ("percent", "много %", "type"),
    ("percent", "#NUM!", "formula-error"),
    # date
    ("date", "01.09.2024", date(2024, 9, 1)),
    ("date", "1.9.24", date(2024, 9, 1)),
    ("date", "1.9.75", date(1975, 9, 1)),
    ("date", "2024-09-01", date(2024, 9, 1)),
    ("date", "01/09/2024", date(2024, 9, 1)),
    ("date", "01.09.2024 г.", date(2024, 9, 1)),
    ("date", "01.09.2024 0:00:00", date(2024, 9, 1)),
    ("date", "1 сентября 2024", date(2024, 9, 1)),
    ("date", "15 мая 2025 г.", date(2025, 5, 15)),
    ("date", 45536, date(2024, 9, 1)),
    ("date", 45536.0, date(2024, 9, 1)),
    ("date", datetime(2024, 9, 1, 10, 30), date(2024, 9, 1)),
    ("date", date(2024, 9, 1), date(2024, 9, 1)),
    ("date", "31.02.2024", "type"),
    ("date", "сентябрь", "type"),
    ("date", 2024.5e9, "type"),
    ("date", True, "type"),
    ("date", "#NAME?", "formula-error"),
    # bool
    ("bool", "да", True),
    ("bool", "Да", True),
    ("bool", " ДА ", True),
    ("bool", "нет", False),
    ("bool", "+", True),
    ("bool", "-", False),
    ("bool", "✓", True),
    ("bool", "x", True),
    ("bool", "х", True),
    ("bool", "true", True),
    ("bool", "FALSE", False),
    ("bool", "1", True),
    ("bool", "0", False),
    ("bool", 1, True),
    ("bool", 0, False),
    ("bool", True, True),
    ("bool", False, False),
    ("bool", "может быть", "type"),
    ("bool", 2, "type"),
    ("bool", "#NULL!", "formula-error"),
    # choice: any case, ё/е, spaces; the canonical choice comes out
    ("choice", "Русский язык", "Русский язык"),
    ("choice", "русский  язык", "Русский язык"),
    ("choice", " РУССКИЙ ЯЗЫК" + NBSP, "Русский язык"),
    ("choice", "Литературное чтение", "Литературное чтение"),
    ("choice", "основы безопасности и защиты родины", "Основы безопасности и защиты Родины"),
    ("choice", "Английский", "choice"),
    ("choice", "#ERROR!", "formula-error"),
    ("choice", "—", None),
    # grade
    ("grade", 5, 5),
    ("grade", 5.0, 5),
    ("grade", "5", 5),
    ("grade", "5 класс", 5),
    ("grade", "5 кл.", 5),
    ("grade", "5 кл", 5),
    ("grade", "5-й", 5),
    ("grade", "5А", 5),
    ("grade", "5 «А»", 5),
    ("grade", "11б класс", 11),
    ("grade", 0, "type"),
    ("grade", 12, "type"),
    ("grade", "13", "type"),
    ("grade", "5-6", "type"),
    ("grade", "пятый", "type"),
    ("grade", 5.5, "type"),
    # fpu_code
    ("fpu_code", "1.1.1.1.1.1", "1.1.1.1.1.1"),
    ("fpu_code", " 1.1.1.1.1.1. ", "1.1.1.1.1.1"),
    ("fpu_code", "1,1,1,1,1,1", "1.1.1.1.1.1"),
    ("fpu_code", "1. 1. 2. 3", "1.1.2.3"),
    ("fpu_code", "№ 1.2.3.4.5.6", "1.2.3.4.5.6"),
    ("fpu_code", 1.1, "1.1"),
    ("fpu_code", 1, "type"),
    ("fpu_code", "учебник", "type"),
    # url
    ("url", "https://school7.ru/news/1", "https://school7.ru/news/1"),
    ("url", "http://школа7.рф", "http://школа7.рф"),
    ("url", "www.school7.ru", "https://www.school7.ru"),
    ("url", "school7.ru/photo", "https://school7.ru/photo"),
    ("url", "ftp://school7.ru", "type"),
    ("url", "фотоотчёт на сайте", "type"),
    ("url", "https://", "type"),
    # email
    ("email", "Lib@School7.RU", "Lib@school7.ru"),
    ("email", " mailto:lib@school7.ru ", "lib@school7.ru"),
    ("email", "lib@school7", "type"),
    ("email", "библиотека", "type"),
    # phone
    ("phone", "8 (916) 123-45-67", "+79161234567"),
    ("phone", "+7 916 123 45 67", "+79161234567"),
    ("phone", "9161234567", "+79161234567"),
    ("phone", 89161234567, "+79161234567"),
    ("phone", "123-45", "type"),
    ("phone", "доб. 123", "type"),
])
def test_cell(kind, typed, expected):
    assert outcome(parse_value(column(kind), typed)) == expected


@pytest.mark.parametrize("kind, extra, typed, expected", [
    ("integer", {"min": 0, "max": 5000}, 6000, "range"),
    ("integer", {"min": 0, "max": 5000}, "6 000", "range"),
    ("integer", {"min": 1}, 0, "range"),
    ("integer", {"max": 10}, 10, 10),
    ("number", {"min": 0.25, "max": 2}, "0,1", "range"),
    ("number", {"min": 0.25, "max": 2}, 1, 1.0),
    ("percent", {"min": 0, "max": 1000}, "1200 %", "range"),
    ("text", {"pattern": "^[А-Яа-яЁё .-]+$", "pattern_message": "ФИО пишется буквами"}, "Иванова2", "pattern"),
    ("text", {"pattern": "^[А-Яа-яЁё .-]+$", "pattern_message": "ФИО пишется буквами"}, "Иванова", "Иванова"),
])
def test_constraints(kind, extra, typed, expected):
    assert outcome(parse_value(column(kind, **extra), typed)) == expected


@pytest.mark.parametrize("kind, extra, typed, params", [
    ("integer", {}, "12,5", {"value": "12,5", "expected": "целое число", "expected_hint": "целое число, например 120"}),
    ("integer", {"min": 0, "max": 5000}, 6000, {"value": "6000", "bounds": "от 0 до 5000"}),
    ("integer", {"min": 1}, 0, {"value": "0", "bounds": "не меньше 1"}),
    ("number", {"max": 2}, 2.5, {"value": "2,5", "bounds": "не больше 2"}),
    ("date", {}, "32.01.2024", {"value": "32.01.2024", "expected": "дата",
                                "expected_hint": "дату в виде ДД.ММ.ГГГГ, например 01.09.2024"}),
    ("text", {}, "#REF!", {"value": "#REF!"}),
    ("text", {"pattern": "^x$"}, "y", {"value": "y", "pattern_message": "значение не подходит по форме"}),
])
def test_failure_params(kind, extra, typed, params):
    assert parse_value(column(kind, **extra), typed).params == params


def test_choice_failure_lists_the_choices():
    failure = parse_value(column("choice"), "Физика")
    assert failure.params["value"] == "Физика"
    assert "«Русский язык»" in failure.params["choices"]


def test_a_long_choice_list_is_cut():
    many = tuple(f"Вариант {i}" for i in range(30))
    failure = parse_value(column("choice", choices=many), "нет такого")
    assert failure.params["choices"].endswith("и другие")


def test_parsers_remember_text_and_give_the_same_answer():
    parse = parser_for(column("integer"))
    assert [parse("1 234") for _ in range(3)] == [1234, 1234, 1234]
    assert parse("сто") == parse("сто")


@pytest.mark.parametrize("value, text", [
    (12.5, "12,5"), (3.0, "3"), (1234, "1234"), (True, "ИСТИНА"), (date(2024, 9, 1), "01.09.2024"),
    ("x" * 100, "x" * 57 + "…"), (" a" + NBSP + " b ", "a b"),
])
def test_display(value, text):
    assert display(value) == text


def test_fold():
    assert fold("  Ёлка" + NBSP + "ЗЕЛЁНАЯ ") == "елка зеленая"
