"""Step 2 of a run: the plan — which schools and collections — from the head's workbook when
it changed, else as stored; and the service's tabs of the head's workbook."""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.changes import Before, Limits, assess
from sync_service.district.check_tab import content_hash, render_head_check_tab
from sync_service.district.registry import Registry, read_registry
from sync_service.failures import head_unavailable
from sync_service.forms.schema import Schema
from sync_service.model import Collection, SchoolEntry, school_code
from sync_service.order.fpu_tab import render_fpu_tab
from sync_service.order.models import current_fpu
from sync_service.stores.base import StoreError, WorkbookInfo, WorkbookUnavailable
from sync_service.sync import held
from sync_service.sync.head_forms import form_states, head_form_keys, run_schema, store_head_forms
from sync_service.sync.records import RunContext, digest, get_meta, set_meta

log = logging.getLogger("svod.sync")
NO_LIMITS = Limits(100, 100)  # a change the head confirmed


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
    error: str | None = None                # why the run is partial already (the head unreadable, a held change)
    held: str | None = None                 # the Russian banner of a change of the head's workbook held back
    # the forms of this run: the shipped ones and the head's («Формы»), and which are the head's
    schema: Schema | None = None
    head_forms: frozenset[str] = frozenset()


def load_plan(ctx: RunContext, listing: Mapping[str, WorkbookInfo], head_id: str) -> Plan:
    """The plan from the head's workbook when its marker moved (or on ``force``), else the stored one.

    A head workbook that is there but unreadable (half-copied, open with an error) does not
    hold back the schools: the stored plan applies and the run says why. Gone altogether, or
    never read before: :class:`RunFailed`."""
    head = listing.get(head_id)
    with ctx.db.session() as session:
        seen, year = get_meta(session, "head_marker"), get_meta(session, "head_year")
        schema, keys = run_schema(session, ctx.schema), head_form_keys(session)
    if head is not None and not ctx.force and seen == head.marker and year == ctx.year:
        with ctx.db.session() as session:
            entries, collections, ids = stored_registry(session, schema, ctx.year)
            findings = keep_head_findings(session, ctx.run_id)
        if collections:
            return Plan(entries, collections, ids, findings, schema=schema, head_forms=keys)
    try:
        workbook = ctx.store.read(head_id)
    except WorkbookUnavailable as exc:
        error = head_unavailable(exc.workbook_id, exc.reason, ctx.store.name)
        with ctx.db.session() as session:
            entries, collections, ids = stored_registry(session, schema, ctx.year)
            findings = keep_head_findings(session, ctx.run_id)
        if head is None or not collections:
            raise RunFailed(error) from exc  # gone (a wrong folder or id?), or never read: nothing to go on
        log.warning("the head's workbook %s is unreadable (%s): the stored registry applies", head_id, exc.reason)
        return Plan(entries, collections, ids, findings, head_read=False,
                    error=error + ". Школы и план взяты из прошлой синхронизации.", schema=schema, head_forms=keys)
    with ctx.db.session() as session:  # «Формы» first: «План» may name the forms it defines
        form_findings = store_head_forms(session, workbook, ctx.schema, ctx.now)
    with ctx.db.session() as session:
        schema, keys = run_schema(session, ctx.schema), head_form_keys(session)
    registry = read_registry(workbook, schema, academic_year=ctx.year)
    findings = [f.as_dict() for f in [*form_findings, *registry.findings]]
    with ctx.db.session() as session:
        session.get(m.SyncRun, ctx.run_id).head_findings = findings
        set_meta(session, "head_findings", json.dumps(findings, ensure_ascii=False))
        last = before(session, ctx.year)
        assessment = assess(last, registry, ctx.limits)
        if assessment.confirmable and held.confirmed(session, assessment):
            log.warning("the head's change is applied as she confirmed it: %s", " ".join(assessment.reasons))
            assessment = assess(last, registry, NO_LIMITS)
        if not assessment.hold_schools:
            store_schools(session, registry, drop=not assessment.duplicates)
        if not assessment.hold_plan:
            store_plan(session, registry)
        if assessment.held:
            # The last known registry and plan stay; the workbook is read again at the next
            # sync (its marker is not kept), until the change is undone, fixed or confirmed.
            log.warning("the head's change is held: %s", " ".join(assessment.reasons + assessment.repeats))
            held.record(session, assessment, ctx.now)
        else:
            held.clear(session)
            set_meta(session, "head_marker", workbook.marker)
            set_meta(session, "head_year", ctx.year)
            set_meta(session, "plan_years", ",".join(registry.years))
        entries, collections, ids = stored_registry(session, schema, ctx.year)
    if not assessment.hold_schools and not assessment.duplicates:
        kept = [e for e in entries if e.code in registry.held]  # as stored, while its row has a mistake
        entries = [s for s in registry.schools if s.active] + kept  # in the order of «Школы»
    return Plan(entries, collections, ids, findings, error=assessment.message() or None,
                held=assessment.message() or None, schema=schema, head_forms=keys)


def before(session: Session, year: str) -> Before:
    """What the last applied read of the head's workbook left: the change is measured from it."""
    schools = session.scalars(select(m.School.code).where(m.School.in_registry, m.School.active)
                              .order_by(m.School.code))
    collections = session.execute(select(m.Collection.key, m.Collection.title).where(
        m.Collection.academic_year == year, m.Collection.in_plan).order_by(m.Collection.position))
    return Before(list(schools), dict(collections.all()), own_plan=get_meta(session, "plan_source") == "own")


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
    store_schools(session, registry)
    return store_plan(session, registry)


def store_schools(session: Session, registry: Registry, *, drop: bool = True) -> None:
    """«Школы» into ``schools``, matched by code as Svod keeps codes (a row stored under another
    spelling of the same code, before codes were normalised, takes the normalised one); a
    school no longer listed leaves the registry unless ``drop`` is false (while a code repeats);
    a school whose row has a mistake to fix (``registry.held``) keeps what was stored of it."""
    rows = list(session.scalars(select(m.School)))
    schools = {s.code: s for s in rows}
    for s in rows:
        schools.setdefault(school_code(s.code), s)
    listed = set()
    for entry in registry.schools:
        school = schools.get(entry.code) or m.School(code=entry.code)
        school.code = entry.code
        school.name, school.librarian, school.email = entry.name, entry.librarian, entry.email
        school.workbook, school.active, school.in_registry = entry.workbook, entry.active, True
        session.add(school)
        listed.add(id(school))
    for school in rows:
        if drop and id(school) not in listed and school_code(school.code) not in registry.held:
            school.in_registry = False


def store_plan(session: Session, registry: Registry) -> dict[str, int]:
    """«План» of the registry's year into ``collections`` and ``plan_events``; returns collection key -> id."""
    set_meta(session, "plan_source", "default" if registry.default_plan else "own")
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
        forms = form_states(session)
    titles = {key: form.title for key, form in ctx.schema.head.items()}
    findings = [{**f, "form_title": titles.get(f.get("form"), "")} for f in plan.head_findings]
    check = render_head_check_tab(findings, checked_at=ctx.now, schools=len(plan.entries),
                                  collections=len(plan.collections), held=plan.held, forms=forms)
    candidates = [(check, "head_check_hash", content_hash(check))]
    if fpu is not None:
        tab = render_fpu_tab(fpu)   # the same tab the schools get
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
