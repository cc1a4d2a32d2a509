"""What parsing a form needs, prepared once per form, and where things are in a tab.

``parse_form`` runs for every tab of every school; what depends only on the form (the
cell parsers, the rules with their Russian wording) is built once here (:func:`plan`),
and where the header, the fields and the «Готово» flags of a tab are is found once per
distinct top of a tab (:func:`table_layout`, :func:`record_layout`): every school's tab
made by Svod shares it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sync_service.forms.cells import ColumnParser, Parser, parser_for, parsers_for
from sync_service.forms.expressions import BROKEN, COMPARISONS
from sync_service.forms.layout import READY_DATE_LABEL, READY_LABEL
from sync_service.forms.reading import (
    READY_ROWS,
    Fields,
    Filled,
    Header,
    ReadyCells,
    find_fields,
    find_header,
    find_ready,
    label_index,
)
from sync_service.forms.schema import Column, Form, Rule
from sync_service.ru import plain_number

LAYOUTS = 512  # distinct tops (and layouts derived from them) remembered per form


def per_form(build):
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


def per_layout(build):
    """Cache ``build(form, layout)`` by the identity of ``layout`` (a header's positions, a
    record's fields): :func:`table_layout` and :func:`record_layout` hand the same object
    to every tab with the same top, and hashing its contents per tab would cost more than
    the lookup saves. An entry holds its layout, which keeps the id unique."""
    cache: dict[int, tuple[Form, Any, Any]] = {}

    def cached(form: Form, layout):
        hit = cache.get(id(layout))
        if hit is not None and hit[0] is form and hit[1] is layout:
            return hit[2]
        if len(cache) >= LAYOUTS:
            cache.clear()
        built = build(form, layout)
        cache[id(layout)] = (form, layout, built)
        return built
    return cached


@dataclass(frozen=True)
class RuleCheck:
    """A form's rule with what its finding says: ``holds(left, right, tolerance)``."""

    rule: Rule
    holds: Callable[[float, float, float], bool]
    names: tuple[str, ...]        # the columns of both sides, the left's first
    code: str                     # rule or rule-warning
    op_text: str                  # the comparison that is true instead («>» for «<=»)
    tolerance_text: str


def _rule_check(rule: Rule) -> RuleCheck:
    tolerance = f" (допустимое расхождение {plain_number(rule.tolerance)})" if rule.op == "~=" else ""
    return RuleCheck(rule, COMPARISONS[rule.op], tuple(dict.fromkeys((*rule.left.names, *rule.right.names))),
                     "rule" if rule.severity == "error" else "rule-warning", BROKEN[rule.op], tolerance)


@dataclass(frozen=True)
class Plan:
    """What parsing a form needs, built once per form."""

    parsers: dict[str, Parser]
    column_parsers: dict[str, ColumnParser]
    rules: tuple[RuleCheck, ...]
    labels: dict[str, str]
    label_index: dict[str, str]
    ready: Parser
    ready_date: Parser
    layouts: dict[tuple, tuple]   # top of a tab -> where things are (see table_layout)


@per_form
def plan(form: Form) -> Plan:
    both = {c.key: parsers_for(c) for c in form.columns}
    return Plan(
        parsers={key: pair[0] for key, pair in both.items()},
        column_parsers={key: pair[1] for key, pair in both.items()},
        rules=tuple(_rule_check(r) for r in form.rules),
        labels={c.key: c.label for c in form.columns},
        label_index=label_index(form),
        ready=parser_for(Column(key="ready", label=READY_LABEL, type="bool")),
        ready_date=parser_for(Column(key="ready_date", label=READY_DATE_LABEL, type="date")),
        layouts={},
    )


# --- where things are in a tab ---------------------------------------------------------------------

# Where the header, the fields and the flags of a tab are depends only on its top rows (and,
# for a record form, on the labels in column A), which every school's tab shares: found once
# per distinct top, remembered in the form's plan. The key holds the cells and their classes
# (1 == 1.0 == True); tabs with merged cells are not remembered.
_TABLE_TOP = 4    # rows 1-4: the flags (row 2) and the header (row 4) of the tabs Svod creates
_RECORD_TOP = 2   # rows 1-2: the flags


def _top_key(grid: Filled, rows: int, *, labels: bool = False) -> tuple | None:
    if grid.copies:
        return None
    top = grid.rows[:rows]
    key = [*map(tuple, top)]
    if labels:
        key.append(tuple(line[0] if line else None for line in grid.rows[rows:]))
    return (*key, *map(type, chain.from_iterable(key)))


def _remember(known: Plan, key: tuple, layout: tuple) -> tuple:
    if len(known.layouts) >= LAYOUTS:
        known.layouts.clear()
    known.layouts[key] = layout
    return layout


def table_layout(form: Form, grid: Filled, known: Plan) -> tuple[Header | None, ReadyCells]:
    """The header of a table tab and its flags (above the header)."""
    key = _top_key(grid, _TABLE_TOP)
    if key is not None and (found := known.layouts.get(key)) is not None:
        return found
    header = find_header(grid, form, index=known.label_index)
    cells = find_ready(grid, rows=READY_ROWS if header is None else min(READY_ROWS, header.row - 1))
    # a complete header within the top ends the search there: nothing below it counts
    if key is not None and header is not None and header.row <= _TABLE_TOP and len(header.positions) == len(
            form.columns):
        return _remember(known, key, (header, cells))
    return header, cells


def record_layout(form: Form, grid: Filled, known: Plan) -> tuple[Fields, ReadyCells]:
    """The fields of a record tab (labels in column A) and its flags."""
    key = _top_key(grid, _RECORD_TOP, labels=True)
    if key is not None and (found := known.layouts.get(key)) is not None:
        return found
    fields = find_fields(grid, form, index=known.label_index)
    cells = find_ready(grid, rows=READY_ROWS)
    # with both flags found within the top, the search for them ended there
    if key is not None and cells.ready is not None and cells.date is not None and max(
            cells.ready.row, cells.date.row) <= _RECORD_TOP:
        return _remember(known, key, (fields, cells))
    return fields, cells
