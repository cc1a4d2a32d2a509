"""Step 4's writing half: each school's «Проверка», rendered from what is stored and
written only when what it says changed, never over a workbook that changed since it was read."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.check_tab import CollectionLine, ReviewLine, content_hash, not_written, render_check_tab
from sync_service.district.review import change_lines
from sync_service.district.status import REVIEW_CHANGED, facts_of, status_of
from sync_service.model import Collection, SchoolEntry
from sync_service.order.fpu_tab import FPU_META, fpu_digest, render_fpu_tab
from sync_service.stores.base import StoreError, TabSpec, WorkbookChanged, WorkbookUnavailable
from sync_service.sync.records import RunContext
from sync_service.sync.reviews import review_changes, version_rows

STATES, SUBMISSIONS = m.WorkbookState.__table__, m.Submission.__table__
VERSIONS, FINDINGS = m.SubmissionVersion.__table__, m.FindingRecord.__table__
FINDING_KEYS = ("collection_id", "code", "severity", "form", "sheet", "row", "column", "column_key", "address",
                "message", "hint")

log = logging.getLogger("svod.sync")


@dataclass(frozen=True)
class CheckWrite:
    """A «Проверка» to write: where, over which marker, and its content hash once written."""

    school_id: int
    workbook_id: str
    marker: str
    tab: TabSpec
    digest: str
    extra: tuple[TabSpec, ...] = ()      # the «ФПУ» tab, when it is to be (re)written in the same write
    fpu_digest: str | None = None        # and its digest, recorded once written


def status(submission: Any, collection: Collection, ctx: RunContext, *, unreadable: bool = False) -> str:
    """``submission``: anything with the facts' attributes (a row, a :class:`Fact`), or None;
    ``unreadable``: the school's workbook cannot be read (``status.facts_of``)."""
    return status_of(facts_of(submission, unreadable=unreadable), collection.deadline, ctx.now.date())


@dataclass(frozen=True)
class Fact:
    """What the «Проверка» says of one collection: the submission's facts and, for a record
    form, the computed values of its newest version (None without one)."""

    ready: bool
    errors: int
    warnings: int
    has_data: bool
    first_submitted_at: Any
    computed: Mapping[str, Any] | None
    review: str | None = None           # the head's review as it stands (district/review.py)
    review_comment: str | None = None
    review_changes: tuple | None = None  # changed since accepted: (first changes, how many)


@dataclass(frozen=True)
class SchoolView:
    """What a school's «Проверка» is rendered from: its workbook's state, its facts per
    collection id, its findings (dicts of :data:`FINDING_KEYS` and ``collection_id``)."""

    workbook_id: str
    marker: str | None
    error: str | None
    check_hash: str | None
    check_error: str | None
    facts: Mapping[int, Fact]
    findings: list[dict]
    # the workbook's «ФПУ» tab as read in this run: "absent", "ours" (Svod's), "foreign" (the
    # librarian's own, never written over); None: not read in this run
    fpu_tab: str | None = None


def load_views(session: Session, school_ids: list[int]) -> dict[int, SchoolView]:
    """The views of ``school_ids`` as stored (three queries whatever their number)."""
    facts: dict[int, dict[int, Fact]] = {}
    for r in session.execute(
            select(SUBMISSIONS.c.school_id, SUBMISSIONS.c.collection_id, SUBMISSIONS.c.ready, SUBMISSIONS.c.errors,
                   SUBMISSIONS.c.warnings, SUBMISSIONS.c.has_data, SUBMISSIONS.c.first_submitted_at,
                   VERSIONS.c.computed, SUBMISSIONS.c.id, SUBMISSIONS.c.review, SUBMISSIONS.c.review_comment,
                   SUBMISSIONS.c.review_version, SUBMISSIONS.c.version)
            .outerjoin(VERSIONS, (VERSIONS.c.submission_id == SUBMISSIONS.c.id)
                       & (VERSIONS.c.version == SUBMISSIONS.c.version))
            .where(SUBMISSIONS.c.school_id.in_(school_ids))):
        changed = None
        if r.review == REVIEW_CHANGED:  # rare: read the two versions only then
            changed = review_changes(session, r.id, r.review_version, version_rows(session, r.id, r.version))
        facts.setdefault(r.school_id, {})[r.collection_id] = Fact(
            r.ready, r.errors, r.warnings, r.has_data, r.first_submitted_at, r.computed, r.review,
            r.review_comment, changed)
    findings: dict[int, list[dict]] = {}
    for row in session.execute(select(FINDINGS).where(FINDINGS.c.school_id.in_(school_ids))
                               .order_by(FINDINGS.c.id)):
        findings.setdefault(row.school_id, []).append({key: row._mapping[key] for key in FINDING_KEYS})
    return {r.school_id: SchoolView(r.workbook_id, r.marker, r.error, r.check_hash, r.check_error,
                                    facts.get(r.school_id, {}), findings.get(r.school_id, []))
            for r in session.execute(
                select(STATES.c.school_id, STATES.c.workbook_id, STATES.c.marker, STATES.c.error,
                       STATES.c.check_hash, STATES.c.check_error).where(STATES.c.school_id.in_(school_ids)))}


def check_writes(ctx: RunContext, collections: list[Collection], collection_ids: Mapping[str, int],
                 entries: list[SchoolEntry], school_ids: Mapping[str, int], fpu: FpuPlan | None,
                 views: Mapping[int, SchoolView] | None = None) -> list[CheckWrite]:
    """The «Проверка» of the readable schools among ``entries`` whose content changed;
    ``fpu`` as :func:`fpu_plan` gives it once a run; ``views`` as :func:`load_views` gives
    them (loaded here when not given)."""
    if not entries:
        return []
    wanted = [school_ids[e.code] for e in entries]
    if views is None:
        with ctx.db.session() as session:
            views = load_views(session, wanted)
    titles = {c.key: c.display_title for c in collections}
    by_id = {cid: key for key, cid in collection_ids.items()}
    writes, cleared = [], []
    for entry in entries:
        school_id = school_ids[entry.code]
        view = views.get(school_id)
        if view is None or view.error or view.marker is None:
            continue  # nothing to write into: the school's error shows on the status page
        lines, reviews = [], []
        for collection in collections:
            fact = view.facts.get(collection_ids[collection.key])
            computed = []
            if collection.form.shape == "record" and fact is not None and fact.computed is not None:
                computed = [(c.label, fact.computed.get(c.key)) for c in collection.form.computed]
            lines.append(CollectionLine(
                collection.display_title, collection.tab, collection.deadline, status(fact, collection, ctx),
                fact.errors if fact else 0, fact.warnings if fact else 0, computed))
            if fact is not None and fact.review is not None:
                reviews.append(review_line(collection, lines[-1].status, fact))
        findings = [{**f, "form_title": titles.get(by_id.get(f["collection_id"]), f["form"] or "")}
                    for f in view.findings]
        tab = render_check_tab(entry.name, lines, findings, checked_at=ctx.now, reviews=reviews)
        digest = content_hash(tab)
        extra, fpu_written = (), None
        if fpu is not None and fpu_due(view.fpu_tab, fpu.written.get(school_id), fpu.digest):
            extra, fpu_written = (fpu.tab,), fpu.digest
        if digest != view.check_hash or extra:
            writes.append(CheckWrite(school_id, view.workbook_id, view.marker, tab, digest, extra, fpu_written))
        elif view.check_error:
            cleared.append(school_id)  # back to what the workbook's tab says (a failed write changed nothing)
    if cleared:
        with ctx.db.session() as session:
            session.execute(update(STATES).where(STATES.c.school_id.in_(cleared))
                            .values(check_error=None, check_error_at=None))
    return writes


def review_line(collection: Collection, status: str, fact: Fact) -> ReviewLine:
    """The head's review of one collection as «Проверка» says it."""
    found, total = fact.review_changes or ((), 0)
    labels = {c.key: c.label for c in collection.form.columns}
    return ReviewLine(collection.display_title, collection.tab, status, fact.review_comment or "",
                      tuple(change_lines(list(found), total, labels)))


def write_check(ctx: RunContext, write: CheckWrite) -> str:
    """Write one «Проверка» (and the «ФПУ» tab when due, in the same write) on a writer
    thread; returns the workbook's new marker."""
    return ctx.store.write_tabs(write.workbook_id, [write.tab, *write.extra], expect_marker=write.marker)


# --- the «ФПУ» tab (sync_service/order/fpu_tab.py) ---------------------------------------------

_RENDERED: dict[int, tuple[Any, TabSpec, str]] = {}   # id of the list's index -> (index, tab, digest)


@dataclass(frozen=True)
class FpuPlan:
    """The «ФПУ» tab of one run: the list in force rendered, its digest, and what Svod last
    wrote into each school's workbook (a school's «Проверка» is written once a run, so
    what was stored when the run began is what holds)."""

    tab: TabSpec
    digest: str
    written: Mapping[int, str]   # school id -> the digest of the «ФПУ» tab Svod last wrote there


def fpu_plan(ctx: RunContext, collections: list[Collection], index: Any) -> FpuPlan | None:
    """The run's :class:`FpuPlan` (two queries, once a run); None when no form of the plan has
    a «Код ФПУ» column or no list is loaded (``index``: the list in force, as
    ``current_fpu`` gives it)."""
    if index is None or not len(index) or not any(
            column.type == "fpu_code" for c in collections for column in c.form.columns):
        return None
    held = _RENDERED.get(id(index))
    if held is None or held[0] is not index:
        tab = render_fpu_tab(index)
        _RENDERED.clear()
        _RENDERED[id(index)] = held = (index, tab, fpu_digest(tab))
    return FpuPlan(held[1], held[2], _fpu_digests(ctx))


def _fpu_digests(ctx: RunContext) -> dict[int, str]:
    """School id -> the digest of the «ФПУ» tab Svod last wrote into its workbook (one query)."""
    with ctx.db.session() as session:
        rows = session.execute(select(m.Meta.key, m.Meta.value)
                               .where(m.Meta.key.startswith(FPU_META, autoescape=True))).all()
    return {int(key[len(FPU_META):]): value for key, value in rows if key[len(FPU_META):].isdigit()}


def fpu_due(state: str | None, written: str | None, digest: str) -> bool:
    """Is the «ФПУ» tab to be written: where the workbook has none, where Svod's own is not
    the list in force; never over the librarian's own tab of that name. ``state`` as
    :attr:`SchoolView.fpu_tab` (None: not read in this run — then only a tab Svod wrote
    before, by its recorded digest)."""
    if state == "foreign":
        return False
    if state == "absent":
        return True
    if state == "ours":
        return written != digest
    return written is not None and written != digest


def finish_check_write(ctx: RunContext, write: CheckWrite, future: Future) -> tuple[str | None, str | None]:
    """A finished write: (the workbook's new marker when written, why it failed — Russian —
    when it failed); both None when the librarian saved meanwhile (her work wins: the next
    sync reads it and writes then). The caller records the written ones (:func:`record_written`).

    A failure is the school's error until a write succeeds: shown on the status page and in
    the head's digest, the school counted failed in this run; its check hash stays the old
    one, so the next sync writes again even when the workbook did not change."""
    try:
        return future.result(), None
    except WorkbookChanged:
        return None, None
    except WorkbookUnavailable as exc:
        log.warning("could not write «Проверка» for school %s: %s", write.school_id, exc)
        reason = exc.reason
    except StoreError as exc:
        log.warning("could not write «Проверка» for school %s: %s", write.school_id, exc)
        reason = str(exc)
    except Exception:  # a defect (ours or a library's) must not stop the run
        log.exception("writing «Проверка» for school %s failed", write.school_id)
        reason = "внутренняя ошибка при записи (подробности в журнале сервиса)"
    with ctx.db.session() as session:
        session.execute(update(STATES).where(STATES.c.school_id == write.school_id)
                        .values(check_error=reason, check_error_at=ctx.now))
        session.execute(update(m.SyncOutcome).where(m.SyncOutcome.run_id == ctx.run_id,
                                                    m.SyncOutcome.school_id == write.school_id)
                        .values(outcome="failed", error=not_written(reason)))
    return None, reason


def record_written(ctx: RunContext, written: list[tuple[CheckWrite, str]]) -> None:
    """The new check hash and marker of written tabs, in one statement for many: a process
    killed before it only makes the next sync read those schools and write the same tabs again."""
    if written:
        with ctx.db.session() as session:
            session.execute(update(STATES).where(STATES.c.school_id == bindparam("b_school")).values(
                check_hash=bindparam("b_hash"), marker=bindparam("b_marker"), check_error=None, check_error_at=None),
                [{"b_school": w.school_id, "b_hash": w.digest, "b_marker": marker} for w, marker in written])
            fpu = {f"{FPU_META}{w.school_id}": w.fpu_digest for w, _ in written if w.fpu_digest is not None}
            if fpu:  # replaced in two statements (a merge is a query and a write per school)
                session.execute(delete(m.Meta).where(m.Meta.key.in_(list(fpu))))
                session.execute(insert(m.Meta), [{"key": key, "value": value} for key, value in fpu.items()])
