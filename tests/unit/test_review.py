"""The head's review, pure: its state after a read, the fingerprint, the changes, the statuses."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from sync_service.district.review import after_read, change_lines, changes, fingerprint
from sync_service.district.status import Facts, rates, status_of
from sync_service.forms.table import Table

A, B = "a" * 64, "b" * 64


@pytest.mark.parametrize("review, current, ready, expected", [
    ("accepted", A, True, "accepted"),
    ("accepted", B, True, "changed"),
    ("accepted", B, False, "changed"),     # unticking does not undo a change
    ("changed", A, False, "accepted"),     # the change undone: what she accepted
    ("changed", B, True, "changed"),
    ("returned", A, True, "returned"),     # ticked again without a change: still returned
    ("returned", B, False, "returned"),    # changed, not ticked yet
    ("returned", B, True, None),           # changed and ticked: submitted again, awaiting review
    (None, B, True, None),
])
def test_after_read(review, current, ready, expected):
    assert after_read(review, A, current, ready=ready) == expected


def test_the_fingerprint_is_of_the_data_not_of_the_flag_nor_the_form_it_is_held_in():
    table = Table({"title": ["Сказки", "Стихи"], "day": [date(2026, 10, 1), None]}, [5, 6])
    stored = {**table.to_json(), "places": {"title": "A", "day": "B"}}
    assert fingerprint(table) == fingerprint(stored) == fingerprint(Table.from_json(stored))
    assert fingerprint(Table({"title": ["Сказки", "Проза"], "day": [date(2026, 10, 1), None]}, [5, 6])) != \
        fingerprint(table)


def test_changes_name_the_cell_before_and_after_bounded():
    before = {"columns": {"title": ["Сказки", "Стихи"], "count": [3, 2]}, "rows": [5, 6],
              "places": {"title": "B", "count": "D"}}
    after = {"columns": {"title": ["Сказки", "Поэмы", "Новая"], "count": [4, 2, 1]}, "rows": [5, 6, 7],
             "places": {"title": "B", "count": "D"}}
    found, total = changes(before, after)
    assert [(c.address, c.before, c.after) for c in found] == [("D5", 3, 4), ("B6", "Стихи", "Поэмы"),
                                                               ("B7", None, "Новая"), ("D7", None, 1)]
    assert total == 4
    found, total = changes(before, after, limit=1)
    assert len(found) == 1 and total == 4
    assert change_lines(found, total, {"count": "Экземпляров"}) == [
        "ячейка D5, «Экземпляров»: было «3», стало «4»", "… и ещё 3"]
    record = changes({"columns": {"fund": [100]}, "rows": [None], "places": {"fund": "B7"}},
                     {"columns": {"fund": [120]}, "rows": [None], "places": {"fund": "B7"}})
    assert [(c.address, c.row) for c in record[0]] == [("B7", None)]


DEADLINE, LATE = date(2026, 9, 30), datetime(2026, 10, 2)


@pytest.mark.parametrize("review, ready, errors, submitted, expected", [
    ("accepted", True, 0, datetime(2026, 9, 29), "accepted"),
    ("accepted", True, 0, LATE, "accepted_late"),
    ("changed", True, 0, LATE, "changed"),
    ("changed", True, 3, LATE, "changed"),
    ("returned", True, 0, LATE, "sent_back"),
    ("returned", False, 0, None, "sent_back"),  # past its deadline, yet «возвращён», not «просрочен»
    (None, True, 0, LATE, "submitted_late"),
])
def test_the_review_decides_the_status(review, ready, errors, submitted, expected):
    facts = Facts(ready=ready, errors=errors, has_data=True, first_submitted_at=submitted, review=review)
    assert status_of(facts, DEADLINE, date(2026, 11, 22)) == expected


def test_rates_count_accepted_as_reported_and_a_change_after_acceptance_not_on_time():
    counted = rates(["accepted", "accepted_late", "changed", "sent_back", "submitted"])
    assert (counted.expected, counted.reported, counted.on_time) == (5, 4, 2)
