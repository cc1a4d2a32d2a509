"""Step 4's writing half: each school's «Проверка», rendered from what is stored and
written only when what it says changed, never over a workbook that changed since it was read."""
from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import select, update

from sync_service import db as m
from sync_service.district.check_tab import CollectionLine, content_hash, not_written, render_check_tab
from sync_service.district.status import Facts, status_of
from sync_service.model import Collection, SchoolEntry
from sync_service.stores.base import StoreError, TabSpec, WorkbookChanged, WorkbookUnavailable
from sync_service.sync.records import RunContext, latest_versions, record_dict, submissions_by_pair

log = logging.getLogger("svod.sync")


@dataclass(frozen=True)
class CheckWrite:
    """A «Проверка» to write: where, over which marker, and its content hash once written."""

    school_id: int
    workbook_id: str
    marker: str
    tab: TabSpec
    digest: str


def status(submission: m.Submission | None, collection: Collection, ctx: RunContext) -> str:
    facts = Facts(False, 0, False, None) if submission is None else Facts(
        submission.ready, submission.errors, submission.has_data, submission.first_submitted_at)
    return status_of(facts, collection.deadline, ctx.now.date())


def check_writes(ctx: RunContext, collections: list[Collection], collection_ids: Mapping[str, int],
                 entries: list[SchoolEntry], school_ids: Mapping[str, int]) -> list[CheckWrite]:
    """The «Проверка» of the readable schools among ``entries`` whose content changed."""
    if not entries:
        return []
    wanted = [school_ids[e.code] for e in entries]
    writes = []
    with ctx.db.session() as session:
        submissions = submissions_by_pair(session, wanted)
        states = {s.school_id: s for s in session.scalars(
            select(m.WorkbookState).where(m.WorkbookState.school_id.in_(wanted)))}
        titles = {c.key: c.display_title for c in collections}
        by_id = {cid: key for key, cid in collection_ids.items()}
        findings: dict[int, list[dict]] = {}
        for record in session.scalars(select(m.FindingRecord).where(m.FindingRecord.school_id.in_(wanted))):
            item = record_dict(record)
            item["form_title"] = titles.get(by_id.get(record.collection_id), record.form or "")
            findings.setdefault(record.school_id, []).append(item)
        versions = latest_versions(session, wanted)
        for entry in entries:
            school_id = school_ids[entry.code]
            state = states.get(school_id)
            if state is None or state.error or state.marker is None:
                continue  # nothing to write into: the school's error shows on the status page
            lines = []
            for collection in collections:
                cid = collection_ids[collection.key]
                submission = submissions.get((school_id, cid))
                version = versions.get((school_id, cid))
                computed = []
                if collection.form.shape == "record" and version is not None:
                    computed = [(c.label, (version.computed or {}).get(c.key)) for c in collection.form.computed]
                lines.append(CollectionLine(
                    collection.display_title, collection.tab, collection.deadline, status(submission, collection, ctx),
                    submission.errors if submission else 0, submission.warnings if submission else 0, computed))
            tab = render_check_tab(entry.name, lines, findings.get(school_id, []), checked_at=ctx.now)
            digest = content_hash(tab)
            if digest != state.check_hash:
                writes.append(CheckWrite(school_id, state.workbook_id, state.marker, tab, digest))
            elif state.check_error:
                # back to what the workbook's tab says (a failed write changed nothing there)
                state.check_error = state.check_error_at = None
    return writes


def write_check(ctx: RunContext, write: CheckWrite) -> str:
    """Write one «Проверка» (on a writer thread); returns the workbook's new marker."""
    return ctx.store.write_tabs(write.workbook_id, [write.tab], expect_marker=write.marker)


def finish_check_write(ctx: RunContext, write: CheckWrite, future: Future) -> str | None:
    """Record a finished write; returns why it failed (Russian), or None (written, or the
    librarian saved meanwhile: their work wins, the next sync reads it and writes then).

    A failure is the school's error until a write succeeds: shown on the status page and in
    the head's digest, the school counted failed in this run; its check hash stays the old
    one, so the next sync writes again even when the workbook did not change."""
    try:
        new_marker = future.result()
    except WorkbookChanged:
        return None
    except WorkbookUnavailable as exc:
        log.warning("could not write «Проверка» for school %s: %s", write.school_id, exc)
        reason = exc.reason
    except StoreError as exc:
        log.warning("could not write «Проверка» for school %s: %s", write.school_id, exc)
        reason = str(exc)
    except Exception:  # a defect (ours or a library's) must not stop the run
        log.exception("writing «Проверка» for school %s failed", write.school_id)
        reason = "внутренняя ошибка при записи (подробности в журнале сервиса)"
    else:
        with ctx.db.session() as session:
            state = session.get(m.WorkbookState, write.school_id)
            state.check_hash, state.marker = write.digest, new_marker
            state.check_error = state.check_error_at = None
        return None
    with ctx.db.session() as session:
        state = session.get(m.WorkbookState, write.school_id)
        state.check_error, state.check_error_at = reason, ctx.now
        session.execute(update(m.SyncOutcome).where(m.SyncOutcome.run_id == ctx.run_id,
                                                    m.SyncOutcome.school_id == write.school_id)
                        .values(outcome="failed", error=not_written(reason)))
    return reason
