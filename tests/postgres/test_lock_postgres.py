"""On PostgreSQL two syncs exclude each other through the database's advisory lock, not only
through the lock file: the web and the clock of a Procfile host run on different machines.
Each sync here has a lock file of its own, as they would there."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from sync_service import db as m
from sync_service.sync.run import SYNC_LOCK_KEY, SyncBusy, run_sync, sync_lock
from tests.integration.district import build_district

ROOT = Path(__file__).resolve().parents[2]


def advisory_holders(url: str) -> list[tuple[int, str]]:
    """(pid, state) of the sessions holding the sync's advisory lock."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(
                "SELECT a.pid, a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted "
                "AND (l.classid::bigint << 32) + l.objid::bigint = :key"), {"key": SYNC_LOCK_KEY})]
    finally:
        engine.dispose()


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds} s for {what}")
        time.sleep(0.05)


def test_two_lock_files_one_database_one_sync(tmp_path, postgres_url):
    with sync_lock(tmp_path / "web.lock", postgres_url):
        holders = advisory_holders(postgres_url)
        assert len(holders) == 1 and holders[0][1] == "idle"  # its own connection, not idle in a transaction
        with pytest.raises(SyncBusy, match="синхронизация уже идёт"), sync_lock(tmp_path / "clock.lock", postgres_url):
            pass
        failed = []
        thread = threading.Thread(target=lambda: failed.append(_busy(tmp_path / "thread.lock", postgres_url)))
        thread.start()
        thread.join(timeout=30)
        assert failed == [True]
        with sync_lock(tmp_path / "sqlite.lock", "sqlite:///" + str(tmp_path / "other.db")):
            pass  # SQLite keeps the file lock alone
    assert advisory_holders(postgres_url) == []
    with sync_lock(tmp_path / "clock.lock", postgres_url):
        pass  # released with its connection


def _busy(path: Path, url: str) -> bool:
    try:
        with sync_lock(path, url):
            return False
    except SyncBusy:
        return True


def test_a_sync_in_another_process_makes_this_one_busy_until_it_is_killed(tmp_path, postgres_url):
    district = build_district(tmp_path / "district", schools=3, database_url=postgres_url)
    ready = tmp_path / "holder.ready"
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.postgres.sync_holder", str(district.folder), postgres_url,
         str(tmp_path / "holder.lock"), str(ready)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: ready.exists() or holder.poll() is not None, 30, "the other sync to start")
        assert holder.poll() is None, holder.stderr.read()
        assert district.svod.settings.lock_file != tmp_path / "holder.lock"
        with pytest.raises(SyncBusy):
            run_sync(district.svod)
        assert len(advisory_holders(postgres_url)) == 1

        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        # the server sees the connection close and drops the session with its lock
        wait_for(lambda: not advisory_holders(postgres_url), 10, "the killed sync's lock to be freed")
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
        holder.stderr.close()

    summary = run_sync(district.svod)
    assert summary.status == "ok"
    with district.svod.db.session() as session:
        runs = {run.trigger: run.status for run in session.scalars(select(m.SyncRun))}
    assert runs == {"holder": "interrupted", "cli": "ok"}  # the busy attempt left no run behind
    district.svod.db.dispose()
