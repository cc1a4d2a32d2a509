"""Step 2 of a run: the plan — which schools and collections — from the head's workbook when
it changed, else as stored; and the service's tabs of the head's workbook."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.check_tab import content_hash, render_head_check_tab
from sync_service.district.registry import Registry, read_registry
from sync_service.forms.schema import Schema
from sync_service.model import Collection, SchoolEntry
from sync_service.order.fpu import fpu_tab
from sync_service.order.models import current_fpu
from sync_service.stores.base import StoreError, WorkbookInfo, WorkbookUnavailable
from sync_service.sync.records import RunContext, digest, get_meta, set_meta

log = logging.getLogger("svod.sync")


class RunFailed(Exception):
    """The run cannot go on; the message is the Russian reason the status page shows."""


@dataclass(frozen=True)
class Plan:
    """The schools and collections of this run."""

    entries: list[SchoolEntry]              # active schools, in the order of «Школы»
    collections: list[Collection]
    collection_ids: dict[str, int]          # collection key -> id
    head_findings: list[dict] = field(default_factory=list)  # the mistakes of «Школы» and «План»
    head_read: bool = True                  # False when the head's workbook could not be read this run
    error: str | None = None                # why the run is partial already (the head unreadable)


def load_plan(ctx: RunContext, listing: Mapping[str, WorkbookInfo], head_id: str) -> Plan:
    """The plan from the head's workbook when its marker moved (or on ``force``), else the stored one.

    A head workbook that is there but unreadable (half-copied, open with an error) does not
    hold back the schools: the stored plan applies and the run says why. Gone altogether, or
    never read before: :class:`RunFailed`."""
    head = listing.get(head_id)
    with ctx.db.session() as session:
        seen, year = get_meta(session, "head_marker"), get_meta(session, "head_year")
    if head is not None and not ctx.force and seen == head.marker and year == ctx.year:
        with ctx.db.session() as session:
            entries, collections, ids = stored_registry(session, ctx.schema, ctx.year)
            findings = keep_head_findings(session, ctx.run_id)
        if collections:
            return Plan(entries, collections, ids, findings)
    try:
        workbook = ctx.store.read(head_id)
    except WorkbookUnavailable as exc:
        error = f"Не удалось прочитать книгу руководителя ОМО «{exc.workbook_id}»: {exc.reason}"
        with ctx.db.session() as session:
            entries, collections, ids = stored_registry(session, ctx.schema, ctx.year)
            findings = keep_head_findings(session, ctx.run_id)
        if head is None or not collections:
            raise RunFailed(error) from exc  # gone (a wrong folder or id?), or never read: nothing to go on
        log.warning("the head's workbook %s is unreadable (%s): the stored registry applies", head_id, exc.reason)
        return Plan(entries, collections, ids, findings, head_read=False,
                    error=error + ". Школы и план взяты из прошлой синхронизации.")
    registry = read_registry(workbook, ctx.schema, academic_year=ctx.year)
    findings = [f.as_dict() for f in registry.findings]
    with ctx.db.session() as session:
        session.get(m.SyncRun, ctx.run_id).head_findings = findings
        set_meta(session, "head_findings", json.dumps(findings, ensure_ascii=False))
        ids = store_registry(session, registry)
        set_meta(session, "head_marker", workbook.marker)
        set_meta(session, "head_year", ctx.year)
    return Plan([s for s in registry.schools if s.active], registry.collections, ids, findings)


def keep_head_findings(session: Session, run_id: int) -> list[dict]:
    """The head's mistakes as the last read of her workbook found them, for this run too."""
    findings = json.loads(get_meta(session, "head_findings") or "[]")
    session.get(m.SyncRun, run_id).head_findings = findings
    return findings


def stored_registry(session: Session, schema: Schema, year: str
                    ) -> tuple[list[SchoolEntry], list[Collection], dict[str, int]]:
    """The registry as the last read of the head's workbook stored it (no collections when a
    stored one names a form no longer in ``schema``: the head's workbook must be read again)."""
    entries = [SchoolEntry(s.code, s.name, s.librarian, s.email, s.workbook, s.active)
               for s in session.scalars(select(m.School).where(m.School.in_registry, m.School.active)
                                        .order_by(m.School.id))]
    collections, ids = [], {}
    rows = session.scalars(select(m.Collection).where(m.Collection.academic_year == year, m.Collection.in_plan)
                           .order_by(m.Collection.position))
    for row in rows:
        form = schema.forms.get(row.form)
        if form is None:
            return entries, [], {}
        campaign = schema.campaign(row.campaign) if row.campaign else None
        collections.append(Collection(row.key, form, year, row.deadline, campaign, row.title))
        ids[row.key] = row.id
    return entries, collections, ids


def store_registry(session: Session, registry: Registry) -> dict[str, int]:
    """Mirror the head's registry into the database; returns collection key -> id."""
    schools = {s.code: s for s in session.scalars(select(m.School))}
    listed = set()
    for entry in registry.schools:
        school = schools.get(entry.code) or m.School(code=entry.code)
        school.name, school.librarian, school.email = entry.name, entry.librarian, entry.email
        school.workbook, school.active, school.in_registry = entry.workbook, entry.active, True
        session.add(school)
        listed.add(entry.code)
    for code, school in schools.items():
        if code not in listed:
            school.in_registry = False
    existing = {c.key: c for c in session.scalars(
        select(m.Collection).where(m.Collection.academic_year == registry.academic_year))}
    ids: dict[str, int] = {}
    for position, collection in enumerate(registry.collections):
        row = existing.pop(collection.key, None) or m.Collection(key=collection.key,
                                                                 academic_year=registry.academic_year)
        row.form, row.title, row.tab = collection.form.key, collection.display_title, collection.tab
        row.deadline, row.position, row.in_plan = collection.deadline, position, True
        row.campaign = collection.campaign.code if collection.campaign else None
        session.add(row)
        session.flush()
        ids[collection.key] = row.id
    for row in existing.values():
        row.in_plan = False
    session.execute(delete(m.PlanEvent).where(m.PlanEvent.academic_year == registry.academic_year))
    for event in registry.events:
        session.add(m.PlanEvent(academic_year=event.academic_year, title=event.title, date=event.date,
                                campaign=event.campaign))
    return ids


def write_head_tabs(ctx: RunContext, plan: Plan, listing: Mapping[str, WorkbookInfo], head_id: str) -> None:
    """The service's tabs in the head's workbook, in one write and only those that changed:
    «Проверка» (what Svod took from «Школы» and «План», and their mistakes) and «ФПУ»
    (the federal list librarians look codes up in)."""
    if not plan.head_read:
        return  # the workbook could not be read: it waits for the next sync
    with ctx.db.session() as session:
        fpu = current_fpu(session)
        written = {key: get_meta(session, key) for key in ("head_check_hash", "fpu_tab_hash")}
    titles = {key: form.title for key, form in ctx.schema.head.items()}
    findings = [{**f, "form_title": titles.get(f.get("form"), "")} for f in plan.head_findings]
    check = render_head_check_tab(findings, checked_at=ctx.now, schools=len(plan.entries),
                                  collections=len(plan.collections))
    candidates = [(check, "head_check_hash", content_hash(check))]
    if fpu is not None:
        tab = fpu_tab(fpu)
        candidates.append((tab, "fpu_tab_hash", digest(tab.rows)))
    changed = [(tab, key, value) for tab, key, value in candidates if written[key] != value]
    if not changed:
        return
    # No expect_marker: a service-owned tab never overwrites the head's cells (Google writes
    # cells; the xlsx store re-applies the tab onto a save that happened meanwhile).
    try:
        marker = ctx.store.write_tabs(head_id, [tab for tab, _, _ in changed])
    except StoreError as exc:
        log.info("the head's «%s» not written this time: %s", "», «".join(t.title for t, _, _ in changed), exc)
        return
    with ctx.db.session() as session:
        for _, key, value in changed:
            set_meta(session, key, value)
        if head_id in listing and get_meta(session, "head_marker") == listing[head_id].marker:
            set_meta(session, "head_marker", marker)  # our own write is not the head's change
