"""One sync at a time: a file lock that holds across processes, and on PostgreSQL the
database's advisory lock too, so that processes on different machines exclude each other."""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# PostgreSQL's advisory lock key for the sync: "SVODSYNC" in ASCII, one bigint.
SYNC_LOCK_KEY = 0x53564F4453594E43


class SyncBusy(Exception):
    """Another sync holds the lock."""


@contextmanager
def sync_lock(path: Path, database_url: str | None = None) -> Iterator[None]:
    """An exclusive, non-blocking lock on ``path``: held by the process for the run, released
    by the kernel if the process dies (kill -9 included).

    With a PostgreSQL ``database_url`` the database's advisory lock is taken too, so that
    processes on different machines (the web and the clock of a Procfile host) exclude
    each other as well; busy either way is :class:`SyncBusy`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncBusy("синхронизация уже идёт") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        if database_url and database_url.startswith("postgresql"):
            with _advisory_lock(database_url):
                yield
        else:
            yield
    finally:
        os.close(fd)


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    """PostgreSQL's session-level advisory lock on a connection of its own, held for the run.

    The lock lives as long as that connection: a dead process's connection is closed by the
    server, which frees the lock. Autocommit, so the connection waits idle rather than idle
    in a transaction, and no pool, so closing it really ends the session."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": SYNC_LOCK_KEY}):
                raise SyncBusy("синхронизация уже идёт")
            yield
    finally:
        engine.dispose()
