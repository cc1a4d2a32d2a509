"""The head's review of a submission (DHIS2's data approval): «Принять» or «Вернуть на
доработку» with a comment. Pure: the review's state after a read, the fingerprint of the
data it was given on, and what changed since. The actions are stored by
``sync_service/sync/reviews.py``; statuses follow ``Submission.review`` (``status.status_of``).

- accepted: the submission is «принят» while its data stays what the head accepted (the
  fingerprint of that moment); a change by the school makes it ``changed`` («изменено после
  принятия»), which needs a new acceptance (a change undone makes it accepted again);
- returned: «возвращён на доработку» until the school changes it and ticks «Готово» again;
  then the review is cleared and the submission is submitted again, awaiting review.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync_service.district.status import REVIEW_ACCEPTED, REVIEW_CHANGED, REVIEW_RETURNED
from sync_service.forms.table import Table

ACCEPT, RETURN = "accept", "return"
ACTIONS = {ACCEPT: "принят", RETURN: "возвращён на доработку"}
CHANGES_LIMIT = 20      # changed cells listed («Проверка», the pages); the rest are counted
COMMENT_LIMIT = 2000    # characters of a comment kept


def fingerprint(rows: Any) -> str:
    """A digest of a snapshot's data (its columns, as a stored version holds them, or a
    :class:`Table`), without the «Готово» flag: ticking it is not a change of the data."""
    table = rows if isinstance(rows, Table) else Table.from_json(rows)
    payload = json.dumps(table.to_json()["columns"] if len(table) else {}, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def after_read(review: str | None, reviewed: str | None, current: str, *, ready: bool) -> str | None:
    """The review's state once the school's tab was read again (``reviewed``: the fingerprint
    the head reviewed, ``current``: the tab's now)."""
    if review in (REVIEW_ACCEPTED, REVIEW_CHANGED):
        return REVIEW_ACCEPTED if current == reviewed else REVIEW_CHANGED
    if review == REVIEW_RETURNED and current != reviewed and ready:
        return None
    return review


def review_state(action: str) -> str:
    """What an action leaves on the submission."""
    return REVIEW_ACCEPTED if action == ACCEPT else REVIEW_RETURNED


@dataclass(frozen=True)
class Change:
    """One cell that differs from what the head accepted (``row``: the sheet row; None for a
    record form's field)."""

    row: int | None
    key: str
    address: str
    before: Any
    after: Any


def _places(rows: Any) -> Mapping[str, str]:
    return dict((rows or {}).get("places") or {}) if isinstance(rows, dict) else {}


def changes(accepted: Any, current: Any, *, limit: int = CHANGES_LIMIT) -> tuple[list[Change], int]:
    """The cells of ``current`` (a stored version's rows) that differ from ``accepted``, row by
    sheet row and column by column, the first ``limit`` of them, and how many there are. A row
    inserted above others shifts them: each shifted cell counts (bounded all the same)."""
    old, new = Table.from_json(accepted), Table.from_json(current)
    record = None in old.numbers or None in new.numbers
    places = {**_places(accepted), **_places(current)}
    keys = list(dict.fromkeys([*new.columns, *old.columns]))
    before = {number: i for i, number in enumerate(old.numbers)}
    after = {number: i for i, number in enumerate(new.numbers)}
    found: list[Change] = []
    total = 0
    for number in sorted(set(before) | set(after), key=lambda n: (n is None, n or 0)):
        for key in keys:
            a = _value(old, key, before.get(number))
            b = _value(new, key, after.get(number))
            if a == b:
                continue
            total += 1
            if len(found) < limit:
                place = places.get(key, "")
                address = place if record else (f"{place}{number}" if place and number else "")
                found.append(Change(None if record else number, key, address, a, b))
    return found, total


def _value(table: Table, key: str, index: int | None) -> Any:
    if index is None:
        return None
    column = table.columns.get(key)
    value = column[index] if column is not None and index < len(column) else None
    return None if value == "" else value


def shown(value: Any) -> str:
    """A value as a change lists it."""
    return "пусто" if value is None else f"«{value}»"


def change_lines(found: list[Change], total: int, labels: Mapping[str, str]) -> list[str]:
    """The changes in Russian, one line each, and how many more."""
    lines = []
    for change in found:
        where = f"ячейка {change.address}" if change.address else (f"строка {change.row}" if change.row else "")
        column = labels.get(change.key, change.key)
        lines.append(f"{where + ', ' if where else ''}«{column}»: было {shown(change.before)}, "
                     f"стало {shown(change.after)}")
    if total > len(found):
        lines.append(f"… и ещё {total - len(found)}")
    return lines
