"""Steps 3 and 4 of a run, school by school: locate each workbook, decide which to read,
read, hash, parse and validate it (:func:`read_and_parse`, on a reader thread: nothing
there writes to the database), and absorb it — store it in one transaction."""
from __future__ import annotations

import time
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, DateTime, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.registry import shifted_year
from sync_service.district.review import after_read, fingerprint
from sync_service.district.status import REVIEW_CHANGED, first_submission
from sync_service.findings import Finding, column_letter, make_finding
from sync_service.forms.layout import CHECK_TAB, archive_title
from sync_service.forms.table import Table
from sync_service.forms.validation import data_hash, parse_form
from sync_service.forms.year_over_year import LastYear
from sync_service.model import Collection, FormResult, SchoolEntry, titled_after
from sync_service.order.fpu_tab import FPU_TAB, fpu_state
from sync_service.order.models import current_fpu
from sync_service.ru import shortened
from sync_service.stores.base import StoreError, Workbook, WorkbookInfo, WorkbookStore, WorkbookUnavailable
from sync_service.sync.checks import Fact, SchoolView
from sync_service.sync.records import RunContext, digest, finding_record, finding_row
from sync_service.sync.reviews import review_changes

# read / unchanged / failed: what became of a school in a run (sync_outcomes.outcome)
READ, UNCHANGED, FAILED = "read", "unchanged", "failed"

STATES, OUTCOMES = m.WorkbookState.__table__, m.SyncOutcome.__table__
SUBMISSIONS, VERSIONS, FINDINGS = m.Submission.__table__, m.SubmissionVersion.__table__, m.FindingRecord.__table__


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
    stored: bool = False              # a workbook_states row exists
    content_hash: str | None = None
    check_hash: str | None = None
    check_error: str | None = None


@dataclass(frozen=True)
class Triage:
    """Which schools to read, which are unchanged, which have no workbook."""

    missing: list[tuple[SchoolEntry, str]]   # (entry, the workbook id found or "")
    unchanged: list[SchoolEntry]
    to_read: list[tuple[SchoolEntry, str]]   # (entry, workbook id)
    # (entry, workbook id, why): not yet turned to this year, so not read as this year's
    held: list[tuple[SchoolEntry, str, str]] = field(default_factory=list)


# --- locating and deciding (pure) -------------------------------------------------------

WORKBOOK_ID_LENGTH = 500  # workbook_states.workbook_id


def locate_workbooks(entries: list[SchoolEntry], listing: Mapping[str, WorkbookInfo],
                     workbook_id_for: Callable[[str], str]) -> dict[str, str | None]:
    """School code -> workbook id: the «Книга» column, else a workbook named after the code."""
    targets: dict[str, str | None] = {}
    for entry in entries:
        if entry.workbook:
            try:
                targets[entry.code] = workbook_id_for(entry.workbook)
            except (OSError, StoreError):  # no file system or drive takes such a name: no workbook
                targets[entry.code] = None
            continue
        match = [w.id for w in listing.values() if titled_after(w.title, entry.code)]
        targets[entry.code] = match[0] if len(match) == 1 else None
    return targets


def triage(entries: list[SchoolEntry], targets: Mapping[str, str | None], listing: Mapping[str, WorkbookInfo],
           known: Mapping[str, Known], *, force: bool, changed: set[str] = frozenset()) -> Triage:
    """A workbook is read only when its change marker moved, or it failed last time (or ``force``),
    or Svod itself just changed it (``changed``: codes whose workbook got a head's form's tab)."""
    missing, unchanged, to_read = [], [], []
    for entry in entries:
        workbook_id = targets.get(entry.code)
        info = listing.get(workbook_id) if workbook_id else None
        state = known.get(entry.code)
        if info is None:
            missing.append((entry, workbook_id or ""))
        elif force or state is None or state.marker != info.marker or state.failed or entry.code in changed:
            to_read.append((entry, workbook_id))
        else:
            unchanged.append(entry)
    return Triage(missing, unchanged, to_read)


def hold_unturned(chosen: Triage, unturned: Mapping[str, str]) -> Triage:
    """Keep the schools whose workbook the year's turn could not change yet from being read:
    their tabs still hold last year's data."""
    if not unturned:
        return chosen
    held = [(e, w, unturned[e.code]) for e, w in chosen.to_read if e.code in unturned]
    held += [(e, "", unturned[e.code]) for e in chosen.unchanged if e.code in unturned]
    return Triage(chosen.missing, [e for e in chosen.unchanged if e.code not in unturned],
                  [(e, w) for e, w in chosen.to_read if e.code not in unturned], held)


def known_schools(session: Session) -> dict[str, Known]:
    """School code -> what the last sync saw of its workbook (every stored school)."""
    states = {s.school_id: s for s in session.scalars(select(m.WorkbookState))}
    known = {}
    for school_id, code in session.execute(select(m.School.id, m.School.code)):
        state = states.get(school_id)
        known[code] = Known(school_id, state.marker, bool(state.error), True, state.content_hash, state.check_hash,
                            state.check_error) if state else Known(school_id)
    return known


# --- reading and parsing ------------------------------------------------------------------

def workbook_hash(workbook: Workbook) -> str:
    """What people typed: every tab but the service's own «Проверка» and «ФПУ»."""
    return digest([(title, sheet.rows, sheet.merges) for title, sheet in sorted(workbook.sheets.items())
                   if title not in (CHECK_TAB, FPU_TAB)])


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
                   reference: Mapping[str, Any], last_year: Mapping[str, LastYear] | None = None
                   ) -> dict[str, FormResult]:
    """Every collection's tab; forms with extra checks last, so they can use the others.
    ``last_year``: collection key -> the school's snapshot of it a year earlier, for the
    forms that compare with it (``year_over_year:``)."""
    results: dict[str, FormResult] = {}
    last_year = last_year or {}
    for collection in sorted(collections, key=lambda c: bool(c.form.checks)):
        context = None
        if collection.form.checks or (collection.form.year_over_year and collection.key in last_year):
            context = check_context(results, year, reference)
            if collection.key in last_year:
                context["last_year"] = last_year[collection.key]
        results[collection.key] = parse_form(collection.form, workbook.sheet(collection.tab),
                                             tab=collection.tab, context=context)
    return results


def schools_with_last_year(session: Session, year: str) -> set[int]:
    """The schools that have a snapshot in the year before ``year`` (one query a run): only
    theirs are looked up school by school (:func:`last_year_snapshots`)."""
    return set(session.scalars(select(SUBMISSIONS.c.school_id).distinct()
                               .join(m.Collection.__table__, m.Collection.id == SUBMISSIONS.c.collection_id)
                               .where(m.Collection.academic_year == shifted_year(year, -1))))


_LAST_YEAR = (select(m.Collection.key, m.Collection.tab, m.SubmissionVersion.rows)
              .join(m.Submission, m.Submission.collection_id == m.Collection.id)
              .join(m.SubmissionVersion, (m.SubmissionVersion.submission_id == m.Submission.id)
                    & (m.SubmissionVersion.version == m.Submission.version))
              .where(m.Submission.school_id == bindparam("school_id"),
                     m.Collection.academic_year == bindparam("previous")))


def last_year_snapshots(session: Session, school_id: int, year: str) -> dict[str, LastYear]:
    """Collection key -> the school's newest snapshot of the same collection in the year
    before ``year`` (one query), with where its tab is now (renamed with its year)."""
    previous = shifted_year(year, -1)
    return {key: LastYear(previous, archive_title(tab, previous), Table.from_json(rows),
                          dict((rows or {}).get("places") or {}) if isinstance(rows, dict) else {})
            for key, tab, rows in session.execute(_LAST_YEAR, {"school_id": school_id, "previous": previous})}


def stored_rows(result: FormResult) -> dict[str, Any]:
    """A snapshot's rows as stored: the table's columns, and where the values were
    (record fields' cells, table columns' letters) for next year's comparisons."""
    stored = result.table.to_json()
    places = result.places or {key: column_letter(col) for key, col in result.positions.items()}
    if places:
        stored["places"] = places
    return stored


def check_context(results: Mapping[str, FormResult], year: str, reference: Mapping[str, Any]) -> dict[str, Any]:
    """What named checks may use: the academic year and students per grade of this school
    (and, added per collection by :func:`parse_workbook`, its snapshot of last year)."""
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
    shown = shortened(workbook_id or entry.workbook)
    finding = make_finding("missing-workbook", workbook=shown or f"{entry.code} …")
    kept = workbook_id if len(workbook_id) <= WORKBOOK_ID_LENGTH else ""  # no id is that long
    return record_failure(ctx, school_id, entry.code, kept, finding, f"нет книги «{shown or entry.code}»")


@dataclass(frozen=True)
class Prepared:
    """One tab's result with what storing it needs worked out beforehand (on the reader
    thread, so that the run's one writing thread only writes)."""

    result: FormResult
    digest: str                 # :func:`~sync_service.forms.validation.data_hash`
    rows: dict[str, Any]        # :func:`stored_rows`
    computed: Any               # the computed values as JSON holds them
    blocked: list[list[int]]    # the blocked rows as runs (``db.row_runs``)


def prepare(result: FormResult) -> Prepared:
    return Prepared(result, data_hash(result), stored_rows(result), m.json_safe(result.computed),
                    m.row_runs(result.blocked_rows))


@dataclass
class Parsed:
    """A school's workbook as a reader thread leaves it: read, hashed and, unless what
    people typed is what was stored, parsed and validated (:func:`read_and_parse`)."""

    workbook: Workbook | None
    error: str | None                    # why it could not be read (Russian), or None
    millis: int                          # how long the read took
    content: str | None = None           # :func:`workbook_hash`
    results: dict[str, Prepared] | None = None     # collection key -> its tab's result; None: unchanged
    defect: Exception | None = None      # a defect of ours while hashing or parsing (re-raised by the caller)


def unchanged_content(ctx: RunContext, known: Known, content: str) -> bool:
    """What people typed is what the last good read stored: nothing to parse or store."""
    return not ctx.force and known.stored and known.content_hash == content and not known.failed


def read_and_parse(ctx: RunContext, collections: list[Collection], known: Known, workbook_id: str,
                   reference: Mapping[str, Any], last_year: Container[int] | None = None) -> Parsed:
    """Read, hash and parse one school's workbook: what needs no write to the database, so
    it runs on a reader thread while the run stores the schools before it. ``last_year``:
    the schools with a snapshot of last year (:func:`schools_with_last_year`; None: look
    it up); only theirs are queried."""
    workbook, error, millis = read_workbook(ctx.store, workbook_id)
    if workbook is None:
        return Parsed(None, error, millis)
    try:
        content = workbook_hash(workbook)
        if unchanged_content(ctx, known, content):
            return Parsed(workbook, None, millis, content)
        earlier = {}
        if last_year is None or known.school_id in last_year:
            with ctx.db.session() as session:
                earlier = last_year_snapshots(session, known.school_id, ctx.year)
        results = parse_workbook(collections, workbook, year=ctx.year, reference=reference, last_year=earlier)
        return Parsed(workbook, None, millis, content, {key: prepare(result) for key, result in results.items()})
    except Exception as exc:  # noqa: BLE001 — handed to the run, which records it for this school only
        return Parsed(workbook, None, millis, defect=exc)


def absorb(ctx: RunContext, collections: list[Collection], collection_ids: Mapping[str, int], known: Known,
           entry: SchoolEntry, parsed: Parsed) -> tuple[Outcome, SchoolView | None]:
    """Store one school's parsed workbook (:func:`read_and_parse`) in one transaction: a
    handful of statements whatever the number of its tabs and findings (Core
    ``executemany``). With it the view its «Проверка» is rendered from, when it was
    parsed (else it is loaded). A defect met while parsing is raised here."""
    if parsed.defect is not None:
        raise parsed.defect
    workbook, school_id = parsed.workbook, known.school_id
    view = None
    with ctx.db.session() as session:
        values = dict(workbook_id=workbook.id, marker=workbook.marker, read_at=ctx.now, error=None, error_at=None,
                      last_ok_at=ctx.now, content_hash=parsed.content)
        session.execute(_UPDATE_STATE if known.stored else _INSERT_STATE, {"b_school": school_id, **values})
        if parsed.results is not None:
            facts, findings = store_results(ctx, session, school_id,
                                            {collection_ids[c.key]: parsed.results[c.key] for c in collections})
            view = SchoolView(workbook.id, workbook.marker, None, known.check_hash, known.check_error, facts, findings,
                              fpu_state(workbook))
        kind = UNCHANGED if parsed.results is None else READ
        session.execute(_INSERT_OUTCOME, [{"run_id": ctx.run_id, "school_id": school_id, "outcome": kind,
                                           "error": None, "duration_ms": parsed.millis}])
    return Outcome(entry.code, kind), view


# The statements of a school's storing, built once (building one costs more than running it).
_STATE_VALUES = ("workbook_id", "marker", "read_at", "error", "error_at", "last_ok_at", "content_hash")
_UPDATE_STATE = update(STATES).where(STATES.c.school_id == bindparam("b_school")).values(
    {name: bindparam(name) for name in _STATE_VALUES})
_INSERT_STATE = insert(STATES).values(school_id=bindparam("b_school"), **{name: bindparam(name) for name in _STATE_VALUES})
_INSERT_OUTCOME = insert(OUTCOMES)
_STORED = (select(SUBMISSIONS.c.id, SUBMISSIONS.c.collection_id, SUBMISSIONS.c.version,
                  SUBMISSIONS.c.first_submitted_at, SUBMISSIONS.c.review, SUBMISSIONS.c.review_hash,
                  SUBMISSIONS.c.review_comment, SUBMISSIONS.c.review_version, VERSIONS.c.data_hash, VERSIONS.c.computed)
           .outerjoin(VERSIONS, (VERSIONS.c.submission_id == SUBMISSIONS.c.id)
                      & (VERSIONS.c.version == SUBMISSIONS.c.version))
           .where(SUBMISSIONS.c.school_id == bindparam("school_id")))
_INSERT_SUBMISSIONS = insert(SUBMISSIONS).returning(SUBMISSIONS.c.id, SUBMISSIONS.c.collection_id)
_UPDATE_SUBMISSIONS = update(SUBMISSIONS).where(SUBMISSIONS.c.id == bindparam("b_id")).values(
    present=bindparam("present"), ready=bindparam("ready"), ready_date=bindparam("ready_date"),
    has_data=bindparam("has_data"), errors=bindparam("errors"), warnings=bindparam("warnings"),
    blocked_rows=bindparam("blocked_rows", type_=JSON), version=bindparam("version"),
    first_submitted_at=bindparam("first_submitted_at"), review=bindparam("review"),
    changed_at=func.coalesce(bindparam("b_changed", type_=DateTime), SUBMISSIONS.c.changed_at))
_INSERT_VERSIONS, _INSERT_FINDINGS = insert(VERSIONS), insert(FINDINGS)
# this year's findings and the workbook's own are replaced; earlier years' stay as they were
_DELETE_FINDINGS = delete(FINDINGS).where(
    FINDINGS.c.school_id == bindparam("school_id"),
    FINDINGS.c.collection_id.in_(select(m.Collection.id).where(m.Collection.academic_year == bindparam("year")))
    | FINDINGS.c.collection_id.is_(None))


def store_results(ctx: RunContext, session: Session, school_id: int, results: Mapping[int, Prepared]
                  ) -> tuple[dict[int, Fact], list[dict]]:
    """Each submission's facts, a new snapshot version where what the tab says changed, and
    the school's findings (replacing the last read's); returns them as the school's
    «Проверка» shows them."""
    stored = {row.collection_id: row for row in session.execute(_STORED, {"school_id": school_id})}
    facts, updates, inserts, versions = {}, [], [], []
    for cid, prepared in results.items():
        result, content = prepared.result, prepared.digest
        row = stored.get(cid)
        version = row.version if row else 0
        computed = row.computed if row else None
        fact = {"present": result.present, "ready": result.ready, "ready_date": result.ready_date,
                "has_data": result.has_data, "errors": result.errors, "warnings": result.warnings,
                "blocked_rows": prepared.blocked,
                "first_submitted_at": first_submission(
                    row.first_submitted_at if row else None, ready=result.ready, errors=result.errors,
                    has_data=result.has_data, ready_date=result.ready_date, now=ctx.now)}
        changed = (row is None or row.data_hash != content) and (result.has_data or version)
        review = row.review if row else None
        if review is not None:  # the head's review moves on when the school changes the data (review.py)
            review = after_read(review, row.review_hash, fingerprint(result.table), ready=result.ready)
        if changed:
            version, computed = version + 1, prepared.computed
            versions.append((cid, {"version": version, "data_hash": content, "rows": prepared.rows,
                                   "computed": computed, "ready": result.ready, "errors": result.errors,
                                   "created_at": ctx.now, "run_id": ctx.run_id}))
        if row is None:
            inserts.append({"school_id": school_id, "collection_id": cid, "version": version,
                            "changed_at": ctx.now if changed else None, **fact})
        else:
            updates.append({"b_id": row.id, "version": version, "b_changed": ctx.now if changed else None,
                            "review": review, **fact})
        facts[cid] = Fact(result.ready, result.errors, result.warnings, result.has_data, fact["first_submitted_at"],
                          computed, review, row.review_comment if review else None,
                          review_changes(session, row.id, row.review_version, prepared.rows)
                          if review == REVIEW_CHANGED else None)
    ids = {cid: row.id for cid, row in stored.items()}
    if inserts:
        ids.update({r.collection_id: r.id for r in session.execute(_INSERT_SUBMISSIONS, inserts)})
    if updates:
        session.execute(_UPDATE_SUBMISSIONS, updates)
    if versions:
        session.execute(_INSERT_VERSIONS, [{"submission_id": ids[cid], **values} for cid, values in versions])
    session.execute(_DELETE_FINDINGS, {"school_id": school_id, "year": ctx.year})
    findings = [finding_row(school_id, cid, f) for cid, prepared in results.items() for f in prepared.result.findings]
    if findings:
        session.execute(_INSERT_FINDINGS, findings)
    return facts, findings
