"""The running Svod: settings, forms, database, workbook store and clock in one place.

Every part but the settings is built on first use, so a command builds only what it
touches: ``db-upgrade`` opens the database and never loads the forms or builds the Google
store (whose credentials a release step does not have); the web never builds a store.
A part passed in (tests pass a fixed clock, a store of their own) is used as given.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sync_service.config import Settings
from sync_service.db import Database
from sync_service.district.registry import academic_year_of
from sync_service.forms.checks import default_checks
from sync_service.forms.schema import Schema, load_schema
from sync_service.stores.base import WorkbookStore

PARTS = ("schema", "db", "store", "clock")


def make_store(settings: Settings) -> WorkbookStore:
    if settings.backend == "google":
        from sync_service.stores.google import GoogleStore

        return GoogleStore.from_settings(settings)
    from sync_service.stores.xlsx import XlsxStore

    settings.workbooks_dir.mkdir(parents=True, exist_ok=True)
    return XlsxStore(settings.workbooks_dir)


def local_clock(timezone: str) -> Callable[[], datetime]:
    """Now in the association's time zone, naive: every stored time is local time."""
    zone = ZoneInfo(timezone)
    return lambda: datetime.now(zone).replace(tzinfo=None, microsecond=0)


def _builders() -> dict[str, Callable[[Settings], object]]:
    return {
        "schema": lambda settings: load_schema(settings.schema_dir or None, checks=default_checks()),
        "db": lambda settings: Database(settings.database_url),
        "store": make_store,
        "clock": lambda settings: local_clock(settings.timezone),
    }


def _part_property(name: str) -> property:
    """Read: the part, built on first use. Assign: replace it."""
    return property(lambda svod: svod._part(name), lambda svod, value: svod._parts.update({name: value}))


class Svod:
    """``Svod(settings, schema=…, db=…, store=…, clock=…)``: the parts not given are built
    from the settings when first read (once, also when request threads race for them); a
    part assigned later (a test moving the clock) replaces it."""

    def __init__(self, settings: Settings, *, schema: Schema | None = None, db: Database | None = None,
                 store: WorkbookStore | None = None, clock: Callable[[], datetime] | None = None):
        self.settings = settings
        given = {"schema": schema, "db": db, "store": store, "clock": clock}
        self._parts = {name: part for name, part in given.items() if part is not None}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, **parts) -> Svod:
        return cls(settings, **parts)

    def _part(self, name: str):
        try:
            return self._parts[name]
        except KeyError:
            pass
        with self._lock:
            if name not in self._parts:
                self._parts[name] = _builders()[name](self.settings)
            return self._parts[name]

    def built(self, name: str) -> bool:
        """Whether ``name`` (one of :data:`PARTS`) was given or has been built."""
        return name in self._parts

    schema: Schema = _part_property("schema")
    db: Database = _part_property("db")
    store: WorkbookStore = _part_property("store")
    clock: Callable[[], datetime] = _part_property("clock")

    def dispose(self) -> None:
        """Close the database's connections, if it was opened."""
        if self.built("db"):
            self.db.dispose()

    @property
    def academic_year(self) -> str:
        """The year Svod tracks: SVOD_ACADEMIC_YEAR when set; else the one the last turn of the
        year (or the first sync) recorded — it does not change by itself on 1 September, the
        turn changes it (sync_service/yearturn/); else the year containing today."""
        if self.settings.academic_year:
            return self.settings.academic_year
        from sqlalchemy.exc import SQLAlchemyError

        from sync_service.sync.records import stored_year

        try:
            with self.db.session() as session:
                stored = stored_year(session)
        except SQLAlchemyError:  # a database not migrated yet
            stored = None
        return stored or academic_year_of(self.clock().date())

    @property
    def head_workbook_id(self) -> str:
        if self.settings.backend == "google":
            return self.settings.head_spreadsheet_id
        return self.settings.head_workbook

    @property
    def consolidated_workbook_id(self) -> str:
        """This year's consolidated workbook («Свод 2026-2027»; "" on Google before one is created)."""
        from sync_service.sync.consolidate import consolidated_place

        with self.db.session() as session:
            return consolidated_place(session, self.settings, self.academic_year)[0]
