"""Step 5 of a run: the consolidated workbook rebuilt from the stored snapshots, written only
when its content changed; and each collection's rates kept for the charts."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.consolidate import SchoolLine, Snapshot, consolidated_tabs
from sync_service.district.status import rates
from sync_service.order.consolidate import derived_tabs
from sync_service.stores.base import StoreError, WorkbookInfo, WorkbookUnavailable
from sync_service.sync.checks import status
from sync_service.sync.plan import Plan
from sync_service.sync.records import RunContext, digest, get_meta, latest_versions, set_meta, submissions_by_pair

log = logging.getLogger("svod.sync")


@dataclass(frozen=True)
class Consolidated:
    written: bool
    error: str | None = None  # why it could not be written (the run is partial)


def consolidate(ctx: RunContext, plan: Plan, listing: Mapping[str, WorkbookInfo], target: str) -> Consolidated:
    """Rebuild the consolidated workbook; ``target`` is its configured id ("" on Google before
    one was created: it is created and remembered)."""
    with ctx.db.session() as session:
        schools = {s.code: s for s in session.scalars(select(m.School))}
        states = {s.school_id: s for s in session.scalars(select(m.WorkbookState))}
        submissions = submissions_by_pair(session)
        versions = latest_versions(session)
        lines, statuses, snapshots = [], {}, {}
        for entry in plan.entries:
            school = schools[entry.code]
            state = states.get(school.id)
            lines.append(SchoolLine(entry.code, entry.name, state.error if state else None))
            for collection in plan.collections:
                cid = plan.collection_ids[collection.key]
                statuses[(entry.code, collection.key)] = status(submissions.get((school.id, cid)), collection, ctx)
                version = versions.get((school.id, cid))
                if version is not None:
                    snapshots[(entry.code, collection.key)] = Snapshot(version.table, version.computed or {})
        record_rates(ctx, session, plan, statuses)
        tabs = consolidated_tabs(plan.collections, lines, snapshots, statuses) + derived_tabs(
            session, academic_year=ctx.year, statuses=statuses, collections=plan.collections)
        content = digest([(t.title, t.rows) for t in tabs])
        if get_meta(session, "consolidated_hash") == content and not ctx.force:
            return Consolidated(False)
        target = target or get_meta(session, "consolidated_id") or ""
    try:
        if target and target in listing:
            ctx.store.write_tabs(target, tabs)
        else:
            # Google without SVOD_CONSOLIDATED_SPREADSHEET_ID: create one and remember it.
            target = ctx.store.create_workbook(Path(target).stem if target else "Свод", tabs)
            log.info("created the consolidated workbook %s", target)
    except StoreError as exc:  # everything is stored: only the workbook waits for the next sync
        log.warning("could not write the consolidated workbook %s: %s", target, exc)
        reason = exc.reason if isinstance(exc, WorkbookUnavailable) else str(exc)
        return Consolidated(False, f"Сводная книга не записана («{target or 'Свод'}»): {reason}. Данные школ "
                                   "сохранены, следующая синхронизация запишет её снова.")
    with ctx.db.session() as session:
        set_meta(session, "consolidated_hash", content)
        set_meta(session, "consolidated_id", target)
    return Consolidated(True)


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
