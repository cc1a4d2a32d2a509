"""`svod run` (what `make run` starts): the page and the clock as two processes, the button
working there, and both gone when it stops."""
from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import requests
from werkzeug.security import generate_password_hash

from tests.factory import default_sigint
from tests.jobs.test_robustness import wait_for

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def web_runs(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database, timeout=10) as connection:
        try:
            return connection.execute("SELECT trigger, status FROM sync_runs WHERE trigger = 'web'").fetchall()
        except sqlite3.OperationalError:
            return []


def test_run_serves_the_page_beside_a_clock_that_takes_the_button(tmp_path):
    port, database = free_port(), tmp_path / "svod.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SVOD_WORKBOOKS_DIR": str(tmp_path / "district"),
           "DATABASE_URL": f"sqlite:///{database}", "SVOD_LOCK_FILE": str(tmp_path / "sync.lock"),
           "SVOD_EXPORT_DIR": str(tmp_path / "exports"), "SVOD_DEMO_SCHOOLS": "3", "PORT": str(port),
           "SVOD_SECRET_KEY": "test-secret",
           "SVOD_ADMIN_PASSWORD_HASH": generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")}
    process = subprocess.Popen([sys.executable, "-m", "sync_service", "run"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=default_sigint)
    base, browser = f"http://127.0.0.1:{port}", requests.Session()
    clocks: list[int] = []
    try:
        def serving() -> bool:
            try:
                return browser.get(f"{base}/healthz", timeout=5).ok
            except requests.ConnectionError:
                return False

        wait_for(serving, 120, "the page", process)
        clocks = children(process.pid)
        assert len(clocks) == 1 and "jobs" in Path(f"/proc/{clocks[0]}/cmdline").read_text()

        token = lambda path: re.search(r'name="csrf_token" value="([^"]+)"',  # noqa: E731
                                       browser.get(f"{base}{path}", timeout=10).text)[1]
        browser.post(f"{base}/admin/login", data={"password": PASSWORD, "csrf_token": token("/admin/login")},
                     timeout=10)
        answer = browser.post(f"{base}/admin/sync", data={"csrf_token": token("/admin/")}, timeout=10)
        assert "Синхронизация запрошена" in answer.text
        wait_for(lambda: ("web", "ok") in web_runs(database) or ("web", "partial") in web_runs(database), 120,
                 "the clock to run the requested sync", process)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            process.wait(60)
        finally:
            if process.poll() is None:
                process.kill()
            process.stdout.close()
    wait_for(lambda: not any(alive(pid) for pid in clocks), 60, "the clock to leave with the page")
