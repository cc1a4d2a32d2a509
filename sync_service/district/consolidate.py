"""The consolidated workbook: a tab per collection with every school's rows, district
totals, and «Статус сдачи». Pure: stored snapshots in, :class:`TabSpec` values out."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import compress, repeat
from typing import Any

from sync_service import ru
from sync_service.district.status import NOT_SUBMITTED, STATUS_COLOURS, STATUS_LABELS, rates
from sync_service.forms.aggregate import AGGREGATE_LABELS, aggregate
from sync_service.forms.schema import Form
from sync_service.forms.table import Table
from sync_service.model import Collection
from sync_service.stores.base import TabSpec, fitted_widths

STATUS_TAB = "Статус сдачи"
# A status cell as the status page colours it (text, fill): web/static/svod.css.
LABEL_COLOURS = {STATUS_LABELS[key]: colours for key, colours in STATUS_COLOURS.items()}


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
    counted: list[bool] = []   # per row: its school's data goes into the totals (submitted)
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
        counted += repeat(counts(statuses.get(school.code, "")), count)
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
    for i, column in enumerate(form.columns):
        values = columns[i]
        if column.type == "date" and str in set(map(type, values)):
            # Dates are stored as ISO text in JSON; give the sheet real dates back.
            columns[i] = list(map(_as_date, values))
    rows: list[list[Any]] = [header]
    rows += map(list, zip(codes, names, labels, *columns, *extras))
    data_end = len(rows)
    rows += totals_rows(form, keys, columns, counted, len({c for c, n in zip(codes, counted) if n}), len(schools))
    widths = fitted_widths(rows[:data_end])
    widths.update({1: max(10, widths.get(1, 10)), 2: min(40, max(widths.get(2, 20), 20)), 3: 18})
    return TabSpec(title=collection.tab, rows=rows, frozen_rows=1, bold_rows=(1, data_end + 1) if len(rows) > data_end
                   else (1,), widths=widths, protected=True, frozen_columns=2, autofilter=(1, data_end),
                   colours=LABEL_COLOURS, coloured_columns=(3,))


def counts(status: str) -> bool:
    """Whether a school's data of a collection goes into its totals: submitted (late or not),
    never a form that is being typed, returned or overdue."""
    return bool(status) and status not in NOT_SUBMITTED


def totals_rows(form: Form, keys: Sequence[str], columns: Sequence[Sequence[Any]], counted: Sequence[bool],
                schools: int, expected: int) -> list[list[Any]]:
    """The totals row (each column by its ``aggregate``, over the submitted schools' rows
    only, saying how many schools that is) and under it what each total is («сумма»,
    «среднее», …); no rows when no school has submitted or no column totals."""
    totalled = {c.key: c.aggregation for c in form.totalled}
    if not schools or not (totalled or form.computed):
        return []
    kept = {key: list(compress(values, counted)) for key, values in zip(keys, columns)}
    line: list[Any] = ["Итого", f"по {schools} {ru.plural(schools, 'сдавшей школе', 'сдавшим школам', 'сдавшим школам')}"
                       f" из {expected}", None]
    line += [aggregate(totalled[key], kept[key]) if key in totalled else None for key in keys]
    # District ratios come from district sums (Σloans ÷ Σreaders), never from averaging schools.
    sums = {key: aggregate("sum", kept[key]) for key in form.numeric_keys}
    sums = {key: value for key, value in sums.items() if value is not None}
    line += [c.value(sums) if all(name in sums for name in c.expr.names) else None for c in form.computed]
    how = ["Итог столбца:", None, None, *(AGGREGATE_LABELS[totalled[key]] if key in totalled else None for key in keys),
           *("по итогам района" for _ in form.computed)]
    return [line, how]


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
    widths = fitted_widths(rows, floor=10)
    widths.update({2: min(40, max(widths.get(2, 20), 20)), len(header): min(60, max(widths.get(len(header), 16), 16))})
    # the deadlines' row carries the filter's buttons: sorting moves the schools, not the rates below
    return TabSpec(title=STATUS_TAB, rows=rows, frozen_rows=2, bold_rows=(1, len(rows) - 1, len(rows)),
                   widths=widths, protected=True, frozen_columns=2, autofilter=(2, 2 + len(schools)),
                   colours=LABEL_COLOURS, coloured_columns=tuple(range(3, 3 + len(collections))))


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
