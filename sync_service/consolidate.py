"""The consolidated workbook: a tab per collection with every school's rows, district
totals, and «Статус сдачи». Pure: stored snapshots in, :class:`TabSpec` values out."""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from datetime import date
from typing import Any, Mapping, Sequence

from .model import Collection
from .status import STATUS_LABELS, rates
from .stores.base import TabSpec

STATUS_TAB = "Статус сдачи"
TOTAL_LABEL = "Итого по району"


@dataclass(frozen=True)
class SchoolLine:
    code: str
    name: str
    sync_error: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """The latest stored version of one school's tab."""

    rows: Sequence[Mapping[str, Any]]
    computed: Mapping[str, Any]


def _as_date(value: Any) -> Any:
    # Dates are stored as ISO text in JSON; give the sheet real dates back.
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def collection_tab(collection: Collection, schools: Sequence[SchoolLine], snapshots: Mapping[str, Snapshot],
                   statuses: Mapping[str, str]) -> TabSpec:
    """One collection: school code and name first, then the form's columns and computed values."""
    form = collection.form
    keys = [c.key for c in form.columns]
    computed = list(form.computed)
    header = ["Код школы", "Школа", "Статус", *(c.label for c in form.columns), *(c.label for c in computed)]
    rows: list[list[Any]] = [header]
    totals: dict[str, float] = {key: 0 for key in form.numeric_keys}
    getter = itemgetter(*keys)
    date_columns = [i for i, c in enumerate(form.columns) if c.type == "date"]
    numeric_columns = [(i, key) for i, key in enumerate(keys) if key in totals]
    counted = False
    for school in schools:
        snapshot = snapshots.get(school.code)
        if snapshot is None or not snapshot.rows:
            continue
        prefix = [school.code, school.name, STATUS_LABELS.get(statuses.get(school.code, ""), "")]
        if form.shape == "record":
            record_extra = [snapshot.computed.get(c.key) for c in computed]
        else:
            per_row = [snapshot.computed.get(c.key) or () for c in computed]
        for index, row in enumerate(snapshot.rows):
            try:
                values = list(getter(row)) if len(keys) > 1 else [row[keys[0]]]
            except KeyError:  # a snapshot stored before a column was added to the form
                values = [row.get(key) for key in keys]
            for i in date_columns:
                values[i] = _as_date(values[i])
            for i, key in numeric_columns:
                value = values[i]
                if value.__class__ is int or value.__class__ is float:
                    totals[key] += value
                    counted = True
            if form.shape == "record":
                extra = record_extra
            else:
                extra = [column[index] if index < len(column) else None for column in per_row]
            rows.append(prefix + values + extra)
    if counted:
        # District ratios come from district totals (Σloans ÷ Σreaders), never from averaging schools.
        total_row = [TOTAL_LABEL, "", ""] + [totals.get(key, "") if key in totals else "" for key in keys]
        total_row += [c.value(totals) for c in computed]
        rows.append(total_row)
    widths = {1: 10, 2: 36, 3: 18}
    widths.update({i + 4: max(12, min(40, len(c.label) + 2)) for i, c in enumerate(form.columns)})
    bold = (1, len(rows)) if counted else (1,)
    return TabSpec(title=collection.tab, rows=rows, frozen_rows=1, bold_rows=bold, widths=widths, protected=True)


def status_tab(collections: Sequence[Collection], schools: Sequence[SchoolLine],
               statuses: Mapping[tuple[str, str], str]) -> TabSpec:
    """Schools × collections with Russian status labels, then the rates of each collection."""
    header = ["Код школы", "Школа", *(c.tab for c in collections), "Ошибка чтения"]
    deadlines = ["", "Срок сдачи", *(c.deadline.strftime("%d.%m.%Y") if c.deadline else "без срока"
                                     for c in collections), ""]
    rows: list[list[Any]] = [header, deadlines]
    for school in schools:
        rows.append([school.code, school.name,
                     *(STATUS_LABELS.get(statuses.get((school.code, c.key), ""), "") for c in collections),
                     school.sync_error or ""])
    collection_rates = [rates(statuses.get((s.code, c.key), "") for s in schools) for c in collections]
    rows.append(["", "Сдали, %", *(r.reporting_rate for r in collection_rates), ""])
    rows.append(["", "Сдали вовремя, %", *(r.on_time_rate for r in collection_rates), ""])
    widths = {1: 10, 2: 36}
    widths.update({i + 3: 16 for i in range(len(collections))})
    return TabSpec(title=STATUS_TAB, rows=rows, frozen_rows=2, bold_rows=(1, len(rows) - 1, len(rows)),
                   widths=widths, protected=True)


def consolidated_tabs(collections: Sequence[Collection], schools: Sequence[SchoolLine],
                      snapshots: Mapping[tuple[str, str], Snapshot],
                      statuses: Mapping[tuple[str, str], str]) -> list[TabSpec]:
    """«Статус сдачи» first, then one tab per collection in calendar order."""
    tabs = [status_tab(collections, schools, statuses)]
    for collection in collections:
        per_school = {code: snap for (code, key), snap in snapshots.items() if key == collection.key}
        per_status = {code: status for (code, key), status in statuses.items() if key == collection.key}
        tabs.append(collection_tab(collection, schools, per_school, per_status))
    return tabs
