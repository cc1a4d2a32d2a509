"""Statuses of submissions and the rates of collections (DHIS2's definitions). Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

NOT_STARTED, IN_PROGRESS, SUBMITTED, SUBMITTED_LATE, RETURNED, OVERDUE = (
    "not_started", "in_progress", "submitted", "submitted_late", "returned", "overdue")
STATUSES = (NOT_STARTED, IN_PROGRESS, SUBMITTED, SUBMITTED_LATE, RETURNED, OVERDUE)

# Russian labels for the pages, the «Проверка» tab and e-mails.
STATUS_LABELS = {
    NOT_STARTED: "не начат",
    IN_PROGRESS: "заполняется",
    SUBMITTED: "сдан",
    SUBMITTED_LATE: "сдан с опозданием",
    RETURNED: "возвращён",
    OVERDUE: "просрочен",
}


@dataclass(frozen=True)
class Facts:
    """What the last read of a school's tab established."""

    ready: bool
    errors: int
    has_data: bool
    first_submitted_at: datetime | None


def first_submission(previous: datetime | None, *, ready: bool, errors: int, has_data: bool,
                     ready_date: date | None, now: datetime) -> datetime | None:
    """When the form counts as first submitted, given what this read saw.

    The first read that sees it ticked with no blocking finding sets the time; a date
    the librarian typed next to «Готово» counts when it is earlier and not in the future.
    Once set it stays, even if the form is later returned.
    """
    if previous is not None:
        return previous
    if not (ready and errors == 0 and has_data):
        return None
    if ready_date is not None and ready_date <= now.date():
        typed = datetime.combine(ready_date, datetime.min.time())
        return min(typed, now)
    return now


def status_of(facts: Facts, deadline: date | None, today: date) -> str:
    """The status of one school × collection today."""
    if facts.ready and (facts.errors > 0 or not facts.has_data):
        return RETURNED
    if facts.ready and facts.first_submitted_at is not None:
        on_time = deadline is None or facts.first_submitted_at.date() <= deadline
        return SUBMITTED if on_time else SUBMITTED_LATE
    if deadline is not None and today > deadline:
        return OVERDUE
    return IN_PROGRESS if facts.has_data else NOT_STARTED


@dataclass(frozen=True)
class Rates:
    expected: int
    reported: int
    on_time: int

    @property
    def reporting_rate(self) -> float:
        return round(100.0 * self.reported / self.expected, 1) if self.expected else 0.0

    @property
    def on_time_rate(self) -> float:
        return round(100.0 * self.on_time / self.expected, 1) if self.expected else 0.0


def rates(statuses: Iterable[str]) -> Rates:
    """Rates over the statuses of the expected schools (one status each)."""
    statuses = list(statuses)
    on_time = sum(1 for s in statuses if s == SUBMITTED)
    return Rates(expected=len(statuses), reported=on_time + sum(1 for s in statuses if s == SUBMITTED_LATE),
                 on_time=on_time)
