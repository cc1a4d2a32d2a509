"""The data rows of a table tab, read a column at a time: values in, rows and findings out.

Each column is cut out of the sheet's lines once and parsed by its column parser, which
settles the common cells (a typed value in range, a clean text, a choice as spelled, a
text seen before) without a call per cell; cell problems, repeats (``key_columns``),
rules and computed values are found over whole columns too. Nothing here builds a dict
per row. ``tests/unit/test_columnar.py`` holds the result equal to a plain row-by-row
reading written in the test.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sync_service.forms.cells import ColumnParser, Failure, display
from sync_service.forms.expressions import Expression
from sync_service.forms.found import Found, letter
from sync_service.forms.plan import Plan, per_form, per_layout, plan
from sync_service.forms.schema import Column, Form
from sync_service.forms.table import Table
from sync_service.model import FormResult

NoneType = type(None)
_NUMBERS = frozenset({int, float})
_FLOATS = frozenset({float, NoneType})


@dataclass(frozen=True)
class Arrangement:
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


@per_layout
def arranged(form: Form, positions: Mapping[str, int]) -> Arrangement:
    """The :class:`Arrangement` of a header's ``positions``, remembered by that object."""
    return _arrangement(form, tuple(positions.items()))


@per_form
def _arrangement(form: Form, positions: tuple[tuple[str, int], ...]) -> Arrangement:
    where = dict(positions)
    present = sorted((where[c.key] - 1, c) for c in form.columns if c.key in where)  # left to right
    keys = tuple(c.key for _, c in present)
    parsers = plan(form).column_parsers
    return Arrangement(
        ats=tuple(at for at, _ in present), columns=tuple(c for _, c in present), keys=keys,
        parsers=tuple(parsers[key] for key in keys), widest=present[-1][0] if present else -1,
        key_columns=tuple(keys.index(k) for k in form.key_columns) if form.key_columns and all(
            k in keys for k in form.key_columns) else None,
        places={key: (letter(col), None) for key, col in positions},
        missing=tuple(c for c in form.columns if c.required and c.key not in where),
        required=tuple(i for i, (_, c) in enumerate(present) if c.required))


def read_rows(form: Form, known: Plan, lines: list[list[Any]], header_row: int, positions: Mapping[str, int],
              result: FormResult, found: Found) -> None:
    """The data rows below ``header_row`` into ``result`` (table, computed) and ``found``
    (cell, repeat and rule findings). Rows whose cells are all empty are skipped."""
    arrangement = arranged(form, positions)
    lines = lines[header_row:]
    if not arrangement.columns or not lines:
        result.computed = {c.key: [] for c in form.computed}
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

    _cell_findings(arrangement, parsed, kinds, numbers, found)
    by_key = dict(zip(arrangement.keys, parsed))
    result.table = Table({c.key: by_key[c.key] if c.key in by_key else [None] * count for c in form.columns},
                         numbers)
    numbers = result.table.numbers
    if arrangement.key_columns is not None:
        duplicates(form, numbers, [parsed[i] for i in arrangement.key_columns], positions, found)
    if not (known.rules or form.computed):
        result.computed = {}
        return
    numbers_only = {key for key, kind in zip(arrangement.keys, kinds) if _NUMBERS.issuperset(kind)}
    values_of = _evaluator(by_key, numbers_only, count)
    places = arrangement.places
    for item in known.rules:
        holds, tolerance = item.holds, item.rule.tolerance
        lefts = values_of(item.rule.left)
        if lefts.count(None) == count:
            continue
        for i, left, right in zip(range(count), lefts, values_of(item.rule.right)):
            if left is not None and right is not None and not holds(left, right, tolerance):
                found.rule(item, left, right, numbers[i], places, {name: by_key[name][i] for name in item.names})
    result.computed = {c.key: rounded(values_of(c.expr), c.digits) for c in form.computed}


def _cell_findings(arrangement: Arrangement, parsed: list[list], kinds: list[set], numbers: Sequence[int],
                   found: Found) -> None:
    """Cell findings, row by row and left to right; bad cells become None in ``parsed``."""
    every_kind = set().union(*kinds)
    if not (Failure in every_kind or NoneType in every_kind and any(NoneType in kinds[i]
                                                                    for i in arrangement.required)):
        return  # no failure, no empty required cell: nothing to look at cell by cell
    problems: list[tuple[int, int, Column, Failure | None]] = []
    for at, column, values, kind in zip(arrangement.ats, arrangement.columns, parsed, kinds):
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
    problems.sort(key=itemgetter(0, 1))
    cell = found.cell
    for i, at, column, failure in problems:
        cell(failure, numbers[i], column, at + 1)


def _evaluator(by_key: Mapping[str, list], numbers_only: set[str], count: int):
    """``values_of(expr)``: an expression over the tab's columns, evaluated once per source
    (rules and computed values share sides)."""
    evaluated: dict[str, list] = {}

    def values_of(expr: Expression) -> list:
        values = evaluated.get(expr.source)
        if values is None:
            columns = [by_key.get(name) for name in expr.names]
            if None in columns:  # a column the sheet lacks makes every row's value None
                values = [None] * count
            elif numbers_only.issuperset(expr.names):
                values = expr.over_numbers(count, *columns)
            else:
                values = expr.over(count, *columns)
            evaluated[expr.source] = values
        return values
    return values_of


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


@per_form
def _text_keys(form: Form) -> tuple[int, ...]:
    """Which of the form's key columns are free text (compared without regard to case)."""
    return tuple(i for i, key in enumerate(form.key_columns) if form.column(key).type == "text")


def duplicates(form: Form, numbers: Sequence[int], columns: list[Sequence[Any]], positions: Mapping[str, int],
               found: Found) -> None:
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


_ROUNDED: dict[int, dict[float, float]] = {}


def rounded(values: list, digits: int) -> list:
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
    result = round(value, digits)
    if value.__class__ is float and value and len(memo) < 65536:
        memo[value] = result
    return result
