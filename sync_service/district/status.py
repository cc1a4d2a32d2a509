"""Statuses of submissions and the rates of collections (DHIS2's definitions). Pure."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

NOT_STARTED, IN_PROGRESS, SUBMITTED, SUBMITTED_LATE, RETURNED, OVERDUE, UNKNOWN = (
    "not_started", "in_progress", "submitted", "submitted_late", "returned", "overdue", "unknown")
# The head's review (sync_service/district/review.py): accepted (on time or late), changed by
# the school since it was accepted, returned by the head for rework.
ACCEPTED, ACCEPTED_LATE, CHANGED, SENT_BACK = "accepted", "accepted_late", "changed", "sent_back"
STATUSES = (NOT_STARTED, IN_PROGRESS, SUBMITTED, SUBMITTED_LATE, RETURNED, OVERDUE, UNKNOWN,
            ACCEPTED, ACCEPTED_LATE, CHANGED, SENT_BACK)
# The statuses only the head's review gives (none before she reviews anything).
REVIEWED = (ACCEPTED, ACCEPTED_LATE, CHANGED, SENT_BACK)
# What the head's review of a submission left (``Submission.review``): its status follows it.
REVIEW_ACCEPTED, REVIEW_CHANGED, REVIEW_RETURNED = "accepted", "changed", "returned"
REVIEW_STATUSES = {REVIEW_CHANGED: CHANGED, REVIEW_RETURNED: SENT_BACK}

# Russian labels for the pages, the «Проверка» tab, «Статус сдачи», the CLI and e-mails.
STATUS_LABELS = {
    NOT_STARTED: "не начат",
    IN_PROGRESS: "заполняется",
    SUBMITTED: "сдан",
    SUBMITTED_LATE: "сдан с опозданием",
    RETURNED: "возвращён",
    OVERDUE: "просрочен",
    UNKNOWN: "нет данных",
    ACCEPTED: "принят",
    ACCEPTED_LATE: "принят, сдан с опозданием",
    CHANGED: "изменено после принятия",
    SENT_BACK: "возвращён на доработку",
}
# The same said in full, where there is room (legends, tooltips, lists, letters).
STATUS_TEXTS = {
    **STATUS_LABELS,
    RETURNED: "возвращён на исправление",
    UNKNOWN: "нет данных: книга не читается",
    ACCEPTED: "принят руководителем ОМО",
    ACCEPTED_LATE: "принят руководителем ОМО, сдан с опозданием",
    CHANGED: "изменено после принятия: ждёт нового принятия",
    SENT_BACK: "возвращён руководителем ОМО на доработку",
}
# A symbol for each status, so that no table speaks by colour alone (pages, CLI).
STATUS_SYMBOLS = {NOT_STARTED: "·", IN_PROGRESS: "…", SUBMITTED: "✓", SUBMITTED_LATE: "✓!", RETURNED: "✗",
                  OVERDUE: "!", UNKNOWN: "?", ACCEPTED: "★", ACCEPTED_LATE: "★!", CHANGED: "✎",
                  SENT_BACK: "↩"}
# Each status's colours as the status page draws them (web/static/svod.css): (text, fill),
# for any output that colours statuses (the consolidated «Статус сдачи»).
STATUS_COLOURS = {
    NOT_STARTED: ("#5B6474", "#EEF0F3"),
    IN_PROGRESS: ("#1A4F8A", "#DDE9F8"),
    SUBMITTED: ("#1F7A3A", "#DFF3E4"),
    SUBMITTED_LATE: ("#7A5A00", "#FBF0C9"),
    RETURNED: ("#A11D1D", "#FBE0E0"),
    OVERDUE: ("#FFFFFF", "#8A1C4A"),
    UNKNOWN: ("#4A3B7A", "#E9E4F5"),
    ACCEPTED: ("#FFFFFF", "#1F6B45"),
    ACCEPTED_LATE: ("#FFFFFF", "#6B6B1F"),
    CHANGED: ("#7A3E00", "#FCE3C8"),
    SENT_BACK: ("#FFFFFF", "#B03A2E"),
}
# Not submitted, whatever the reason: what the «не сдали» lists and the «не сдан» filter take,
# in the order the lists give them (to fix first, late, typing, not begun, unknown).
NOT_SUBMITTED = (SENT_BACK, RETURNED, OVERDUE, IN_PROGRESS, NOT_STARTED, UNKNOWN)
# Submitted (reported, in DHIS2's words), and of those on time: a submission changed after it
# was accepted counts as reported, its lateness settled again by the next acceptance.
ON_TIME = (SUBMITTED, ACCEPTED)
REPORTED = (SUBMITTED, SUBMITTED_LATE, ACCEPTED, ACCEPTED_LATE, CHANGED)
# The school owes something: the debtors' lists and the reminders after the deadline.
OWING = (OVERDUE, RETURNED, SENT_BACK)
# The status filter «не сдан»: a cell of any of NOT_SUBMITTED.
NOT_SUBMITTED_FILTER = "not_submitted"
FILTERS = (*STATUSES, NOT_SUBMITTED_FILTER)


def filter_statuses(status: str | None) -> tuple[str, ...] | None:
    """The statuses a status filter keeps (None: an unknown filter, which keeps everything)."""
    if status == NOT_SUBMITTED_FILTER:
        return NOT_SUBMITTED
    return (status,) if status in STATUSES else None


@dataclass(frozen=True)
class Facts:
    """What the last read of a school's tab established. ``known`` is false when no read
    ever established anything: the school's workbook cannot be read and no earlier read
    stored this collection (then the status is ``unknown``, never «просрочен»)."""

    ready: bool
    errors: int
    has_data: bool
    first_submitted_at: datetime | None
    known: bool = True
    review: str | None = None  # what the head's review left (``REVIEW_*``), None: not reviewed


NO_FACTS = Facts(ready=False, errors=0, has_data=False, first_submitted_at=None)
UNKNOWN_FACTS = Facts(ready=False, errors=0, has_data=False, first_submitted_at=None, known=False)


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
    """The status of one school × collection today. The head's review comes first: what she
    accepted stays accepted while it is unchanged (``review.after_read`` moves the review on
    when the school changes it), what she returned stays returned until it is changed and
    ticked «Готово» again."""
    if not facts.known:
        return UNKNOWN
    if facts.review in REVIEW_STATUSES:
        return REVIEW_STATUSES[facts.review]
    if facts.review == REVIEW_ACCEPTED:
        on_time = deadline is None or facts.first_submitted_at is None or facts.first_submitted_at.date() <= deadline
        return ACCEPTED if on_time else ACCEPTED_LATE
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
    """DHIS2's rates; ``unknown`` of the expected have no data (their workbook cannot be
    read) and count as not submitted."""

    expected: int
    reported: int
    on_time: int
    unknown: int = 0

    @property
    def reporting_rate(self) -> float:
        return round(100.0 * self.reported / self.expected, 1) if self.expected else 0.0

    @property
    def on_time_rate(self) -> float:
        return round(100.0 * self.on_time / self.expected, 1) if self.expected else 0.0


def rates(statuses: Iterable[str]) -> Rates:
    """Rates over the statuses of the expected schools (one status each)."""
    statuses = list(statuses)
    return Rates(expected=len(statuses), reported=sum(1 for s in statuses if s in REPORTED),
                 on_time=sum(1 for s in statuses if s in ON_TIME), unknown=sum(1 for s in statuses if s == UNKNOWN))


def counted_rates(counts: dict[str, int], expected: int) -> Rates:
    """:func:`rates` from the counts per status (the pages count them in SQL)."""
    return Rates(expected=expected, reported=sum(counts.get(s, 0) for s in REPORTED),
                 on_time=sum(counts.get(s, 0) for s in ON_TIME), unknown=counts.get(UNKNOWN, 0))


def facts_of(submission, *, unreadable: bool = False) -> Facts:
    """The facts of a stored submission (a row with ``Submission``'s attributes, or None).
    ``unreadable``: the school's workbook cannot be read now — without a submission from an
    earlier read, nothing is known."""
    if submission is None:
        return UNKNOWN_FACTS if unreadable else NO_FACTS
    return Facts(submission.ready, submission.errors, submission.has_data, submission.first_submitted_at,
                 review=getattr(submission, "review", None))
