"""Normalising one cell as Russian users type it.

``parser_for(column)`` builds, once per column, a function that takes what a store
handed over (``str``, ``int``, ``float``, ``bool``, ``date``, ``datetime`` or ``None``)
and returns either the normalised value (``None`` for an empty cell) or a
:class:`Failure`: the finding code and the parameters of its Russian templates.
Failures are values, not exceptions, so that a whole tab is read in one pass.

The parsers are closures with fast paths for values that are already typed (an ``int``
in an integer column, a clean ``str`` in a text column) and a small cache for text, as
the same strings repeat down a column (subjects, grades, «да»). Range and pattern
constraints of the column are checked in the same call.

What people type and what comes out::

    integer   «1 234», «1 234» (nbsp), «1234,0», 1234.0       -> 1234
    number    «1 234,5», «0.5», 0,5                            -> 1234.5, 0.5
    percent   «12,5 %», «12.5%», 12.5                          -> 12.5 (the number as typed)
    date      «01.09.2024», «1.9.24», «2024-09-01», «01/09/2024»,
              «1 сентября 2024 г.», 45536 (an Excel serial), datetime -> date(2024, 9, 1)
    bool      да/нет, +/-, ✓, x, true/false, 1/0, True/False   -> True/False
    choice    any case, ё or е, extra spaces                   -> the canonical choice
    grade     5, «5 класс», «5 кл.», «5-й», «5А»               -> 5 (1..11)
    fpu_code  « 1.1.1.1.1.1. », «1,1,1,1,1,1», 1.1 (its text)   -> "1.1.1.1.1.1"
    url       «www.school.ru»                                  -> "https://www.school.ru"
    phone     «8 (916) 123-45-67», 89161234567                 -> "+79161234567"

Formula errors (``#REF!``, ``#DIV/0!``, …) in any column are a ``formula-error``, not a
type error: the person has to fix the formula, not the value. What each type's text
means is read by :mod:`sync_service.forms.values`.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sync_service.forms.schema import Column
from sync_service.forms.values import (
    INVISIBLE,
    PLAIN_URL,
    clean_text,
    fold,
    percent_float,
    to_bool,
    to_date,
    to_email,
    to_float,
    to_fpu,
    to_grade,
    to_int,
    to_phone,
    to_url,
)
from sync_service.ru import date_text, plain_number, quantity

__all__ = ["Failure", "Parser", "ColumnParser", "parser_for", "parsers_for", "parse_value", "fold", "display",
           "FORMULA_ERRORS", "EXPECTED"]


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a cell could not be taken: a finding ``code`` and its template ``params``."""

    code: str
    params: dict = field(default_factory=dict, hash=False, compare=True)


Parser = Callable[[Any], Any]  # -> normalised value | None | Failure
# A whole column at once: ``parse_column(values) == [parse(v) for v in values]``, but with
# the common cases (a typed value in range, a clean text, a text seen before) decided
# without a call per cell.
ColumnParser = Callable[[Sequence[Any]], list]
_MISS = object()  # not in a text cache

FORMULA_ERRORS = frozenset({
    "#REF!", "#DIV/0!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!",
    "#SPILL!", "#CALC!", "#GETTING_DATA", "#Н/Д", "#ДЕЛ/0!", "#ССЫЛКА!", "#ЗНАЧ!", "#ИМЯ?", "#ЧИСЛО!", "#ПУСТО!",
})

# What a column of each type expects, in Russian: (for the message, for the hint).
EXPECTED: dict[str, tuple[str, str]] = {
    "integer": ("целое число", "целое число, например 120"),
    "number": ("число", "число, например 0,5 или 1 234,5"),
    "percent": ("процент", "процент числом, например 95 или 95,5"),
    "date": ("дата", "дату в виде ДД.ММ.ГГГГ, например 01.09.2024"),
    "bool": ("«да» или «нет»", "«да» или «нет»"),
    "url": ("ссылка", "ссылку целиком, начиная с https://, например https://school.ru/news/1"),
    "email": ("адрес электронной почты", "адрес электронной почты вида name@school.ru"),
    "phone": ("номер телефона", "номер телефона из 10–11 цифр, например +7 916 123-45-67"),
    "grade": ("номер класса от 1 до 11", "номер класса от 1 до 11, например 5 или 5А"),
    "fpu_code": ("код ФПУ", "код из федерального перечня учебников, например 1.1.1.1.1.1"),
}

_DASHES = frozenset({"-", "–", "—", "−"})
_CACHE_SIZE = 4096
_KNOWN_TEXTS = 32768  # clean texts remembered per text column



def display(value: Any) -> str:
    """A raw cell as it appears in a message (short, as the person sees it)."""
    if value.__class__ is str and len(value) <= 60 and value.isprintable() and value.strip() is value:
        return value
    if isinstance(value, bool):
        return "ИСТИНА" if value else "ЛОЖЬ"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, (int, float)):
        return plain_number(value)
    text = " ".join(clean_text(str(value)).split())
    return text if len(text) <= 60 else text[:57] + "…"


def _failure(kind: str, raw: Any, hint: str | None = None) -> Failure:
    expected, default = EXPECTED[kind]
    return Failure("type", {"value": display(raw), "expected": expected, "expected_hint": hint or default})


# The example of a column without bounds (and of one whose bounds hold it): as in EXPECTED.
_EXAMPLES = {"integer": 120, "number": 1234.5, "percent": 95}
_KIND_TEXT = {"integer": "целое число", "number": "число", "percent": "процент числом"}


def _example(kind: str, low: float | None, high: float | None) -> float:
    """A value to show as an example for a column of ``kind`` within [low, high]: a round
    number a quarter of the way up the range (0–60 -> 15, 1990–2100 -> 2020, 0,25–2 -> 0,7)."""
    default = _EXAMPLES[kind]
    if low is not None and high is not None and high > low:
        span = high - low
        step = 10 ** (math.floor(math.log10(span)) - 1)
        if kind == "integer":
            step = max(1, step)
        value = round((low + span / 4) / step) * step
        value = min(max(value, low), high)
    elif low is not None and default < low or high is not None and default > high:
        value = low if low is not None and default < low else high
    else:
        value = default
    value = round(value, 6)
    return int(value) if kind == "integer" or float(value).is_integer() else value


def expected_hint(kind: str, column: Column) -> str:
    """What to type into a cell of ``column``, said for that column: its type, its bounds and
    an example taken from them («целое число от 0 до 60, например 15»)."""
    if kind not in _KIND_TEXT:
        return EXPECTED[kind][1]
    low, high = column.min, column.max
    bounds = f" {_bounds_text(low, high)}" if low is not None or high is not None else ""
    example = plain_number(_example(kind, low, high))
    if kind == "number" and low is None and high is None:
        return EXPECTED[kind][1]
    return f"{_KIND_TEXT[kind]}{bounds}, например {example}"


def _formula_error(text: str) -> Failure | None:
    token = text.strip().upper()
    if token in FORMULA_ERRORS:
        return Failure("formula-error", {"value": token})
    return None


def _bounds_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"от {plain_number(low)} до {plain_number(high)}"
    if low is not None:
        return f"не меньше {plain_number(low)}"
    return f"не больше {plain_number(high)}"


# --- building the parser of one column ----------------------------------------------------------

def _cached(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """Remember what each distinct text became: columns repeat the same few strings.
    The cache is ``parse.cache`` (whole-column parsers look texts up directly)."""
    cache: dict[str, Any] = {}

    def parse(text: str) -> Any:
        try:
            return cache[text]
        except KeyError:
            result = convert(text)
            if len(cache) < _CACHE_SIZE:
                cache[text] = result
            return result
    parse.cache = cache
    return parse


def _from_text(kind: str, convert: Callable[[Any], Any], *, dash_is_empty: bool = True,
               hint: str | None = None) -> Callable[[str], Any]:
    """Text handling shared by the typed columns: empty, a lone dash, formula errors; then
    ``convert`` (None from it is a type error), cached."""

    def from_text(text: str) -> Any:
        # a printable text has no invisible characters: no translate (a dict lookup per character)
        stripped = text.strip() if text.isprintable() else text.translate(INVISIBLE).strip()
        if not stripped:
            return None
        if stripped[0] == "#" and (error := _formula_error(stripped)):
            return error
        if dash_is_empty and stripped in _DASHES:
            return None  # «—» means «nothing here»: a required cell then asks for a value
        value = convert(text)
        return _failure(kind, text, hint) if value is None else value
    return _cached(from_text)


def _range_check(column: Column) -> Callable[[Any], Any] | None:
    """value -> value, or a ``range`` failure; None when the column has no bounds."""
    if column.min is None and column.max is None:
        return None
    bounds = _bounds_text(column.min, column.max)
    low = float("-inf") if column.min is None else column.min
    high = float("inf") if column.max is None else column.max

    def check(value: Any) -> Any:
        if low <= value <= high:
            return value
        return Failure("range", {"value": plain_number(value), "bounds": bounds})
    return check


def _typed(kind: str, column: Column, convert: Callable[[Any], Any], *, exact: type | None = None,
           accepts: tuple[type, ...] = (), bounded: bool = False,
           plain: re.Pattern | None = None) -> tuple[Parser, ColumnParser]:
    """A parser that returns values of class ``exact`` as they are (within the column's
    bounds), converts other ``accepts`` values and text with ``convert``; and its
    whole-column twin, which also takes a text that fullmatches ``plain`` as it is (a
    shortcut: ``convert`` returns such a text unchanged). For texts that rarely repeat,
    such as links, which a text cache cannot help."""
    check = _range_check(column) if bounded else None
    if check is not None:
        unchecked = convert

        def convert(raw: Any) -> Any:
            value = unchecked(raw)
            return None if value is None else check(value)
    hint = expected_hint(kind, column)
    from_text = _from_text(kind, convert, dash_is_empty=kind != "bool", hint=hint)
    seen = from_text.cache.get  # a text seen before: what from_text returned for it

    def other(raw: Any) -> Any:
        if raw is None:
            return None
        if raw.__class__ is bool and kind != "bool" or not isinstance(raw, accepts):
            return _failure(kind, raw, hint)
        value = convert(raw)
        return _failure(kind, raw, hint) if value is None else value

    if check is None:
        def parse(raw: Any) -> Any:
            cls = raw.__class__
            if cls is exact:
                return raw
            if cls is str:
                return from_text(raw)
            return other(raw)

        if plain is not None:
            taken = plain.fullmatch

            def parse_column(values: Sequence[Any]) -> list:
                return [None if v is None else r if (r := seen(v, _MISS)) is not _MISS
                        else v if v.__class__ is str and taken(v) else parse(v) for v in values]
        elif exact is None:
            def parse_column(values: Sequence[Any]) -> list:
                # only a str can be a key of the text cache: anything else misses it
                return [None if v is None else r if (r := seen(v, _MISS)) is not _MISS else parse(v)
                        for v in values]
        else:
            def parse_column(values: Sequence[Any]) -> list:
                return [v if v.__class__ is exact else None if v is None
                        else r if (r := seen(v, _MISS)) is not _MISS else parse(v) for v in values]
        return parse, parse_column

    low = float("-inf") if column.min is None else column.min
    high = float("inf") if column.max is None else column.max

    def parse_bounded(raw: Any) -> Any:
        cls = raw.__class__
        if cls is exact:
            return raw if low <= raw <= high else check(raw)
        if cls is str:
            return from_text(raw)
        return other(raw)

    def parse_bounded_column(values: Sequence[Any]) -> list:
        if values.count(None) == len(values):  # an optional column left empty
            return [None] * len(values)
        return [v if v.__class__ is exact and low <= v <= high else None if v is None
                else r if (r := seen(v, _MISS)) is not _MISS else parse_bounded(v) for v in values]
    return parse_bounded, parse_bounded_column


def _clean_texts(values: Sequence[Any]) -> bool:
    """True when every value is a non-empty printable str without spaces around it that
    does not start with «#»: what a text column returns as it is. Decided on the joined
    column (C loops) instead of cell by cell."""
    try:
        joined = "|".join(values)
    except TypeError:  # a cell that is not text
        return False
    # A printable text has no whitespace but the plain space (no tabs, nbsp, zero-width,
    # newlines), so a value with spaces around it shows as «| » or « |»; an empty value as
    # «||» or a «|» at either end.
    return (joined.isprintable() and joined[:1] not in ("", " ", "#", "|") and joined[-1] not in " |"
            and "| " not in joined and " |" not in joined and "||" not in joined and "|#" not in joined)


def _text(column: Column) -> tuple[Parser, ColumnParser]:
    def parse(raw: Any) -> Any:
        if raw.__class__ is str:
            # isprintable() is False for odd spaces, zero-width characters, tabs and newlines
            if raw.isprintable() and raw.strip() is raw:
                if raw and raw[0] == "#" and (error := _formula_error(raw)):
                    return error
                return raw or None
            text = clean_text(raw)
            if text[:1] == "#" and (error := _formula_error(text)):
                return error
            return text or None
        if raw is None:
            return None
        return display(raw) if isinstance(raw, (bool, date, int, float)) else clean_text(str(raw)) or None

    # Texts this column has taken as they are, and None (an empty cell stays None): the
    # same authors, titles and publishers come from school after school, and a set lookup
    # is cheaper than looking at every character again.
    known: set[str | None] = {None}
    issuperset = known.issuperset

    def parse_column(values: Sequence[Any]) -> list:
        if issuperset(values):
            return list(values)
        if _clean_texts(values):
            if len(known) < _KNOWN_TEXTS:
                known.update(values)
            return list(values)
        return [v if v.__class__ is str and v and v[0] != "#" and v.isprintable() and v.strip() is v else parse(v)
                for v in values]
    return parse, parse_column


def _choice(column: Column) -> tuple[Parser, ColumnParser]:
    choices = column.choices or ()
    by_fold = {fold(choice): choice for choice in choices}
    exact = {choice: choice for choice in choices}
    shown = ", ".join(f"«{c}»" for c in choices[:12]) + (" и другие" if len(choices) > 12 else "")

    def convert(text: str) -> Any:
        found = by_fold.get(fold(text))
        return Failure("choice", {"value": display(text), "choices": shown}) if found is None else found
    from_text = _from_text("choice", convert)

    def parse(raw: Any) -> Any:
        if raw.__class__ is str:
            found = exact.get(raw)
            return found if found is not None else from_text(raw)
        return None if raw is None else from_text(display(raw))

    def parse_column(values: Sequence[Any]) -> list:
        found = list(map(exact.get, values))  # only a str can be a choice: anything else gets None
        if None in found:
            return [f if f is not None else parse(v) for f, v in zip(found, values)]
        return found
    return parse, parse_column


def _grade(column: Column) -> tuple[Parser, ColumnParser]:
    other, _ = _typed("grade", column, to_grade, accepts=(int, float))

    def parse(raw: Any) -> Any:
        return raw if raw.__class__ is int and 0 < raw < 12 else other(raw)

    def parse_column(values: Sequence[Any]) -> list:
        return [v if v.__class__ is int and 0 < v < 12 else other(v) for v in values]
    return parse, parse_column


_BUILDERS: dict[str, Callable[[Column], tuple[Parser, ColumnParser]]] = {
    "text": _text,
    "choice": _choice,
    "integer": lambda c: _typed("integer", c, to_int, exact=int, accepts=(float,), bounded=True),
    "number": lambda c: _typed("number", c, to_float, exact=float, accepts=(int,), bounded=True),
    "percent": lambda c: _typed("percent", c, percent_float, exact=float, accepts=(int,), bounded=True),
    "date": lambda c: _typed("date", c, to_date, exact=date, accepts=(int, float, date)),
    "bool": lambda c: _typed("bool", c, to_bool, exact=bool, accepts=(int, float)),
    "grade": _grade,
    "fpu_code": lambda c: _typed("fpu_code", c, to_fpu, accepts=(int, float)),
    "url": lambda c: _typed("url", c, to_url, plain=PLAIN_URL),
    "email": lambda c: _typed("email", c, to_email),
    "phone": lambda c: _typed("phone", c, to_phone, accepts=(int, float)),
}


def _text_failure(column: Column) -> Callable[[str], Failure | None]:
    """The check of a parsed text against the column's length and pattern, or None."""
    search = re.compile(column.pattern).search if column.pattern else None
    message = column.pattern_message or "значение не подходит по форме"
    limit = column.max_length

    def failure(value: str) -> Failure | None:
        if limit is not None and len(value) > limit:
            return Failure("too-long", {"value": display(value), "length": quantity(len(value), *_SIGNS),
                                        "max_length": quantity(limit, *_SIGNS)})
        if search is not None and not search(value):
            return Failure("pattern", {"value": display(value), "pattern_message": message})
        return None
    return failure


_SIGNS = ("знак", "знака", "знаков")


def _checked_text(parse: Parser, parse_column: ColumnParser, column: Column) -> tuple[Parser, ColumnParser]:
    failure = _text_failure(column)

    def checked(raw: Any) -> Any:
        value = parse(raw)
        return (failure(value) or value) if value.__class__ is str else value

    def checked_column(values: Sequence[Any]) -> list:
        parsed = parse_column(values)
        for i, value in enumerate(parsed):
            if value.__class__ is str:
                parsed[i] = failure(value) or value
        return parsed
    return checked, checked_column


def parsers_for(column: Column) -> tuple[Parser, ColumnParser]:
    """The parser of ``column`` (its type, then its range, length and pattern) and its twin for a
    whole column: ``parse_column(values) == [parse(v) for v in values]``."""
    parse, parse_column = _BUILDERS[column.type](column)
    if column.pattern or column.max_length:
        return _checked_text(parse, parse_column, column)
    return parse, parse_column


def parser_for(column: Column) -> Parser:
    """The parser of ``column``: its type, then its range and pattern."""
    return parsers_for(column)[0]


def parse_value(column: Column, raw: Any) -> Any:
    """One cell, for callers that parse a few values (builds the parser every time)."""
    return parser_for(column)(raw)
