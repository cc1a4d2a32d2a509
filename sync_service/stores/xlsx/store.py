"""Local .xlsx workbooks in one folder: the store for associations that do not use Google.

The store keeps to the folder: ids (file names) and their change markers, one lock per
workbook, and the atomic swap of a written file — the new file is written beside the old
one and swapped in with ``os.replace``, so a reader never sees half a file. What is in a
file is the business of :mod:`.reader` (bytes -> tabs) and :mod:`.writer` (bytes and tabs
-> bytes); their refusals become :class:`WorkbookUnavailable` with the same Russian reason.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import stat
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, BinaryIO
from urllib.parse import unquote, urlparse

from sync_service.failures import os_failure
from sync_service.stores.base import (
    StoreError,
    TabChange,
    TabSpec,
    Workbook,
    WorkbookChanged,
    WorkbookInfo,
    WorkbookRefused,
    WorkbookStore,
    WorkbookUnavailable,
)
from sync_service.stores.xlsx import writer
from sync_service.stores.xlsx.package import FileRefused
from sync_service.stores.xlsx.reader import read_sheets

log = logging.getLogger(__name__)

__all__ = ["XlsxStore", "WorkbookRefused", "REASONS"]

SUFFIXES = (".xlsx", ".xlsm")
# What a head may type in «Книга» that is a spreadsheet file, not part of a name.
_FILE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv"}
_TEMP_PREFIX = ".~svod-"

# Why a file of the folder cannot be used (the reasons of its content are the package's).
REASONS = {
    "missing": "файл не найден в папке книг (SVOD_WORKBOOKS_DIR)",
    "bad_name": "недопустимое имя книги: укажите имя файла в папке книг, без «..»",
    "directory": "это папка, а не файл книги; укажите имя файла .xlsx",
}


def unopenable(exc: OSError) -> str:
    """Why a file of the folder cannot be opened, as the system said (no permission, a lock
    of another program, a disk error …)."""
    return f"файл не открывается: {os_failure(exc, 'файл в папке книг')}"


def unwritable(exc: OSError) -> str:
    """Why a file could not be written: a full disk is not a missing permission."""
    return f"не удалось записать файл: {os_failure(exc, 'папка книг, SVOD_WORKBOOKS_DIR')}"


def _marker(stat: os.stat_result) -> str:
    return f"{stat.st_mtime_ns}-{stat.st_size}"


_UNSAFE_TITLE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _temporary_beside(path: Path):
    """A new temporary file in ``path``'s folder with the permissions the workbook has (or,
    for a new one, what the umask gives a new file): a workbook on a shared folder stays
    readable by the others after Svod rewrote it (tempfile's files are 0600)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    for _attempt in range(100):
        temp = path.parent / f"{_TEMP_PREFIX}{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # the umask applies
        except FileExistsError:
            continue
        if mode is not None:
            os.fchmod(fd, mode)
        return os.fdopen(fd, "wb"), temp
    raise FileExistsError(f"no free temporary name in {path.parent}")


class XlsxStore(WorkbookStore):
    """Workbooks are the .xlsx files of ``folder``; a workbook's id is its file name there."""

    name = "xlsx"

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # workbook id -> the marker of bytes read without a refusal (or written by Svod from
        # such bytes): the writer need not read them again before writing (one per file)
        self._understood: dict[str, str] = {}

    # --- ids and markers ---

    def _path(self, workbook_id: str) -> Path:
        relative = PurePosixPath(workbook_id.replace("\\", "/"))
        if not workbook_id or relative.is_absolute() or ".." in relative.parts:
            raise WorkbookUnavailable(workbook_id, REASONS["bad_name"])
        return self.folder.joinpath(*relative.parts)

    def _lock(self, workbook_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(workbook_id, threading.Lock())

    def workbook_id_for(self, reference: str) -> str:
        """«sch07», «sch07 Школа №7.xlsx», «C:\\Отчёты\\sch07.xlsx», «file:///…» -> the file name."""
        ref = reference.strip().strip("\"'«»").strip()
        if ref.lower().startswith("file:"):
            ref = unquote(urlparse(ref).path)
        if "/" in ref or "\\" in ref:
            path = PureWindowsPath(ref) if "\\" in ref or re.match(r"^[A-Za-z]:", ref) else PurePosixPath(ref)
            if path.is_absolute() or path.drive:
                try:
                    ref = Path(ref).resolve().relative_to(self.folder.resolve()).as_posix()
                except (ValueError, OSError):
                    ref = path.name
            else:
                ref = PurePosixPath(*[p for p in path.parts if p not in (".", "")]).as_posix()
        if PurePosixPath(ref).suffix.lower() not in _FILE_SUFFIXES:
            ref += ".xlsx"
        if not _exists(self.folder / ref):
            # «sch07» for «sch07 МБОУ СОШ №7.xlsx», or the name in another case.
            stem = ref[:-5].casefold() if ref.lower().endswith(".xlsx") else None
            candidates = [w.id for w in self.list_workbooks()
                          if w.id.casefold() == ref.casefold() or stem and w.title.casefold().startswith(stem + " ")]
            if len(candidates) == 1:
                return candidates[0]
        return ref

    def list_workbooks(self) -> list[WorkbookInfo]:
        found = []
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        for entry in entries:
            name = entry.name
            if name.startswith(("~$", ".")) or not name.lower().endswith(SUFFIXES):
                continue
            try:
                if entry.is_file():
                    found.append(WorkbookInfo(name, name.rsplit(".", 1)[0], _marker(entry.stat())))
            except OSError:
                continue
        return sorted(found, key=lambda w: w.id)

    def markers(self, workbook_ids: Sequence[str]) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for workbook_id in workbook_ids:
            try:
                result[workbook_id] = _marker(self._path(workbook_id).stat())
            except (OSError, WorkbookUnavailable):
                result[workbook_id] = None
        return result

    # --- reading ---

    def _load(self, workbook_id: str) -> tuple[bytes, str]:
        """The file's bytes and the marker of exactly those bytes."""
        path = self._path(workbook_id)
        try:
            with open(path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                return handle.read(), _marker(stat)
        except FileNotFoundError:
            raise WorkbookUnavailable(workbook_id, REASONS["missing"]) from None
        except IsADirectoryError:
            raise WorkbookUnavailable(workbook_id, REASONS["directory"]) from None
        except OSError as exc:  # PermissionError, a sharing violation on Windows, an I/O error
            log.info("cannot open %s: %s", path, exc)
            raise WorkbookUnavailable(workbook_id, unopenable(exc)) from None

    def read(self, workbook_id: str) -> Workbook:
        data, marker = self._load(workbook_id)
        try:
            sheets = read_sheets(data)
        except FileRefused as exc:
            log.info("cannot read %s (%s)", workbook_id, exc.key)
            raise WorkbookUnavailable(workbook_id, exc.reason) from None
        self._understood[workbook_id] = marker
        title = PurePosixPath(workbook_id).name.rsplit(".", 1)[0]
        return Workbook(workbook_id, title, sheets, marker)

    # --- writing ---

    def _write_file(self, path: Path, workbook_id: str, content: bytes | Callable[[BinaryIO], Any], *,
                    replace_if: str | None, exclusive: bool = False) -> str:
        """Write ``content`` to ``path`` through a temporary file in the same folder; a
        callable ``content`` writes into the temporary file itself (a large workbook is
        zipped straight to disk, never whole in memory).

        ``replace_if``: the marker the file must still have (else :class:`WorkbookChanged`);
        ``exclusive``: the file must not exist (else :class:`StoreError`).
        """
        try:
            handle, temp = _temporary_beside(path)
        except OSError as exc:
            log.info("cannot create a temporary file in %s: %s", path.parent, exc)
            raise WorkbookUnavailable(workbook_id, unwritable(exc)) from None
        try:
            with handle:
                if callable(content):
                    content(handle)
                else:
                    handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            if exclusive:
                try:
                    os.link(temp, path)   # fails if the file appeared meanwhile
                except FileExistsError:
                    raise StoreError(f"книга «{workbook_id}» уже есть: новую с тем же именем не создаю") from None
                except OSError:  # a file system without hard links
                    if path.exists():
                        raise StoreError(f"книга «{workbook_id}» уже есть: новую с тем же именем не создаю") from None
                    os.replace(temp, path)
            else:
                if replace_if is not None:
                    try:
                        current = _marker(path.stat())
                    except FileNotFoundError:
                        current = None
                    if current != replace_if:
                        raise WorkbookChanged(workbook_id)
                os.replace(temp, path)
            return _marker(path.stat())
        except (OSError, writer.WriteFailed) as exc:
            error = exc.error if isinstance(exc, writer.WriteFailed) else exc
            log.info("cannot write %s: %s", path, error)
            raise WorkbookUnavailable(workbook_id, unwritable(error)) from None
        finally:
            temp.unlink(missing_ok=True)

    def _edit(self, workbook_id: str, change: Callable[[bytes, bool], tuple[bytes | None, list[str]]],
              expect_marker: str | None) -> tuple[str, list[str]]:
        """Apply ``change`` (the file's bytes and whether the writer must read them first ->
        new bytes, or a function writing them into the new file, or None for none; titles
        added) to the file under its lock; a file saved meanwhile is read again (unless
        ``expect_marker``)."""
        path = self._path(workbook_id)
        with self._lock(workbook_id):
            for _attempt in range(3):
                data, marker = self._load(workbook_id)
                if expect_marker is not None and marker != expect_marker:
                    raise WorkbookChanged(workbook_id)
                try:
                    content, added = change(data, self._understood.get(workbook_id) != marker)
                    if content is None:
                        return marker, []
                    # (a callable content is the writer itself: it may refuse the file as it writes)
                    written = self._write_file(path, workbook_id, content, replace_if=marker)
                    self._understood[workbook_id] = written
                    return written, added
                except FileRefused as exc:
                    log.info("not writing into %s (%s)", workbook_id, exc.key)
                    raise WorkbookRefused(workbook_id, exc.reason) from None
                except WorkbookChanged:
                    if expect_marker is not None:
                        raise
                    # saved by someone while we wrote: start again from their version
            raise WorkbookChanged(workbook_id)

    def write_tabs(self, workbook_id: str, tabs: Iterable[TabSpec], *, expect_marker: str | None = None) -> str:
        tabs = list(tabs)

        def change(data: bytes, read: bool) -> tuple[Callable[[BinaryIO], Any], list[str]]:
            return (lambda out: writer.write_tabs(data, tabs, read=read, out=out)), []

        marker, _added = self._edit(workbook_id, change, expect_marker)
        return marker

    def add_missing_tabs(self, workbook_id: str, tabs: Sequence[TabSpec]) -> list[str]:
        def change(data: bytes, read: bool) -> tuple[bytes | None, list[str]]:
            return writer.add_missing_tabs(data, tabs, read=read)

        _marker_after, added = self._edit(workbook_id, change, None)
        return added

    def change_tabs(self, workbook_id: str, changes: Sequence[TabChange], *, expect_marker: str | None = None) -> str:
        changes = list(changes)

        def change(data: bytes, read: bool) -> tuple[bytes, list[str]]:
            return writer.change_tabs(data, changes, read=read), []

        marker, _added = self._edit(workbook_id, change, expect_marker)
        return marker

    def create_workbook(self, title: str, tabs: Sequence[TabSpec]) -> str:
        name = title.strip()
        if not name.lower().endswith(SUFFIXES):
            name += ".xlsx"
        if _UNSAFE_TITLE.search(name) or name.startswith(".") or not name[:-5].strip():
            raise StoreError(f"недопустимое имя книги «{title}»: уберите символы \\ / : * ? \" < > |")
        if not tabs:
            raise StoreError("книга без листов: укажите хотя бы один лист")
        path = self.folder / name
        if path.exists():
            raise StoreError(f"книга «{name}» уже есть: новую с тем же именем не создаю")
        self._understood[name] = self._write_file(path, name, lambda out: writer.new_workbook(tabs, out=out),
                                                  replace_if=None, exclusive=True)
        return name

    def set_aside(self, workbook_id: str, label: str) -> str:
        path = self._path(workbook_id)
        stem, suffix = path.name.rsplit(".", 1)
        with self._lock(workbook_id):
            for number in range(1, 100):
                name = f"{stem} ({label}{'' if number == 1 else f' {number}'}).{suffix}"
                target = self.folder / name
                try:
                    try:
                        os.link(path, target)   # never over another file
                    except FileExistsError:
                        continue
                    except OSError:  # a file system without hard links
                        if target.exists():
                            continue
                        os.rename(path, target)
                    else:
                        path.unlink()
                except OSError as exc:
                    raise WorkbookUnavailable(workbook_id, unwritable(exc)) from None
                self._understood.pop(workbook_id, None)
                return name
        raise StoreError(f"не нашлось свободного имени для старой копии «{workbook_id}»")


def _exists(path: Path) -> bool:
    """False also for a name no file system takes (too long, a NUL in it)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False
