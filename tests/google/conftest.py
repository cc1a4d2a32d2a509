"""Fixtures of the Google store tests: one emulator per test module (a free port), clean
before every test, and stores talking to it through real gspread over HTTP."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import requests

from sheets_emulator import run_emulator
from sheets_emulator.client import gspread_client
from sync_service.config import Settings
from sync_service.context import Svod
from sync_service.stores.google import GoogleStore
from sync_service.stores.google_http import Backoff
from tests.factory import make_svod

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0)
YEAR = "2026/2027"
# The demo's and the tests' school domains are Google Workspace domains: their librarians have
# Google accounts, so sharing without a notification e-mail works for them (docs/emulator.md).
ACCOUNTS = ["@gmail.com", "@googlemail.com", "@school.example", "@omo.example"]
DEFAULTS = {"read_quota": 0, "write_quota": 0, "latency_ms": 0, "fault_rate": 0.0, "seed": None,
            "fault_kinds": ["429", "500", "503", "drop"], "legacy_storage_accounts": [], "google_accounts": ACCOUNTS}


@pytest.fixture(scope="module")
def emulator():
    with run_emulator(read_quota=0, write_quota=0, google_accounts=ACCOUNTS) as emu:
        yield emu


@pytest.fixture
def emu(emulator):
    """The module's emulator with no files, zeroed counters and default knobs."""
    configure(emulator, **DEFAULTS)
    requests.post(f"{emulator.url}/_emulator/reset", json={"state": True, "stats": True}, timeout=10)
    return emulator


def configure(emulator, **changes) -> dict:
    response = requests.post(f"{emulator.url}/_emulator/config", json=changes, timeout=10)
    response.raise_for_status()
    return response.json()


def stats(emulator) -> dict:
    """The emulator's counters, as /_emulator/stats reports them."""
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=10).json()


def reset_stats(emulator) -> None:
    requests.post(f"{emulator.url}/_emulator/reset", json={"state": False, "stats": True}, timeout=10)


def google_settings(emulator) -> dict:
    """The settings of a Google backend talking to ``emulator``, without quotas of its own."""
    return dict(backend="google", google_api_url=emulator.url, google_quota_per_minute=0, academic_year=YEAR,
                read_workers=4)


def settings_for(emulator, tmp_path: Path | None = None, **overrides) -> Settings:
    values = google_settings(emulator)
    if tmp_path is not None:
        values.update(database_url=f"sqlite:///{tmp_path / 'svod.db'}", lock_file=tmp_path / "sync.lock")
    values.update(overrides)
    return Settings.from_env({}, **values)


class Sleeps(list):
    """Records backoff delays instead of waiting them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def store_for(emulator, **overrides) -> GoogleStore:
    """A GoogleStore built the production way (from settings), with backoff sleeps recorded."""
    store = GoogleStore.from_settings(settings_for(emulator, **overrides))
    store.api.backoff = Backoff(sleep=Sleeps())
    return store


def svod_for(emulator, tmp_path: Path, **overrides) -> Svod:
    """The test factory's context on the google backend, talking to ``emulator``."""
    svod = make_svod(tmp_path, now=NOW, **{**google_settings(emulator), **overrides})
    svod.store.api.backoff = Backoff(sleep=Sleeps())
    return svod


def librarian(emulator, email: str):
    """A gspread client acting as ``email`` (the emulator's bearer token is the user)."""
    return gspread_client(emulator.url, token=email)
