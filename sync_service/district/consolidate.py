"""The consolidated workbook: a tab per collection with every school's rows, district
totals, and «Статус сдачи». Pure: stored snapshots in, :class:`TabSpec` values out."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from itertools import repeat
from operator import add
from typing import Any, Mapping, Sequence

from sync_service.district.status import STATUS_LABELS, rates
from sync_service.forms.table import Table
from sync_service.model import Collection
from sync_service.stores.base import TabSpec

STATUS_TAB = "Статус сдачи"
TOTAL_LABEL = "Итого по району"


@dataclass(frozen=True)
class SchoolLine:
    code: str
    name: str
    sync_error: str | None = None
    data_as_of: datetime | None = None  # with sync_error: the last good read (None: never read)

    @property
    def read_error(self) -> str:
        """«Ошибка чтения» as «Статус сдачи» says it: the error and what the statuses rest on."""
        if not self.sync_error:
            return ""
        known = (f"статусы по данным на {self.data_as_of:%d.%m.%Y}" if self.data_as_of
                 else "книга ни разу не прочитана: нет данных")
        return f"{self.sync_error} ({known})"


@dataclass(frozen=True)
class Snapshot:
    """The latest stored version of one school's tab."""

    table: Table
    computed: Mapping[str, Any]


def _as_date(value: Any) -> Any:
    # Dates are stored as ISO text in JSON; give the sheet real dates back.
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


_NUMBERS = frozenset({int, float})  # what adds up (not bool, not text)


def collection_tab(collection: Collection, schools: Sequence[SchoolLine], snapshots: Mapping[str, Snapshot],
                   statuses: Mapping[str, str]) -> TabSpec:
    """One collection: school code and name first, then the form's columns and computed values.

    Built a column at a time: every school's columns are gathered into the tab's columns
    (school by school, row by row), which are then typed and totalled once and zipped
    into lines."""
    form = collection.form
    keys = [c.key for c in form.columns]
    computed = list(form.computed)
    header = ["Код школы", "Школа", "Статус", *(c.label for c in form.columns), *(c.label for c in computed)]
    record = form.shape == "record"
    codes: list[str] = []
    names: list[str] = []
    labels: list[str] = []
    columns: list[list[Any]] = [[] for _ in keys]
    extras: list[list[Any]] = [[] for _ in computed]
    for school in schools:
        snapshot = snapshots.get(school.code)
        if snapshot is None:
            continue
        table = snapshot.table
        count = len(table)
        if not count:
            continue
        codes += repeat(school.code, count)
        names += repeat(school.name, count)
        labels += repeat(STATUS_LABELS.get(statuses.get(school.code, ""), ""), count)
        for gathered, values in zip(columns, map(table.columns.get, keys)):
            # a snapshot stored before a column was added to the form has None there
            gathered += repeat(None, count) if values is None else values
        for gathered, c in zip(extras, computed):
            values = snapshot.computed.get(c.key)
            if record:
                gathered += repeat(values, count)
            else:  # one value per row; a stored list of another length is cut or padded with None
                values = values or ()
                gathered += values[:count]
                gathered += repeat(None, count - min(count, len(values)))
    totals: dict[str, float] = {key: 0 for key in form.numeric_keys}
    counted = False
    for i, column in enumerate(form.columns):
        values = columns[i]
        if column.type == "date" and str in set(map(type, values)):
            # Dates are stored as ISO text in JSON; give the sheet real dates back.
            columns[i] = list(map(_as_date, values))
        elif column.key in totals:
            if not _NUMBERS.issuperset(set(map(type, values))):
                values = [v for v in values if v.__class__ is int or v.__class__ is float]
            if values:
                totals[column.key] = reduce(add, values, 0)  # school by school, row by row
                counted = True
    rows: list[list[Any]] = [header]
    rows += map(list, zip(codes, names, labels, *columns, *extras))
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
                     school.read_error])
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
    per_school: dict[str, dict[str, Snapshot]] = defaultdict(dict)
    for (code, key), snapshot in snapshots.items():
        per_school[key][code] = snapshot
    per_status: dict[str, dict[str, str]] = defaultdict(dict)
    for (code, key), status in statuses.items():
        per_status[key][code] = status
    for collection in collections:
        tabs.append(collection_tab(collection, schools, per_school[collection.key], per_status[collection.key]))
    return tabs
