"""A change of the head's workbook held back (:mod:`sync_service.district.changes`), and its
confirmation, as two rows of ``meta``.

``held_head_change`` is what the last run held: its Russian message, whether it can be
confirmed, and its fingerprint; the status page, the admin page and ``status --json`` read
it. ``confirmed_head_change`` is the fingerprint the head confirmed — from the admin page
or ``svod sync --confirm-removal`` — and the next run that finds that very change applies
it. Both go when a read of the head's workbook is applied.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.db import Database
from sync_service.district.changes import Assessment
from sync_service.sync.records import get_meta, set_meta

HELD, CONFIRMED = "held_head_change", "confirmed_head_change"


def held_change(session: Session) -> dict | None:
    """The change the last run held: ``message``, ``confirmable``, ``fingerprint``, ``since``,
    ``confirmed`` (the head confirmed it; the next sync applies it)."""
    raw = get_meta(session, HELD)
    if not raw:
        return None
    change = json.loads(raw)
    change["confirmed"] = get_meta(session, CONFIRMED) == change["fingerprint"]
    return change


def record(session: Session, assessment: Assessment, now: datetime) -> None:
    before = held_change(session)
    since = before["since"] if before and before["fingerprint"] == assessment.fingerprint else now.isoformat()
    set_meta(session, HELD, json.dumps({
        "message": assessment.message(), "confirmable": assessment.confirmable,
        "fingerprint": assessment.fingerprint, "since": since,
        "schools": assessment.hold_schools, "plan": assessment.hold_plan,
        "duplicates": list(assessment.duplicates)}, ensure_ascii=False))
    if get_meta(session, CONFIRMED) not in (None, assessment.fingerprint):
        _drop(session, CONFIRMED)  # confirmed was another change: this one is asked about afresh


def confirmed(session: Session, assessment: Assessment) -> bool:
    return assessment.confirmable and get_meta(session, CONFIRMED) == assessment.fingerprint


def clear(session: Session) -> None:
    _drop(session, HELD)
    _drop(session, CONFIRMED)


def confirm(db: Database, fingerprint: str | None = None) -> dict | None:
    """Confirm the held change (only if it is still ``fingerprint``, when given): the next
    sync applies it. Returns the change confirmed, or None when there was none to confirm."""
    with db.session() as session:
        change = held_change(session)
        if change is None or not change["confirmable"] or fingerprint not in (None, change["fingerprint"]):
            return None
        set_meta(session, CONFIRMED, change["fingerprint"])
        change["confirmed"] = True
        return change


def _drop(session: Session, key: str) -> None:
    row = session.get(m.Meta, key)
    if row is not None:
        session.delete(row)
