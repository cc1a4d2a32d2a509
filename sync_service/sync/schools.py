"""Steps 3 and 4 of a run, school by school: locate each workbook, decide which to read,
read it, and absorb it — parse, validate and store in one transaction."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.status import first_submission
from sync_service.findings import Finding, make_finding
from sync_service.forms.layout import CHECK_TAB
from sync_service.forms.validation import data_hash, parse_form
from sync_service.model import Collection, FormResult, SchoolEntry
from sync_service.order.models import current_fpu
from sync_service.stores.base import StoreError, Workbook, WorkbookInfo, WorkbookStore, WorkbookUnavailable
from sync_service.sync.records import RunContext, digest, finding_record

# read / unchanged / failed: what became of a school in a run (sync_outcomes.outcome)
READ, UNCHANGED, FAILED = "read", "unchanged", "failed"


@dataclass(frozen=True)
class Outcome:
    code: str
    kind: str                  # READ, UNCHANGED or FAILED
    reason: str | None = None  # FAILED: the Russian reason


@dataclass(frozen=True)
class Known:
    """What the last sync saw of a school's workbook."""

    school_id: int
    marker: str | None = None
    failed: bool = False


@dataclass(frozen=True)
class Triage:
    """Which schools to read, which are unchanged, which have no workbook."""

    missing: list[tuple[SchoolEntry, str]]   # (entry, the workbook id found or "")
    unchanged: list[SchoolEntry]
    to_read: list[tuple[SchoolEntry, str]]   # (entry, workbook id)


# --- locating and deciding (pure) -------------------------------------------------------

def locate_workbooks(entries: list[SchoolEntry], listing: Mapping[str, WorkbookInfo],
                     workbook_id_for: Callable[[str], str]) -> dict[str, str | None]:
    """School code -> workbook id: the «Книга» column, else a workbook named after the code."""
    targets: dict[str, str | None] = {}
    for entry in entries:
        if entry.workbook:
            targets[entry.code] = workbook_id_for(entry.workbook)
            continue
        prefix = entry.code.casefold()
        match = [w.id for w in listing.values() if w.title.casefold() == prefix
                 or w.title.casefold().startswith(prefix + " ")]
        targets[entry.code] = match[0] if len(match) == 1 else None
    return targets


def triage(entries: list[SchoolEntry], targets: Mapping[str, str | None], listing: Mapping[str, WorkbookInfo],
           known: Mapping[str, Known], *, force: bool) -> Triage:
    """A workbook is read only when its change marker moved, or it failed last time (or ``force``)."""
    missing, unchanged, to_read = [], [], []
    for entry in entries:
        workbook_id = targets.get(entry.code)
        info = listing.get(workbook_id) if workbook_id else None
        state = known.get(entry.code)
        if info is None:
            missing.append((entry, workbook_id or ""))
        elif force or state is None or state.marker != info.marker or state.failed:
            to_read.append((entry, workbook_id))
        else:
            unchanged.append(entry)
    return Triage(missing, unchanged, to_read)


def known_schools(session: Session) -> dict[str, Known]:
    """School code -> what the last sync saw of its workbook (every stored school)."""
    states = {s.school_id: s for s in session.scalars(select(m.WorkbookState))}
    known = {}
    for school_id, code in session.execute(select(m.School.id, m.School.code)):
        state = states.get(school_id)
        known[code] = Known(school_id, state.marker, bool(state.error)) if state else Known(school_id)
    return known


# --- reading and parsing ------------------------------------------------------------------

def workbook_hash(workbook: Workbook) -> str:
    """What people typed: every tab but the service's own «Проверка»."""
    return digest([(title, sheet.rows, sheet.merges) for title, sheet in sorted(workbook.sheets.items())
                   if title != CHECK_TAB])


def read_workbook(store: WorkbookStore, workbook_id: str) -> tuple[Workbook | None, str | None, int]:
    """(the workbook or None, the Russian reason it could not be read or None, milliseconds)."""
    started = time.monotonic()
    try:
        workbook, error = store.read(workbook_id), None
    except WorkbookUnavailable as exc:
        workbook, error = None, exc.reason
    except StoreError as exc:
        workbook, error = None, str(exc)
    return workbook, error, int((time.monotonic() - started) * 1000)


def reference_data(ctx: RunContext) -> dict[str, Any]:
    """Reference lists for named checks (the federal textbook list), loaded once a run."""
    with ctx.db.session() as session:
        fpu = current_fpu(session)
    return {"fpu": fpu} if fpu is not None else {}


def parse_workbook(collections: list[Collection], workbook: Workbook, *, year: str,
                   reference: Mapping[str, Any]) -> dict[str, FormResult]:
    """Every collection's tab; forms with extra checks last, so they can use the others."""
    results: dict[str, FormResult] = {}
    for collection in sorted(collections, key=lambda c: bool(c.form.checks)):
        context = check_context(results, year, reference) if collection.form.checks else None
        results[collection.key] = parse_form(collection.form, workbook.sheet(collection.tab),
                                             tab=collection.tab, context=context)
    return results


def check_context(results: Mapping[str, FormResult], year: str, reference: Mapping[str, Any]) -> dict[str, Any]:
    """What named checks may use: the academic year and students per grade of this school."""
    students: dict[int, int] = {}
    provision = results.get("textbook_provision")
    for row in provision.rows if provision else ():
        grade, count = row.get("grade"), row.get("students")
        if isinstance(grade, int) and isinstance(count, int):
            students[grade] = max(students.get(grade, 0), count)
    return {"academic_year": year, "students_by_grade": students, **reference}


# --- storing --------------------------------------------------------------------------------

def record_unchanged(ctx: RunContext, school_id: int, code: str) -> Outcome:
    with ctx.db.session() as session:
        session.add(m.SyncOutcome(run_id=ctx.run_id, school_id=school_id, outcome=UNCHANGED, duration_ms=0))
    return Outcome(code, UNCHANGED)


def record_failure(ctx: RunContext, school_id: int, code: str, workbook_id: str, finding: Finding,
                   reason: str, millis: int = 0) -> Outcome:
    """The school keeps its submissions and snapshots; only its error is recorded."""
    with ctx.db.session() as session:
        state = session.get(m.WorkbookState, school_id) or m.WorkbookState(school_id=school_id)
        state.workbook_id, state.error, state.error_at = workbook_id, reason, ctx.now
        session.add(state)
        session.execute(delete(m.FindingRecord).where(m.FindingRecord.school_id == school_id,
                                                      m.FindingRecord.collection_id.is_(None)))
        session.add(finding_record(school_id, None, finding))
        session.add(m.SyncOutcome(run_id=ctx.run_id, school_id=school_id, outcome=FAILED, error=reason,
                                  duration_ms=millis))
    return Outcome(code, FAILED, reason)


def record_missing(ctx: RunContext, school_id: int, entry: SchoolEntry, workbook_id: str) -> Outcome:
    shown = workbook_id or entry.workbook
    finding = make_finding("missing-workbook", workbook=shown or f"{entry.code} …")
    return record_failure(ctx, school_id, entry.code, workbook_id, finding, f"нет книги «{shown or entry.code}»")


def absorb(ctx: RunContext, collections: list[Collection], collection_ids: Mapping[str, int], school_id: int,
           entry: SchoolEntry, workbook: Workbook, millis: int, reference: Mapping[str, Any]) -> Outcome:
    """Parse, validate and store one school's workbook in one transaction."""
    content = workbook_hash(workbook)
    with ctx.db.session() as session:
        state = session.get(m.WorkbookState, school_id) or m.WorkbookState(school_id=school_id)
        session.add(state)
        unchanged = not ctx.force and state.content_hash == content and state.error is None
        state.workbook_id, state.marker, state.read_at = workbook.id, workbook.marker, ctx.now
        state.error, state.error_at, state.last_ok_at = None, None, ctx.now
        if not unchanged:
            state.content_hash = content
            results = parse_workbook(collections, workbook, year=ctx.year, reference=reference)
            session.execute(delete(m.FindingRecord).where(m.FindingRecord.school_id == school_id))
            for collection in collections:
                store_result(ctx, session, school_id, collection_ids[collection.key], results[collection.key])
        kind = UNCHANGED if unchanged else READ
        session.add(m.SyncOutcome(run_id=ctx.run_id, school_id=school_id, outcome=kind, duration_ms=millis))
    return Outcome(entry.code, kind)


def store_result(ctx: RunContext, session: Session, school_id: int, collection_id: int, result: FormResult) -> None:
    """The submission's facts, a new snapshot version when what the tab says changed, its findings."""
    submission = session.scalar(select(m.Submission).where(m.Submission.school_id == school_id,
                                                           m.Submission.collection_id == collection_id))
    if submission is None:
        submission = m.Submission(school_id=school_id, collection_id=collection_id, version=0)
        session.add(submission)
    submission.present, submission.ready, submission.ready_date = result.present, result.ready, result.ready_date
    submission.has_data, submission.errors, submission.warnings = result.has_data, result.errors, result.warnings
    submission.blocked_rows = m.row_runs(result.blocked_rows)
    submission.first_submitted_at = first_submission(
        submission.first_submitted_at, ready=result.ready, errors=result.errors, has_data=result.has_data,
        ready_date=result.ready_date, now=ctx.now)
    content = data_hash(result)
    latest = None
    if submission.version:
        latest = session.scalar(select(m.SubmissionVersion.data_hash).where(
            m.SubmissionVersion.submission_id == submission.id,
            m.SubmissionVersion.version == submission.version))
    if latest != content and (result.has_data or submission.version):
        session.flush()
        submission.version += 1
        submission.changed_at = ctx.now
        session.add(m.SubmissionVersion(
            submission_id=submission.id, version=submission.version, data_hash=content,
            rows=result.table.to_json(), computed=m.json_safe(result.computed), ready=result.ready,
            errors=result.errors, created_at=ctx.now, run_id=ctx.run_id))
    for finding in result.findings:
        session.add(finding_record(school_id, collection_id, finding))
