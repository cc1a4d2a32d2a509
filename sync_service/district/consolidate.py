"""The consolidated workbook: a tab per collection with every school's rows, district
totals, and «Статус сдачи». Pure: stored snapshots in, :class:`TabSpec` values out — their
rows in a list, or handed a school at a time to a :class:`SpooledRows` (the sync's, so that
a tab of 3 000 schools is never whole in memory)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain, repeat
from typing import Any

from sync_service import ru
from sync_service.district.status import NOT_SUBMITTED, STATUS_COLOURS, STATUS_LABELS, rates
from sync_service.forms.aggregate import AGGREGATE_LABELS, Total
from sync_service.forms.schema import Form
from sync_service.forms.table import Table
from sync_service.model import Collection
from sync_service.stores.base import TabSpec, WidthFitter
from sync_service.stores.rows import SpooledRows

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


Rows = list | SpooledRows   # where a tab's rows go: a list, or a spool for a tab too large to hold


class CollectionTab:
    """One collection's tab built a school at a time: school code and name first, then the
    form's columns and computed values, then the totals.

    Each school's rows are zipped from its snapshot's columns and handed to ``rows`` (a
    list, or a :class:`SpooledRows` that keeps them on disk) as it comes; the widths and
    totals are gathered on the way, so nothing else holds the rows."""

    def __init__(self, collection: Collection, expected: int, rows: Rows | None = None):
        form = self.form = collection.form
        self.collection, self.expected = collection, expected
        self.keys = [c.key for c in form.columns]
        self.computed = list(form.computed)
        self.dates = [i for i, c in enumerate(form.columns) if c.type == "date"]
        self.record = form.shape == "record"
        self.rows: Rows = [] if rows is None else rows
        self.fitter = WidthFitter()
        self.totals = ColumnTotals(form)
        self._add([["Код школы", "Школа", "Статус", *(c.label for c in form.columns),
                    *(c.label for c in self.computed)]])

    def _add(self, rows: Iterable[list[Any]]) -> None:
        add, fit = self.rows.append, self.fitter.add
        for row in rows:
            fit(row)
            add(row)

    def add(self, school: SchoolLine, snapshot: Snapshot | None, status: str) -> None:
        """The rows of ``school`` (none without a snapshot or with an empty one)."""
        if snapshot is None:
            return
        table = snapshot.table
        count = len(table)
        if not count:
            return
        # a snapshot stored before a column was added to the form has None there
        columns = [list(repeat(None, count)) if values is None else values
                   for values in map(table.columns.get, self.keys)]
        for i in self.dates:
            if str in set(map(type, columns[i])):   # dates are stored as ISO text in JSON: real dates back
                columns[i] = list(map(_as_date, columns[i]))
        extras = []
        for c in self.computed:
            values = snapshot.computed.get(c.key)
            if self.record:
                extras.append(repeat(values, count))
            else:  # one value per row; a stored list of another length is cut or padded with None
                values = list(values or ())[:count]
                extras.append(values + [None] * (count - len(values)))
        if counts(status):
            self.totals.add(school.code, columns)
        label = STATUS_LABELS.get(status, "")
        self._add(map(list, zip(repeat(school.code, count), repeat(school.name, count), repeat(label, count),
                                *columns, *extras)))

    def finish(self) -> TabSpec:
        data_end = len(self.rows)
        widths = self.fitter.widths()   # of the header and the schools' rows, not the totals
        self.rows.extend(self.totals.rows(self.expected))
        widths.update({1: max(10, widths.get(1, 10)), 2: min(40, max(widths.get(2, 20), 20)), 3: 18})
        return TabSpec(title=self.collection.tab, rows=self.rows, frozen_rows=1,
                       bold_rows=(1, data_end + 1) if len(self.rows) > data_end else (1,), widths=widths,
                       protected=True, frozen_columns=2, autofilter=(1, data_end), colours=LABEL_COLOURS,
                       coloured_columns=(3,))


def collection_tab(collection: Collection, schools: Sequence[SchoolLine], snapshots: Mapping[str, Snapshot],
                   statuses: Mapping[str, str], *, rows: Rows | None = None) -> TabSpec:
    """One collection's tab (:class:`CollectionTab`) of ``schools`` in their order."""
    tab = CollectionTab(collection, len(schools), rows)
    for school in schools:
        tab.add(school, snapshots.get(school.code), statuses.get(school.code, ""))
    return tab.finish()


def counts(status: str) -> bool:
    """Whether a school's data of a collection goes into its totals: submitted (late or not),
    never a form that is being typed, returned or overdue."""
    return bool(status) and status not in NOT_SUBMITTED


class ColumnTotals:
    """The totals of a collection's tab, fed the submitted schools' columns as they come."""

    def __init__(self, form: Form):
        self.form = form
        self.keys = [c.key for c in form.columns]
        totalled = {c.key: c.aggregation for c in form.totalled}
        self.totalled = [(i, totalled[key], Total(totalled[key])) for i, key in enumerate(self.keys)
                         if key in totalled]
        numeric = set(form.numeric_keys)
        self.sums = {key: Total("sum") for key in form.numeric_keys}
        self.summed = [(i, self.sums[key]) for i, key in enumerate(self.keys) if key in numeric]
        self.schools: set[str] = set()

    def add(self, code: str, columns: Sequence[Sequence[Any]]) -> None:
        """A submitted school's columns (in the form's order) go into the totals."""
        self.schools.add(code)
        for i, _how, total in self.totalled:
            total.add(columns[i])
        for i, total in self.summed:
            total.add(columns[i])

    def rows(self, expected: int) -> list[list[Any]]:
        """The totals row (each column by its ``aggregate``, over the submitted schools' rows
        only, saying how many schools that is) and under it what each total is («сумма»,
        «среднее», …); no rows when no school has submitted or no column totals."""
        form, schools = self.form, len(self.schools)
        if not schools or not (self.totalled or form.computed):
            return []
        totals = {i: total.result() for i, _how, total in self.totalled}
        hows = {i: how for i, how, _total in self.totalled}
        line: list[Any] = ["Итого", f"по {schools} {ru.plural(schools, 'сдавшей школе', 'сдавшим школам', 'сдавшим школам')}"
                           f" из {expected}", None]
        line += [totals.get(i) for i in range(len(self.keys))]
        # District ratios come from district sums (Σloans ÷ Σreaders), never from averaging schools.
        sums = {key: total.result() for key, total in self.sums.items()}
        sums = {key: value for key, value in sums.items() if value is not None}
        line += [c.value(sums) if all(name in sums for name in c.expr.names) else None for c in form.computed]
        how = ["Итог столбца:", None, None, *(AGGREGATE_LABELS[hows[i]] if i in hows else None
                                              for i in range(len(self.keys))),
               *("по итогам района" for _ in form.computed)]
        return [line, how]


def status_tab(collections: Sequence[Collection], schools: Sequence[SchoolLine],
               statuses: Mapping[tuple[str, str], str], *, rows: Rows | None = None) -> TabSpec:
    """Schools × collections with Russian status labels, then the rates of each collection;
    its rows go to ``rows`` (a list by default) as they are made."""
    header = ["Код школы", "Школа", *(c.tab for c in collections), "Ошибка чтения"]
    deadlines = ["", "Срок сдачи", *(c.deadline.strftime("%d.%m.%Y") if c.deadline else "без срока"
                                     for c in collections), ""]
    collection_rates = [rates(statuses.get((s.code, c.key), "") for s in schools) for c in collections]
    lines = chain([header, deadlines],
                  ([school.code, school.name,
                    *(STATUS_LABELS.get(statuses.get((school.code, c.key), ""), "") for c in collections),
                    school.read_error] for school in schools),
                  [["", "Сдали, %", *(r.reporting_rate for r in collection_rates), ""],
                   ["", "Сдали вовремя, %", *(r.on_time_rate for r in collection_rates), ""]])
    rows = [] if rows is None else rows
    fitter = WidthFitter(floor=10)
    for line in lines:
        fitter.add(line)
        rows.append(line)
    widths = fitter.widths()
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
