"""What every step of a run shares: the run's context, and the few database helpers the
steps read and write with."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.db import Database
from sync_service.district.changes import Limits
from sync_service.findings import MORE, Finding
from sync_service.forms.schema import Schema
from sync_service.ru import shortened
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
    limits: Limits = Limits()  # how much of the district one change of the head's workbook may drop


def digest(value: Any) -> str:
    # surrogatepass: a broken emoji in a cell (a lone surrogate) hashes like any other text
    return hashlib.sha256(json.dumps(value, default=str, ensure_ascii=False, sort_keys=True).encode(
        "utf-8", "surrogatepass")).hexdigest()


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(m.Meta, key)
    return row.value if row is not None else None


def set_meta(session: Session, key: str, value: str) -> None:
    session.merge(m.Meta(key=key, value=value))


YEAR_KEYS = ("academic_year", "head_year")   # in ``meta``: the year the last turn, or else the first sync, recorded


def stored_year(session: Session) -> str | None:
    """The academic year Svod tracks, as the last turn of the year or the first sync recorded it."""
    turned, first = (get_meta(session, key) for key in YEAR_KEYS)
    return turned or first


def finding_record(school_id: int, collection_id: int | None, finding: Finding) -> m.FindingRecord:
    return m.FindingRecord(**finding_row(school_id, collection_id, finding))


# The columns of ``findings`` a workbook's text reaches, and how much of it they keep: a tab or
# a header of a thousand characters is shortened, never a failed insert (PostgreSQL checks).
_FITTED = {"form": 100, "sheet": 200, "column": 300, "column_key": 100, "address": 20}


def finding_row(school_id: int, collection_id: int | None, finding: Finding) -> dict:
    """A ``findings`` row as Core inserts it."""
    row = {"school_id": school_id, "collection_id": collection_id, "code": finding.code,
           "severity": finding.severity, "form": finding.form, "sheet": finding.sheet, "row": finding.row,
           "column": finding.column, "column_key": finding.column_key, "address": finding.address,
           "message": finding.message, "hint": finding.hint,
           "folded": finding.params.get("folded") if finding.code == MORE else None,
           "folded_code": finding.params.get("kind") if finding.code == MORE else None}
    for name, limit in _FITTED.items():
        if row[name] is not None and len(row[name]) > limit:
            row[name] = shortened(row[name], limit)
    return row
