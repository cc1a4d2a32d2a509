"""``parse_form``: one tab of a school's workbook -> a :class:`FormResult`. Values in,
findings out: a :class:`~sync_service.stores.base.Sheet` (lists of cell values) goes in,
the tab's rows, computed values and every finding come out; nothing is read or written.

Every finding of the tab comes at once (the librarian fixes everything in one go) and
nothing a person typed makes it raise. In order:

1. the tab itself: missing (``missing-tab``), no header row (``header-not-found``), a
   required column or field gone (``missing-column``, ``missing-field``), a column or
   field twice (``duplicate-column``, ``duplicate-field``);
2. every cell: ``required``, ``type``, ``formula-error``, ``range``, ``choice``, ``pattern``;
3. every row: ``duplicate-row`` (same ``key_columns`` as an earlier row), the form's
   rules (``rule``/``rule-warning``, skipped when a side is missing), computed values;
4. the «Готово» flag: ``ready-not-found``, ``bad-ready-date``, ``empty-form``;
5. the form's named ``checks`` (bound at load, :mod:`sync_service.forms.checks`) with ``context``;
6. bounded: past the first :data:`~sync_service.forms.found.SHOWN_PER_COLUMN` findings of
   one kind in one column, one ``more-findings`` says how many more and where
   (:func:`~sync_service.forms.found.summarise`); ``errors``/``warnings`` still count them
   all, and ``blocked_rows`` keeps every row with a blocking finding.

Cell findings carry the form, the tab, the sheet row, the column's Russian label and
key, and the A1 address of the cell where the column actually is in that sheet.

Where the parts are: what is prepared once per form and where things are in a tab,
:mod:`~sync_service.forms.plan`; a table's rows, read a column at a time,
:mod:`~sync_service.forms.rows`; the expressions of rules and computed values,
:mod:`~sync_service.forms.expressions`; building the findings, :mod:`~sync_service.forms.found`.
A record form (one value per labelled field) and the flags are read here.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sync_service.findings import WARNING, Finding, make_finding
from sync_service.forms.cells import EXPECTED, Failure, Parser, display
from sync_service.forms.found import Found, letter, summarise
from sync_service.forms.layout import READY_DATE_LABEL, READY_LABEL
from sync_service.forms.plan import Plan, per_layout, plan, record_layout, table_layout
from sync_service.forms.reading import (
    RECORD_VALUE_COLUMN,
    Fields,
    Filled,
    Header,
    ReadyCells,
    fill_merges,
    near_misses,
)
from sync_service.forms.rows import arranged, read_rows
from sync_service.forms.schema import Column, Form
from sync_service.forms.table import Table
from sync_service.forms.year_over_year import compare_years
from sync_service.model import FormResult
from sync_service.stores.base import Sheet

__all__ = ["parse_form", "data_hash", "cell_finding"]


def parse_form(form: Form, sheet: Sheet | None, *, tab: str, context: Mapping[str, Any] | None = None) -> FormResult:
    """Read, validate and compute one tab. ``sheet`` is None when the tab does not exist."""
    result = FormResult(form=form.key, sheet=tab)
    known = plan(form)
    found = Found(form, tab, result.findings, known.labels)
    if sheet is None:
        result.present = False
        found.add("missing-tab")
        result.computed = {c.key: ([] if form.shape == "table" else None) for c in form.computed}
        return result
    grid = fill_merges(sheet)
    if form.shape == "record":
        fields, cells = record_layout(form, grid, known)
        _read_record(form, grid, known, result, found, fields)
        _read_flags(known, result, found, cells, expected=True)
    else:
        header, cells = table_layout(form, grid, known)
        _read_table(form, grid, known, result, found, header)
        if header is None:
            _read_flags(known, result, found, cells, expected=True, data_read=False)
        else:
            # The flag sits above the header; a tab whose header is its first row (the
            # head's «Школы», «План») has no flag by design.
            _read_flags(known, result, found, cells, expected=header.row > 1)
    for check in form.checks:
        result.findings.extend(check(form, result, context or {}))
    last_year = (context or {}).get("last_year")
    if form.year_over_year is not None and last_year is not None:
        result.findings.extend(compare_years(form, result, last_year))
    result.blocked_rows = frozenset(f.row for f in result.findings if f.row and f.blocking)
    result.findings, result.folded = summarise(result.findings)
    return result


# --- tables ---------------------------------------------------------------------------------------

def _finding_row(finding: Finding) -> int:
    return finding.row or 0


def _read_table(form: Form, grid: Filled, known: Plan, result: FormResult, found: Found,
                header: Header | None) -> None:
    """The header's findings, then the rows of a table form (:func:`~sync_service.forms.rows.read_rows`)."""
    if header is None:
        found.add("header-not-found", labels=", ".join(f"«{c.label}»" for c in form.columns))
        result.computed = {c.key: [] for c in form.computed}
        return
    positions = header.positions
    result.positions = dict(positions)
    missing = arranged(form, positions).missing
    absent = [c for c in form.columns if c.key not in positions] if len(positions) < len(form.columns) else []
    misspelt = _misspelt(absent, grid.rows[header.row - 1] if header.row - 1 < len(grid.rows) else [],
                         taken=set(positions.values()) | {c for _, c in header.duplicates}) if absent else {}
    for column in absent:
        if column.key in misspelt:  # an optional column misspelt is not read either: a warning
            col, typed = misspelt[column.key]
            found.add("misspelt-column", row=header.row, column=column, col=col, typed=display(typed),
                      severity=None if column.required else WARNING)
        elif column in missing:
            found.add("missing-column", row=header.row, column=column)
    for key, col in header.duplicates:
        found.add("duplicate-column", row=header.row, column=form.column(key), col=col)

    first_finding = len(found.out)
    read_rows(form, known, grid.rows, header.row, positions, result, found)
    if len(found.out) > first_finding + 1:
        # row by row; within a row: its cells left to right, a repeat, the rules in order
        found.out[first_finding:] = sorted(found.out[first_finding:], key=_finding_row)


def _misspelt(missing, cells: list, *, taken: set[int]) -> dict[str, tuple[int, Any]]:
    """Column key -> (position, text) of the cells among ``cells`` (a header row, or column A
    of a record tab; positions 1-based) that are a misspelling of a ``missing`` column's label
    (:func:`~sync_service.forms.reading.near_misses`); ``taken``: positions of recognised labels."""
    unexpected = [(i, value) for i, value in enumerate(cells, start=1)
                  if i not in taken and value.__class__ is str and value.strip()]
    return near_misses({c.key: c.labels for c in missing}, unexpected)


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


@per_layout
def _fielded(form: Form, fields: Fields) -> _Fielded:
    """:class:`_Fielded` of ``fields``, remembered by that object."""
    parsers = plan(form).parsers
    present = [c for c in form.columns if c.key in fields.rows]
    return _Fielded(
        rows=tuple(fields.rows[c.key] for c in present), columns=tuple(present),
        parsers=tuple(parsers[c.key] for c in present),
        missing=tuple(c for c in form.columns if c.required and c.key not in fields.rows),
        positions={c.key: RECORD_VALUE_COLUMN for c in present},
        places={key: (letter(RECORD_VALUE_COLUMN), row) for key, row in fields.rows.items()})


def _read_record(form: Form, grid: Filled, known: Plan, result: FormResult, found: Found, fields: Fields) -> None:
    fielded = _fielded(form, fields)
    absent = [c for c in form.columns if c.key not in fields.rows] if len(fields.rows) < len(form.columns) else []
    taken = set(fields.rows.values()) | {r for _, r in fields.duplicates}
    misspelt = _misspelt(absent, [line[0] if line else None for line in grid.rows], taken=taken) if absent else {}
    for column in absent:
        if column.key in misspelt:
            row, typed = misspelt[column.key]
            found.add("misspelt-field", row=row, column=column, col=1, typed=display(typed),
                      severity=None if column.required else WARNING)
        elif column in fielded.missing:
            found.add("missing-field", column=column)
    for key, row in fields.duplicates:
        found.add("duplicate-field", row=row, column=form.column(key), col=1)
    result.positions.update(fielded.positions)
    result.places = {key: f"{column}{row}" for key, (column, row) in fielded.places.items()}

    cell = grid.cell
    values = [parse(cell(row, RECORD_VALUE_COLUMN)) for parse, row in zip(fielded.parsers, fielded.rows)]
    result.computed = dict.fromkeys([c.key for c in form.computed])
    if values.count(None) == len(values):
        return  # nothing typed yet: not started, nothing to ask for
    record = dict.fromkeys(known.labels)  # every field of the form, in its order
    for value, column, row in zip(values, fielded.columns, fielded.rows):
        if value is None:
            if column.required:
                found.cell(None, row, column, RECORD_VALUE_COLUMN)
        elif value.__class__ is Failure:
            found.cell(value, row, column, RECORD_VALUE_COLUMN)
            value = None
        record[column.key] = value
    result.table = Table({key: [value] for key, value in record.items()}, [None])

    for item in known.rules:
        left, right = item.rule.left(record), item.rule.right(record)
        if left is not None and right is not None and not item.holds(left, right, item.rule.tolerance):
            found.rule(item, left, right, 0, fielded.places, record)
    for computed in form.computed:
        result.computed[computed.key] = computed.value(record)


# --- «Готово» ------------------------------------------------------------------------------------

def _read_flags(known: Plan, result: FormResult, found: Found, cells: ReadyCells, *, expected: bool,
                data_read: bool = True) -> None:
    """The flag and its date; ``expected``: warn when there is none; ``data_read``: the rows
    could be read, so a ticked tab without any is empty."""
    ready, ready_date = cells.ready, cells.date
    if ready is None:
        if expected:
            found.add("ready-not-found")
    elif ready.value is not None:
        value = known.ready(ready.value)
        if value.__class__ is bool:
            result.ready = value
        elif value is not None:
            expected_text, hint = EXPECTED["bool"]
            found.add("type", row=ready.row, col=ready.value_column, label=READY_LABEL, severity=WARNING,
                      value=display(ready.value), expected=expected_text,
                      expected_hint=hint + " (или поставьте галочку)")
    if ready_date is not None and ready_date.value is not None:
        value = known.ready_date(ready_date.value)
        if isinstance(value, date):
            result.ready_date = value
        else:
            found.add("bad-ready-date", row=ready_date.row, col=ready_date.value_column, label=READY_DATE_LABEL,
                      value=display(ready_date.value))
    if result.ready and data_read and not result.has_data:
        found.add("empty-form", row=ready.row, col=ready.value_column, label=READY_LABEL)


# --- for named checks and the sync -------------------------------------------------------------

def cell_finding(form: Form, result: FormResult, code: str, *, row: int, column_key: str,
                 severity: str | None = None, **params) -> Finding:
    """A finding about one cell of a parsed tab, for named checks: the column's label and the
    A1 address where the column actually is in the sheet."""
    col = result.positions.get(column_key)
    return make_finding(code, form=form.key, sheet=result.sheet, row=row, column=form.column(column_key).label,
                        column_key=column_key, address=f"{letter(col)}{row}" if col else None,
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
