"""What every step of a run shares: the run's context, and the few database helpers the
steps read and write with."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.db import Database
from sync_service.findings import MORE, Finding
from sync_service.forms.schema import Schema
from sync_service.stores.base import WorkbookStore


@dataclass(frozen=True)
class RunContext:
    """The adapters and constants of one run, passed to every step."""

    run_id: int
    db: Database
    store: WorkbookStore
    schema: Schema
    now: datetime
    year: str
    force: bool = False


def digest(value: Any) -> str:
    # surrogatepass: a broken emoji in a cell (a lone surrogate) hashes like any other text
    return hashlib.sha256(json.dumps(value, default=str, ensure_ascii=False, sort_keys=True).encode(
        "utf-8", "surrogatepass")).hexdigest()


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(m.Meta, key)
    return row.value if row is not None else None


def set_meta(session: Session, key: str, value: str) -> None:
    session.merge(m.Meta(key=key, value=value))


def finding_record(school_id: int, collection_id: int | None, finding: Finding) -> m.FindingRecord:
    return m.FindingRecord(
        school_id=school_id, collection_id=collection_id, code=finding.code, severity=finding.severity,
        form=finding.form, sheet=finding.sheet, row=finding.row, column=finding.column,
        column_key=finding.column_key, address=finding.address, message=finding.message, hint=finding.hint,
        folded=finding.params.get("folded") if finding.code == MORE else None,
        folded_code=finding.params.get("kind") if finding.code == MORE else None)


def record_dict(record: m.FindingRecord) -> dict:
    return {"code": record.code, "severity": record.severity, "form": record.form, "sheet": record.sheet,
            "row": record.row, "column": record.column, "column_key": record.column_key,
            "address": record.address, "message": record.message, "hint": record.hint}


def latest_versions(session: Session, school_ids: list[int] | None = None
                    ) -> dict[tuple[int, int], m.SubmissionVersion]:
    """(school id, collection id) -> the newest stored version of that submission."""
    query = (select(m.Submission.school_id, m.Submission.collection_id, m.SubmissionVersion)
             .join(m.SubmissionVersion, (m.SubmissionVersion.submission_id == m.Submission.id)
                   & (m.SubmissionVersion.version == m.Submission.version)))
    if school_ids is not None:
        query = query.where(m.Submission.school_id.in_(school_ids))
    return {(school_id, collection_id): version for school_id, collection_id, version in session.execute(query)}


def submissions_by_pair(session: Session, school_ids: list[int] | None = None
                        ) -> dict[tuple[int, int], m.Submission]:
    """(school id, collection id) -> the stored submission."""
    query = select(m.Submission)
    if school_ids is not None:
        query = query.where(m.Submission.school_id.in_(school_ids))
    return {(s.school_id, s.collection_id): s for s in session.scalars(query)}
