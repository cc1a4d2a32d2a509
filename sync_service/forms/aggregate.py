"""How a column's values make a district total: ``aggregate:`` of a form's column. Pure.

Every place that shows a total — the «Свод» tabs' totals row, the collection page's
«Итоги по району» — asks :func:`aggregate` with the column's :attr:`Column.aggregation`,
so a year of courses is never added up (74 907) and a length of service is averaged.

Defaults by type (a column's ``aggregate:`` overrides them):

- ``integer``, ``number``: ``sum`` — counts of copies, readers, rates; but a column whose
  ``min`` is 1000 or more holds years (of courses, of publication) and gets ``none``;
- every other type (``percent``, ``grade``, ``date``, ``text``, ``choice``, ``bool``, …):
  ``none`` — a sum of percentages or grades means nothing, and an unweighted mean of
  schools' percentages misleads (the district's percentage is a computed value made from
  the district's sums, Σcopies ÷ Σstudents).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

AGGREGATES = ("sum", "mean", "min", "max", "count", "none")
# What the totals row says of a column that is not simply added up.
AGGREGATE_LABELS = {"sum": "сумма", "mean": "среднее", "min": "наименьшее", "max": "наибольшее",
                    "count": "заполнено строк", "none": ""}
YEAR_FLOOR = 1000   # an integer column whose min is at least this holds years
ORDERED_TYPES = ("integer", "number", "percent", "grade", "date")   # what min and max may take


def default_aggregate(column_type: str, minimum: float | None = None) -> str:
    """The aggregation a column of ``column_type`` (with that ``min``) gets when its form says none."""
    if column_type in ("integer", "number"):
        return "none" if minimum is not None and minimum >= YEAR_FLOOR else "sum"
    return "none"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _tidy(value: float) -> float | int:
    """Sums of integers stay integers; float noise (0.1 + 0.2) is rounded away."""
    return int(value) if float(value).is_integer() else round(value, 6)


def aggregate(how: str, values: Iterable[Any]) -> Any:
    """The total of ``values`` by ``how`` (one of :data:`AGGREGATES`); None when there is
    nothing to total (no value of the kind, or ``none``). Values of another kind (a text in
    a number column of an old snapshot) are left out."""
    total = Total(how)
    total.add(values)
    return total.result()


class Total:
    """:func:`aggregate` fed its values a batch at a time, in order (a consolidated tab's
    totals as its schools stream by): the same result as the values all at once."""

    __slots__ = ("how", "count", "sum", "best", "best_date")

    def __init__(self, how: str):
        if how not in AGGREGATES:
            raise ValueError(f"unknown aggregate {how!r}")
        self.how = how
        self.count = 0       # count: the filled values; sum, mean: the numbers
        self.sum: Any = 0
        self.best: Any = None       # min, max: the least (greatest) number so far
        self.best_date: Any = None  # … and date, which counts only when there is no number

    def add(self, values: Iterable[Any]) -> None:
        how = self.how
        if how == "none":
            return
        if how == "count":
            self.count += sum(1 for v in values if v not in (None, "", False))
            return
        values = values if isinstance(values, list) else list(values)
        numbers = [v for v in values if _number(v)]
        if how in ("sum", "mean"):
            if numbers:   # sum(numbers, start) adds one by one, in order, as sum() of them all would
                self.sum = sum(numbers, self.sum)
                self.count += len(numbers)
            return
        pick = min if how == "min" else max
        if numbers:
            best = pick(numbers)
            # the first of equal values is kept, as min() and max() of them all keep it
            if self.best is None or (best < self.best if how == "min" else best > self.best):
                self.best = best
        elif self.best is None:
            dates = [v for v in values if isinstance(v, date)]
            if dates:
                best = pick(dates)
                if self.best_date is None or (best < self.best_date if how == "min" else best > self.best_date):
                    self.best_date = best

    def result(self) -> Any:
        how = self.how
        if how == "none":
            return None
        if how == "count":
            return self.count
        if how in ("sum", "mean"):
            if not self.count:
                return None
            return _tidy(self.sum) if how == "sum" else round(self.sum / self.count, 1)
        return self.best if self.best is not None else self.best_date
