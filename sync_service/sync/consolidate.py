"""Step 5 of a run: the consolidated workbook rebuilt from the stored snapshots, written only
when its content changed; and each collection's rates kept for the charts."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.consolidate import STATUS_TAB, CollectionTab, SchoolLine, Snapshot, status_tab
from sync_service.district.status import REVIEW_ACCEPTED, REVIEW_CHANGED, rates
from sync_service.forms.layout import year_label
from sync_service.forms.table import Table
from sync_service.order.consolidate import derived_tabs
from sync_service.stores.base import StoreError, WorkbookInfo, WorkbookRefused, WorkbookUnavailable
from sync_service.stores.rows import SpooledRows
from sync_service.sync.checks import status
from sync_service.sync.plan import Plan
from sync_service.sync.records import RunContext, get_meta, set_meta

SCHOOLS, STATES, SUBMISSIONS = m.School.__table__, m.WorkbookState.__table__, m.Submission.__table__
VERSIONS = m.SubmissionVersion.__table__

log = logging.getLogger("svod.sync")


@dataclass(frozen=True)
class Consolidated:
    written: bool
    error: str | None = None  # why it could not be written (the run is partial)
    note: str | None = None   # what the head should know although it was written


def yearly_name(name: str, academic_year: str) -> str:
    """«Свод.xlsx» of 2026/2027 -> «Свод 2026-2027.xlsx»: each year has a consolidated workbook of its own."""
    stem, dot, suffix = name.rpartition(".") if name.lower().endswith((".xlsx", ".xlsm")) else (name, "", "")
    return f"{stem} {year_label(academic_year)}{dot}{suffix}"


def consolidated_place(session: Session, settings, academic_year: str) -> tuple[str, str]:
    """(the id of ``academic_year``'s consolidated workbook, "" when it is still to be
    created; its title). xlsx: SVOD_CONSOLIDATED_WORKBOOK with the year («Свод 2026-2027.xlsx»).
    Google: the one remembered for that year; the configured (or provisioned) one belongs to
    the first year Svod wrote it for, and every later year gets a new «Свод 2027-2028»."""
    if settings.backend != "google":
        name = yearly_name(settings.consolidated_workbook, academic_year)
        return name, Path(name).stem
    title = f"Свод {year_label(academic_year)}"
    remembered = get_meta(session, f"consolidated_id:{academic_year}")
    if remembered:
        return remembered, title
    if get_meta(session, "consolidated_year") in (None, academic_year):
        return settings.consolidated_spreadsheet_id or get_meta(session, "consolidated_id") or "", title
    return "", title


def consolidate(ctx: RunContext, plan: Plan, listing: Mapping[str, WorkbookInfo], settings) -> Consolidated:
    """Rebuild the consolidated workbook of the run's year (:func:`consolidated_place`;
    created and remembered when it is not there yet), when its content changed.

    Snapshots are read a batch of schools at a time (:func:`stored_snapshots`) and each
    school's rows go into its tab's :class:`SpooledRows` as they are made, the content's
    digest fed on the way: what is held is a batch and the statuses, not the tabs' rows;
    the store reads the rows back from the spools when (and only when) the content changed.
    Everything is read before anything is written, so a failure on the way (the database,
    a stored version that cannot be read) leaves the workbook as it was."""
    tabs: list = []
    try:
        with ctx.db.session() as session:
            ids, lines, statuses = school_statuses(ctx, session, plan)
            record_rates(ctx, session, plan, statuses)
            content = consolidated_content(ctx, session, plan, settings, ids, lines, statuses, tabs)
            del statuses
            if get_meta(session, f"consolidated_hash:{ctx.year}") == content and not ctx.force:
                return Consolidated(False)
            target, title = consolidated_place(session, settings, ctx.year)
        return write_consolidated(ctx, listing, target, title, tabs, content)
    finally:
        for tab in tabs:
            if isinstance(tab.rows, SpooledRows):
                tab.rows.close()


def school_statuses(ctx: RunContext, session: Session, plan: Plan) -> tuple[dict[str, int], list[SchoolLine],
                                                                            dict[tuple[str, str], str]]:
    """(school code -> id, a line per school of the plan, (code, collection) -> status)."""
    ids = dict(session.execute(select(SCHOOLS.c.code, SCHOOLS.c.id)).all())
    # a workbook that cannot be read: its statuses are its last good read's (of when), or unknown
    errors = {r.school_id: r for r in session.execute(select(STATES.c.school_id, STATES.c.error, STATES.c.last_ok_at)
                                                      .where(STATES.c.error.is_not(None)))}
    facts = {(r.school_id, r.collection_id): r for r in session.execute(
        select(SUBMISSIONS.c.school_id, SUBMISSIONS.c.collection_id, SUBMISSIONS.c.ready, SUBMISSIONS.c.errors,
               SUBMISSIONS.c.has_data, SUBMISSIONS.c.first_submitted_at, SUBMISSIONS.c.review))}
    broken = {e.code: errors.get(ids[e.code]) for e in plan.entries}
    lines = [SchoolLine(e.code, e.name, broken[e.code].error if broken[e.code] else None,
                        broken[e.code].last_ok_at if broken[e.code] else None) for e in plan.entries]
    statuses = {(e.code, c.key): status(facts.get((ids[e.code], plan.collection_ids[c.key])), c, ctx,
                                        unreadable=broken[e.code] is not None)
                for e in plan.entries for c in plan.collections}
    return ids, lines, statuses


def consolidated_content(ctx: RunContext, session: Session, plan: Plan, settings, ids: Mapping[str, int],
                         lines: list[SchoolLine], statuses: Mapping[tuple[str, str], str], tabs: list) -> str:
    """Make the consolidated workbook's tabs into ``tabs`` (the status tab's and the
    collections' rows spooled) and return the digest of their content, as
    :func:`tabs_digest` of them would say it."""
    digest = hashlib.sha256()
    digest.update(repr(STATUS_TAB).encode())
    tabs.append(status_tab(plan.collections, lines, statuses, rows=SpooledRows(digest=digest)))
    # SVOD_TOTALS_ACCEPTED_ONLY: what the head accepted (its version, changed since or not), nothing else
    accepted_only = settings.totals_accepted_only
    for collection in plan.collections:
        digest.update(repr(collection.tab).encode())
        tab = CollectionTab(collection, len(lines), SpooledRows(digest=digest))
        tabs.append(tab)   # (closed with the others, should a read fail)
        for school, snapshot in stored_snapshots(session, plan, collection, lines, ids, accepted_only):
            tab.add(school, snapshot, statuses[(school.code, collection.key)])
        tabs[-1] = tab.finish()
    derived = derived_tabs(session, academic_year=ctx.year, statuses=statuses, collections=plan.collections,
                           now=ctx.now, customer=settings.customer)
    feed_digest(digest, derived)
    tabs += derived
    return digest.hexdigest()


def write_consolidated(ctx: RunContext, listing: Mapping[str, WorkbookInfo], target: str, title: str, tabs: list,
                       content: str) -> Consolidated:
    """Write (or create) the consolidated workbook and remember its content's digest."""
    note = None
    try:
        if target and target in listing:
            target, note = write_owned(ctx, target, title, tabs)
        else:
            # A new year's (or Google without SVOD_CONSOLIDATED_SPREADSHEET_ID): create it and remember it.
            target = ctx.store.create_workbook(title, tabs)
            log.info("created the consolidated workbook %s", target)
    except StoreError as exc:  # everything is stored: only the workbook waits for the next sync
        log.warning("could not write the consolidated workbook %s: %s", target, exc)
        reason = exc.reason if isinstance(exc, WorkbookUnavailable) else str(exc)
        return Consolidated(False, f"Сводная книга не записана («{target or title}»): {reason}. Данные школ "
                                   "сохранены, следующая синхронизация запишет её снова.")
    with ctx.db.session() as session:
        set_meta(session, f"consolidated_hash:{ctx.year}", content)
        set_meta(session, f"consolidated_id:{ctx.year}", target)
        if get_meta(session, "consolidated_year") in (None, ctx.year):
            set_meta(session, "consolidated_year", ctx.year)
            set_meta(session, "consolidated_id", target)   # the first year's, as provision knows it
    return Consolidated(True, note=note)


def write_owned(ctx: RunContext, target: str, title: str, tabs: list) -> tuple[str, str | None]:
    """Write the consolidated workbook, which Svod owns whole. One it can no longer write
    into (made by an older Svod with two tabs of one name, or re-saved by a program into
    something the writer refuses) is kept beside under another name and made anew, so the
    head is not left with a stale «Свод»; what she may have added to the old file stays in
    that copy."""
    try:
        ctx.store.write_tabs(target, tabs)
        return target, None
    except WorkbookRefused as exc:
        try:
            kept = ctx.store.set_aside(target, f"старая копия {ctx.now:%d.%m.%Y}")
        except NotImplementedError:
            raise exc from None
        log.warning("the consolidated workbook %s was refused (%s): kept as %s, made anew", target, exc.reason, kept)
        created = ctx.store.create_workbook(title, tabs)
        return created, (f"Сводную книгу «{target}» нельзя было дописать ({exc.reason}); прежняя сохранена как "
                         f"«{kept}», а «{created}» создана заново.")


def tabs_digest(tabs: list) -> str:
    """A digest of what the tabs say, row by row (``repr`` of plain values is stable, and
    hashing as it goes holds no serialised copy of the workbook). :func:`consolidate` takes
    the same digest while it makes the rows (a :class:`SpooledRows` is fed each row)."""
    digest = hashlib.sha256()
    feed_digest(digest, tabs)
    return digest.hexdigest()


def feed_digest(digest, tabs: list) -> None:
    for tab in tabs:
        digest.update(repr(tab.title).encode())
        for row in tab.rows:
            digest.update(repr(row).encode("utf-8", "surrogatepass"))


SNAPSHOT_BATCH = 200   # schools whose stored snapshots are read in one query


def stored_snapshots(session: Session, plan: Plan, collection, lines: list[SchoolLine], ids: Mapping[str, int],
                     accepted_only: bool) -> Iterator[tuple[SchoolLine, Snapshot | None]]:
    """Each school of ``lines`` (in their order) with the stored snapshot of ``collection``
    the consolidated tab shows (None when none): read :data:`SNAPSHOT_BATCH` schools at a
    time, so that what is held is a batch, never every school's snapshot."""
    shown_version = SUBMISSIONS.c.review_version if accepted_only else SUBMISSIONS.c.version
    query = (select(SUBMISSIONS.c.school_id, VERSIONS.c.rows, VERSIONS.c.computed)
             .join(VERSIONS, (VERSIONS.c.submission_id == SUBMISSIONS.c.id) & (VERSIONS.c.version == shown_version))
             .where(SUBMISSIONS.c.collection_id == plan.collection_ids[collection.key]))
    if accepted_only:
        query = query.where(SUBMISSIONS.c.review.in_((REVIEW_ACCEPTED, REVIEW_CHANGED)))
    for first in range(0, len(lines), SNAPSHOT_BATCH):
        batch = lines[first:first + SNAPSHOT_BATCH]
        wanted = [ids[school.code] for school in batch]
        found = {school_id: Snapshot(Table.from_json(rows), computed or {}) for school_id, rows, computed
                 in session.execute(query.where(SUBMISSIONS.c.school_id.in_(wanted)))}
        for school in batch:
            yield school, found.get(ids[school.code])


def record_rates(ctx: RunContext, session: Session, plan: Plan, statuses: Mapping[tuple[str, str], str]) -> None:
    """Keep the history of each collection's rates (a row when they change)."""
    codes = [e.code for e in plan.entries]
    for collection in plan.collections:
        cid = plan.collection_ids[collection.key]
        current = rates(statuses[(code, collection.key)] for code in codes)
        last = session.scalar(select(m.RateSnapshot).where(m.RateSnapshot.collection_id == cid)
                              .order_by(m.RateSnapshot.id.desc()).limit(1))
        if last is None or (last.expected, last.reporting_rate, last.on_time_rate) != (
                current.expected, current.reporting_rate, current.on_time_rate):
            session.add(m.RateSnapshot(run_id=ctx.run_id, collection_id=cid, at=ctx.now, expected=current.expected,
                                       reporting_rate=current.reporting_rate, on_time_rate=current.on_time_rate))
