"""The one factory of the real Svod context and app for every test (Datasette's
``make_app_client`` is the model): ``make_svod(folder, **settings)`` and ``make_app(svod)``,
handed out by the ``svod_factory`` and ``app_factory`` fixtures of ``tests/conftest.py``,
which close every database they opened.

A context is built the way the CLI and the web build theirs (``Svod(settings, …)``, parts
built on first use), with test-sized settings: everything inside ``folder`` (SQLite
``svod.db``, workbooks in ``books/``, exports, the sync lock), the academic year
2026/2027, a fixed clock, and the forms loaded once per session. Any setting can be
overridden, a store (an ``XlsxStore`` of a hand-built district, a Google store with
recorded backoff) or a database passed in.
"""
from __future__ import annotations

import functools
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask

from sync_service.config import Settings
from sync_service.context import Svod
from sync_service.db import Database
from sync_service.forms.schema import Schema, load_schema
from sync_service.stores.base import WorkbookStore

NOW = datetime(2026, 11, 22, 9, 0)
YEAR = "2026/2027"


@functools.cache
def shipped_schema() -> Schema:
    """The shipped forms, loaded once: loading them is slow and no test changes them."""
    return load_schema()


def svod_settings(folder: Path, **overrides: Any) -> Settings:
    """Settings with everything in ``folder``; ``overrides`` win (any :class:`Settings` field)."""
    values: dict[str, Any] = dict(database_url=f"sqlite:///{folder / 'svod.db'}", workbooks_dir=folder / "books",
                                  export_dir=folder / "exports", lock_file=folder / "sync.lock",
                                  academic_year=YEAR)
    values.update(overrides)
    return Settings.from_env({}, **values)


def make_svod(folder: Path, *, now: datetime | Callable[[], datetime] = NOW, store: WorkbookStore | None = None,
              db: Database | None = None, migrate: bool = True, **settings: Any) -> Svod:
    """The real context over ``folder`` (see the module docstring), migrated unless
    ``migrate`` is false. ``now`` is the fixed time (or a clock to call)."""
    folder.mkdir(parents=True, exist_ok=True)
    values = svod_settings(folder, **settings)
    svod = Svod(values, schema=None if values.schema_dir else shipped_schema(), db=db, store=store,
                clock=now if callable(now) else (lambda: now))
    if migrate:
        svod.db.upgrade()
    return svod


def make_app(svod: Svod, **config: Any) -> Flask:
    """The real app (``create_app``) serving ``svod``, in testing mode; ``config`` as Flask's."""
    from web import create_app

    return create_app({"SVOD": svod, "TESTING": True, **config})


def default_sigint() -> None:
    """``preexec_fn`` of a child a test sends Ctrl-C to: SIGINT as a terminal gives it, even
    when the test run itself was started with SIGINT ignored (in the background of a shell)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
