"""A turn of the year stopped at any moment and run again ends where an uninterrupted one
ends: the same tabs with the same cells in every workbook, the same year, every step done.
Stopped between two journal steps (several seeds), and a real ``svod new-year`` process
killed at a random moment."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from sync_service import db as m
from sync_service.sync.run import run_sync, sync_lock
from sync_service.yearturn.run import turn_year
from tests.yearturn.district import STAFF, UMK, build

ROOT = Path(__file__).resolve().parents[2]
Y1, Y2 = "2026/2027", "2027/2028"
TURN_DAY = datetime(2027, 9, 2, 9)


class Stop(Exception):
    """Raised at a chosen step, as a kill between two steps would stop the turn."""


def district(folder: Path):
    d = build(folder, Y1, now=datetime(2026, 9, 15, 9))
    run_sync(d.svod)
    d.fill_table("sch01", "Кадры", STAFF)
    d.fill_table("sch02", "УМК", UMK)
    d.fill_record("sch03", "library_fund", {"fund_total": 15320, "readers": 640})
    d.at(datetime(2027, 6, 30, 9))
    run_sync(d.svod)
    d.at(TURN_DAY)
    return d


def state(d) -> dict:
    """Every workbook's tabs (in order) with their cells and protection, the year, the journal."""
    books = {}
    for path in sorted(d.store.folder.glob("*.xlsx")):
        if path.name.startswith("Свод"):
            continue
        book = openpyxl.load_workbook(path)
        books[path.name] = [(s.title, bool(s.protection.sheet), [list(r) for r in s.iter_rows(values_only=True)])
                            for s in book.worksheets if s.title != "Проверка"]
    with d.svod.db.session() as session:
        steps = sorted((s.target, s.status) for s in session.scalars(select(m.YearTurnStep)))
        turns = [(t.to_year, t.status) for t in session.scalars(select(m.YearTurn))]
    return {"books": books, "year": d.svod.academic_year, "steps": steps, "turns": turns}


def turn(d, progress=None):
    with sync_lock(d.svod.settings.lock_file, d.svod.settings.database_url):
        return turn_year(d.svod, Y2, progress=progress)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    d = district(tmp_path_factory.mktemp("whole"))
    assert turn(d).status == "done"
    return state(d)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_stopped_between_steps_and_run_again(tmp_path, uninterrupted, seed):
    d = district(tmp_path)
    stop_at = random.Random(seed).randrange(5)   # three schools, the head, the year

    def stop(done: int, _total: int, _step: str) -> None:
        if done == stop_at:
            raise Stop()

    with pytest.raises(Stop):
        turn(d, stop)
    assert d.svod.academic_year == Y1   # not turned until every workbook is
    assert turn(d).status == "done"
    assert state(d) == uninterrupted
    assert turn(d).status == "done" and state(d) == uninterrupted   # and again: nothing changes


def test_run_twice_changes_nothing_the_second_time(tmp_path, uninterrupted):
    d = district(tmp_path)
    turn(d)
    marks = {p.name: p.stat().st_mtime_ns for p in d.store.folder.glob("*.xlsx")}
    assert turn(d).status == "done"
    assert {p.name: p.stat().st_mtime_ns for p in d.store.folder.glob("*.xlsx")} == marks


@pytest.mark.parametrize("seed", [7, 8])
def test_a_killed_process_run_again(tmp_path, uninterrupted, seed):
    """``svod new-year`` killed (SIGKILL) at a random moment of its run, then run to the end."""
    d = district(tmp_path)
    settings = d.svod.settings
    env = {**os.environ, "DATABASE_URL": settings.database_url, "SVOD_LOCK_FILE": str(settings.lock_file),
           "SVOD_WORKBOOKS_DIR": str(settings.workbooks_dir), "SVOD_ACADEMIC_YEAR": "", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "sync_service", "--today", "2027-09-02", "new-year", Y2]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.Random(seed).uniform(0.5, 3.0))
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert state(d) == uninterrupted
