"""The running Svod: settings, forms, database, workbook store and clock in one place.

Built once by the CLI, the web app factory and the clock process; tests build it with
their own settings (a temporary folder and database) and, where time matters, a fixed
clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from sync_service.config import Settings
from sync_service.db import Database
from sync_service.district.registry import academic_year_of
from sync_service.forms.schema import Schema, load_schema
from sync_service.stores.base import WorkbookStore


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


@dataclass
class Svod:
    settings: Settings
    schema: Schema
    db: Database
    store: WorkbookStore
    clock: Callable[[], datetime]

    @classmethod
    def from_settings(cls, settings: Settings, *, store: WorkbookStore | None = None,
                      clock: Callable[[], datetime] | None = None) -> "Svod":
        return cls(
            settings=settings,
            schema=load_schema(settings.schema_dir or None),
            db=Database(settings.database_url),
            store=store or make_store(settings),
            clock=clock or local_clock(settings.timezone),
        )

    @property
    def academic_year(self) -> str:
        return self.settings.academic_year or academic_year_of(self.clock().date())

    @property
    def head_workbook_id(self) -> str:
        if self.settings.backend == "google":
            return self.settings.head_spreadsheet_id
        return self.settings.head_workbook

    @property
    def consolidated_workbook_id(self) -> str:
        if self.settings.backend == "google":
            return self.settings.consolidated_spreadsheet_id
        return self.settings.consolidated_workbook
