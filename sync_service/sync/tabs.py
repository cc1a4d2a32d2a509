"""Step 3a of a run: the tabs of the head's forms in every active school's workbook.

The head cannot run ``svod init`` for a form she defined this morning, so the sync makes
its tab itself: in each school whose workbook lacked it at the last read (or was never
read with it), and again where the form changed since Svod made the tab
(:mod:`sync_service.forms.tab_plan` says what to write). Only those workbooks are read
here — an idle sync reads none — and each is written once, over the marker of that read;
a school whose workbook changed meanwhile, or cannot be read or written, is left for the
next sync (its own read this run reports why). The schools written to are read again in
this run, so their new tab is counted at once.

The shipped forms' tabs are made by ``svod init`` and ``svod provision`` as before (a
librarian who deletes one gets ``missing-tab``, not a new empty tab).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import select

from sync_service import db as m
from sync_service.forms.tab_plan import Made, Wanted, needs_look, plan_school_tabs
from sync_service.model import SchoolEntry
from sync_service.order.models import current_fpu
from sync_service.stores.base import StoreError, WorkbookInfo
from sync_service.sync.plan import Plan
from sync_service.sync.records import RunContext

log = logging.getLogger("svod.sync")


def ensure_form_tabs(ctx: RunContext, plan: Plan, targets: Mapping[str, str | None],
                     listing: Mapping[str, WorkbookInfo], school_ids: Mapping[str, int], *, workers: int) -> set[str]:
    """Make and remake the head's forms' tabs where needed; returns the codes of the schools
    whose workbook was written (to be read again this run)."""
    collections = [c for c in plan.collections if c.form.key in plan.head_forms]
    if not collections:
        return set()
    ids = {c.key: plan.collection_ids[c.key] for c in collections}
    with ctx.db.session() as session:
        present = dict(((s, c), p) for s, c, p in session.execute(
            select(m.Submission.school_id, m.Submission.collection_id, m.Submission.present)
            .where(m.Submission.collection_id.in_(ids.values()))))
        made = {(t.school_id, t.collection_id): Made(t.layout, t.structure) for t in session.scalars(
            select(m.FormTab).where(m.FormTab.collection_id.in_(ids.values())))}
        fpu = current_fpu(session) if any(col.type == "fpu_code" for c in collections for col in c.form.columns) \
            else None
    fpu_codes = [e.code for e in fpu] if fpu else ()
    jobs: list[tuple[SchoolEntry, str, list[Wanted]]] = []
    for entry in plan.entries:
        workbook_id, school_id = targets.get(entry.code), school_ids.get(entry.code)
        if not workbook_id or workbook_id not in listing or school_id is None:
            continue  # no workbook: the school's read reports it
        wanted = [Wanted(c, made.get((school_id, ids[c.key]))) for c in collections]
        if any(needs_look(w, present.get((school_id, ids[w.collection.key]))) for w in wanted):
            jobs.append((entry, workbook_id, wanted))
    if not jobs:
        return set()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs))), thread_name_prefix="svod-tabs") as pool:
        done = list(pool.map(lambda job: _school(ctx, *job, fpu_codes=fpu_codes), jobs))
    written = set()
    with ctx.db.session() as session:
        for (entry, _, _), (wrote, tabs) in zip(jobs, done):
            if wrote:
                written.add(entry.code)
            for key, state in tabs.items():
                _record(session, school_ids[entry.code], ids[key], state, ctx.now)
    return written


def _school(ctx: RunContext, entry: SchoolEntry, workbook_id: str, wanted: list[Wanted], *,
            fpu_codes) -> tuple[bool, dict[str, Made]]:
    """(whether the workbook was written, collection key -> its tab now) for one school."""
    try:
        workbook = ctx.store.read(workbook_id)
        tabs = plan_school_tabs(workbook, wanted, fpu_codes=fpu_codes)
        if tabs.empty:
            return False, tabs.made
        ctx.store.write_tabs(workbook_id, tabs.writes, expect_marker=workbook.marker)
    except StoreError as exc:  # changed meanwhile, unreadable, refused: the next sync tries again
        log.info("the tabs of the head's forms not made in %s this time: %s", entry.code, exc)
        return False, {}
    log.info("made %s in %s", ", ".join(f"«{t.title}»" for t in tabs.writes), entry.code)
    return True, tabs.made


def _record(session, school_id: int, collection_id: int, state: Made, now: datetime) -> None:
    row = session.get(m.FormTab, (school_id, collection_id))
    if row is None:
        session.add(m.FormTab(school_id=school_id, collection_id=collection_id, layout=state.layout,
                              structure=state.structure, changed_at=now))
    elif (row.layout, row.structure) != (state.layout, state.structure):
        row.layout, row.structure, row.changed_at = state.layout, state.structure, now

