"""Year-over-year plausibility: a school's values against its own of last year. Pure.

DHIS2 flags a value outside the min–max band learnt from the same organisation unit's
history; education offices do the same by eye: a fund of 150 000 copies where last year
said 15 320 is an extra zero far more often than a donation. A form's YAML says what to
compare (``year_over_year:``, :class:`~sync_service.forms.schema.YearOverYear`):

- ``compare``: a count more than ``factor`` times last year's, or less than a
  ``factor``-th of it, is a ``year-jump`` warning naming last year's value and where it
  is (the archived tab and cell); a record form compares its field, a table form the sum
  of a column or the number of its rows. Zero on either side is not compared (a school
  may receive no books one year), nor are values both below ``at_least``.
- ``never_decrease``: a field that may only grow or stay (the date of the last inventory)
  is a ``year-decrease`` warning when it goes back.

Warnings only: the librarian who knows the number is right leaves it. Last year's values
come in the check context (``context["last_year"]``, a :class:`LastYear` the sync builds
from the stored snapshot of the same collection a year earlier).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sync_service import ru
from sync_service.findings import Finding, column_letter, make_finding
from sync_service.forms.schema import ROWS, Form
from sync_service.forms.table import Table
from sync_service.model import FormResult


@dataclass(frozen=True)
class LastYear:
    """The same collection's stored snapshot of last year: ``sheet`` is where its tab is now
    (renamed with the year at the rollover), ``places`` where each value was: a record
    form's field -> its cell («B7»), a table form's column -> its letter («C»)."""

    academic_year: str
    sheet: str
    table: Table
    places: dict[str, str] = field(default_factory=dict)


def value_of(form: Form, table: Table, key: str) -> Any:
    """What ``key`` of a ``year_over_year`` item is in ``table``: a record's field, a table's
    column sum (None without a single number), or the number of rows (:data:`ROWS`)."""
    if form.shape == "record":
        values = table.column(key)
        return values[0] if values else None
    if key == ROWS:
        return len(table)
    numbers = [v for v in table.column(key) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return sum(numbers) if numbers else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _ordered(value: Any) -> date | float | None:
    """A value that can be put in order: a date (stored ones are ISO text) or a number."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return ru.as_date(value) if len(value) == 10 else None
    return _number(value)


def _text(value: Any) -> str:
    if isinstance(value, date):
        return ru.date_text(value)
    return ru.number(value, 2) if isinstance(value, float) and not value.is_integer() else ru.number(value, 0)


def _times(ratio: float) -> str:
    """«в 9,8 раза», «в 10 раз», «в 21 раз»: how many times, as Russian says it."""
    shown = round(ratio, 1) if ratio < 10 else round(ratio)
    if isinstance(shown, float) and not shown.is_integer():
        return f"в {ru.number(shown, 1)} раза"
    return f"в {ru.number(int(shown), 0)} {ru.plural(int(shown), 'раз', 'раза', 'раз')}"


def compare_years(form: Form, result: FormResult, last: LastYear) -> list[Finding]:
    """The ``year-jump`` and ``year-decrease`` warnings of ``result`` against ``last``."""
    rules = form.year_over_year
    if rules is None or not result.has_data or not len(last.table):
        return []
    findings = []
    for item in rules.compare:
        now, before = _number(value_of(form, result.table, item.key)), _number(value_of(form, last.table, item.key))
        if not now or not before or max(now, before) < item.at_least:
            continue
        ratio = max(now, before) / min(now, before)
        if ratio <= item.factor:
            continue
        up = now > before
        findings.append(_finding(form, result, last, "year-jump", item.key, item.label,
                                 value_of(form, result.table, item.key), value_of(form, last.table, item.key),
                                 times=_times(ratio), direction="больше" if up else "меньше",
                                 check="нет ли лишней цифры (например, лишнего нуля)" if up
                                 else "не пропущена ли цифра"))
    for key in rules.never_decrease:
        now, before = _ordered(value_of(form, result.table, key)), _ordered(value_of(form, last.table, key))
        if now is not None and before is not None and type(now) is type(before) and now < before:
            findings.append(_finding(form, result, last, "year-decrease", key, form.column(key).label, now, before,
                                     less="раньше" if isinstance(now, date) else "меньше"))
    return findings


def _finding(form: Form, result: FormResult, last: LastYear, code: str, key: str, label: str, now: Any,
             before: Any, **params) -> Finding:
    where = last.places.get(key, "")
    if form.shape == "record":
        last_place = f"лист «{last.sheet}», ячейка {where}" if where else f"лист «{last.sheet}»"
        address = result.places.get(key)
        row = int(address.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) if address else None
        column_key = key
    else:
        last_place = f"лист «{last.sheet}», столбец {where}" if where and key != ROWS else f"лист «{last.sheet}»"
        address, row = None, None
        column_key = key if key != ROWS else None
    if address:
        checked = f"ячейку {address}"
    elif column_key and result.positions.get(key):
        checked = f"столбец {column_letter(result.positions[key])} листа «{result.sheet}»"
    else:
        checked = f"лист «{result.sheet}»"
    return make_finding(code, form=form.key, sheet=result.sheet, row=row, column=label, column_key=column_key,
                        address=address, value=_text(now), last_value=_text(before), last_year=last.academic_year,
                        last_place=last_place, where=checked, **params)
