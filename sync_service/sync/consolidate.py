"""Step 5 of a run: the consolidated workbook rebuilt from the stored snapshots, written only
when its content changed; and each collection's rates kept for the charts."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.consolidate import SchoolLine, Snapshot, collection_tab, status_tab
from sync_service.district.status import REVIEW_ACCEPTED, REVIEW_CHANGED, rates
from sync_service.forms.layout import year_label
from sync_service.forms.table import Table
from sync_service.order.consolidate import derived_tabs
from sync_service.stores.base import StoreError, WorkbookInfo, WorkbookRefused, WorkbookUnavailable
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
    created and remembered when it is not there yet).

    Snapshots are loaded one collection at a time (Core rows, each tab's columns zipped as
    it is built), so what is held is the workbook being written, not every school's stored
    versions besides it."""
    with ctx.db.session() as session:
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
        del facts
        record_rates(ctx, session, plan, statuses)
        tabs = [status_tab(plan.collections, lines, statuses)]
        # SVOD_TOTALS_ACCEPTED_ONLY: what the head accepted (its version, changed since or not), nothing else
        accepted_only = settings.totals_accepted_only
        shown_version = SUBMISSIONS.c.review_version if accepted_only else SUBMISSIONS.c.version
        for collection in plan.collections:
            query = (select(SCHOOLS.c.code, VERSIONS.c.rows, VERSIONS.c.computed)
                     .join(SUBMISSIONS, SUBMISSIONS.c.school_id == SCHOOLS.c.id)
                     .join(VERSIONS, (VERSIONS.c.submission_id == SUBMISSIONS.c.id) & (VERSIONS.c.version == shown_version))
                     .where(SUBMISSIONS.c.collection_id == plan.collection_ids[collection.key]))
            if accepted_only:
                query = query.where(SUBMISSIONS.c.review.in_((REVIEW_ACCEPTED, REVIEW_CHANGED)))
            snapshots = {code: Snapshot(Table.from_json(rows), computed or {})
                         for code, rows, computed in session.execute(query)}
            tabs.append(collection_tab(collection, lines, snapshots,
                                       {e.code: statuses[(e.code, collection.key)] for e in plan.entries}))
            del snapshots
        tabs += derived_tabs(session, academic_year=ctx.year, statuses=statuses, collections=plan.collections,
                             now=ctx.now, customer=settings.customer)
        content = tabs_digest(tabs)
        if get_meta(session, f"consolidated_hash:{ctx.year}") == content and not ctx.force:
            return Consolidated(False)
        target, title = consolidated_place(session, settings, ctx.year)
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
    hashing as it goes holds no serialised copy of the workbook)."""
    digest = hashlib.sha256()
    for tab in tabs:
        digest.update(repr(tab.title).encode())
        for row in tab.rows:
            digest.update(repr(row).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


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
