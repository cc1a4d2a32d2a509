"""Fixtures for the emulator tests: one emulator per test session, reset
before every test that uses it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from sheets_emulator import run_emulator
from sheets_emulator.client import gspread_client

REPO = Path(__file__).resolve().parents[2]
CASSETTES = Path(os.environ.get("SVOD_CASSETTES_DIR", REPO.parent / "shared" / "fixtures" / "sheets-api-cassettes"))


@pytest.fixture(scope="session")
def _server():
    with run_emulator(read_quota=0, write_quota=0) as emu:
        yield emu


@pytest.fixture
def emulator(_server):
    """A running emulator with empty state, clean stats and default knobs
    (no quotas, no latency, no faults)."""
    _server.app.reset(state=True, stats=True)
    _server.app.update_config(
        {"read_quota": 0, "write_quota": 0, "latency_ms": 0, "fault_rate": 0.0, "seed": None,
         "legacy_storage_accounts": [], "google_accounts": ["@gmail.com", "@googlemail.com"]}
    )
    yield _server


@pytest.fixture
def gc(emulator):
    return gspread_client(emulator.url)


@pytest.fixture
def api(emulator):
    """A requests session authenticated as user "test" with the base URL."""
    session = requests.Session()
    session.headers["Authorization"] = "Bearer test"
    session.base = emulator.url
    return session
