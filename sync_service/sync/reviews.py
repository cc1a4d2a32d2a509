"""The head's review actions stored: each one a row of ``reviews`` (who, when, what, the
comment, the data it was given on), its outcome on the submission (``Submission.review``,
which statuses follow), and what changed since an acceptance. The web records them (the
head's admin page); the sync moves them on (``schools.store_results``, ``review.after_read``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.review import (
    ACCEPT,
    CHANGES_LIMIT,
    COMMENT_LIMIT,
    RETURN,
    Change,
    changes,
    fingerprint,
    review_state,
)

HISTORY_LIMIT = 20  # review actions of one submission shown on the admin page


class ReviewRefused(ValueError):
    """An action that cannot be taken (the Russian reason is the message)."""


@dataclass(frozen=True)
class ReviewNote:
    """What the school is told of the review: its state, the comment, and for a change after
    acceptance the first changed cells and how many there are."""

    review: str | None
    comment: str | None
    changes: tuple[Change, ...] = ()
    changed_total: int = 0


def version_rows(session: Session, submission_id: int, version: int | None) -> Any:
    if version is None:
        return None
    return session.scalar(select(m.SubmissionVersion.rows).where(m.SubmissionVersion.submission_id == submission_id,
                                                                m.SubmissionVersion.version == version))


def review_changes(session: Session, submission_id: int, accepted_version: int | None, current_rows: Any,
                   limit: int = CHANGES_LIMIT) -> tuple[tuple[Change, ...], int]:
    """The cells ``current_rows`` changed since the accepted version, bounded, and how many."""
    found, total = changes(version_rows(session, submission_id, accepted_version), current_rows, limit=limit)
    return tuple(found), total


def record_review(session: Session, submission: m.Submission, action: str, *, comment: str, by: str,
                  now: datetime, about: str | None = None) -> m.Review:
    """The head's «Принять» (``accept``) or «Вернуть на доработку» (``return``) of the data
    the submission holds now. Refused (:class:`ReviewRefused`) when there is nothing to review,
    when accepting what is not submitted (not ticked «Готово», or with errors), and when
    returning without a comment: the school must be told what to do."""
    comment = (comment or "").strip()[:COMMENT_LIMIT]
    if action not in (ACCEPT, RETURN):
        raise ReviewRefused("Неизвестное действие.")
    if not submission.version:
        raise ReviewRefused("Школа ещё ничего не сдала: проверять нечего.")
    if action == ACCEPT and not (submission.ready and submission.has_data and submission.errors == 0):
        raise ReviewRefused("Принять можно только сданный отчёт: отмеченный «Готово» и без ошибок.")
    if action == RETURN and not comment:
        raise ReviewRefused("Напишите комментарий: что школе исправить.")
    about = (about or "").strip()[:300] or None
    rows = version_rows(session, submission.id, submission.version)
    review = m.Review(submission_id=submission.id, action=action, comment=comment, about=about, by=by, at=now, version=submission.version, fingerprint=fingerprint(rows))
    session.add(review)
    submission.review, submission.review_hash = review_state(action), review.fingerprint
    submission.review_version, submission.review_at = submission.version, now
    submission.review_comment = f"{about}: {comment}" if about and comment else comment
    return review


def note_of(session: Session, submission: m.Submission | None) -> ReviewNote | None:
    """The review note of a stored submission (None when it was never reviewed)."""
    if submission is None or submission.review is None:
        return None
    found, total = (), 0
    if submission.review == "changed":
        found, total = review_changes(session, submission.id, submission.review_version,
                                      version_rows(session, submission.id, submission.version))
    return ReviewNote(submission.review, submission.review_comment, found, total)


def history(session: Session, submission_ids: list[int], limit: int = HISTORY_LIMIT) -> dict[int, list[m.Review]]:
    """Each submission's latest review actions, newest first (``limit`` of each: one query
    per submission, a school's collections, each cut by the index)."""
    return {sid: list(session.scalars(select(m.Review).where(m.Review.submission_id == sid)
                                      .order_by(m.Review.id.desc()).limit(limit)))
            for sid in submission_ids}


FINDINGS_OFFERED = 20  # findings of a submission offered to comment on (the admin page's list)


def school_reviews(session: Session, code: str, *, academic_year: str, now: datetime, schema) -> dict | None:
    """The head's review page of one active school: each collection of the plan with its
    status, the review as it stands (comment, what changed since accepted, with values: the
    page is the head's), its latest actions, and the first findings to comment on. None when
    no active school has ``code``."""
    from sync_service.district.report import iso, plan_collections
    from sync_service.district.review import change_lines
    from sync_service.district.school_page import _school
    from sync_service.district.status import facts_of, status_of

    school = _school(session, code)
    if school is None:
        return None
    state = session.get(m.WorkbookState, school.id)
    collections = plan_collections(session, academic_year)
    submissions = {s.collection_id: s for s in session.scalars(
        select(m.Submission).where(m.Submission.school_id == school.id,
                                   m.Submission.collection_id.in_([c.id for c in collections])))}
    actions = history(session, [s.id for s in submissions.values()])
    lines = []
    for c in collections:
        submission = submissions.get(c.id)
        status = status_of(facts_of(submission, unreadable=bool(state and state.error)), c.deadline, now.date())
        form = schema.forms.get(c.form)
        labels = {col.key: col.label for col in form.columns} if form else {}
        note = note_of(session, submission)
        findings = list(session.scalars(select(m.FindingRecord).where(
            m.FindingRecord.school_id == school.id, m.FindingRecord.collection_id == c.id)
            .order_by(m.FindingRecord.id).limit(FINDINGS_OFFERED))) if submission else []
        lines.append({
            "key": c.key, "title": c.title, "tab": c.tab, "deadline": iso(c.deadline), "status": status,
            "errors": submission.errors if submission else 0, "version": submission.version if submission else 0,
            "submitted_at": iso(submission.first_submitted_at) if submission else None,
            "changed_at": iso(submission.changed_at) if submission else None,
            "review": submission.review if submission else None,
            "comment": submission.review_comment if submission else None,
            "changes": change_lines(list(note.changes), note.changed_total, labels) if note else [],
            "actions": [{"action": r.action, "comment": r.comment, "about": r.about, "by": r.by, "at": iso(r.at),
                         "version": r.version} for r in actions.get(submission.id, [])] if submission else [],
            "findings": [f"{f.address or (f'строка {f.row}' if f.row else '')} — {f.message}".strip(" —")
                         for f in findings],
        })
    return {"school": {"code": school.code, "name": school.name}, "academic_year": academic_year,
            "generated_at": iso(now), "collections": lines}


def review_submission(session: Session, code: str, collection_key: str, action: str, *, comment: str,
                      about: str | None, by: str, academic_year: str, now: datetime) -> m.Review:
    """Record the head's action on the submission of school ``code`` × ``collection_key`` of
    ``academic_year`` (:func:`record_review`); :class:`ReviewRefused` when there is none."""
    from sync_service.district.school_page import _school

    school = _school(session, code)
    collection = session.scalar(select(m.Collection).where(m.Collection.key == collection_key,
                                                           m.Collection.academic_year == academic_year))
    submission = session.scalar(select(m.Submission).where(
        m.Submission.school_id == school.id, m.Submission.collection_id == collection.id)) if (
        school is not None and collection is not None) else None
    if submission is None:
        raise ReviewRefused("Школа ещё ничего не сдала по этому сбору: проверять нечего.")
    return record_review(session, submission, action, comment=comment, by=by, now=now, about=about)
