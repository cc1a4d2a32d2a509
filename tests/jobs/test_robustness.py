"""A sync killed mid-way, two syncs at once, and the clock stopped by SIGTERM — on real
.xlsx workbooks and SQLite, with real processes."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.models import JobRun
from sync_service import db as m
from sync_service.sync.run import SyncBusy, run_sync
from tests.integration.district import YEAR, build_district, fill

ROOT = Path(__file__).resolve().parents[2]
SCHOOLS = 16


@pytest.fixture
def district(tmp_path):
    district = build_district(tmp_path / "books", schools=SCHOOLS)
    fill(district, "sch01", "staffing")
    fill(district, "sch02", "library_fund")
    yield district
    district.svod.db.dispose()


def environment(district, **extra) -> dict:
    settings = district.svod.settings
    return {**os.environ, "PYTHONPATH": str(ROOT), "SVOD_WORKBOOKS_DIR": str(settings.workbooks_dir),
            "DATABASE_URL": settings.database_url, "SVOD_LOCK_FILE": str(settings.lock_file),
            "SVOD_ACADEMIC_YEAR": YEAR, "SVOD_READ_WORKERS": "1", "SVOD_EXPORT_DIR": str(district.folder.parent / "x"),
            **extra}


def database_file(district) -> str:
    return district.svod.settings.database_url.removeprefix("sqlite:///")


def count(district, sql: str) -> int:
    """Read with plain sqlite3, as an outsider would, while another process writes."""
    with sqlite3.connect(database_file(district), timeout=10) as connection:
        try:
            return connection.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:  # e.g. the table is not there yet
            return 0


def wait_for(condition, timeout: float, what: str, process=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process ended before {what}: {process.stdout.read() if process.stdout else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_a_sync_killed_mid_way_leaves_a_consistent_database_and_the_next_one_completes(district):
    process = subprocess.Popen([sys.executable, "-m", "sync_service", "sync", "--quiet"], cwd=ROOT,
                               env=environment(district), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: count(district, "SELECT COUNT(*) FROM sync_outcomes") >= 3, 60, "the first schools", process)
        # While it runs, the lock holds across processes.
        with pytest.raises(SyncBusy):
            run_sync(district.svod)
        process.kill()  # SIGKILL: no cleanup at all
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    stored = count(district, "SELECT COUNT(*) FROM sync_outcomes")
    assert stored < SCHOOLS, "the sync finished before it could be killed: make it longer"

    with sqlite3.connect(database_file(district)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []

    summary = run_sync(district.svod)
    assert summary.status == "ok" and summary.failed == 0 and summary.total == SCHOOLS
    with district.svod.db.session() as session:
        runs = session.scalars(select(m.SyncRun).order_by(m.SyncRun.id)).all()
        assert [r.status for r in runs] == ["interrupted", "ok"]
        # No half-stored school: every submission's current version has its snapshot.
        for submission in session.scalars(select(m.Submission).where(m.Submission.version > 0)):
            assert session.scalar(select(m.SubmissionVersion).where(
                m.SubmissionVersion.submission_id == submission.id,
                m.SubmissionVersion.version == submission.version)) is not None, submission.id
        filled = session.scalar(select(m.Submission).join(m.School).where(m.School.code == "sch01")
                                .join(m.Collection).where(m.Collection.key == "staffing"))
        assert filled.ready and filled.errors == 0 and filled.version == 1
    with sqlite3.connect(database_file(district)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_two_syncs_at_once_one_is_busy(district):
    started, proceed, results = threading.Event(), threading.Event(), []

    def hold(_done, _total, _code, _outcome):
        started.set()
        proceed.wait(30)

    first = threading.Thread(target=lambda: results.append(run_sync(district.svod, progress=hold)))
    first.start()
    try:
        assert started.wait(30)
        with pytest.raises(SyncBusy, match="синхронизация уже идёт"):
            run_sync(district.svod)
    finally:
        proceed.set()
        first.join(60)
    assert results[0].status == "ok"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_clock_stops_cleanly_on_a_signal_even_mid_sync(district, signum):
    process = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=environment(district),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The clock syncs at start: stop it once the sync is under way.
        wait_for(lambda: count(district, "SELECT COUNT(*) FROM sync_outcomes") >= 2, 60, "the sync to start", process)
        process.send_signal(signum)
        assert process.wait(60) == 0  # a bound so that a hang fails; how fast is not the point
    finally:
        if process.poll() is None:
            process.kill()
        log = process.stdout.read()
        process.stdout.close()
    # It stopped the sync at a school boundary and left cleanly, not by giving up after its grace.
    assert "clock stopped" in log and "jobs still running after" not in log
    with district.svod.db.session() as session:
        job = session.scalars(select(JobRun).where(JobRun.job == "sync")).one()
        run = session.scalars(select(m.SyncRun)).one()
    # Stopped at a school boundary (or, on a fast machine, finished): never left «running».
    assert (job.outcome, run.status) in {("interrupted", "interrupted"), ("ok", "ok")}
    assert job.finished_at is not None
    with sqlite3.connect(database_file(district)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
