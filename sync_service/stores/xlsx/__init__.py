"""Local .xlsx workbooks: a pure reader (:mod:`.reader`: bytes -> tabs), a writer that
returns bytes (:mod:`.writer`: Svod's tabs into an existing file, or a new workbook), both
on the package model of :mod:`.package`, and the folder store (:mod:`.store`)."""
from sync_service.stores.xlsx.package import FileRefused
from sync_service.stores.xlsx.reader import read_sheets
from sync_service.stores.xlsx.render import LISTS_TAB
from sync_service.stores.xlsx.store import WorkbookRefused, XlsxStore
from sync_service.stores.xlsx.writer import add_missing_tabs, new_workbook, write_tabs

__all__ = ["XlsxStore", "WorkbookRefused", "LISTS_TAB", "FileRefused", "read_sheets", "write_tabs",
           "add_missing_tabs", "new_workbook"]
