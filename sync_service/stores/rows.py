"""Rows of a tab kept on disk while they are made, so that a large tab is never whole in memory.

The consolidated workbook's tabs have a row per school and form: tens of thousands of
lists of values at 3 000 schools. :class:`SpooledRows` takes them one at a time (as the
consolidation reads the stored snapshots, a batch of schools at a time), pickles them in
batches into an anonymous temporary file, and gives them back in order as often as they
are iterated — the store renders and sends them from there. It knows its length and its
widest row, which the writers need before the first row (a sheet's ``<dimension>``, a
grid's size). A :class:`TabSpec` (``stores.base``) takes it wherever it takes a list.

Why a spool and not a generator: the content's digest decides whether the workbook is
written at all, and a tab's widths, totals and filter range are known only after its last
row, while both writers need them before the first. Everything is read from the database
once; what the write needs comes from the file, and a write that fails midway leaves the
old workbook as it was (nothing is sent or renamed before the rows are all there).
"""
from __future__ import annotations

import pickle
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sync_service.stores.base import StoreError

__all__ = ["Spool", "SpooledRows", "RowsUnreadable", "row_width", "read_back"]

BATCH = 500   # rows pickled together: a few hundred kilobytes in memory at most


class Spool:
    """Items appended in order and read back in order, any number of times: the last
    ``batch`` of them in memory, the others pickled into a temporary file (made only when
    there are more than ``batch``)."""

    def __init__(self, *, batch: int = BATCH):
        self.batch = batch
        self._file: Any = None
        self._lock = threading.Lock()
        self._pending: list[Any] = []
        self._batches: list[tuple[int, int]] = []   # (offset, end) of each pickled batch
        self._end = 0
        self._length = 0

    def append(self, item: Any) -> None:
        if len(self._pending) >= self.batch:
            self._flush()
        self._pending.append(item)
        self._length += 1

    def _flush(self) -> None:
        data = pickle.dumps(self._pending, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="svod-spool-")  # noqa: SIM115 - kept open, closed by close()
            self._file.seek(self._end)
            self._file.write(data)
            self._batches.append((self._end, self._end + len(data)))
            self._end += len(data)
        self._pending = []

    def batches(self) -> Iterator[list[Any]]:
        """The items a batch (a list of up to ``batch`` items) at a time, in order."""
        for offset, end in list(self._batches):
            with self._lock:
                self._file.seek(offset)
                data = self._file.read(end - offset)
            yield pickle.loads(data)
        if self._pending:
            yield list(self._pending)

    def __iter__(self) -> Iterator[Any]:
        for batch in self.batches():
            yield from batch

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class SpooledRows(Spool):
    """A tab's rows, appended in order and read back in order (any number of times).

    ``digest``, when given (a ``hashlib`` object), is fed each row's ``repr`` as it is
    appended: the digest of a tab's content without a second pass over it."""

    def __init__(self, rows: Iterable[Sequence[Any]] = (), *, digest: Any = None):
        super().__init__(batch=BATCH)
        self.width = 0
        self.digest = digest
        self.extend(rows)

    def append(self, row: Sequence[Any]) -> None:
        row = row if isinstance(row, list) else list(row)
        if self.digest is not None:
            self.digest.update(repr(row).encode("utf-8", "surrogatepass"))
        if len(row) > self.width:
            self.width = len(row)
        super().append(row)

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.append(row)

    def __getitem__(self, index: int) -> list[Any]:
        """One row (for the first rows a caller looks at; a row far down costs a read)."""
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        first = 0
        for batch in self.batches():
            if index < first + len(batch):
                return batch[index - first]
            first += len(batch)
        raise IndexError(index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (SpooledRows, list)):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]   (mutable, compared by content)

    def __reduce__(self):
        # pickled (a recording of what was written) as the plain list it stands for
        return list, (list(self),)

    def __repr__(self) -> str:
        return f"SpooledRows({len(self)} rows, width {self.width})"


class RowsUnreadable(StoreError):
    """A tab's rows could not be read back while the tab was written (its spool's file):
    the store wrote nothing, the workbook is as it was. Never a refusal of the file."""

    def __init__(self, title: str, exc: BaseException):
        self.title = title
        super().__init__(f"строки листа «{title}» не прочитаны из временного файла ({type(exc).__name__}: {exc})")


def read_back(rows: Iterable[Sequence[Any]], title: str) -> Iterator[Sequence[Any]]:
    """The rows of the tab ``title``, a failure to read them (a spool's file, an iterable
    that raises) as :class:`RowsUnreadable`, so that no store takes it for a broken workbook."""
    iterator = iter(rows)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except RowsUnreadable:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever stopped the rows, the write stops with it
            raise RowsUnreadable(title, exc) from exc
        yield row


def row_width(rows: Iterable[Sequence[Any]], title: str) -> int:
    """The length of the longest row of the tab ``title`` (0 for none), without reading a
    spool back; rows that cannot be read as :func:`read_back` says."""
    if isinstance(rows, SpooledRows):
        return rows.width
    return max(map(len, read_back(rows, title)), default=0)
