"""The columnar fast paths give exactly what a plain cell-by-cell, row-by-row reading gives.

Seeded random messy tabs (every form, shuffled and missing headers, extra columns, blank
and short lines, values typed every way people type them) are parsed by ``parse_form``
and read by :func:`by_hand`, a straightforward reading written here (a loop over rows,
Python's own ``eval`` for the expressions): findings (code, place, params), rows and
computed values are compared with the class of every value (1, 1.0 and True are equal
in Python but not in a sheet).
"""
import operator
import random
import re
from datetime import date, datetime

import pytest

from sync_service.district.consolidate import SchoolLine, Snapshot, collection_tab
from sync_service.findings import column_letter, flatten
from sync_service.forms import plan as plans
from sync_service.forms.cells import Failure, parsers_for
from sync_service.forms.schema import Column, load_schema
from sync_service.forms.table import Table
from sync_service.forms.validation import parse_form
from sync_service.model import Collection
from sync_service.stores.base import Sheet

SCHEMA = load_schema()
FORMS = {**SCHEMA.forms, **{f"head.{key}": form for key, form in SCHEMA.head.items()}}
TABLES = sorted(key for key, form in FORMS.items() if form.shape == "table")

MESS = [None, "", " ", "  ", "\u00a0", "\u200b", "—", "-", "#REF!", "#Н/Д", " #DIV/0! ", "#хэштег", "нет данных",
        "?", 0, 1, -1, 7, 11, 12, 1000, 5001, 123456, 0.0, -0.0, 0.5, 1.0, 2.5, 1e20, float("nan"), True, False,
        "0", "1", "5", "05", "1 234", "1\u00a0234", "1234,0", "12,5 %", "12.5%", "1,5", " 7 ", "7\t", "5А",
        "5 класс", "11-й", "да", "НЕТ", "+", "✓", "x", "01.09.2024", "1.9.24", "2024-09-01", "31.02.2024",
        "1 сентября 2024 г.", date(2024, 9, 1), datetime(2024, 9, 1, 10, 30), 45536, "1.1.1.1.1.1",
        " 1,1,1,1,1,1 ", 1.1, "www.school.ru", "https://school.ru/news/1", "http://a b", "lib@school.ru",
        "mailto:Lib@School.RU", "8 (916) 123-45-67", 89161234567, "Иванова Анна", "Иванова 2", "Ёлкина Мария",
        "текст\nв две строки", "a|b", "| x", "x |", "a||b", " с пробелами ", "Математика", "математика ",
        "МАТЕМАТИКА", "Русский язык", "Литература", "Сентябрь", "сентябрь", "Излишек", "Победитель",
        "Обзор \ud83d новинок", "\x00", "1\x002"]


def typical(column: Column, rng: random.Random):
    """A clean value of the column's type, so that fast paths run on most cells."""
    kind = column.type
    if kind in ("integer", "grade"):
        low = int(column.min if column.min is not None else 1)
        high = int(column.max if column.max is not None else 11 if kind == "grade" else 300)
        value = rng.randint(low, min(high, low + 50))
        return value if rng.random() < 0.7 else str(value)
    if kind in ("number", "percent"):
        return round(rng.uniform(column.min or 0, min(column.max or 100, 100)), 1)
    if kind == "date":
        return date(2024, rng.randint(1, 12), rng.randint(1, 28))
    if kind == "choice":
        return rng.choice(column.choices)
    if kind == "bool":
        return rng.choice([True, False, "да", "нет"])
    if kind == "fpu_code":
        return f"1.1.{rng.randint(1, 3)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}.1"
    if kind == "url":
        return f"https://school{rng.randint(1, 5)}.ru/news/{rng.randint(1, 9)}"
    if kind == "email":
        return f"lib{rng.randint(1, 5)}@school.ru"
    if kind == "phone":
        return "+7 916 123-45-6" + str(rng.randint(0, 9))
    return rng.choice(["Иванова Анна", "Петрова Ольга", "Сидорова Мария"])


TEXT_MESS = [v for v in MESS if isinstance(v, str)]


def messy_values(column: Column, rng: random.Random, count: int, share: float | None = None) -> list:
    share = rng.choice([0.0, 0.05, 0.3, 0.9]) if share is None else share
    return [rng.choice(MESS) if rng.random() < share else typical(column, rng) for _ in range(count)]


def one_odd_text(column: Column, rng: random.Random, count: int) -> list:
    """Typical values and a single odd text: a whole column that almost takes the fast path."""
    values = [typical(column, rng) for _ in range(count)]
    values[rng.randrange(count)] = rng.choice(TEXT_MESS)
    return values


def strict(value):
    """A value with its class, recursively, so that 1 == 1.0 == True does not hide a change."""
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    if isinstance(value, float) and value != value:
        return (float, "nan")
    return (type(value), value)


@pytest.mark.parametrize("column", [c for form in FORMS.values() for c in form.columns], ids=lambda c: c.key)
@pytest.mark.parametrize("seed", range(4))
def test_column_parser_is_the_cell_parser_on_a_whole_column(column, seed):
    rng = random.Random(seed)
    for values in [messy_values(column, rng, 60), *(one_odd_text(column, rng, 20) for _ in range(12))]:
        parse, parse_column = parsers_for(column)
        first = parse_column(values)  # a cold text cache, then a warm one
        assert strict(first) == strict([parse(v) for v in values]), values
        assert strict(parse_column(tuple(values))) == strict(first)
        fresh, _ = parsers_for(column)
        assert strict(first) == strict([fresh(v) for v in values])


def messy_tab(form_key: str, rng: random.Random) -> Sheet:
    form = FORMS[form_key]
    columns = list(form.columns)
    if rng.random() < 0.5:
        rng.shuffle(columns)
    if rng.random() < 0.3 and len(columns) > 1:
        columns.pop(rng.randrange(len(columns)))  # a column gone
    header = [c.label if rng.random() < 0.8 else c.labels[-1] for c in columns]
    if rng.random() < 0.3:
        header.insert(rng.randrange(len(header) + 1), "Лишний столбец")
    if rng.random() < 0.2:
        header.append(columns[0].label)  # a column twice
    by_label = {label: column for column in form.columns for label in column.labels}
    top = [["Заголовок формы"], ["Готово", rng.choice([True, False, None, "да", "может быть"]), "Дата сдачи",
                                 rng.choice([None, date(2026, 9, 1), "вчера"])]]
    top += [[] for _ in range(rng.randint(0, 2))]
    lines = []
    share = rng.choice([0.0, 0.01, 0.05, 0.3])  # how messy this tab is
    for _ in range(rng.randint(0, 40)):
        roll = rng.random()
        if roll < 0.05 and share:
            lines.append([])  # an empty line
            continue
        if roll < 0.1 and share:
            lines.append([None, "", None][:rng.randint(0, 3)])
            continue
        line = []
        for label in header:
            column = by_label.get(label)
            if column is None:
                line.append(rng.choice(MESS))
            else:
                line.append(messy_values(column, rng, 1, share)[0])
        if roll < 0.2 and share:
            line = line[:rng.randint(0, len(line))]  # a short line
        lines.append(line)
    if lines and rng.random() < 0.4:  # repeats of earlier rows
        for _ in range(rng.randint(1, 3)):
            lines.append(list(rng.choice(lines)))
    return Sheet(form.tab, top + [header] + lines)


def outcome(result):
    findings = [(f.code, f.severity, f.row, f.column, f.column_key, f.address, f.message, f.hint, strict(f.params))
                for f in result.findings]
    return {"flat": flatten(result.findings), "findings": findings, "rows": strict(result.rows),
            "computed": strict(result.computed), "positions": result.positions, "ready": result.ready}


NAME = re.compile(r"[a-z_][a-z0-9_]*")
HOLDS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq,
         "!=": operator.ne}


def evaluate(source: str, row: dict):
    """An expression of a rule or computed value over one row, by Python's ``eval``: None
    when an operand is not a number (None, a text, a bool) or on division by zero or overflow."""
    names = NAME.findall(source)
    if any(type(row.get(name)) not in (int, float) for name in names):
        return None
    try:
        return eval(source, {"__builtins__": {}}, {name: row[name] for name in names})  # noqa: S307 (the schema's)
    except (ZeroDivisionError, OverflowError):
        return None


def holds(op: str, left, right, tolerance: float) -> bool:
    return abs(left - right) <= tolerance if op == "~=" else HOLDS[op](left, right)


def by_hand(form, sheet):
    """What a tab made by :func:`messy_tab` says below its header, read plainly: the
    header's positions, the rows, the computed values, and the findings of the rows as
    ``(code, severity, row, column_key, address, params of a cell's failure)``."""
    header_row = next(i for i, line in enumerate(sheet.rows) if i >= 2 and line) + 1
    by_label = {label: column for column in form.columns for label in column.labels}
    positions = {}
    for at, label in enumerate(sheet.rows[header_row - 1], start=1):
        if label in by_label:
            positions.setdefault(by_label[label].key, at)
    present = sorted((at, form.column(key)) for key, at in positions.items())
    rows, findings, computed = [], [], {c.key: [] for c in form.computed}
    seen_keys = {}
    for number, line in enumerate(sheet.rows[header_row:], start=header_row + 1):
        parsed = {column.key: parsers_for(column)[0](line[at - 1] if len(line) >= at else None)
                  for at, column in present}
        if all(value is None for value in parsed.values()):
            continue
        for at, column in present:
            value = parsed[column.key]
            place = (number, column.key, f"{column_letter(at)}{number}")
            if isinstance(value, Failure):
                findings.append((value.code, "error", *place, value.params))
                parsed[column.key] = None
            elif value is None and column.required:
                findings.append(("required", "error", *place, {}))
        row = {**{c.key: parsed.get(c.key) for c in form.columns}, "_row": number}
        if form.key_columns and all(key in positions for key in form.key_columns):
            key = tuple(v.casefold() if form.column(k).type == "text" and isinstance(v, str) else v
                        for k, v in ((k, row[k]) for k in form.key_columns))
            if None not in key:
                first = seen_keys.setdefault(key, number)
                if first != number:
                    at = positions[form.key_columns[0]]
                    findings.append(("duplicate-row", "error", number, form.key_columns[0],
                                     f"{column_letter(at)}{number}", None))
        for rule in form.rules:
            left, right = evaluate(rule.left.source, row), evaluate(rule.right.source, row)
            if left is not None and right is not None and not holds(rule.op, left, right, rule.tolerance):
                first = NAME.findall(rule.left.source + " " + rule.right.source)[0]
                findings.append(("rule" if rule.severity == "error" else "rule-warning", rule.severity, number,
                                 first, f"{column_letter(positions[first])}{number}", None))
        for c in form.computed:
            value = evaluate(c.expr.source, row)
            computed[c.key].append(None if value is None else round(value, c.digits))
        rows.append(row)
    return {"positions": positions, "rows": strict(rows), "computed": strict(computed), "findings": findings}


def parsed_as(result, header_row: int):
    """``by_hand``'s view of a ``parse_form`` result."""
    findings = [(f.code, f.severity, f.row, f.column_key, f.address,
                 f.params if f.code in ("required", "type", "formula-error", "range", "choice", "pattern") else None)
                for f in result.findings if (f.row or 0) > header_row]
    return {"positions": result.positions, "rows": strict(result.rows), "computed": strict(result.computed),
            "findings": [(c, s, r, k, a, p if c != "required" else {}) for c, s, r, k, a, p in findings]}


@pytest.mark.parametrize("form_key", TABLES)
def test_columnar_table_reading_is_the_plain_reading(form_key, monkeypatch):
    # Every finding, before they are bounded (that is tests/unit/test_bounded_findings.py's)
    monkeypatch.setattr("sync_service.forms.found.SHOWN_PER_COLUMN", 10**9)
    form = FORMS[form_key]
    for seed in range(40):
        sheet = messy_tab(form_key, random.Random(f"{form_key}-{seed}"))
        expected = by_hand(form, sheet)
        header_row = next(i for i, line in enumerate(sheet.rows) if i >= 2 and line) + 1
        assert parsed_as(parse_form(form, sheet, tab=form.tab), header_row) == expected, f"seed {seed}"


def test_the_plain_reading_can_tell_a_difference():
    """The reference is not the code under test: a rule that reads differently (or a
    computed value rounded otherwise) is seen."""
    form = FORMS["textbook_provision"]
    sheet = messy_tab("textbook_provision", random.Random("textbook_provision-1"))
    expected = by_hand(form, sheet)
    assert expected["rows"] and any(v is not None for v in strict(expected["computed"]["provision_pct"]))
    changed = replace_rule(form)
    assert by_hand(changed, sheet)["computed"] != expected["computed"]


def replace_rule(form):
    from dataclasses import replace

    from sync_service.forms.expressions import compile_expression

    computed = tuple(replace(c, expr=compile_expression(f"({c.expr.source}) + 1")) for c in form.computed)
    return replace(form, computed=computed)


def test_columnar_reading_finds_every_kind_of_cell_problem():
    """The property test above is not vacuous: its tabs hold failures, blanks and repeats."""
    codes = set()
    for form_key in TABLES:
        form = FORMS[form_key]
        for seed in range(40):
            result = parse_form(form, messy_tab(form_key, random.Random(f"{form_key}-{seed}")), tab=form.tab)
            codes.update(f.code for f in result.findings)
    assert {"required", "type", "formula-error", "range", "choice", "pattern", "duplicate-row",
            "rule"} <= codes


def consolidated_by_rows(collection, schools, snapshots, statuses):
    """The consolidated tab as the loop over rows built it (the reference): totals of the
    submitted schools' rows, each column by its aggregate, written out here."""
    from sync_service.district.consolidate import _as_date
    from sync_service.district.status import STATUS_LABELS
    form = collection.form
    keys = [c.key for c in form.columns]
    kept: dict[str, list] = {key: [] for key in keys}
    rows, counted = [], set()
    for school in schools:
        snapshot = snapshots.get(school.code)
        if snapshot is None or not len(snapshot.table):
            continue
        prefix = [school.code, school.name, STATUS_LABELS.get(statuses.get(school.code, ""), "")]
        submitted = statuses.get(school.code) in ("submitted", "submitted_late")
        for index, row in enumerate(snapshot.table.records()):
            values = [_as_date(row.get(key)) if c.type == "date" else row.get(key)
                      for key, c in zip(keys, form.columns)]
            if submitted:
                counted.add(school.code)
                for key, value in zip(keys, values):
                    kept[key].append(value)
            if form.shape == "record":
                extra = [snapshot.computed.get(c.key) for c in form.computed]
            else:
                extra = [(snapshot.computed.get(c.key) or ())[index]
                         if index < len(snapshot.computed.get(c.key) or ()) else None for c in form.computed]
            rows.append(prefix + values + extra)

    def total(column):
        numbers = [v for v in kept[column.key] if v.__class__ in (int, float) and v == v]
        how = column.aggregation
        if how == "sum":
            return (int(sum(numbers)) if float(sum(numbers)).is_integer() else round(sum(numbers), 6)) if numbers else None
        if how == "mean":
            return round(sum(numbers) / len(numbers), 1) if numbers else None
        if how == "count":
            return len([v for v in kept[column.key] if v not in (None, "", False)])
        if how in ("min", "max"):
            pool = numbers or [v for v in kept[column.key] if isinstance(v, date)]
            return (min if how == "min" else max)(pool) if pool else None
        return None

    totals = {c.key: total(c) for c in form.columns}
    return rows, totals, bool(counted) and bool(form.totalled or form.computed)


@pytest.mark.parametrize("form_key", sorted(SCHEMA.forms))
def test_consolidated_lines_are_the_row_by_row_lines(form_key):
    form = SCHEMA.forms[form_key]
    collection = Collection(form.key, form, "2026/2027", date(2026, 9, 30))
    rng = random.Random(form_key)
    schools = [SchoolLine(f"sch{i}", f"Школа №{i}") for i in range(12)]
    snapshots, statuses = {}, {}
    for school in schools[:-1]:
        count = 1 if form.shape == "record" else rng.randint(0, 30)
        rows = [{**{c.key: messy_values(c, rng, 1)[0] for c in form.columns}, "_row": 5 + i} for i in range(count)]
        if rows and rng.random() < 0.3:
            rows = [{k: v for k, v in row.items() if k != form.columns[-1].key} for row in rows]  # an old snapshot
        if rows and rng.random() < 0.3:  # dates as stored in JSON
            rows = [{k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()} for row in rows]
        if form.shape == "record":
            computed = {c.key: rng.choice([None, 1, 2.5, 0.0]) for c in form.computed}
        else:
            computed = {c.key: [rng.choice([None, 1, 2.5]) for _ in range(count + rng.choice([-1, 0, 0, 1]))]
                        for c in form.computed if rng.random() < 0.8}
        snapshots[school.code] = Snapshot(Table.from_records(rows), computed)
        statuses[school.code] = rng.choice(["submitted", "submitted_late", "returned", "overdue", "in_progress"])
    tab = collection_tab(collection, schools, snapshots, statuses)
    lines, totals, counted = consolidated_by_rows(collection, schools, snapshots, statuses)
    assert strict(tab.rows[1:1 + len(lines)]) == strict(lines)
    if counted:   # the totals row, then what each total is
        keys = [c.key for c in form.columns]
        assert strict(tab.rows[-2][3:3 + len(keys)]) == strict([totals[k] for k in keys])
    assert len(tab.rows) == 1 + len(lines) + (2 if counted else 0)


def test_failures_are_shared_values_not_identities():
    """A Failure compares by code and params (the fast path may return a cached one)."""
    assert Failure("type", {"value": "x"}) == Failure("type", {"value": "x"})


def record_tab(form_key: str, rng: random.Random) -> Sheet:
    form = FORMS[form_key]
    rows = [["Заголовок формы"], ["Готово", rng.choice([True, 1, 1.0, "да", None]), "Дата сдачи",
                                  rng.choice([None, date(2026, 9, 1), datetime(2026, 9, 1), 46266, "вчера"])]]
    if rng.random() < 0.3:
        rows.insert(0, [])  # a row added on top
    rows.append(["Показатель", "Значение", "Пояснение"])
    for column in form.columns:
        if rng.random() < 0.1:
            continue  # a field gone
        rows.append([column.label, messy_values(column, rng, 1, 0.2)[0]])
    if rng.random() < 0.3:
        rows.append([form.columns[0].label, 1])  # a field twice
    return Sheet(form.tab, rows)


@pytest.mark.parametrize("form_key", sorted(FORMS))
def test_remembered_layouts_give_what_a_fresh_search_gives(form_key):
    """Where header, fields and flags are is remembered per distinct top of a tab."""
    form = FORMS[form_key]
    plan = plans.plan(form)
    for seed in range(30):
        rng = random.Random(f"layout-{form_key}-{seed}")
        sheet = messy_tab(form_key, rng) if form.shape == "table" else record_tab(form_key, rng)
        plan.layouts.clear()
        cold = outcome(parse_form(form, sheet, tab=form.tab))
        warm = outcome(parse_form(form, sheet, tab=form.tab))
        assert cold == warm, f"seed {seed}"
        for other in range(3):  # other tabs with the same top reuse the layout
            rng = random.Random(f"layout-{form_key}-{seed}-{other}")
            sibling = messy_tab(form_key, rng) if form.shape == "table" else record_tab(form_key, rng)
            sibling.rows[:2] = [list(line) for line in sheet.rows[:2]]
            remembered = outcome(parse_form(form, sibling, tab=form.tab))
            plan.layouts.clear()
            assert remembered == outcome(parse_form(form, sibling, tab=form.tab)), f"seed {seed}, {other}"


def test_clean_text_shortcut_is_the_regex():
    import re

    from sync_service.forms.values import INVISIBLE, UNCLEAN, clean_text

    def reference(value):
        if not UNCLEAN.search(value):
            return value
        return re.sub(r"[^\S\n]+", " ", value.translate(INVISIBLE)).strip()

    rng = random.Random(7)
    alphabet = "ab 1#,.\u00a0\u200b\t\n\r\u3000\u2009ё\x00\ud83d\ude00"
    texts = [s for s in MESS if isinstance(s, str)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(3000)]
    for text in texts:
        assert clean_text(text) == reference(text), repr(text)


def test_plain_link_shortcut_takes_only_links_the_long_way_returns_unchanged():
    from sync_service.forms.values import PLAIN_URL, to_url

    rng = random.Random(11)
    parts = ["http", "https", "HTTPS", "ftp", "://", ":/", "www.", "school7", "школа", ".ru", ".рф", ".r", ".", "-",
             "_", ":8000", ":123456", "/", "/news/1", "?a=1", "#top", "@", "localhost", " ", "\u00a0", "\u200b",
             "\u00ad", "\t", "\x01", "\n", "%20", "ё"]
    texts = ["https://school7.ru/news/1", "HTTP://School7.RU", "https://localhost:8000/x", "https://школа7.рф/фото",
             "https://a.ru/b c", "https://a.ru/\u200b", " https://a.ru", "https://a.ru ", "https://", "https://.ru"]
    texts += ["".join(rng.choice(parts) for _ in range(rng.randint(1, 9))) for _ in range(5000)]
    for _ in range(5000):  # links with a piece of something else here and there
        pieces = [rng.choice(["https://", "http://", "HTTPS://"]), rng.choice(["", "www."]), rng.choice(parts[7:9]),
                  rng.choice(parts[9:12]), rng.choice(["", ":8000", ":123456"]), rng.choice(["", "/news/1", "?a=1"])]
        if rng.random() < 0.6:
            pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(parts))
        texts.append("".join(pieces))
    taken = 0
    for text in texts:
        if PLAIN_URL.fullmatch(text):
            taken += 1
            assert to_url(text) == text, repr(text)
    assert taken > 500  # the shortcut is exercised, not just never taken


NUMBERS = [0, 0.0, -0.0, 1, 2, 3, -4, 0.5, 1e308, 1e-320, float("nan"), 10 ** 400]
OPERANDS = [None, True, "5", *NUMBERS]


@pytest.mark.parametrize("source", ["a / b * 100", "a / (b - c)", "a / (b / c)", "(a + b) / c / a", "a * b - c",
                                    "a / 2", "100 / a", "-(a + b) / 2", "c - b - a"])
def test_expressions_row_by_row_and_over_columns_are_pythons_eval(source):
    """One row and whole columns (with its zero-divisor guard) give each row what Python's
    own ``eval`` gives under the missing-value strategy, zero and overflowing rows included."""
    from sync_service.forms.expressions import compile_expression

    expr = compile_expression(source)
    assert list(expr.names) == list(dict.fromkeys(NAME.findall(source)))
    rng = random.Random(source)
    for _ in range(30):
        count = rng.randint(1, 12)
        columns = [[rng.choice(OPERANDS) for _ in range(count)] for _ in expr.names]
        rows = [dict(zip(expr.names, values)) for values in zip(*columns)]
        expected = [evaluate(source, row) for row in rows]
        assert strict([expr(row) for row in rows]) == strict(expected), (source, columns)
        assert strict(expr.over(count, *columns)) == strict(expected), (source, columns)
        numbers = [[rng.choice(NUMBERS) for _ in range(count)] for _ in expr.names]  # what over_numbers is for
        expected = [evaluate(source, dict(zip(expr.names, values))) for values in zip(*numbers)]
        assert strict(expr.over_numbers(count, *numbers)) == strict(expected), (source, numbers)
