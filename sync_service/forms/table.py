"""The data rows of a tab, kept as columns.

Svod reads a tab a column at a time, validates and computes over columns, stores a
snapshot as columns and consolidates columns: ``columns[key][i]`` is the value of
column ``key`` in the ``i``-th data row and ``numbers[i]`` is that row's number in the
sheet (None for the one row of a record form). Nothing on the way needs a dict per
row; :meth:`Table.records` builds them (once) for code that thinks in rows.

Stored as JSON ``{"columns": {key: [value, ...]}, "rows": [sheet row, ...]}``, dates as
ISO text; :meth:`Table.from_json` also reads the list of row dicts that versions stored
before revision 0004.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

__all__ = ["Table", "ROW_KEY"]

ROW_KEY = "_row"  # the sheet row of a record dict
_DATES = (date, datetime)
_DATES_SET = frozenset(_DATES)


class Table:
    """Rows as columns (see the module's docstring). Treated as immutable once built."""

    __slots__ = ("columns", "numbers", "_records")

    def __init__(self, columns: dict[str, list] | None = None, numbers: Sequence[int | None] | None = None):
        self.columns: dict[str, list] = {} if columns is None else columns
        self.numbers: list[int | None] = [] if numbers is None else list(numbers)
        self._records: list[dict[str, Any]] | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return self.numbers == other.numbers and self.columns == other.columns

    def __repr__(self) -> str:
        return f"Table({len(self)} rows, columns={list(self.columns)})"

    def column(self, key: str) -> list:
        """The values of ``key``, row by row (None for every row when the table lacks it)."""
        values = self.columns.get(key)
        return [None] * len(self) if values is None else values

    def records(self) -> list[dict[str, Any]]:
        """One dict per row: every column key, and ``_row`` when the row has a number."""
        if self._records is None:
            keys = tuple(self.columns)
            records = _record_builder(keys)(*self.columns.values(), self.numbers)
            if any(number is None for number in self.numbers):  # a record form's row has no sheet row
                for record in records:
                    if record[ROW_KEY] is None:
                        del record[ROW_KEY]
            self._records = records
        return self._records

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], keys: Sequence[str] | None = None) -> Table:
        """The table of row dicts (``keys``: the columns, in order; by default every key the
        dicts hold, in the order first seen)."""
        records = list(records)
        if keys is None:
            keys = list(dict.fromkeys(k for record in records for k in record if k != ROW_KEY))
        return cls({k: [record.get(k) for record in records] for k in keys},
                   [record.get(ROW_KEY) for record in records])

    def to_json(self) -> dict[str, Any]:
        """What a stored version holds: dates as ISO text."""
        return {"columns": {key: _json_column(values) for key, values in self.columns.items()},
                "rows": list(self.numbers)}

    @classmethod
    def from_json(cls, data: Any) -> Table:
        """A stored version's table: the columnar form, or the row dicts of older versions."""
        if not data:
            return cls()
        if isinstance(data, list):
            return cls.from_records(data)
        return cls(dict(data["columns"]), data["rows"])


def _json_column(values: list) -> list:
    if not _DATES_SET.isdisjoint(map(type, values)):
        return [v.isoformat() if isinstance(v, _DATES) else v for v in values]
    return list(values)


@lru_cache(maxsize=256)
def _record_builder(keys: tuple[str, ...]) -> Callable[..., list[dict[str, Any]]]:
    """``build(*columns, numbers)``: the row dicts, generated for ``keys`` (a dict display
    with constant keys is several times faster than ``dict(zip())``)."""
    names = [f"v{i}" for i in range(len(keys))]
    items = "".join(f"{key!r}: {name}, " for key, name in zip(keys, names))
    params = "".join(f"c{i}, " for i in range(len(keys)))
    targets = "".join(f"{name}, " for name in names)
    source = (f"def build({params}numbers):\n"
              f"    return [{{{items}{ROW_KEY!r}: n}} for {targets}n in zip({params}numbers)]")
    namespace: dict[str, Any] = {"__builtins__": {}, "zip": zip}
    exec(compile(source, f"<records of {', '.join(keys)}>", "exec"), namespace)
    return namespace["build"]
