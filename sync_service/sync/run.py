"""One sync run: read what changed, validate, store, write findings back, consolidate.

The only place that mixes I/O and logic. A run is a short sequence of steps, each a
function of values in its own module (:func:`execute` reads as the list):

1. the listing of every workbook with its change marker (one call);
2. the plan: schools and collections (:mod:`.plan`), and the head's service tabs;
3. each school's workbook located, and which to read decided (:mod:`.schools`);
4. the changed ones read and parsed on reader threads, stored one by one as each
   arrives and their «Проверка» written on writer threads (:mod:`.schools`, :mod:`.checks`);
5. the consolidated workbook from the stored snapshots (:mod:`.consolidate`).

Its promises:
- one school's broken workbook never stops the others (each school is read, parsed and
  stored in its own transaction);
- a workbook is read only when its change marker moved (or it failed last time);
- a school's «Проверка» tab is rewritten only when what it says changed, and never
  over a workbook that changed since it was read;
- a failed read never blanks anything: the school keeps its last good snapshot in the
  consolidated workbook, with its sync error shown;
- two syncs never run at once (a file lock that holds across processes).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from sqlalchemy import select, update

from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.changes import Limits
from sync_service.district.check_tab import not_written
from sync_service.district.overview import store_district_part
from sync_service.failures import machine_failure
from sync_service.findings import make_finding
from sync_service.sync import requests
from sync_service.sync.checks import (
    CheckWrite,
    check_writes,
    finish_check_write,
    fpu_plan,
    record_written,
    write_check,
)
from sync_service.sync.consolidate import consolidate
from sync_service.sync.lock import SYNC_LOCK_KEY, SyncBusy, sync_lock
from sync_service.sync.plan import Plan, RunFailed, load_plan, write_head_tabs
from sync_service.sync.records import RunContext, get_meta, set_meta
from sync_service.sync.runtime import frozen_heap
from sync_service.sync.schools import (
    FAILED,
    READ,
    UNCHANGED,
    Known,
    Outcome,
    Parsed,
    Triage,
    absorb,
    hold_unturned,
    known_schools,
    locate_workbooks,
    read_and_parse,
    record_failure,
    record_missing,
    record_unchanged,
    reference_data,
    schools_with_last_year,
    triage,
)
from sync_service.sync.tabs import ensure_form_tabs
from sync_service.yearturn.run import resume_turn, unturned_schools

__all__ = ["SYNC_LOCK_KEY", "SyncBusy", "SyncSummary", "describe", "run_sync", "sync_lock"]

log = logging.getLogger("svod.sync")

Progress = Callable[[int, int, str, str], None]  # done, total, school code, outcome
Publish = Callable[[Svod], object]  # renders what the web serves after a run (web.publish.publish_status)
PROGRESS_EVERY = 1.0  # seconds between two updates of the run's stored progress
WINDOW = 2            # workbooks read ahead, and «Проверка» tabs waiting to be written, per thread
CHECKS_AT_ONCE = 100  # schools whose «Проверка» is rendered in one go (those not read this run)
RECORD_WRITTEN_EVERY = 25  # written «Проверка» tabs recorded in one statement


@dataclass
class SyncSummary:
    run_id: int
    status: str
    total: int = 0
    read: int = 0
    unchanged: int = 0
    failed: int = 0
    checks_written: int = 0
    consolidated_written: bool = False
    error: str | None = None
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    note: str | None = None   # what the head should know of a run that went well

    def count(self, outcome: Outcome, sign: int = 1) -> None:
        if outcome.kind == READ:
            self.read += sign
        elif outcome.kind == UNCHANGED:
            self.unchanged += sign
        else:
            self.failed += sign
            self.failures[outcome.code] = outcome.reason or ""

    def check_failed(self, settled: Outcome, reason: str) -> None:
        """The school's «Проверка» could not be written: it counts as failed, not as read."""
        self.count(settled, -1)
        self.count(Outcome(settled.code, FAILED, not_written(reason)))


def run_sync(svod: Svod, *, trigger: str = "cli", force: bool = False, progress: Progress | None = None,
             publish: Publish | None = None) -> SyncSummary:
    """Run one sync under the lock. Raises :class:`SyncBusy` if one is already running.
    ``publish(svod)``, when given, is called after the run's end (the clock passes
    ``web.publish.publish_status``, which renders the status page for the web to serve)."""
    with sync_lock(svod.settings.lock_file, svod.settings.database_url), frozen_heap():
        resume_turn(svod, by=trigger)   # a turn of the year asked for or begun goes first
        return execute(svod, trigger=trigger, force=force, progress=progress, publish=publish)


def execute(svod: Svod, *, trigger: str, force: bool, progress: Progress | None,
            publish: Publish | None = None) -> SyncSummary:
    """The run's record around its steps; the caller holds the lock."""
    started = time.monotonic()
    limits = Limits(svod.settings.max_schools_drop, svod.settings.max_collections_drop)
    ctx = RunContext(start_run(svod, trigger), svod.db, svod.store, svod.schema, svod.clock(), svod.academic_year,
                     force, limits)
    summary = SyncSummary(run_id=ctx.run_id, status="running")
    try:
        steps(ctx, svod, summary, progress)
        summary.status = "partial" if summary.failed or summary.error else "ok"
    except RunFailed as exc:
        log.warning("sync run %s failed: %s", ctx.run_id, exc)
        summary.status, summary.error = "failed", str(exc)
    except Exception as exc:  # the run itself failed: record it, never lose what was stored
        reason = machine_failure(exc, svod.db.shown_url())
        log.exception("sync run %s failed%s", ctx.run_id, f": {reason}" if reason else "")
        summary.status, summary.error = "failed", reason or summary.error or f"Внутренняя ошибка: {exc}"
    summary.seconds = round(time.monotonic() - started, 2)
    finish_run(svod, summary)
    keep_status_overview(svod)
    if publish is not None:
        publish_pages(svod, publish)
    return summary


def keep_status_overview(svod: Svod) -> None:
    """The status page's district-wide part (counts, rates, the first overdue and debtors),
    computed here in the clock once per run instead of on every page view
    (``overview.store_district_part``). Failing, it leaves the run's record as it is: the
    pages compute that part themselves."""
    try:
        with svod.db.session() as session:
            store_district_part(session, academic_year=svod.academic_year, now=svod.clock())
    except Exception:  # noqa: BLE001 — the run is recorded; the pages have the live path
        log.exception("the status overview was not stored; the pages compute it")


def publish_pages(svod: Svod, publish: Publish) -> None:
    """``publish(svod)`` after the run; failing, it is logged and the run stands (the pages
    published before no longer hold once data was written, so the web renders them live)."""
    try:
        publish(svod)
    except Exception:  # noqa: BLE001 — the run is recorded; the pages have the live path
        log.exception("the status pages were not published; the web renders them live")


def steps(ctx: RunContext, svod: Svod, summary: SyncSummary, progress: Progress | None) -> None:
    # One listing gives every workbook's change marker (Google: one Drive files.list),
    # so an idle sync costs that one call and nothing else.
    listing = {w.id: w for w in ctx.store.list_workbooks()}
    plan = load_plan(ctx, listing, svod.head_workbook_id)
    ctx = replace(ctx, schema=plan.schema or ctx.schema)  # the head's forms («Формы») beside the shipped ones
    summary.error, summary.total = plan.error, len(plan.entries)
    store_progress(ctx, 0, summary.total)
    write_head_tabs(ctx, plan, listing, svod.head_workbook_id)
    targets = locate_workbooks(plan.entries, listing, ctx.store.workbook_id_for)
    with ctx.db.session() as session:
        known = known_schools(session)
        # the first sync of a year reads every workbook, whatever its marker
        new_year = get_meta(session, "synced_year") != ctx.year
        unturned = unturned_schools(session, ctx.year)
    school_ids = {code: k.school_id for code, k in known.items() if code not in unturned}
    retabbed = ensure_form_tabs(ctx, plan, targets, listing, school_ids, workers=max(1, svod.settings.read_workers))
    chosen = triage(plan.entries, targets, listing, known, force=ctx.force or new_year, changed=retabbed)
    chosen = hold_unturned(chosen, unturned)
    summary.checks_written = process_schools(ctx, plan, chosen, known, summary, progress,
                                             workers=max(1, svod.settings.read_workers))
    consolidated = consolidate(ctx, plan, listing, svod.settings)
    summary.consolidated_written = consolidated.written
    summary.error = consolidated.error or summary.error
    with ctx.db.session() as session:
        set_meta(session, "synced_year", ctx.year)
    summary.note = consolidated.note


def process_schools(ctx: RunContext, plan: Plan, chosen: Triage, known: Mapping[str, Known], summary: SyncSummary,
                    progress: Progress | None, *, workers: int) -> int:
    """Record the missing and unchanged schools, read and absorb the others on ``workers``
    threads, and write each school's «Проверка» as soon as it is absorbed — on Google the
    writes then run under the write quota while other schools are still read. Returns how
    many «Проверка» tabs were written."""
    school_ids = {code: k.school_id for code, k in known.items()}
    done, stored_at = 0, time.monotonic()
    outcomes: dict[str, Outcome] = {}

    def settled(outcome: Outcome) -> None:
        nonlocal done, stored_at
        summary.count(outcome)
        outcomes[outcome.code] = outcome
        done += 1
        if time.monotonic() - stored_at >= PROGRESS_EVERY or done == len(plan.entries):
            store_progress(ctx, done, len(plan.entries))
            stored_at = time.monotonic()
        if progress:
            progress(done, len(plan.entries), outcome.code, outcome.kind)

    for entry, workbook_id in chosen.missing:
        settled(record_missing(ctx, school_ids[entry.code], entry, workbook_id))
    for entry, workbook_id, reason in chosen.held:
        finding = make_finding("year-turn-pending", year=ctx.year, reason=reason)
        settled(record_failure(ctx, school_ids[entry.code], entry.code, workbook_id, finding,
                               f"книга не переведена на {ctx.year} учебный год: {reason}"))
    for entry in chosen.unchanged:
        settled(record_unchanged(ctx, school_ids[entry.code], entry.code))
    reference = reference_data(ctx)
    with ctx.db.session() as session:
        last_year = schools_with_last_year(session, ctx.year) if chosen.to_read else set()
    fpu = fpu_plan(ctx, plan.collections, reference.get("fpu"))
    writes: dict[Future, tuple[str, CheckWrite]] = {}
    written: list[tuple[CheckWrite, str]] = []  # not yet recorded
    count = 0

    def finish(done: set[Future], *, last: bool = False) -> None:
        nonlocal count
        for future in done:
            code, write = writes.pop(future)
            marker, failure = finish_check_write(ctx, write, future)
            if failure is not None:
                summary.check_failed(outcomes[code], failure)
            elif marker is not None:
                written.append((write, marker))
                count += 1
        if written and (last or len(written) >= RECORD_WRITTEN_EVERY):
            record_written(ctx, written)
            written.clear()

    def submit_checks(writer: ThreadPoolExecutor, entries: list, views=None) -> None:
        codes = {school_ids[e.code]: e.code for e in entries}
        for write in check_writes(ctx, plan.collections, plan.collection_ids, entries, school_ids, fpu, views):
            writes[writer.submit(write_check, ctx, write)] = (codes[write.school_id], write)
        # Finished writes are recorded as they come; more than a window of them waiting
        # holds the next school back, so that rendered tabs never pile up in memory.
        finish({f for f in writes if f.done()})
        while len(writes) > WINDOW * workers:
            finish(wait(writes, return_when=FIRST_COMPLETED).done)

    readers = min(workers, len(chosen.to_read) or 1)
    with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="svod-read") as pool, \
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="svod-write") as writer:
        def read_one(item: tuple) -> Parsed:   # on a reader thread: nothing here writes to the database
            entry, workbook_id = item
            return read_and_parse(ctx, plan.collections, known[entry.code], workbook_id, reference, last_year)

        for (entry, workbook_id), parsed in read_ahead(pool, read_one, chosen.to_read, WINDOW * readers):
            school_id, view, millis = school_ids[entry.code], None, parsed.millis
            if parsed.workbook is None:
                outcome = record_failure(ctx, school_id, entry.code, workbook_id,
                                         make_finding("unreadable-workbook", reason=parsed.error), parsed.error, millis)
            else:
                try:
                    outcome, view = absorb(ctx, plan.collections, plan.collection_ids, known[entry.code], entry, parsed)
                except Exception:  # a defect of ours must not stop the other schools
                    log.exception("could not process the workbook of school %s", entry.code)
                    reason = "внутренняя ошибка при разборе книги (подробности в журнале сервиса)"
                    outcome = record_failure(ctx, school_id, entry.code, workbook_id,
                                             make_finding("processing-error", reason=reason), reason, millis)
            del parsed
            settled(outcome)
            if outcome.kind != FAILED:
                submit_checks(writer, [entry], None if view is None else {school_id: view})
        # Schools not read this time still get theirs when a status moved (a deadline passed).
        read = {entry.code for entry, _ in chosen.to_read}
        others = [e for e in plan.entries if e.code not in read]
        for start in range(0, len(others), CHECKS_AT_ONCE):
            submit_checks(writer, others[start:start + CHECKS_AT_ONCE])
        finish(set(wait(writes).done), last=True)
    return count


def read_ahead(pool: ThreadPoolExecutor, read: Callable, items: list, window: int) -> Iterator[tuple[Any, Any]]:
    """(item, read(item)) in the order the reads finish, with at most ``window`` read and not
    yet taken: memory holds the read pool's share of workbooks, however many schools."""
    pending = iter(items)
    running: dict[Future, Any] = {}

    def top_up() -> None:
        for item in islice(pending, window - len(running)):
            running[pool.submit(read, item)] = item

    top_up()
    while running:
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            item = running.pop(future)
            top_up()
            yield item, future.result()


# --- the run's record -------------------------------------------------------------------------

def start_run(svod: Svod, trigger: str) -> int:
    now = svod.clock()
    with svod.db.session() as session:
        # A run still «running» here was killed mid-way: the lock we hold proves it.
        for stale in session.scalars(select(m.SyncRun).where(m.SyncRun.status == "running")):
            stale.status, stale.finished_at = "interrupted", stale.finished_at or now
            stale.error = stale.error or "Синхронизация была прервана; данные этой попытки не сохранены частично."
        run = m.SyncRun(started_at=now, trigger=trigger, status="running")
        session.add(run)
        session.flush()
        requests.take(session, run.id, now)
    return run.id


def store_progress(ctx: RunContext, done: int, total: int) -> None:
    """Schools settled so far, for the admin page (at most every :data:`PROGRESS_EVERY` s)."""
    with ctx.db.session() as session:
        session.execute(update(m.SyncRun).where(m.SyncRun.id == ctx.run_id)
                        .values(schools_done=done, schools_total=total))


def finish_run(svod: Svod, summary: SyncSummary) -> None:
    with svod.db.session() as session:
        row = session.get(m.SyncRun, summary.run_id)
        row.status, row.error, row.finished_at = summary.status, summary.error, svod.clock()
        row.schools_total, row.schools_read = summary.total, summary.read
        row.schools_unchanged, row.schools_failed = summary.unchanged, summary.failed
        row.consolidated_written = summary.consolidated_written
        requests.finish(session, summary.run_id, row.finished_at)


def describe(summary: SyncSummary) -> str:
    """One Russian line about a finished run, for the console."""
    state = {"ok": "успешно", "partial": "с ошибками", "failed": "не удалась"}.get(summary.status, summary.status)
    line = (f"Синхронизация {state}: школ {summary.total}, прочитано {summary.read}, без изменений "
            f"{summary.unchanged}, с ошибкой {summary.failed}; «Проверка» обновлена у {summary.checks_written}; "
            f"свод {'обновлён' if summary.consolidated_written else 'без изменений'} ({summary.seconds} с)")
    for extra in (summary.error, summary.note):
        if extra:
            line += f"\n{extra}"
    return line

