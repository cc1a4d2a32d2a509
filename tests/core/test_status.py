"""Statuses and rates from a literal table of facts."""
from datetime import date, datetime

import pytest

from sync_service.district.status import Facts, first_submission, rates, status_of

DEADLINE = date(2026, 9, 30)
BEFORE, AFTER = date(2026, 9, 20), date(2026, 10, 5)
ON_TIME, LATE = datetime(2026, 9, 29, 15), datetime(2026, 10, 2, 9)


@pytest.mark.parametrize("ready, errors, has_data, submitted, deadline, today, expected", [
    (False, 0, False, None, DEADLINE, BEFORE, "not_started"),
    (False, 0, True, None, DEADLINE, BEFORE, "in_progress"),
    (False, 2, True, None, DEADLINE, BEFORE, "in_progress"),
    (False, 0, False, None, DEADLINE, AFTER, "overdue"),
    (False, 0, True, None, DEADLINE, AFTER, "overdue"),
    (True, 0, True, ON_TIME, DEADLINE, AFTER, "submitted"),
    (True, 0, True, LATE, DEADLINE, AFTER, "submitted_late"),
    (True, 3, True, None, DEADLINE, BEFORE, "returned"),
    (True, 3, True, None, DEADLINE, AFTER, "returned"),
    (True, 0, False, None, DEADLINE, BEFORE, "returned"),   # ticked with no data
    (True, 0, True, LATE, None, AFTER, "submitted"),        # no deadline: never late
    (False, 0, False, None, None, AFTER, "not_started"),    # no deadline: never overdue
    (True, 0, True, datetime(2026, 9, 30, 23, 59), DEADLINE, AFTER, "submitted"),  # the deadline day counts
])
def test_status_of(ready, errors, has_data, submitted, deadline, today, expected):
    assert status_of(Facts(ready, errors, has_data, submitted), deadline, today) == expected


NOW = datetime(2026, 10, 2, 9, 0)


@pytest.mark.parametrize("previous, ready, errors, has_data, typed, expected", [
    (None, True, 0, True, None, NOW),
    (None, True, 0, True, date(2026, 9, 28), datetime(2026, 9, 28)),  # the typed date counts
    (None, True, 0, True, date(2026, 10, 9), NOW),                   # never a date in the future
    (None, True, 1, True, date(2026, 9, 28), None),                  # not while returned
    (None, False, 0, True, None, None),
    (ON_TIME, True, 0, True, None, ON_TIME),                         # first is first
    (ON_TIME, True, 4, True, None, ON_TIME),
])
def test_first_submission(previous, ready, errors, has_data, typed, expected):
    assert first_submission(previous, ready=ready, errors=errors, has_data=has_data, ready_date=typed,
                            now=NOW) == expected


def test_rates_follow_dhis2():
    result = rates(["submitted", "submitted", "submitted_late", "returned", "overdue", "in_progress",
                    "not_started", "submitted"])
    assert (result.expected, result.reported, result.on_time) == (8, 4, 3)
    assert (result.reporting_rate, result.on_time_rate) == (50.0, 37.5)
    assert rates([]).reporting_rate == 0.0
