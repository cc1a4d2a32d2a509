"""The clock's tables: every job run with its outcome, and the reminders already sent.

Declared on :class:`sync_service.db.Base` so that Alembic (``0002_jobs``) and the admin
pages see them; imported by ``sync_service.models_registry``.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sync_service.db import Base

# Outcomes of a job run.
RUNNING, OK, SKIPPED, FAILED, INTERRUPTED = "running", "ok", "skipped", "failed", "interrupted"
OUTCOME_LABELS = {RUNNING: "идёт", OK: "успешно", SKIPPED: "пропущено", FAILED: "ошибка",
                  INTERRUPTED: "прервано"}


class JobRun(Base):
    """One run of a scheduled job (``sync``, ``reminders``, ``export``)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default=RUNNING)
    message: Mapped[str] = mapped_column(Text, default="")


class ReminderSent(Base):
    """A reminder that went out; the unique key keeps it from going out twice.

    ``kind`` is ``before`` / ``after`` (a deadline; ``key`` is the deadline) or ``digest``
    (the head's daily digest; ``key`` is the day, school and collection are ``""``).
    Codes rather than foreign keys: the record outlives a school leaving the registry.
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("school", "collection", "kind", "key", name="uq_reminders_sent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school: Mapped[str] = mapped_column(String(40), default="")
    collection: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(300), default="")
    sent_at: Mapped[datetime] = mapped_column(DateTime)
