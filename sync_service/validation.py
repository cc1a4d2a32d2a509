"""``parse_form``: one tab of a school's workbook -> a :class:`FormResult`.

Every finding of the tab comes at once (the librarian fixes everything in one go) and
nothing a person typed makes it raise. In order:

1. the tab itself: missing (``missing-tab``), no header row (``header-not-found``), a
   required column or field gone (``missing-column``, ``missing-field``), a column twice
   (``duplicate-column``, ``duplicate-field``);
2. every cell: ``required``, ``type``, ``formula-error``, ``range``, ``choice``, ``pattern``;
3. every row: ``duplicate-row`` (same ``key_columns`` as an earlier row), the form's
   rules (``rule``/``rule-warning``, skipped when a side is missing), computed values;
4. the «Готово» flag: ``ready-not-found``, ``bad-ready-date``, ``empty-form``;
5. the form's named ``checks`` (:mod:`sync_service.checks`) with ``context``.

Cell findings carry the form, the tab, the sheet row, the column's Russian label and
key, and the A1 address of the cell where the column actually is in that sheet.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Callable, Mapping

from .cells import EXPECTED, Failure, Parser, display, format_number, parser_for
from .checks import CHECKS
from .findings import WARNING, Finding, a1, make_finding
from .layout import READY_DATE_LABEL, READY_LABEL
from .model import FormResult
from .reading import (RECORD_VALUE_COLUMN, READY_ROWS, Filled, fill_merges, find_fields, find_header,
                      find_ready, data_rows)
from .schema import Column, Form, Rule
from .stores.base import Sheet

__all__ = ["parse_form", "data_hash", "cell_finding"]

# What the librarian sees when a rule does not hold: the comparison that is true instead.
_BROKEN = {"<=": ">", "<": "≥", ">=": "<", ">": "≤", "==": "≠", "!=": "=", "~=": "≠"}
_HOLDS: dict[str, Callable[[float, float, float], bool]] = {
    "<=": lambda a, b, t: a <= b, "<": lambda a, b, t: a < b, ">=": lambda a, b, t: a >= b,
    ">": lambda a, b, t: a > b, "==": lambda a, b, t: a == b, "!=": lambda a, b, t: a != b,
    "~=": lambda a, b, t: abs(a - b) <= t,
}


@dataclass(frozen=True)
class _Plan:
    """What parsing a form needs, built once per form: a parser per column and so on."""

    parsers: dict[str, Parser]
    rules: tuple[tuple[Rule, Callable[[float, float, float], bool]], ...]
    ready: Parser
    ready_date: Parser


_READY_COLUMN = Column(key="ready", label=READY_LABEL, type="bool")
_READY_DATE_COLUMN = Column(key="ready_date", label=READY_DATE_LABEL, type="date")


@lru_cache(maxsize=128)
def _plan(form: Form) -> _Plan:
    return _Plan(
        parsers={c.key: parser_for(c) for c in form.columns},
        rules=tuple((rule, _HOLDS[rule.op]) for rule in form.rules),
        ready=parser_for(_READY_COLUMN),
        ready_date=parser_for(_READY_DATE_COLUMN),
    )


class _Findings:
    """Builds the findings of one tab, knowing the form and the sheet."""

    def __init__(self, form: Form, tab: str, out: list[Finding]):
        self.form, self.tab, self.out = form, tab, out

    def add(self, code: str, *, row: int | None = None, column: Column | None = None, col: int | None = None,
            label: str | None = None, **params) -> Finding:
        finding = make_finding(
            code, form=self.form.key, sheet=self.tab, row=row,
            column=column.label if column else label, column_key=column.key if column else None,
            address=a1(row, col) if row and col else None, **params)
        self.out.append(finding)
        return finding

    def cell(self, failure: Failure | None, row: int, column: Column, col: int) -> None:
        """A cell's failure, or ``required`` when ``failure`` is None."""
        if failure is None:
            self.add("required", row=row, column=column, col=col)
        else:
            self.add(failure.code, row=row, column=column, col=col, **failure.params)

    def rule(self, rule: Rule, left: float, right: float, row: int, where: Callable[[str], tuple[int, int] | None],
             values: Mapping[str, Any]) -> None:
        names = list(dict.fromkeys((*rule.left.names, *rule.right.names)))
        operands = []
        for name in names:
            place = where(name)
            shown = format_number(values[name])
            operands.append(f"«{self.form.column(name).label}» ({a1(*place)}) = {shown}" if place
                            else f"«{self.form.column(name).label}» = {shown}")
        right_text = _number(right)
        if rule.op == "~=":
            right_text += f" (допустимое расхождение {format_number(rule.tolerance)})"
        first = rule.left.names[0] if rule.left.names else names[0]
        place = where(first) or (row, None)
        self.add("rule" if rule.severity == "error" else "rule-warning", row=place[0],
                 column=self.form.column(first), col=place[1], severity=rule.severity,
                 rule=rule.key, rule_message=rule.message, left_text=_number(left), op_text=_BROKEN[rule.op],
                 right_text=right_text, columns=", ".join(operands))


def _number(value: float) -> str:
    return format_number(round(value, 2) if isinstance(value, float) else value)


# --- tables ---------------------------------------------------------------------------------------

def _read_table(form: Form, grid: Filled, plan: _Plan, result: FormResult, found: _Findings) -> int | None:
    """Rows of a table form into ``result``; returns the header's row (None if not found)."""
    header = find_header(grid, form)
    if header is None:
        found.add("header-not-found", labels=", ".join(f"«{c.label}»" for c in form.columns))
        return None
    positions = header.positions
    result.positions = dict(positions)
    for column in form.columns:
        if column.required and column.key not in positions:
            found.add("missing-column", row=header.row, column=column)
    for key, col in header.duplicates:
        found.add("duplicate-column", row=header.row, column=form.column(key), col=col)

    specs = [(c.key, plan.parsers[c.key], c.required, c, positions[c.key])
             for c in form.columns if c.key in positions]
    blank = dict.fromkeys(c.key for c in form.columns)
    computed = form.computed
    per_row: dict[str, list] = {c.key: [] for c in computed}
    key_columns = form.key_columns if all(k in positions for k in form.key_columns) else ()
    seen: dict[tuple, int] = {}
    rows = result.rows
    rules = plan.rules

    def where(key: str) -> tuple[int, int] | None:
        col = positions.get(key)
        return (row_number, col) if col else None

    for row_number, values in data_rows(grid, header, [spec[4] for spec in specs]):
        row = blank.copy()
        problems: list[tuple[Failure | None, Column, int]] = []
        typed = False
        for (key, parse, required, column, col), raw in zip(specs, values):
            value = parse(raw)
            if value is None:
                if required:
                    problems.append((None, column, col))
            elif value.__class__ is Failure:
                problems.append((value, column, col))
                typed = True
            else:
                row[key] = value
                typed = True
        if not typed:
            continue  # only dashes and the like: a blank row
        for failure, column, col in problems:
            found.cell(failure, row_number, column, col)
        row["_row"] = row_number
        rows.append(row)
        if key_columns:
            _check_duplicate(form, row, row_number, key_columns, seen, positions, found)
        for rule, holds in rules:
            left, right = rule.left(row), rule.right(row)
            if left is not None and right is not None and not holds(left, right, rule.tolerance):
                found.rule(rule, left, right, row_number, where, row)
        for item in computed:
            per_row[item.key].append(item.value(row))
    result.computed = per_row
    return header.row


def _check_duplicate(form: Form, row: dict, row_number: int, key_columns: tuple[str, ...], seen: dict[tuple, int],
                     positions: Mapping[str, int], found: _Findings) -> None:
    key = tuple(v.casefold() if v.__class__ is str else v for v in (row[k] for k in key_columns))
    if None in key:
        return  # an incomplete key is a required-cell problem, not a repeat
    first = seen.setdefault(key, row_number)
    if first != row_number:
        shown = ", ".join(f"{form.column(k).label}: {display(row[k])}" for k in key_columns)
        found.add("duplicate-row", row=row_number, column=form.column(key_columns[0]),
                  col=positions[key_columns[0]], first_row=first, keys=shown)


# --- records --------------------------------------------------------------------------------------

def _read_record(form: Form, grid: Filled, plan: _Plan, result: FormResult, found: _Findings) -> None:
    fields = find_fields(grid, form)
    for column in form.columns:
        if column.required and column.key not in fields.rows:
            found.add("missing-field", column=column)
    for key, row in fields.duplicates:
        found.add("duplicate-field", row=row, column=form.column(key), col=1)

    record: dict[str, Any] = {}
    problems: list[tuple[Failure | None, Column, int]] = []
    typed = False
    for column in form.columns:
        row = fields.rows.get(column.key)
        record[column.key] = None
        if row is None:
            continue
        result.positions[column.key] = RECORD_VALUE_COLUMN
        value = plan.parsers[column.key](grid.cell(row, RECORD_VALUE_COLUMN))
        if value is None:
            if column.required:
                problems.append((None, column, row))
        else:
            typed = True
            if value.__class__ is Failure:
                problems.append((value, column, row))
            else:
                record[column.key] = value
    result.computed = {c.key: None for c in form.computed}
    if not typed:
        return  # nothing typed yet: not started, nothing to ask for
    for failure, column, row in problems:
        found.cell(failure, row, column, RECORD_VALUE_COLUMN)
    result.rows.append(record)

    def where(key: str) -> tuple[int, int] | None:
        row = fields.rows.get(key)
        return (row, RECORD_VALUE_COLUMN) if row else None

    for rule, holds in plan.rules:
        left, right = rule.left(record), rule.right(record)
        if left is not None and right is not None and not holds(left, right, rule.tolerance):
            found.rule(rule, left, right, None, where, record)
    result.computed = {c.key: c.value(record) for c in form.computed}


# --- «Готово» ------------------------------------------------------------------------------------

def _read_flags(grid: Filled, plan: _Plan, result: FormResult, found: _Findings, *, rows: int,
                expected: bool, data_read: bool = True) -> None:
    """The flag and its date; ``expected``: warn when there is none; ``data_read``: the rows
    could be read, so a ticked tab without any is empty."""
    cells = find_ready(grid, rows=rows)
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
    if result.ready and data_read and not result.rows:
        found.add("empty-form", row=ready.row, col=ready.value_column, label=READY_LABEL)


# --- the entry point -------------------------------------------------------------------------------

def parse_form(form: Form, sheet: Sheet | None, *, tab: str, context: Mapping[str, Any] | None = None) -> FormResult:
    """Read, validate and compute one tab. ``sheet`` is None when the tab does not exist."""
    result = FormResult(form=form.key, sheet=tab)
    found = _Findings(form, tab, result.findings)
    if sheet is None:
        result.present = False
        found.add("missing-tab")
        result.computed = {c.key: ([] if form.shape == "table" else None) for c in form.computed}
        return result
    plan = _plan(form)
    grid = fill_merges(sheet)
    if form.shape == "record":
        _read_record(form, grid, plan, result, found)
        _read_flags(grid, plan, result, found, rows=READY_ROWS, expected=True)
    else:
        header_row = _read_table(form, grid, plan, result, found)
        if header_row is None:
            _read_flags(grid, plan, result, found, rows=READY_ROWS, expected=True, data_read=False)
        else:
            # The flag sits above the header; a tab whose header is its first row (the
            # head's «Школы», «План») has no flag by design.
            _read_flags(grid, plan, result, found, rows=min(READY_ROWS, header_row - 1), expected=header_row > 1)
    for name in form.checks:
        check = CHECKS.get(name)
        if check is not None:
            result.findings.extend(check(form, result, context or {}))
    return result


def cell_finding(form: Form, result: FormResult, code: str, *, row: int, column_key: str,
                 severity: str | None = None, **params) -> Finding:
    """A finding about one cell of a parsed tab (for named checks): the column's label and the
    A1 address where the column actually is in the sheet."""
    column = form.column(column_key)
    col = result.positions.get(column_key)
    return make_finding(code, form=form.key, sheet=result.sheet, row=row, column=column.label,
                        column_key=column_key, address=a1(row, col) if col else None, severity=severity,
                        **params)


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def data_hash(result: FormResult) -> str:
    """A digest of what the tab says (its rows without ``_row``, and the «Готово» flag): the
    sync makes a new snapshot version only when it changes."""
    rows = [{k: v for k, v in row.items() if k != "_row"} for row in result.rows]
    payload = json.dumps({"ready": result.ready, "rows": rows}, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=_json_value)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
