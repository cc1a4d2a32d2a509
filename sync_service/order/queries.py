"""What the order pages, commands and consolidated tabs read from the database.

The latest stored version of each school's textbook_order / textbook_exchange /
textbook_provision tab, without the rows that have a blocking finding
(``submissions.blocked_rows``: every one of them, also those the stored findings sum up
past the first ones), fed to the pure modules of this package.

Which schools count:
- the order takes the rows of schools that ticked «Готово» (status submitted, submitted
  late, or returned — a returned order's valid rows still count); every school whose
  order is not submitted or submitted late is listed as «не сдали заказ»;
- provision and exchange take the valid rows of every school that typed anything (the
  exchange has no deadline and is rarely ticked).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.report import active_schools
from sync_service.district.status import REPORTED, RETURNED, SENT_BACK, STATUS_LABELS, facts_of, status_of
from sync_service.forms.table import Table
from sync_service.order.common import MissingSchool, SchoolRows, table_tab
from sync_service.order.consolidate import ORDER_TAB, MunicipalOrder, build_order, order_tabs
from sync_service.order.exchange import ExchangePlan, exchange_items, exchange_tab, propose, shortage_needs
from sync_service.order.fpu import FpuIndex
from sync_service.order.models import current_fpu, current_prices
from sync_service.order.provision import ProvisionLine, provision_lines, provision_tab, shortages
from sync_service.stores.base import TabSpec

ORDER_FORM, EXCHANGE_FORM, PROVISION_FORM = "textbook_order", "textbook_exchange", "textbook_provision"
DONE = REPORTED
TICKED = (*REPORTED, RETURNED, SENT_BACK)


@dataclass
class FormRows:
    """One school's latest snapshot of one form."""

    school: m.School
    submission: m.Submission | None
    rows: SchoolRows            # without the rows that have a blocking finding
    status: str = ""


def _collection(session: Session, academic_year: str, form: str) -> m.Collection | None:
    return session.scalar(select(m.Collection).where(m.Collection.academic_year == academic_year,
                                                     m.Collection.form == form)
                          .order_by(m.Collection.in_plan.desc(), m.Collection.id).limit(1))


def form_rows(session: Session, academic_year: str, form: str, *, statuses: Mapping[str, str] | None = None,
              now: datetime | None = None) -> list[FormRows] | None:
    """Every active school's latest rows of ``form`` (None when the form is not collected
    this year). ``statuses`` (school code -> status) are the sync's; without them they are
    computed for ``now``."""
    found = each_form_rows(session, academic_year, form, statuses=statuses, now=now)
    return None if found is None else list(found)


VERSION_BATCH = 200   # schools whose stored versions are read in one query


def each_form_rows(session: Session, academic_year: str, form: str, *, statuses: Mapping[str, str] | None = None,
                   now: datetime | None = None) -> Iterator[FormRows] | None:
    """:func:`form_rows` one school at a time, the stored versions read
    :data:`VERSION_BATCH` schools at a time: a caller that folds the rows as they come
    (the provision's lines) never holds every school's rows."""
    collection = _collection(session, academic_year, form)
    if collection is None:
        return None
    return _each_form_rows(session, collection, statuses, (now or datetime.now()).date())


def _each_form_rows(session: Session, collection: m.Collection, statuses: Mapping[str, str] | None,
                    today) -> Iterator[FormRows]:
    schools = active_schools(session)
    submissions = {s.school_id: s for s in session.scalars(
        select(m.Submission).where(m.Submission.collection_id == collection.id))}
    blocked: dict[int, set[int]] = {}
    if any(s.blocked_rows is None for s in submissions.values()):  # stored before revision 0009
        for school_id, row in session.execute(
                select(m.FindingRecord.school_id, m.FindingRecord.row)
                .where(m.FindingRecord.collection_id == collection.id, m.FindingRecord.severity == "error",
                       m.FindingRecord.row.is_not(None))):
            blocked.setdefault(school_id, set()).add(row)
    unreadable = set(session.scalars(select(m.WorkbookState.school_id).where(m.WorkbookState.error.is_not(None))))
    versions = m.SubmissionVersion.__table__
    for first in range(0, len(schools), VERSION_BATCH):
        batch = schools[first:first + VERSION_BATCH]
        wanted = {s.id: s.version for s in map(submissions.get, (school.id for school in batch)) if s is not None}
        stored = {submission_id: rows for submission_id, version, rows in session.execute(
            select(versions.c.submission_id, versions.c.version, versions.c.rows)
            .where(versions.c.submission_id.in_(list(wanted)))) if wanted.get(submission_id) == version}
        for school in batch:
            submission = submissions.get(school.id)
            data = stored.get(submission.id) if submission else None
            kept = submission.blocked() if submission else None  # None: stored before 0009
            bad = kept if kept is not None else blocked.get(school.id, set())
            rows = [r for r in (Table.from_json(data).records() if data else ()) if r.get("_row") not in bad]
            status = (statuses or {}).get(school.code) or status_of(
                facts_of(submission, unreadable=school.id in unreadable), collection.deadline, today)
            yield FormRows(school, submission, SchoolRows(school.code, school.name, rows), status)


def missing_schools(snapshots: Sequence[FormRows]) -> list[MissingSchool]:
    return [MissingSchool(s.school.code, s.school.name, STATUS_LABELS.get(s.status, s.status))
            for s in snapshots if s.status not in DONE]


def load_order(session: Session, academic_year: str, *, statuses: Mapping[str, str] | None = None,
               now: datetime | None = None, fpu: FpuIndex | None = None,
               prices: Mapping[str, Decimal] | None = None, customer: str = "") -> MunicipalOrder | None:
    """The municipal order from the database; None when the list or the collection is missing.
    Its documents are dated ``now`` (today by default) and name ``customer``. The schools'
    rows are read as :func:`build_order` takes them (a school at a time, merged into its
    lines), so they are never all held."""
    fpu = fpu or current_fpu(session)
    snapshots = each_form_rows(session, academic_year, ORDER_FORM, statuses=statuses, now=now)
    if fpu is None or snapshots is None:
        return None
    missing: list[MissingSchool] = []

    def orders() -> Iterator[SchoolRows]:
        for school in snapshots:
            missing.extend(missing_schools([school]))
            if school.status in TICKED:
                yield school.rows

    # build_order reads every school's rows before it takes ``missing`` (into the order's tabs)
    return build_order(orders(), fpu, academic_year=academic_year,
                       prices=prices if prices is not None else current_prices(session),
                       missing=missing, made=(now or datetime.now()).date(), customer=customer)


def load_provision(session: Session, academic_year: str) -> list[ProvisionLine]:
    """The provision's lines, a school's rows folded into its lines as they are read (the
    rows of 3 000 schools are never held together)."""
    lines: list[ProvisionLine] = []
    for school in each_form_rows(session, academic_year, PROVISION_FORM) or ():
        lines += provision_lines([school.rows])
    return lines


def load_exchange(session: Session, academic_year: str, fpu: FpuIndex | None = None,
                  provision: Sequence[ProvisionLine] | None = None) -> ExchangePlan:
    """Proposed transfers: the schools' offers and needs, then the provision shortages."""
    fpu = fpu or current_fpu(session)
    items = []
    for school in each_form_rows(session, academic_year, EXCHANGE_FORM) or ():   # a school's rows at a time
        items += exchange_items([school.rows])
    if provision is None:
        provision = load_provision(session, academic_year)
    return propose(items, shortages=shortage_needs(shortages(provision)), fpu=fpu)


def order_statuses(session: Session, academic_year: str, now: datetime) -> list[FormRows]:
    """Each school's order snapshot and status today (for the page)."""
    return form_rows(session, academic_year, ORDER_FORM, now=now) or []


# --- the consolidated workbook ----------------------------------------------------------------

def consolidated_tabs(session: Session, *, academic_year: str, statuses: Mapping[tuple[str, str], str],
                      collections: Sequence[Any], now: datetime | None = None, customer: str = "") -> list[TabSpec]:
    """«Заказ», «Заказ по школам», the specifications and distribution lists,
    «Обеспеченность — итоги», «Обмен» — for the forms that are collected this year."""
    forms = {c.form.key: c.key for c in collections}
    tabs: list[TabSpec] = []
    fpu = current_fpu(session)
    if ORDER_FORM in forms:
        key = forms[ORDER_FORM]
        by_school = {code: status for (code, collection), status in statuses.items() if collection == key}
        order = load_order(session, academic_year, statuses=by_school, fpu=fpu, now=now,
                           customer=customer) if fpu is not None else None
        if order is not None:
            tabs += order_tabs(order)
        else:
            tabs.append(table_tab(ORDER_TAB, [["⚠ Федеральный перечень учебников не загружен: заказ не сформирован. "
                                               "Загрузите его командой «svod fpu import <файл>»."]], [], []))
    lines = load_provision(session, academic_year) if PROVISION_FORM in forms else []
    if PROVISION_FORM in forms:
        tabs.append(provision_tab(lines, academic_year=academic_year))
    if EXCHANGE_FORM in forms:
        tabs.append(exchange_tab(load_exchange(session, academic_year, fpu, lines)))
    return tabs
