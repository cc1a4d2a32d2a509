"""``parse_form``: one tab of a school's workbook -> a :class:`FormResult`.

Every finding of the tab comes at once (the librarian fixes everything in one go) and
nothing a person typed makes it raise. In order:

1. the tab itself: missing (``missing-tab``), no header row (``header-not-found``), a
   required column or field gone (``missing-column``, ``missing-field``), a column or
   field twice (``duplicate-column``, ``duplicate-field``);
2. every cell: ``required``, ``type``, ``formula-error``, ``range``, ``choice``, ``pattern``;
3. every row: ``duplicate-row`` (same ``key_columns`` as an earlier row), the form's
   rules (``rule``/``rule-warning``, skipped when a side is missing), computed values;
4. the «Готово» flag: ``ready-not-found``, ``bad-ready-date``, ``empty-form``;
5. the form's named ``checks`` (bound at load, :mod:`sync_service.forms.checks`) with ``context``.

Cell findings carry the form, the tab, the sheet row, the column's Russian label and
key, and the A1 address of the cell where the column actually is in that sheet.

Speed matters (a district is hundreds of thousands of rows): what can be prepared once
per form is (:class:`_Plan`), the row loop is flat, and rules and computed values are
compiled to one Python function each.
"""
from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any, Callable, Mapping, Sequence

from sync_service.findings import CODES, WARNING, Finding, column_letter, make_finding
from sync_service.forms.cells import (
    EXPECTED,
    ColumnParser,
    Failure,
    Parser,
    display,
    parser_for,
    parsers_for,
)
from sync_service.forms.layout import READY_DATE_LABEL, READY_LABEL
from sync_service.forms.reading import (
    READY_ROWS,
    RECORD_VALUE_COLUMN,
    Fields,
    Filled,
    Header,
    ReadyCells,
    fill_merges,
    find_fields,
    find_header,
    find_ready,
    label_index,
)
from sync_service.forms.schema import Column, Expression, Form, Rule
from sync_service.forms.table import Table
from sync_service.model import FormResult
from sync_service.ru import plain_number
from sync_service.stores.base import Sheet

__all__ = ["parse_form", "data_hash", "cell_finding", "compile_fast"]

Evaluate = Callable[[Mapping[str, Any]], "float | None"]

# What the librarian sees when a rule does not hold: the comparison that is true instead.
_BROKEN = {"<=": ">", "<": "≥", ">=": "<", ">": "≤", "==": "≠", "!=": "=", "~=": "≠"}
_HOLDS: dict[str, Callable[[float, float, float], bool]] = {
    "<=": lambda a, b, t: a <= b, "<": lambda a, b, t: a < b, ">=": lambda a, b, t: a >= b,
    ">": lambda a, b, t: a > b, "==": lambda a, b, t: a == b, "!=": lambda a, b, t: a != b,
    "~=": lambda a, b, t: abs(a - b) <= t,
}
_ARITHMETIC = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub,
               ast.Constant, ast.Name, ast.Load)


def compile_fast(expr: Expression) -> Evaluate:
    """``expr`` as one Python function with the same meaning (None when an operand is not a
    number or on division by zero), several times faster than walking its tree per row.

    The source has been checked by the schema loader (numbers, column keys, + - * /);
    it is checked again here before it is compiled.
    """
    tree = ast.parse(expr.source, mode="eval")
    names = {name: f"_{i}" for i, name in enumerate(expr.names)}
    for node in ast.walk(tree):
        if not isinstance(node, _ARITHMETIC) or isinstance(node, ast.Constant) and not isinstance(
                node.value, (int, float)):
            return expr  # not plain arithmetic: keep the tree walker
        if isinstance(node, ast.Name):
            node.id = names[node.id]
    lines = ["def evaluate(values):"]
    for name, local in names.items():
        lines.append(f"    {local} = values.get({name!r})")
        lines.append(f"    if {local}.__class__ is not int and {local}.__class__ is not float: return None")
    lines.append(f"    try: return {ast.unparse(tree)}")
    lines.append("    except (ZeroDivisionError, OverflowError): return None")
    scope: dict[str, Any] = {}
    namespace = {"__builtins__": {}, "int": int, "float": float, "ZeroDivisionError": ZeroDivisionError,
                 "OverflowError": OverflowError}
    exec(compile("\n".join(lines), f"<expression {expr.source}>", "exec"), namespace, scope)
    return scope["evaluate"]


# ``evaluate(n, *columns)``: an expression over ``n`` rows given the column of each of its
# names (in ``expr.names`` order) -> one value (or None) per row.
EvaluateColumns = Callable[..., list]


def compile_columns(expr: Expression) -> EvaluateColumns:
    """``expr`` over whole columns: ``evaluate(n, *columns)[i]`` is what
    :func:`compile_fast` gives for row ``i`` (same checks, same arithmetic, same order).
    ``evaluate.numbers_only`` gives the same for columns that hold only ints and floats
    (no None, no bool), without checking every operand's class."""
    names = expr.names
    tree = ast.parse(expr.source, mode="eval")
    local = {name: f"_{i}" for i, name in enumerate(names)}
    for node in ast.walk(tree):
        if not isinstance(node, _ARITHMETIC) or isinstance(node, ast.Constant) and not isinstance(
                node.value, (int, float)):
            def walk(n: int, *columns: Sequence[Any]) -> list:  # not plain arithmetic: the tree walker
                if not names:
                    return [expr({}) for _ in range(n)]
                return [expr(dict(zip(names, values))) for values in zip(*columns)]
            walk.numbers_only = walk  # type: ignore[attr-defined]
            return walk
        if isinstance(node, ast.Name):
            node.id = local[node.id]
    params = ", ".join(f"c{i}" for i in range(len(names)))
    lines = [f"def evaluate(n{', ' if names else ''}{params}):"]
    if not names:
        lines += [f"    try: value = {ast.unparse(tree)}",
                  "    except (ZeroDivisionError, OverflowError): value = None",
                  "    return [value] * n"]
    else:
        targets = ", ".join(local.values())
        source = f"zip({params})" if len(names) > 1 else "c0"
        numeric = " and ".join(f"({v}.__class__ is int or {v}.__class__ is float)" for v in local.values())
        body = ast.unparse(tree)
        # A row whose divisor is zero is None without raising (which would send the whole
        # column down the row-by-row path below); the guard's own failures still do.
        divisors = [ast.unparse(node.right) for node in ast.walk(tree)
                    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)]
        if divisors:
            body = f"({body} if {' and '.join(f'({d})' for d in divisors)} else None)"
        lines += [f"    if {' or '.join(f'c{i}.count(None) == n' for i in range(len(names)))}:",
                  "        return [None] * n  # an empty column: nothing to compute",
                  "    try:  # one comprehension; row by row only when a row divides by zero",
                  f"        return [{body} if {numeric} else None for {targets} in {source}]",
                  "    except (ZeroDivisionError, OverflowError):",
                  "        pass",
                  "    out = []", "    add = out.append",
                  f"    for {targets} in {source}:",
                  f"        if {numeric}:",
                  f"            try: add({body})",
                  "            except (ZeroDivisionError, OverflowError): add(None)",
                  "        else:",
                  "            add(None)",
                  "    return out",
                  f"def numbers_only(n, {params}):",
                  "    try:",
                  f"        return [{body} for {targets} in {source}]",
                  "    except (ZeroDivisionError, OverflowError):",
                  f"        return evaluate(n, {params})"]
    namespace = {"__builtins__": {}, "int": int, "float": float, "zip": zip, "ZeroDivisionError": ZeroDivisionError,
                 "OverflowError": OverflowError}
    exec(compile("\n".join(lines), f"<columns {expr.source}>", "exec"), namespace)
    evaluate = namespace["evaluate"]
    evaluate.numbers_only = namespace.get("numbers_only", evaluate)
    return evaluate


@dataclass(frozen=True)
class _Rule:
    rule: Rule
    left: Evaluate
    right: Evaluate
    holds: Callable[[float, float, float], bool]
    names: tuple[str, ...]        # the columns of both sides, the left's first
    code: str
    op_text: str
    tolerance_text: str


def _compile_rule(rule: Rule) -> _Rule:
    tolerance = f" (допустимое расхождение {plain_number(rule.tolerance)})" if rule.op == "~=" else ""
    return _Rule(rule, compile_fast(rule.left), compile_fast(rule.right), _HOLDS[rule.op],
                 tuple(dict.fromkeys((*rule.left.names, *rule.right.names))),
                 "rule" if rule.severity == "error" else "rule-warning", _BROKEN[rule.op], tolerance)


@dataclass(frozen=True)
class _Plan:
    """What parsing a form needs, built once per form."""

    parsers: dict[str, Parser]
    column_parsers: dict[str, ColumnParser]
    rules: tuple[_Rule, ...]
    computed: tuple[tuple[str, Evaluate, int], ...]      # (key, evaluate, digits)
    labels: dict[str, str]
    label_index: dict[str, str]
    ready: Parser
    ready_date: Parser
    expressions: dict[str, EvaluateColumns]              # source -> over columns (rules' sides, computed)
    layouts: dict[tuple, tuple]                          # top of a tab -> where things are (see _table_layout)


def _per_form(build):
    """Cache ``build(form, *args)`` by the form's identity: forms live as long as the schema,
    and hashing a whole form per tab would cost more than the lookup saves."""
    cache: dict[tuple, tuple[Form, Any]] = {}

    def cached(form: Form, *args):
        key = (id(form), *args)
        hit = cache.get(key)
        if hit is None or hit[0] is not form:
            if len(cache) > 1024:
                cache.clear()
            hit = cache[key] = (form, build(form, *args))
        return hit[1]
    return cached


@_per_form
def _plan(form: Form) -> _Plan:
    both = {c.key: parsers_for(c) for c in form.columns}
    expressions = [*(side for r in form.rules for side in (r.left, r.right)), *(c.expr for c in form.computed)]
    return _Plan(
        parsers={key: pair[0] for key, pair in both.items()},
        column_parsers={key: pair[1] for key, pair in both.items()},
        rules=tuple(_compile_rule(r) for r in form.rules),
        computed=tuple((c.key, compile_fast(c.expr), c.digits) for c in form.computed),
        labels={c.key: c.label for c in form.columns},
        label_index=label_index(form),
        ready=parser_for(Column(key="ready", label=READY_LABEL, type="bool")),
        ready_date=parser_for(Column(key="ready_date", label=READY_DATE_LABEL, type="date")),
        expressions={e.source: compile_columns(e) for e in expressions},
        layouts={},
    )


@lru_cache(maxsize=256)
def _letter(col: int) -> str:
    return column_letter(col)


class _Params(dict):
    """Template values; an unknown placeholder stays visible rather than failing the report."""

    def __missing__(self, key):
        return "{" + key + "}"


_new_finding = object.__new__


class _Findings:
    """Builds the findings of one tab, knowing the form and the sheet.

    Equivalent to :func:`make_finding` (a test holds them equal) but fills the frozen
    dataclass directly: building findings is a large part of parsing a tab full of
    mistakes, and the dataclass's own ``__init__`` costs twice as much.
    """

    def __init__(self, form: Form, tab: str, out: list[Finding], labels: Mapping[str, str]):
        self.form, self.tab, self.out, self.labels = form, tab, out, labels

    def add(self, code: str, *, row: int | None = None, column: Column | None = None, col: int | None = None,
            label: str | None = None, severity: str | None = None, **params) -> None:
        address = f"{_letter(col)}{row}" if row and col else None
        self.out.append(self.build(code, row=row, column=column, label=label, address=address, severity=severity,
                                   **params))

    def build(self, code: str, *, row: int | None, column: Column | None, address: str | None,
              severity: str | None, label: str | None = None, **params) -> Finding:
        default, message, hint = CODES[code]
        name = column.label if column is not None else label
        values = _Params(params)
        values.update(sheet=self.tab, column=name or "", row=row or "", address=address or "")
        finding = _new_finding(Finding)
        finding.__dict__.update(
            code=code, message=message.format_map(values), hint=hint.format_map(values),
            severity=severity or default, form=self.form.key, sheet=self.tab, row=row, column=name,
            column_key=column.key if column is not None else None, address=address, params=params)
        return finding

    def cell(self, failure: Failure | None, row: int, column: Column, col: int) -> None:
        """A cell's failure, or ``required`` when ``failure`` is None."""
        if failure is None:
            self.add("required", row=row, column=column, col=col)
        else:
            self.add(failure.code, row=row, column=column, col=col, **failure.params)

    def rule(self, item: _Rule, left: float, right: float, row: int, places: Mapping[str, tuple[str, int | None]],
             values: Mapping[str, Any]) -> None:
        """A rule that does not hold; ``places``: column key -> (column letter, row or None for
        ``row``), so that the hint shows every operand's cell and value."""
        labels = self.labels
        operands = []
        for name in item.names:
            letter, at = places[name]
            operands.append(f"«{labels[name]}» ({letter}{at or row}) = {plain_number(values[name])}")
        first = item.names[0]
        letter, at = places[first]
        self.out.append(self.build(
            item.code, row=at or row, column=self.form.column(first), address=f"{letter}{at or row}",
            severity=item.rule.severity, rule=item.rule.key, rule_message=item.rule.message,
            left_text=_number(left), op_text=item.op_text, right_text=_number(right) + item.tolerance_text,
            columns=", ".join(operands)))


def _number(value: float) -> str:
    return plain_number(round(value, 2) if isinstance(value, float) else value)


# --- tables ---------------------------------------------------------------------------------------

# Where the header, the fields and the flags of a tab are depends only on its top rows (and,
# for a record form, on the labels in column A), which every school's tab shares: found once
# per distinct top, remembered in the form's plan. The key holds the cells and their classes
# (1 == 1.0 == True); tabs with merged cells are not remembered.
_TABLE_TOP = 4    # rows 1-4: the flags (row 2) and the header (row 4) of the tabs Svod creates
_RECORD_TOP = 2   # rows 1-2: the flags
_LAYOUTS = 512    # distinct tops remembered per form


def _top_key(grid: Filled, rows: int, *, labels: bool = False) -> tuple | None:
    if grid.copies:
        return None
    top = grid.rows[:rows]
    key = [*map(tuple, top)]
    if labels:
        key.append(tuple(line[0] if line else None for line in grid.rows[rows:]))
    return (*key, *map(type, chain.from_iterable(key)))


def _remember(plan: _Plan, key: tuple, layout: tuple) -> tuple:
    if len(plan.layouts) >= _LAYOUTS:
        plan.layouts.clear()
    plan.layouts[key] = layout
    return layout


def _table_layout(form: Form, grid: Filled, plan: _Plan) -> tuple[Header | None, ReadyCells]:
    """The header of a table tab and its flags (above the header)."""
    key = _top_key(grid, _TABLE_TOP)
    if key is not None and (known := plan.layouts.get(key)) is not None:
        return known
    header = find_header(grid, form, index=plan.label_index)
    cells = find_ready(grid, rows=READY_ROWS if header is None else min(READY_ROWS, header.row - 1))
    # a complete header within the top ends the search there: nothing below it counts
    if key is not None and header is not None and header.row <= _TABLE_TOP and len(header.positions) == len(
            form.columns):
        return _remember(plan, key, (header, cells))
    return header, cells


def _record_layout(form: Form, grid: Filled, plan: _Plan) -> tuple[Fields, ReadyCells]:
    """The fields of a record tab (labels in column A) and its flags."""
    key = _top_key(grid, _RECORD_TOP, labels=True)
    if key is not None and (known := plan.layouts.get(key)) is not None:
        return known
    fields = find_fields(grid, form, index=plan.label_index)
    cells = find_ready(grid, rows=READY_ROWS)
    # with both flags found within the top, the search for them ended there
    if key is not None and cells.ready is not None and cells.date is not None and max(
            cells.ready.row, cells.date.row) <= _RECORD_TOP:
        return _remember(plan, key, (fields, cells))
    return fields, cells


def _read_table(form: Form, grid: Filled, plan: _Plan, result: FormResult, found: _Findings,
                header: Header | None) -> None:
    """Rows of a table form into ``result``."""
    if header is None:
        found.add("header-not-found", labels=", ".join(f"«{c.label}»" for c in form.columns))
        result.computed = {key: [] for key, _, _ in plan.computed}
        return
    positions = header.positions
    result.positions = dict(positions)
    for column in _arranged(form, positions).missing:
        found.add("missing-column", row=header.row, column=column)
    for key, col in header.duplicates:
        found.add("duplicate-column", row=header.row, column=form.column(key), col=col)

    first_finding = len(found.out)
    _TABLE_ROWS(form, plan, grid.rows, header.row, positions, result, found)
    if len(found.out) > first_finding + 1:
        # row by row; within a row: its cells left to right, a repeat, the rules in order
        found.out[first_finding:] = sorted(found.out[first_finding:], key=_finding_row)


@dataclass(frozen=True)
class _Arrangement:
    """Where a form's columns are in one layout of a tab, and what follows from it: built
    once per layout (schools' tabs share a few), not per tab."""

    ats: tuple[int, ...]                 # the 0-based sheet column of each present column, left to right
    columns: tuple[Column, ...]          # those columns
    keys: tuple[str, ...]                # and their keys
    parsers: tuple[ColumnParser, ...]    # and their column parsers
    widest: int                          # the rightmost of ``ats``
    key_columns: tuple[int, ...] | None  # the form's key columns as indices in ``columns`` (None: one is absent)
    places: dict[str, tuple[str, None]]  # column key -> (its column letter, None), for rule findings
    missing: tuple[Column, ...]          # the required columns the tab lacks
    required: tuple[int, ...]            # the required columns among ``columns`` (indices)


def _per_layout(build):
    """Cache ``build(form, layout)`` by the identity of ``layout`` (a header's positions, a
    record's fields): the layouts of :func:`_table_layout` and :func:`_record_layout` hand the
    same object to every tab with the same top, and hashing its contents per tab would cost
    more than the lookup saves. An entry holds its layout, which keeps the id unique."""
    cache: dict[int, tuple[Form, Any, Any]] = {}

    def cached(form: Form, layout):
        hit = cache.get(id(layout))
        if hit is not None and hit[0] is form and hit[1] is layout:
            return hit[2]
        if len(cache) >= _LAYOUTS:
            cache.clear()
        built = build(form, layout)
        cache[id(layout)] = (form, layout, built)
        return built
    return cached


@_per_layout
def _arranged(form: Form, positions: Mapping[str, int]) -> _Arrangement:
    """:func:`_arrangement` of a header's ``positions``, remembered by that object."""
    return _arrangement(form, tuple(positions.items()))


@_per_form
def _arrangement(form: Form, positions: tuple[tuple[str, int], ...]) -> _Arrangement:
    where = dict(positions)
    present = sorted((where[c.key] - 1, c) for c in form.columns if c.key in where)  # left to right
    keys = tuple(c.key for _, c in present)
    parsers = _plan(form).column_parsers
    return _Arrangement(
        ats=tuple(at for at, _ in present), columns=tuple(c for _, c in present), keys=keys,
        parsers=tuple(parsers[key] for key in keys), widest=present[-1][0] if present else -1,
        key_columns=tuple(keys.index(k) for k in form.key_columns) if form.key_columns and all(
            k in keys for k in form.key_columns) else None,
        places={key: (_letter(col), None) for key, col in positions},
        missing=tuple(c for c in form.columns if c.required and c.key not in where),
        required=tuple(i for i, (_, c) in enumerate(present) if c.required))


def _rows_by_column(form: Form, plan: _Plan, lines: list[list[Any]], header_row: int,
                    positions: Mapping[str, int], result: FormResult, found: _Findings) -> None:
    """The data rows below ``header_row`` into ``result`` (rows, computed) and ``found``
    (cell, repeat and rule findings), a column at a time.

    Each column is cut out of the lines once and parsed by its column parser, which
    decides the common cells (a typed value in range, a clean text, a choice as spelled,
    a text seen before) without a call per cell; rules and computed values are evaluated
    over columns too. The result is the same as :func:`_rows_by_row`'s, which a property
    test holds equal on messy tabs.
    """
    arrangement = _arranged(form, positions)
    lines = lines[header_row:]
    if not arrangement.columns or not lines:
        result.computed = {key: [] for key, _, _ in plan.computed}
        return
    count = len(lines)
    every = list(zip(*lines))  # the columns, as far as the shortest line goes
    if len(every) > arrangement.widest:
        raw = list(map(every.__getitem__, arrangement.ats))
    else:
        raw = [[line[at] if len(line) > at else None for line in lines] for at in arrangement.ats]
    parsed = [parse(values) for parse, values in zip(arrangement.parsers, raw)]

    # The classes in each column, found in one C-level pass: they decide whether a column
    # needs any cell-by-cell look at all.
    kinds = [set(map(type, values)) for values in parsed]

    # Rows whose cells are all empty are skipped (raw None or "" parse to None as well).
    numbers: Sequence[int] = range(header_row + 1, header_row + 1 + count)
    if all(NoneType in kind for kind in kinds):
        nothing = (None,) * len(parsed)
        keep = [i for i, cells in enumerate(zip(*parsed)) if cells != nothing]
        if len(keep) < count:
            parsed = [[values[i] for i in keep] for values in parsed]
            numbers = [header_row + 1 + i for i in keep]
            count = len(keep)
            kinds = [set(map(type, values)) for values in parsed]

    # Cell findings, row by row and left to right; bad cells become None.
    problems: list[tuple[int, int, Column, Failure | None]] = []
    every_kind = set().union(*kinds)
    if Failure in every_kind or NoneType in every_kind and any(NoneType in kinds[i] for i in arrangement.required):
        checked = zip(arrangement.ats, arrangement.columns, parsed, kinds)
    else:
        checked = ()  # no failure, no empty required cell: nothing to look at cell by cell
    for at, column, values, kind in checked:
        failing = Failure in kind
        missing = column.required and NoneType in kind
        if failing or missing:
            types = list(map(type, values))
            if failing:
                for i in _indices(types, Failure):
                    problems.append((i, at, column, values[i]))
                    values[i] = None
            if missing:
                problems += [(i, at, column, None) for i in _indices(types, NoneType)]
    if problems:
        problems.sort(key=itemgetter(0, 1))
        cell = found.cell
        for i, at, column, failure in problems:
            cell(failure, numbers[i], column, at + 1)

    by_key = dict(zip(arrangement.keys, parsed))
    result.table = Table({c.key: by_key[c.key] if c.key in by_key else [None] * count for c in form.columns},
                         numbers)
    numbers = result.table.numbers

    if arrangement.key_columns is not None:
        _duplicates(form, numbers, [parsed[i] for i in arrangement.key_columns], positions, found)
    if not (plan.rules or form.computed):
        result.computed = {}
        return

    expressions = plan.expressions
    evaluated: dict[str, list] = {}
    numbers_only = {key for key, kind in zip(arrangement.keys, kinds) if _NUMBERS.issuperset(kind)}

    def values_of(expr: Expression) -> list:
        values = evaluated.get(expr.source)
        if values is None:
            columns = [by_key.get(name) for name in expr.names]
            evaluate = expressions[expr.source]
            if numbers_only.issuperset(expr.names):
                evaluate = evaluate.numbers_only
            # a column the sheet lacks makes every row's value None
            values = evaluated[expr.source] = [None] * count if None in columns else evaluate(count, *columns)
        return values

    places = arrangement.places
    for item in plan.rules:
        holds, tolerance = item.holds, item.rule.tolerance
        lefts = values_of(item.rule.left)
        if lefts.count(None) == count:
            continue
        for i, left, right in zip(range(count), lefts, values_of(item.rule.right)):
            if left is not None and right is not None and not holds(left, right, tolerance):
                found.rule(item, left, right, numbers[i], places, {name: by_key[name][i] for name in item.names})
    result.computed = {c.key: _rounded(values_of(c.expr), c.digits) for c in form.computed}


_NUMBERS = frozenset({int, float})
_ROUNDED: dict[int, dict[float, float]] = {}
_FLOATS = frozenset({float, type(None)})


def _rounded(values: list, digits: int) -> list:
    """``[None if v is None else round(v, digits) for v in values]``; rounding a float to
    digits is slow (a decimal conversion) and ratios repeat, so results are remembered."""
    memo = _ROUNDED.setdefault(digits, {})
    get = memo.get
    if _FLOATS.issuperset(map(type, values)):  # floats (and None) only: look them all up at once
        found = list(map(get, values))
        for i in _indices(found, None):  # None, or a ratio not seen yet
            found[i] = _round(values[i], digits, memo)
        return found
    # only nonzero floats are remembered (1 == 1.0 and 0.0 == -0.0 would mix up types and signs)
    return [r if v.__class__ is float and (r := get(v)) is not None else _round(v, digits, memo) for v in values]


def _round(value: Any, digits: int, memo: dict[float, float]) -> Any:
    if value is None:
        return None
    rounded = round(value, digits)
    if value.__class__ is float and value and len(memo) < 65536:
        memo[value] = rounded
    return rounded


NoneType = type(None)


def _rows_by_row(form: Form, plan: _Plan, lines: list[list[Any]], header_row: int,
                 positions: Mapping[str, int], result: FormResult, found: _Findings) -> None:
    """What :func:`_rows_by_column` does, a row at a time: the reference it is tested against."""
    read = _row_reader(form, tuple(sorted(positions.items())))
    rows, problems = read(lines, header_row)
    for row in problems:
        _cell_problems(form, row, positions, found)
    result.table = Table.from_records(rows, [c.key for c in form.columns])
    if form.key_columns and all(k in positions for k in form.key_columns):
        _duplicates(form, [row["_row"] for row in rows], [[row[k] for row in rows] for k in form.key_columns],
                    positions, found)
    places = {key: (_letter(col), None) for key, col in positions.items()}
    for item in plan.rules:
        left_of, right_of, holds, tolerance = item.left, item.right, item.holds, item.rule.tolerance
        for row in rows:
            left = left_of(row)
            if left is not None:
                right = right_of(row)
                if right is not None and not holds(left, right, tolerance):
                    found.rule(item, left, right, row["_row"], places, row)
    result.computed = {key: [None if (value := evaluate(row)) is None else round(value, digits) for row in rows]
                       for key, evaluate, digits in plan.computed}


_TABLE_ROWS = _rows_by_column


def _indices(items: list, item: Any) -> list[int]:
    """Where ``item`` is in ``items`` (by identity or equality, as ``list.index``), found by
    C-level scans rather than a Python loop over every cell."""
    found = []
    at = -1
    index = items.index
    try:
        while True:
            at = index(item, at + 1)
            found.append(at)
    except ValueError:
        return found


def _finding_row(finding: Finding) -> int:
    return finding.row or 0


RowReader = Callable[[list[list[Any]], int], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


@_per_form
def _row_reader(form: Form, positions: tuple[tuple[str, int], ...]) -> RowReader:
    """The loop over a table's rows for one form and one arrangement of its columns.

    Generated as Python source, with one variable per column instead of loops over
    columns: it runs for every row of every school and is most of the time a sync
    spends parsing. ``read(lines, header_row)`` returns ``(rows, rows with a problem)``:
    each row is a dict of every column key (None for columns the sheet lacks) and
    ``_row``; a problem row still holds the :class:`Failure` or None of its bad cells.
    Rows whose cells are all empty are skipped, wherever they are.
    """
    where = dict(positions)
    present = [c for c in form.columns if c.key in where]
    parsers = _plan(form).parsers
    namespace: dict[str, Any] = {"__builtins__": {}, "len": len, "range": range, "Failure": Failure}
    for i, column in enumerate(present):
        namespace[f"parse{i}"] = parsers[column.key]
    widest = max((where[c.key] - 1 for c in present), default=-1)
    raw = [f"r{i}" for i in range(len(present))]
    lines = [
        "def read(lines, header_row):",
        "    rows = []",
        "    problems = []",
        "    keep = rows.append",
        "    flag = problems.append",
        "    for index in range(header_row, len(lines)):",
        "        line = lines[index]",
        f"        if len(line) > {widest}:",
        *(f"            r{i} = line[{where[c.key] - 1}]" for i, c in enumerate(present)),
        "        else:",
        "            size = len(line)",
        *(f"            r{i} = line[{where[c.key] - 1}] if size > {where[c.key] - 1} else None"
          for i, c in enumerate(present)),
        "        if " + " and ".join(f"({r} is None or {r} == '')" for r in raw or ["True"]) + ":",
        "            continue",
        *(f"        v{i} = parse{i}(r{i})" for i in range(len(present))),
        "        if " + " and ".join(f"v{i} is None" for i in range(len(present))) + ":",
        "            continue",
        "        row = {" + ", ".join(
            f"{c.key!r}: v{present.index(c)}" if c in present else f"{c.key!r}: None" for c in form.columns)
        + ", '_row': index + 1}",
        "        keep(row)",
    ]
    checks = [f"v{i}.__class__ is Failure" for i in range(len(present))]
    checks += [f"v{i} is None" for i, c in enumerate(present) if c.required]
    if checks:
        lines += ["        if " + " or ".join(checks) + ":", "            flag(row)"]
    lines.append("    return rows, problems")
    if not present:
        return lambda lines, header_row: ([], [])
    exec(compile("\n".join(lines), f"<rows of {form.key}>", "exec"), namespace)
    return namespace["read"]


def _cell_problems(form: Form, row: dict[str, Any], positions: Mapping[str, int], found: _Findings) -> None:
    """The findings of a row the reader flagged; its bad cells become None."""
    number = row["_row"]
    for col, column in sorted((positions[c.key], c) for c in form.columns if c.key in positions):  # left to right
        value = row[column.key]
        if value.__class__ is Failure:
            found.cell(value, number, column, col)
            row[column.key] = None
        elif value is None and column.required:
            found.cell(None, number, column, col)


@_per_form
def _text_keys(form: Form) -> tuple[int, ...]:
    """Which of the form's key columns are free text (compared without regard to case)."""
    return tuple(i for i, key in enumerate(form.key_columns) if form.column(key).type == "text")


def _duplicates(form: Form, numbers: Sequence[int], columns: list[Sequence[Any]], positions: Mapping[str, int],
                found: _Findings) -> None:
    """``duplicate-row`` for each row (``numbers``: their sheet rows) whose key columns
    (``columns``: the values of each, row by row) repeat an earlier row's."""
    key_columns = form.key_columns
    compared = columns
    folded = _text_keys(form)
    if folded:
        compared = list(columns)
        for i in folded:
            try:  # a column of texts only: casefolded by one C-level map
                compared[i] = list(map(str.casefold, columns[i]))
            except TypeError:
                compared[i] = [v.casefold() if v.__class__ is str else v for v in columns[i]]
    if len(set(zip(*compared))) == len(numbers):
        return
    seen: dict[tuple, int] = {}
    shown: dict[tuple, str] = {}
    first_key = key_columns[0]
    column, col = form.column(first_key), positions[first_key]
    for index, (key, number) in enumerate(zip(zip(*compared), numbers)):
        if None in key:
            continue  # an incomplete key is a required-cell problem, not a repeat
        first = seen.setdefault(key, number)
        if first != number:
            if key not in shown:
                shown[key] = ", ".join(f"{found.labels[k]}: {display(values[index])}"
                                       for k, values in zip(key_columns, columns))
            found.add("duplicate-row", row=number, column=column, col=col, first_row=first, keys=shown[key])


# --- records --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Fielded:
    """What a record form's layout of fields implies, built once per layout (schools' tabs
    share it), not per tab."""

    rows: tuple[int, ...]                # the sheet row of each present field, in the form's order
    columns: tuple[Column, ...]          # those fields
    parsers: tuple[Parser, ...]          # and their parsers
    missing: tuple[Column, ...]          # the required fields the tab lacks
    positions: dict[str, int]            # present field key -> the value column
    places: dict[str, tuple[str, int]]   # field key -> (value column letter, row), for rule findings


@_per_layout
def _fielded(form: Form, fields: Fields) -> _Fielded:
    """:class:`_Fielded` of ``fields``, remembered by that object."""
    parsers = _plan(form).parsers
    present = [c for c in form.columns if c.key in fields.rows]
    return _Fielded(
        rows=tuple(fields.rows[c.key] for c in present), columns=tuple(present),
        parsers=tuple(parsers[c.key] for c in present),
        missing=tuple(c for c in form.columns if c.required and c.key not in fields.rows),
        positions={c.key: RECORD_VALUE_COLUMN for c in present},
        places={key: (_letter(RECORD_VALUE_COLUMN), row) for key, row in fields.rows.items()})


def _read_record(form: Form, grid: Filled, plan: _Plan, result: FormResult, found: _Findings, fields: Fields) -> None:
    fielded = _fielded(form, fields)
    for column in fielded.missing:
        found.add("missing-field", column=column)
    for key, row in fields.duplicates:
        found.add("duplicate-field", row=row, column=form.column(key), col=1)
    result.positions.update(fielded.positions)

    cell = grid.cell
    values = [parse(cell(row, RECORD_VALUE_COLUMN)) for parse, row in zip(fielded.parsers, fielded.rows)]
    result.computed = dict.fromkeys([key for key, _, _ in plan.computed])
    if values.count(None) == len(values):
        return  # nothing typed yet: not started, nothing to ask for
    record = dict.fromkeys(plan.labels)  # every field of the form, in its order
    for value, column, row in zip(values, fielded.columns, fielded.rows):
        if value is None:
            if column.required:
                found.cell(None, row, column, RECORD_VALUE_COLUMN)
        elif value.__class__ is Failure:
            found.cell(value, row, column, RECORD_VALUE_COLUMN)
            value = None
        record[column.key] = value
    result.table = Table({key: [value] for key, value in record.items()}, [None])

    for item in plan.rules:
        left, right = item.left(record), item.right(record)
        if left is not None and right is not None and not item.holds(left, right, item.rule.tolerance):
            found.rule(item, left, right, 0, fielded.places, record)
    for key, evaluate, digits in plan.computed:
        value = evaluate(record)
        result.computed[key] = None if value is None else round(value, digits)


# --- «Готово» ------------------------------------------------------------------------------------

def _read_flags(plan: _Plan, result: FormResult, found: _Findings, cells: ReadyCells, *, expected: bool,
                data_read: bool = True) -> None:
    """The flag and its date; ``expected``: warn when there is none; ``data_read``: the rows
    could be read, so a ticked tab without any is empty."""
    ready, ready_date = cells.ready, cells.date
    if ready is None:
        if expected:
            found.add("ready-not-found")
    elif ready.value is not None:
        value = plan.ready(ready.value)
        if value.__class__ is bool:
            result.ready = value
        elif value is not None:
            expected_text, hint = EXPECTED["bool"]
            found.add("type", row=ready.row, col=ready.value_column, label=READY_LABEL, severity=WARNING,
                      value=display(ready.value), expected=expected_text,
                      expected_hint=hint + " (или поставьте галочку)")
    if ready_date is not None and ready_date.value is not None:
        value = plan.ready_date(ready_date.value)
        if isinstance(value, date):
            result.ready_date = value
        else:
            found.add("bad-ready-date", row=ready_date.row, col=ready_date.value_column, label=READY_DATE_LABEL,
                      value=display(ready_date.value))
    if result.ready and data_read and not result.has_data:
        found.add("empty-form", row=ready.row, col=ready.value_column, label=READY_LABEL)


# --- the entry points ------------------------------------------------------------------------------

def parse_form(form: Form, sheet: Sheet | None, *, tab: str, context: Mapping[str, Any] | None = None) -> FormResult:
    """Read, validate and compute one tab. ``sheet`` is None when the tab does not exist."""
    result = FormResult(form=form.key, sheet=tab)
    plan = _plan(form)
    found = _Findings(form, tab, result.findings, plan.labels)
    if sheet is None:
        result.present = False
        found.add("missing-tab")
        result.computed = {key: ([] if form.shape == "table" else None) for key, _, _ in plan.computed}
        return result
    grid = fill_merges(sheet)
    if form.shape == "record":
        fields, cells = _record_layout(form, grid, plan)
        _read_record(form, grid, plan, result, found, fields)
        _read_flags(plan, result, found, cells, expected=True)
    else:
        header, cells = _table_layout(form, grid, plan)
        _read_table(form, grid, plan, result, found, header)
        if header is None:
            _read_flags(plan, result, found, cells, expected=True, data_read=False)
        else:
            # The flag sits above the header; a tab whose header is its first row (the
            # head's «Школы», «План») has no flag by design.
            _read_flags(plan, result, found, cells, expected=header.row > 1)
    for check in form.checks:
        result.findings.extend(check(form, result, context or {}))
    return result


def cell_finding(form: Form, result: FormResult, code: str, *, row: int, column_key: str,
                 severity: str | None = None, **params) -> Finding:
    """A finding about one cell of a parsed tab, for named checks: the column's label and the
    A1 address where the column actually is in the sheet."""
    col = result.positions.get(column_key)
    return make_finding(code, form=form.key, sheet=result.sheet, row=row, column=form.column(column_key).label,
                        column_key=column_key, address=f"{_letter(col)}{row}" if col else None,
                        severity=severity, **params)


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def data_hash(result: FormResult) -> str:
    """A digest of what the tab says (its columns, without the sheet's row numbers, and the
    «Готово» flag): the sync makes a new snapshot version only when it changes. Migration
    0004 computes the same digest for the versions stored before it."""
    table = result.table
    payload = json.dumps({"ready": result.ready, "columns": table.columns if len(table) else {}}, sort_keys=True,
                         ensure_ascii=False, separators=(",", ":"), default=_json_value)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
