"""One sync run: read what changed, validate, store, write findings back, consolidate.

The only module that mixes I/O and logic. Its promises:
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

import fcntl
import hashlib
import json
import logging
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.check_tab import CollectionLine, content_hash, render_check_tab, render_head_check_tab
from sync_service.district.consolidate import SchoolLine, Snapshot, consolidated_tabs
from sync_service.district.registry import Registry, read_registry
from sync_service.district.status import Facts, first_submission, rates, status_of
from sync_service.findings import Finding, make_finding
from sync_service.forms.layout import CHECK_TAB
from sync_service.forms.validation import data_hash, parse_form
from sync_service.model import Collection, FormResult, SchoolEntry

# importing the order package also registers its finding codes and the «fpu_order» check
from sync_service.order.consolidate import derived_tabs
from sync_service.order.fpu import fpu_tab
from sync_service.order.models import current_fpu
from sync_service.stores.base import StoreError, Workbook, WorkbookChanged, WorkbookUnavailable
from sync_service.sync.runtime import paused_gc

log = logging.getLogger("svod.sync")

Progress = Callable[[int, int, str, str], None]  # done, total, school code, outcome


class SyncBusy(Exception):
    """Another sync holds the lock."""


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


# --- the lock -------------------------------------------------------------------------

# PostgreSQL's advisory lock key for the sync: "SVODSYNC" in ASCII, one bigint.
SYNC_LOCK_KEY = 0x53564F4453594E43


@contextmanager
def sync_lock(path: Path, database_url: str | None = None) -> Iterator[None]:
    """An exclusive, non-blocking lock on ``path``: held by the process for the run, released
    by the kernel if the process dies (kill -9 included).

    With a PostgreSQL ``database_url`` the database's advisory lock is taken too, so that
    processes on different machines (the web and the clock of a Procfile host) exclude
    each other as well; busy either way is :class:`SyncBusy`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncBusy("синхронизация уже идёт") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        if database_url and database_url.startswith("postgresql"):
            with _advisory_lock(database_url):
                yield
        else:
            yield
    finally:
        os.close(fd)


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    """PostgreSQL's session-level advisory lock on a connection of its own, held for the run.

    The lock lives as long as that connection: a dead process's connection is closed by the
    server, which frees the lock. Autocommit, so the connection waits idle rather than idle
    in a transaction, and no pool, so closing it really ends the session."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": SYNC_LOCK_KEY}):
                raise SyncBusy("синхронизация уже идёт")
            yield
    finally:
        engine.dispose()


# --- hashing ----------------------------------------------------------------------------

def _digest(value: Any) -> str:
    # surrogatepass: a broken emoji in a cell (a lone surrogate) hashes like any other text
    return hashlib.sha256(json.dumps(value, default=str, ensure_ascii=False, sort_keys=True).encode(
        "utf-8", "surrogatepass")).hexdigest()


def workbook_hash(workbook: Workbook) -> str:
    """What people typed: every tab but the service's own «Проверка»."""
    return _digest([(title, sheet.rows, sheet.merges) for title, sheet in sorted(workbook.sheets.items())
                    if title != CHECK_TAB])


# --- the run -----------------------------------------------------------------------------

def run_sync(svod: Svod, *, trigger: str = "cli", force: bool = False, progress: Progress | None = None) -> SyncSummary:
    """Run one sync under the lock. Raises :class:`SyncBusy` if one is already running."""
    with sync_lock(svod.settings.lock_file, svod.settings.database_url), paused_gc():
        return _Run(svod, trigger=trigger, force=force, progress=progress).execute()


class _Run:
    def __init__(self, svod: Svod, *, trigger: str, force: bool, progress: Progress | None):
        self.svod, self.force, self.progress = svod, force, progress
        self.trigger = trigger
        self.now = svod.clock()
        self.year = svod.academic_year
        self.schema = svod.schema
        self.store = svod.store
        self.head_read = True   # False when the head's workbook could not be read this run
        self.head_findings: list[dict] = []

    # The steps of a run, each committing its own transaction.
    def execute(self) -> SyncSummary:
        started = time.monotonic()
        with self.svod.db.session() as session:
            # A run still «running» here was killed mid-way: the lock we hold proves it.
            for stale in session.scalars(select(m.SyncRun).where(m.SyncRun.status == "running")):
                stale.status, stale.finished_at = "interrupted", stale.finished_at or self.now
                stale.error = stale.error or "Синхронизация была прервана; данные этой попытки не сохранены частично."
            run = m.SyncRun(started_at=self.now, trigger=self.trigger, status="running")
            session.add(run)
        summary = SyncSummary(run_id=run.id, status="running")
        try:
            self._execute(summary)
            summary.status = "partial" if summary.failed or summary.error else "ok"
        except Exception as exc:  # the run itself failed: record it, never lose what was stored
            log.exception("sync run %s failed", run.id)
            summary.status, summary.error = "failed", summary.error or f"Внутренняя ошибка: {exc}"
        summary.seconds = round(time.monotonic() - started, 2)
        with self.svod.db.session() as session:
            row = session.get(m.SyncRun, run.id)
            row.status, row.error, row.finished_at = summary.status, summary.error, self.svod.clock()
            row.schools_total, row.schools_read = summary.total, summary.read
            row.schools_unchanged, row.schools_failed = summary.unchanged, summary.failed
            row.consolidated_written = summary.consolidated_written
        return summary

    def _execute(self, summary: SyncSummary) -> None:
        # One listing gives every workbook's change marker (Google: one Drive files.list),
        # so an idle sync costs that one call and nothing else.
        self.listing = {w.id: w for w in self.store.list_workbooks()}
        self._load_registry(summary)
        summary.total = len(self.entries)
        self._write_head_tabs()

        targets = self._locate_workbooks()
        markers = {wid: (self.listing[wid].marker if wid in self.listing else None) for wid in targets.values() if wid}
        with self.svod.db.session() as session:
            states = {s.school_id: s for s in session.scalars(select(m.WorkbookState))}
            school_ids = {s.code: s.id for s in session.scalars(select(m.School))}
        to_read, done = [], 0
        for entry in self.entries:
            workbook_id = targets.get(entry.code)
            state = states.get(school_ids[entry.code])
            marker = markers.get(workbook_id) if workbook_id else None
            if not workbook_id or marker is None:
                reason = f"нет книги «{workbook_id or entry.workbook or entry.code}»"
                self._record_failure(summary, school_ids[entry.code], workbook_id or "", make_finding(
                    "missing-workbook", workbook=workbook_id or entry.workbook or f"{entry.code} …"), reason)
                done += 1
                self._report(done, entry.code, "failed")
            elif self.force or state is None or state.marker != marker or state.error:
                to_read.append((entry, workbook_id))
            else:
                summary.unchanged += 1
                self._outcome(summary.run_id, school_ids[entry.code], "unchanged", None, 0)
                done += 1
                self._report(done, entry.code, "unchanged")

        # Each school's «Проверка» is written as soon as its workbook is absorbed, so the writes
        # run under Google's write quota while the other schools are still being read.
        workers = max(1, self.svod.settings.read_workers)
        writes: dict[Future, tuple[int, str]] = {}
        with ThreadPoolExecutor(max_workers=min(workers, len(to_read) or 1), thread_name_prefix="svod-read") as pool, \
                ThreadPoolExecutor(max_workers=workers, thread_name_prefix="svod-write") as writer:
            futures = {pool.submit(self._timed_read, wid): (entry, wid) for entry, wid in to_read}
            for future in as_completed(futures):
                entry, workbook_id = futures[future]
                school_id = school_ids[entry.code]
                workbook, error, millis = future.result()
                if error is not None:
                    finding = make_finding("unreadable-workbook", reason=error)
                    self._record_failure(summary, school_id, workbook_id, finding, error, millis)
                    outcome = "failed"
                else:
                    try:
                        outcome = self._absorb(summary, school_id, entry, workbook, millis)
                    except Exception:  # a defect of ours must not stop the other schools
                        log.exception("could not process the workbook of school %s", entry.code)
                        reason = "внутренняя ошибка при разборе книги (подробности в журнале сервиса)"
                        self._record_failure(summary, school_id, workbook_id,
                                             make_finding("processing-error", reason=reason), reason, millis)
                        outcome = "failed"
                    else:
                        self._submit_check_tabs(writer, writes, [entry], school_ids)
                done += 1
                self._report(done, entry.code, outcome)
            # Schools not read this time still get theirs when a status moved (a deadline passed).
            read = {entry.code for entry, _ in to_read}
            self._submit_check_tabs(writer, writes, [e for e in self.entries if e.code not in read], school_ids)
            for future in as_completed(writes):
                self._finish_check_write(summary, future, *writes[future])
        self._consolidate(summary)

    def _load_registry(self, summary: SyncSummary) -> None:
        """Schools and collections: from the head's workbook when it changed, else as stored."""
        head_id = self.svod.head_workbook_id
        head = self.listing.get(head_id)
        with self.svod.db.session() as session:
            seen = _meta(session, "head_marker")
            year = _meta(session, "head_year")
        if head is not None and not self.force and seen == head.marker and year == self.year:
            with self.svod.db.session() as session:
                self.entries, self.collections, self.collection_ids = _stored_registry(session, self.schema, self.year)
                # the head's mistakes are still there until the head changes the workbook
                self._keep_head_findings(session, summary.run_id)
            if self.collections:
                return
        try:
            workbook = self.store.read(head_id)
        except WorkbookUnavailable as exc:
            summary.error = f"Не удалось прочитать книгу руководителя ОМО «{exc.workbook_id}»: {exc.reason}"
            with self.svod.db.session() as session:
                stored = _stored_registry(session, self.schema, self.year)
                self._keep_head_findings(session, summary.run_id)
            self.head_read = False
            if head is None or not stored[1]:
                raise  # gone (a wrong folder or id?), or never read: nothing to go on
            # There but unreadable (half-copied, open with an error): the schools need not wait,
            # the last schools and plan apply, and the next sync reads the workbook again.
            log.warning("the head's workbook %s is unreadable (%s): the stored registry applies", head_id, exc.reason)
            summary.error += ". Школы и план взяты из прошлой синхронизации."
            self.entries, self.collections, self.collection_ids = stored
            return
        registry = read_registry(workbook, self.schema, academic_year=self.year)
        with self.svod.db.session() as session:
            run = session.get(m.SyncRun, summary.run_id)
            run.head_findings = self.head_findings = [f.as_dict() for f in registry.findings]
            _set_meta(session, "head_findings", json.dumps(run.head_findings, ensure_ascii=False))
            self.collection_ids = _store_registry(session, registry)
            _set_meta(session, "head_marker", workbook.marker)
            _set_meta(session, "head_year", self.year)
        self.collections = registry.collections
        self.entries = [s for s in registry.schools if s.active]

    def _keep_head_findings(self, session: Session, run_id: int) -> None:
        """The head's mistakes as the last read of her workbook found them, for this run too."""
        self.head_findings = json.loads(_meta(session, "head_findings") or "[]")
        session.get(m.SyncRun, run_id).head_findings = self.head_findings

    def _write_head_tabs(self) -> None:
        """The service's tabs in the head's workbook, in one write and only those that changed:
        «Проверка» (what Svod took from «Школы» and «План», and their mistakes) and «ФПУ»
        (the federal list librarians look codes up in)."""
        if not self.head_read:
            return  # the workbook could not be read: it waits for the next sync
        with self.svod.db.session() as session:
            fpu = current_fpu(session)
            written = {key: _meta(session, key) for key in ("head_check_hash", "fpu_tab_hash")}
        titles = {key: form.title for key, form in self.schema.head.items()}
        findings = [{**f, "form_title": titles.get(f.get("form"), "")} for f in self.head_findings]
        check = render_head_check_tab(findings, checked_at=self.now, schools=len(self.entries),
                                      collections=len(self.collections))
        candidates = [(check, "head_check_hash", content_hash(check))]
        if fpu is not None:
            tab = fpu_tab(fpu)
            candidates.append((tab, "fpu_tab_hash", _digest(tab.rows)))
        changed = [(tab, key, digest) for tab, key, digest in candidates if written[key] != digest]
        if not changed:
            return
        head_id = self.svod.head_workbook_id
        # No expect_marker: a service-owned tab never overwrites the head's cells (Google writes
        # cells; the xlsx store re-applies the tab onto a save that happened meanwhile).
        try:
            marker = self.store.write_tabs(head_id, [tab for tab, _, _ in changed])
        except StoreError as exc:
            log.info("the head's «%s» not written this time: %s", "», «".join(t.title for t, _, _ in changed), exc)
            return
        with self.svod.db.session() as session:
            for _, key, digest in changed:
                _set_meta(session, key, digest)
            if head_id in self.listing and _meta(session, "head_marker") == self.listing[head_id].marker:
                _set_meta(session, "head_marker", marker)  # our own write is not the head's change

    def _report(self, done: int, code: str, outcome: str) -> None:
        if self.progress:
            self.progress(done, len(self.entries), code, outcome)

    # --- locating and reading ---------------------------------------------------------------

    def _locate_workbooks(self) -> dict[str, str | None]:
        """School code -> workbook id: the «Книга» column, else a workbook named after the code."""
        targets: dict[str, str | None] = {}
        for entry in self.entries:
            if entry.workbook:
                targets[entry.code] = self.store.workbook_id_for(entry.workbook)
                continue
            prefix = entry.code.casefold()
            match = [w.id for w in self.listing.values() if w.title.casefold() == prefix
                     or w.title.casefold().startswith(prefix + " ")]
            targets[entry.code] = match[0] if len(match) == 1 else None
        return targets

    def _timed_read(self, workbook_id: str) -> tuple[Workbook | None, str | None, int]:
        started = time.monotonic()
        try:
            workbook, error = self.store.read(workbook_id), None
        except WorkbookUnavailable as exc:
            workbook, error = None, exc.reason
        except StoreError as exc:
            workbook, error = None, str(exc)
        return workbook, error, int((time.monotonic() - started) * 1000)

    # --- storing ---------------------------------------------------------------------------------

    def _outcome(self, run_id: int, school_id: int, outcome: str, error: str | None, millis: int) -> None:
        with self.svod.db.session() as session:
            session.add(m.SyncOutcome(run_id=run_id, school_id=school_id, outcome=outcome, error=error,
                                      duration_ms=millis))

    def _record_failure(self, summary: SyncSummary, school_id: int, workbook_id: str, finding: Finding,
                        reason: str, millis: int = 0) -> None:
        """The school keeps its submissions and snapshots; only its error is recorded."""
        summary.failed += 1
        with self.svod.db.session() as session:
            code = session.get(m.School, school_id).code
            summary.failures[code] = reason
            state = session.get(m.WorkbookState, school_id) or m.WorkbookState(school_id=school_id)
            state.workbook_id, state.error, state.error_at = workbook_id, reason, self.now
            session.add(state)
            session.execute(delete(m.FindingRecord).where(m.FindingRecord.school_id == school_id,
                                                          m.FindingRecord.collection_id.is_(None)))
            session.add(_finding_record(school_id, None, finding))
            session.add(m.SyncOutcome(run_id=summary.run_id, school_id=school_id, outcome="failed",
                                      error=reason, duration_ms=millis))

    def _absorb(self, summary: SyncSummary, school_id: int, entry: SchoolEntry, workbook: Workbook,
                millis: int) -> str:
        """Parse, validate and store one school's workbook in one transaction."""
        digest = workbook_hash(workbook)
        with self.svod.db.session() as session:
            state = session.get(m.WorkbookState, school_id) or m.WorkbookState(school_id=school_id)
            session.add(state)
            unchanged = not self.force and state.content_hash == digest and state.error is None
            state.workbook_id, state.marker, state.read_at = workbook.id, workbook.marker, self.now
            state.error, state.error_at, state.last_ok_at = None, None, self.now
            outcome = "unchanged" if unchanged else "read"
            if not unchanged:
                state.content_hash = digest
                results = self.parse_workbook(workbook)
                session.execute(delete(m.FindingRecord).where(m.FindingRecord.school_id == school_id))
                for collection in self.collections:
                    self._store_result(session, school_id, collection, results[collection.key], summary.run_id)
            session.add(m.SyncOutcome(run_id=summary.run_id, school_id=school_id, outcome=outcome,
                                      duration_ms=millis))
        if unchanged:
            summary.unchanged += 1
        else:
            summary.read += 1
        return outcome

    def parse_workbook(self, workbook: Workbook) -> dict[str, FormResult]:
        """Every collection's tab; forms with extra checks last, so they can use the others."""
        results: dict[str, FormResult] = {}
        ordered = sorted(self.collections, key=lambda c: bool(c.form.checks))
        for collection in ordered:
            context = self.check_context(results) if collection.form.checks else None
            results[collection.key] = parse_form(collection.form, workbook.sheet(collection.tab),
                                                 tab=collection.tab, context=context)
        return results

    def check_context(self, results: dict[str, FormResult]) -> dict[str, Any]:
        """What named checks may use: the academic year and students per grade of this school."""
        students: dict[int, int] = {}
        provision = results.get("textbook_provision")
        for row in provision.rows if provision else ():
            grade, count = row.get("grade"), row.get("students")
            if isinstance(grade, int) and isinstance(count, int):
                students[grade] = max(students.get(grade, 0), count)
        return {"academic_year": self.year, "students_by_grade": students, **self.reference_data()}

    def reference_data(self) -> dict[str, Any]:
        """Reference lists for named checks (the federal textbook list), loaded once a run."""
        if not hasattr(self, "_reference"):
            self._reference = {}
            with self.svod.db.session() as session:
                fpu = current_fpu(session)
            if fpu is not None:
                self._reference["fpu"] = fpu
        return self._reference

    def _store_result(self, session: Session, school_id: int, collection: Collection, result: FormResult,
                      run_id: int) -> None:
        collection_id = self.collection_ids[collection.key]
        submission = session.scalar(select(m.Submission).where(m.Submission.school_id == school_id,
                                                               m.Submission.collection_id == collection_id))
        if submission is None:
            submission = m.Submission(school_id=school_id, collection_id=collection_id, version=0)
            session.add(submission)
        submission.present, submission.ready, submission.ready_date = result.present, result.ready, result.ready_date
        submission.has_data, submission.errors, submission.warnings = result.has_data, result.errors, result.warnings
        submission.first_submitted_at = first_submission(
            submission.first_submitted_at, ready=result.ready, errors=result.errors, has_data=result.has_data,
            ready_date=result.ready_date, now=self.now)
        digest = data_hash(result)
        latest = None
        if submission.version:
            latest = session.scalar(select(m.SubmissionVersion.data_hash).where(
                m.SubmissionVersion.submission_id == submission.id,
                m.SubmissionVersion.version == submission.version))
        if latest != digest and (result.has_data or submission.version):
            session.flush()
            submission.version += 1
            submission.changed_at = self.now
            session.add(m.SubmissionVersion(
                submission_id=submission.id, version=submission.version, data_hash=digest,
                rows=result.table.to_json(), computed=m.json_safe(result.computed), ready=result.ready,
                errors=result.errors, created_at=self.now, run_id=run_id))
        for finding in result.findings:
            session.add(_finding_record(school_id, collection_id, finding))

    # --- writing back ------------------------------------------------------------------------------

    def _facts(self, session: Session, school_ids: list[int] | None = None) -> dict[tuple[int, int], m.Submission]:
        query = select(m.Submission)
        if school_ids is not None:
            query = query.where(m.Submission.school_id.in_(school_ids))
        return {(s.school_id, s.collection_id): s for s in session.scalars(query)}

    def _status(self, submission: m.Submission | None, collection: Collection) -> str:
        facts = Facts(False, 0, False, None) if submission is None else Facts(
            submission.ready, submission.errors, submission.has_data, submission.first_submitted_at)
        return status_of(facts, collection.deadline, self.now.date())

    def _submit_check_tabs(self, pool: ThreadPoolExecutor, writes: dict[Future, tuple[int, str]],
                           entries: list[SchoolEntry], school_ids: dict[str, int]) -> None:
        """Render the «Проверка» of readable schools among ``entries``; submit the writes of
        those whose content changed."""
        if not entries:
            return
        wanted = [school_ids[e.code] for e in entries]
        with self.svod.db.session() as session:
            submissions = self._facts(session, wanted)
            states = {s.school_id: s for s in session.scalars(
                select(m.WorkbookState).where(m.WorkbookState.school_id.in_(wanted)))}
            titles = {c.key: c.display_title for c in self.collections}
            by_id = {cid: key for key, cid in self.collection_ids.items()}
            findings: dict[int, list[dict]] = {}
            for record in session.scalars(select(m.FindingRecord).where(m.FindingRecord.school_id.in_(wanted))):
                item = _record_dict(record)
                item["form_title"] = titles.get(by_id.get(record.collection_id), record.form or "")
                findings.setdefault(record.school_id, []).append(item)
            versions = _latest_versions(session, wanted)
            for entry in entries:
                school_id = school_ids[entry.code]
                state = states.get(school_id)
                if state is None or state.error or state.marker is None:
                    continue  # nothing to write into: the school's error shows on the status page
                lines = []
                for collection in self.collections:
                    cid = self.collection_ids[collection.key]
                    submission = submissions.get((school_id, cid))
                    version = versions.get((school_id, cid))
                    computed = []
                    if collection.form.shape == "record" and version is not None:
                        computed = [(c.label, (version.computed or {}).get(c.key)) for c in collection.form.computed]
                    lines.append(CollectionLine(
                        collection.display_title, collection.tab, collection.deadline,
                        self._status(submission, collection), submission.errors if submission else 0,
                        submission.warnings if submission else 0, computed))
                tab = render_check_tab(entry.name, lines, findings.get(school_id, []), checked_at=self.now)
                digest = content_hash(tab)
                if digest != state.check_hash:
                    future = pool.submit(self.store.write_tabs, state.workbook_id, [tab], expect_marker=state.marker)
                    writes[future] = (school_id, digest)

    def _finish_check_write(self, summary: SyncSummary, future: Future, school_id: int, digest: str) -> None:
        try:
            new_marker = future.result()
        except WorkbookChanged:
            # The librarian saved meanwhile: their work wins; the next sync reads it and writes then.
            return
        except StoreError as exc:
            log.warning("could not write «Проверка» for school %s: %s", school_id, exc)
            return
        except Exception:  # a defect (ours or a library's) must not stop the run: retried next sync
            log.exception("writing «Проверка» for school %s failed", school_id)
            return
        with self.svod.db.session() as session:
            state = session.get(m.WorkbookState, school_id)
            state.check_hash, state.marker = digest, new_marker
        summary.checks_written += 1

    def _consolidate(self, summary: SyncSummary) -> None:
        """Rebuild the consolidated workbook from stored snapshots; write it only when it changed."""
        with self.svod.db.session() as session:
            schools = {s.id: s for s in session.scalars(select(m.School))}
            states = {s.school_id: s for s in session.scalars(select(m.WorkbookState))}
            submissions = self._facts(session)
            versions = _latest_versions(session)
            lines, statuses, snapshots = [], {}, {}
            by_code = {s.code: s for s in schools.values()}
            for entry in self.entries:
                school = by_code[entry.code]
                state = states.get(school.id)
                lines.append(SchoolLine(entry.code, entry.name, state.error if state else None))
                for collection in self.collections:
                    cid = self.collection_ids[collection.key]
                    statuses[(entry.code, collection.key)] = self._status(submissions.get((school.id, cid)), collection)
                    version = versions.get((school.id, cid))
                    if version is not None:
                        snapshots[(entry.code, collection.key)] = Snapshot(version.table, version.computed or {})
            self._record_rates(session, summary.run_id, statuses)
            tabs = consolidated_tabs(self.collections, lines, snapshots, statuses) + self.extra_tabs(session, statuses)
            digest = _digest([(t.title, t.rows) for t in tabs])
            if _meta(session, "consolidated_hash") == digest and not self.force:
                return
        with self.svod.db.session() as session:
            target = self.svod.consolidated_workbook_id or _meta(session, "consolidated_id")
        try:
            if target and target in self.listing:
                self.store.write_tabs(target, tabs)
            else:
                # Google without SVOD_CONSOLIDATED_SPREADSHEET_ID: create one and remember it.
                target = self.store.create_workbook(Path(target).stem if target else "Свод", tabs)
                log.info("created the consolidated workbook %s", target)
        except StoreError as exc:  # everything is stored: only the workbook waits for the next sync
            log.warning("could not write the consolidated workbook %s: %s", target, exc)
            reason = exc.reason if isinstance(exc, WorkbookUnavailable) else str(exc)
            summary.error = (f"Сводная книга не записана («{target or 'Свод'}»): {reason}. Данные школ "
                             "сохранены, следующая синхронизация запишет её снова.")
            return
        summary.consolidated_written = True
        with self.svod.db.session() as session:
            _set_meta(session, "consolidated_hash", digest)
            _set_meta(session, "consolidated_id", target)

    def extra_tabs(self, session: Session, statuses: dict[tuple[str, str], str]) -> list:
        """Tabs derived from the collections: the municipal order, provision and exchange."""
        return derived_tabs(session, academic_year=self.year, statuses=statuses, collections=self.collections)

    def _record_rates(self, session: Session, run_id: int, statuses: dict[tuple[str, str], str]) -> None:
        """Keep the history of each collection's rates (a row when they change)."""
        codes = [e.code for e in self.entries]
        for collection in self.collections:
            cid = self.collection_ids[collection.key]
            current = rates(statuses[(code, collection.key)] for code in codes)
            last = session.scalar(select(m.RateSnapshot).where(m.RateSnapshot.collection_id == cid)
                                  .order_by(m.RateSnapshot.id.desc()).limit(1))
            if last is None or (last.expected, last.reporting_rate, last.on_time_rate) != (
                    current.expected, current.reporting_rate, current.on_time_rate):
                session.add(m.RateSnapshot(run_id=run_id, collection_id=cid, at=self.now, expected=current.expected,
                                           reporting_rate=current.reporting_rate, on_time_rate=current.on_time_rate))


def _meta(session: Session, key: str) -> str | None:
    row = session.get(m.Meta, key)
    return row.value if row is not None else None


def _set_meta(session: Session, key: str, value: str) -> None:
    session.merge(m.Meta(key=key, value=value))


def _stored_registry(session: Session, schema, year: str):
    """The registry as the last read of the head's workbook stored it."""
    entries = [SchoolEntry(s.code, s.name, s.librarian, s.email, s.workbook, s.active)
               for s in session.scalars(select(m.School).where(m.School.in_registry, m.School.active)
                                        .order_by(m.School.id))]
    collections, ids = [], {}
    rows = session.scalars(select(m.Collection).where(m.Collection.academic_year == year, m.Collection.in_plan)
                           .order_by(m.Collection.position))
    for row in rows:
        form = schema.forms.get(row.form)
        if form is None:  # the form was removed from sheets_schema/: read the head again
            return entries, [], {}
        campaign = schema.campaign(row.campaign) if row.campaign else None
        collections.append(Collection(row.key, form, year, row.deadline, campaign, row.title))
        ids[row.key] = row.id
    return entries, collections, ids


def _finding_record(school_id: int, collection_id: int | None, finding: Finding) -> m.FindingRecord:
    return m.FindingRecord(
        school_id=school_id, collection_id=collection_id, code=finding.code, severity=finding.severity,
        form=finding.form, sheet=finding.sheet, row=finding.row, column=finding.column,
        column_key=finding.column_key, address=finding.address, message=finding.message, hint=finding.hint)


def _record_dict(record: m.FindingRecord) -> dict:
    return {"code": record.code, "severity": record.severity, "form": record.form, "sheet": record.sheet,
            "row": record.row, "column": record.column, "column_key": record.column_key,
            "address": record.address, "message": record.message, "hint": record.hint}


def _latest_versions(session: Session, school_ids: list[int] | None = None
                     ) -> dict[tuple[int, int], m.SubmissionVersion]:
    """(school id, collection id) -> the newest stored version of that submission."""
    query = (select(m.Submission.school_id, m.Submission.collection_id, m.SubmissionVersion)
             .join(m.SubmissionVersion, (m.SubmissionVersion.submission_id == m.Submission.id)
                   & (m.SubmissionVersion.version == m.Submission.version)))
    if school_ids is not None:
        query = query.where(m.Submission.school_id.in_(school_ids))
    return {(school_id, collection_id): version for school_id, collection_id, version in session.execute(query)}


def _store_registry(session: Session, registry: Registry) -> dict[str, int]:
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


def describe(summary: SyncSummary) -> str:
    """One Russian line about a finished run, for the console."""
    state = {"ok": "успешно", "partial": "с ошибками", "failed": "не удалась"}.get(summary.status, summary.status)
    line = (f"Синхронизация {state}: школ {summary.total}, прочитано {summary.read}, без изменений "
            f"{summary.unchanged}, с ошибкой {summary.failed}; «Проверка» обновлена у {summary.checks_written}; "
            f"свод {'обновлён' if summary.consolidated_written else 'без изменений'} ({summary.seconds} с)")
    if summary.error:
        line += f"\n{summary.error}"
    return line
