"""The state file and the command line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from sheets_emulator import run_emulator
from sheets_emulator.client import gspread_client

REPO = Path(__file__).resolve().parents[2]


def test_state_survives_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with run_emulator(state_path=str(state_file)) as emu:
        gc = gspread_client(emu.url)
        spreadsheet = gc.create("Persistent")
        spreadsheet.sheet1.update([["kept", "=1+1"]], "A1", raw=False)
        modified = spreadsheet.get_lastUpdateTime()
        assert json.loads(state_file.read_text())["files"][0]["name"] == "Persistent"
    assert not [p for p in tmp_path.iterdir() if p.name != "state.json"], "temporary files left behind"
    with run_emulator(state_path=str(state_file)) as emu:
        gc = gspread_client(emu.url)
        reopened = gc.open("Persistent")
        assert reopened.sheet1.get_all_values() == [["kept", "2"]]
        assert reopened.get_lastUpdateTime() == modified
        reopened.sheet1.update_acell("C1", "later")
        assert reopened.get_lastUpdateTime() > modified


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cli_starts_answers_and_saves_on_sigterm(tmp_path):
    port = _free_port()
    state_file = tmp_path / "cli-state.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "sheets_emulator", "--port", str(port), "--state", str(state_file),
         "--read-quota", "0", "--write-quota", "0"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.strip() == f"Sheets emulator on http://127.0.0.1:{port}"
        gc = gspread_client(f"http://127.0.0.1:{port}", token="cli-user")
        gc.create("From the CLI")
        assert [f["name"] for f in gc.list_spreadsheet_files()] == ["From the CLI"]
        assert requests.get(f"http://127.0.0.1:{port}/_emulator/config", timeout=5).json()["read_quota"] == 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0, process.stderr.read()
    assert json.loads(state_file.read_text())["files"][0]["name"] == "From the CLI"


def test_cli_rejects_bad_options():
    result = subprocess.run(
        [sys.executable, "-m", "sheets_emulator", "--port", "0", "--fault-kinds", "429,boom"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "unknown fault kinds" in result.stderr
