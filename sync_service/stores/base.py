"""The workbook store: the one seam between Svod and spreadsheets.

Two implementations: local .xlsx files (:mod:`sync_service.stores.xlsx`) and Google
Sheets through gspread (:mod:`sync_service.stores.google`). Nothing above this package
imports openpyxl or gspread; their errors become :class:`StoreError` here.

Values crossing the seam are plain Python: ``str``, ``int``, ``float``, ``bool``,
``datetime.date``/``datetime.datetime`` or ``None``. A store hands cells over as the
person sees them where that matters: a number formatted as a percentage comes as its
text (``"12,5%"``), a formula error as its text (``"#REF!"``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync_service.stores.rows import SpooledRows

Value = Any  # str | int | float | bool | date | datetime | None


@dataclass
class Sheet:
    """One tab as read: ``rows[0]`` is the sheet's row 1; rows may be ragged."""

    title: str
    rows: list[list[Value]]
    # Merged ranges as (first_row, first_col, last_row, last_col), 1-based, inclusive.
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class Workbook:
    """A whole workbook read in one pass."""

    id: str
    title: str
    sheets: dict[str, Sheet]
    marker: str  # the change marker at the time of the read

    def sheet(self, title: str) -> Sheet | None:
        """The tab called ``title``, forgiving case and extra spaces as people type them."""
        if title in self.sheets:
            return self.sheets[title]
        wanted = " ".join(title.split()).casefold()
        for name, sheet in self.sheets.items():
            if " ".join(name.split()).casefold() == wanted:
                return sheet
        return None


@dataclass(frozen=True)
class WorkbookInfo:
    id: str
    title: str
    marker: str


@dataclass(frozen=True)
class Dropdown:
    """A list validation on column ``column`` (1-based) from ``first_row`` to ``last_row``."""

    column: int
    first_row: int
    last_row: int
    choices: tuple[str, ...]


@dataclass(frozen=True)
class PrintSetup:
    """How a tab prints: A4, fitted to the width of ``pages_wide`` pages (one, unless a table
    is too wide to read on one), ``title_rows`` (first, last; 1-based) repeated on top of
    every page and ``title_columns`` on the left of every page, ``footer`` in the middle of
    every page's foot (Excel's codes: ``&P`` the page, ``&N`` the pages), margins in
    centimetres (left, right, top, bottom). The .xlsx store writes all of it; Google Sheets' API has no print settings, so
    the Google store writes none (a person sets them in «Файл → Печать»)."""

    landscape: bool = False
    title_rows: tuple[int, int] | None = None
    title_columns: tuple[int, int] | None = None
    pages_wide: int = 1
    footer: str = "Страница &P из &N"
    margins_cm: tuple[float, float, float, float] = (2.0, 1.0, 1.5, 1.5)


@dataclass
class TabSpec:
    """What a store writes into one tab: values and their presentation.

    Used both to create a school's form tabs and to (re)write service-owned tabs.
    Values are written as they are (never interpreted as formulas).
    """

    title: str
    # A list, or a SpooledRows (stores.rows) for a tab too large to hold: rows on disk, read back in order.
    rows: list[list[Value]] | SpooledRows
    frozen_rows: int = 0
    bold_rows: tuple[int, ...] = ()          # 1-based row numbers
    widths: dict[int, int] = field(default_factory=dict)  # 1-based column -> characters
    dropdowns: tuple[Dropdown, ...] = ()
    checkboxes: tuple[tuple[int, int], ...] = ()         # (row, column), 1-based
    protected: bool = False                 # the whole tab is the service's
    protected_rows: tuple[int, ...] = ()    # header rows people should not edit
    number_formats: dict[int, str] = field(default_factory=dict)  # 1-based column -> Excel format
    hidden: bool = False
    # Merged ranges as (first_row, first_col, last_row, last_col), 1-based, inclusive.
    merges: tuple[tuple[int, int, int, int], ...] = ()
    print_setup: PrintSetup | None = None   # None: the spreadsheet's defaults
    # Cells whose text wraps within the column's width: whole rows (a table's
    # header) and whole columns (authors, titles), 1-based.
    wrap_rows: tuple[int, ...] = ()
    wrap_columns: tuple[int, ...] = ()
    # A table ruled as paperwork is: thin lines around every cell of (first_row, first_col,
    # last_row, last_col), 1-based, inclusive, the empty ones too.
    grid: tuple[int, int, int, int] | None = None
    # (row, column), 1-based -> (tab title, A1 cell or range): the cell is a link to that place
    # of the same workbook (.xlsx: an internal <hyperlink location>; Google: the cell's
    # textFormat.link "#gid=…&range=…"; never a formula). A link to a tab the workbook lacks
    # is left out.
    links: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    # Put the tab first among the tabs when written (as MoveTab(title, 0), in the same write):
    # the school's «Проверка» when it has something to fix. False: the tab stays where it is.
    first: bool = False
    # A table people work with (the consolidated workbook): key columns kept in view beside
    # the frozen rows, a filter over rows ``autofilter`` = (header row, last row) that a
    # protected tab still lets people use (sort and filter), and cells coloured by what they
    # say: ``colours`` maps a cell's text (a status) to (text colour, fill) as "#RRGGBB", for the
    # cells of ``coloured_columns`` below the frozen rows — a few styles, not one per cell.
    frozen_columns: int = 0
    autofilter: tuple[int, int] | None = None
    colours: dict[str, tuple[str, str]] = field(default_factory=dict)
    coloured_columns: tuple[int, ...] = ()

    def colour_of(self, row: int, column: int, value: Value) -> tuple[str, str] | None:
        """(text, fill) of the cell at ``row``, ``column`` (1-based) holding ``value``, if coloured."""
        if not self.colours or row <= self.frozen_rows or column not in self.coloured_columns:
            return None
        return self.colours.get(value) if isinstance(value, str) else None


WIDTH_FLOOR, WIDTH_CEILING = 8, 50   # characters: a fitted column is never narrower or wider
HEADER_ROOM = 30                     # characters of a header a fitted column makes room for


def fitted_widths(rows: Iterable[Sequence[Value]], *, first_row: int = 1, floor: int = WIDTH_FLOOR,
                  ceiling: int = WIDTH_CEILING) -> dict[int, int]:
    """Column widths (1-based column -> characters) that fit the longest value of each column
    from row ``first_row`` on, within ``floor`` and ``ceiling`` (a long text wraps in a
    narrower column rather than push the table off the screen). A header counts up to
    :data:`HEADER_ROOM` characters, with room for the filter's button."""
    fitter = WidthFitter(first_row=first_row, floor=floor, ceiling=ceiling)
    for row in rows:
        fitter.add(row)
    return fitter.widths()


class WidthFitter:
    """:func:`fitted_widths` a row at a time, for rows that are not kept (a spooled tab)."""

    def __init__(self, *, first_row: int = 1, floor: int = WIDTH_FLOOR, ceiling: int = WIDTH_CEILING):
        self.first_row, self.floor, self.ceiling = first_row, floor, ceiling
        self.number = 0
        self._widths: dict[int, int] = {}

    def add(self, row: Sequence[Value]) -> None:
        self.number += 1
        if self.number < self.first_row:
            return
        header = self.number == self.first_row
        widths = self._widths
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            if isinstance(value, float):
                text = f"{value:,.2f}"
            elif hasattr(value, "year"):   # a date shows as 31.12.2026 (16 with a time)
                text = "31.12.2026 00:00" if hasattr(value, "hour") else "31.12.2026"
            else:
                text = str(value)
            length = min(len(text) + 3, HEADER_ROOM) if header else len(text) + 2
            if length > widths.get(c, 0):
                widths[c] = length

    def widths(self) -> dict[int, int]:
        return {c: max(self.floor, min(self.ceiling, w)) for c, w in self._widths.items()}


@dataclass(frozen=True)
class RenameTab:
    """Give the tab ``title`` the name ``new_title`` (every cell, format and protection stays)."""

    title: str
    new_title: str


@dataclass(frozen=True)
class ProtectTab:
    """Make the whole tab ``title`` read-only for the people the workbook is shared with
    (Google: a protected range only the owner may edit; .xlsx: sheet protection without a
    password, which the owner can lift deliberately)."""

    title: str
    note: str = "Лист прошлого учебного года: только для чтения"


@dataclass(frozen=True)
class MoveTab:
    """Put the tab ``title`` at position ``index`` among the tabs (0 = first), or last (None)."""

    title: str
    index: int | None = None


# One change of :meth:`WorkbookStore.change_tabs`: a TabSpec there adds a tab that is not there.
TabChange = RenameTab | ProtectTab | MoveTab | TabSpec


class StoreError(Exception):
    """A failure of the store itself (not of what a person typed)."""


class WorkbookUnavailable(StoreError):
    """A workbook cannot be read or written: ``reason`` is Russian, for the head and the librarian."""

    def __init__(self, workbook_id: str, reason: str):
        self.workbook_id, self.reason = workbook_id, reason
        super().__init__(f"{workbook_id}: {reason}")


class WorkbookRefused(WorkbookUnavailable):
    """The store will not write into the workbook: the file has something the reader and
    writer do not fully understand. ``reason`` says what and what the person can do."""


class WorkbookChanged(StoreError):
    """The workbook changed between our read and our write: the write was not made."""

    def __init__(self, workbook_id: str):
        self.workbook_id = workbook_id
        super().__init__(f"{workbook_id} changed since it was read")


class WorkbookStore(ABC):
    """Reads and writes workbooks. Implementations must be safe to call from threads."""

    name: str = "abstract"

    @abstractmethod
    def list_workbooks(self) -> list[WorkbookInfo]:
        """Every workbook the store can see, with its change marker."""

    @abstractmethod
    def markers(self, workbook_ids: Sequence[str]) -> dict[str, str | None]:
        """The change marker of each workbook (``None`` when it does not exist),
        in as few calls as the backend allows (Google: one Drive files.list)."""

    @abstractmethod
    def read(self, workbook_id: str) -> Workbook:
        """Every tab of the workbook in one pass. Raises :class:`WorkbookUnavailable`."""

    @abstractmethod
    def write_tabs(self, workbook_id: str, tabs: Iterable[TabSpec], *, expect_marker: str | None = None) -> str:
        """Replace the content of service-owned ``tabs`` (creating them when missing) and
        return the new marker. Never touches other tabs. With ``expect_marker``, raises
        :class:`WorkbookChanged` instead of writing if the workbook changed since then."""

    @abstractmethod
    def create_workbook(self, title: str, tabs: Sequence[TabSpec]) -> str:
        """Create a workbook with ``tabs`` and return its id."""

    @abstractmethod
    def add_missing_tabs(self, workbook_id: str, tabs: Sequence[TabSpec]) -> list[str]:
        """Add the ``tabs`` whose titles the workbook lacks; return the titles added.
        Existing tabs and their data are left exactly as they are."""

    @abstractmethod
    def change_tabs(self, workbook_id: str, changes: Sequence[TabChange], *, expect_marker: str | None = None) -> str:
        """Apply ``changes`` in order, all of them or none, in one write, and return the new
        marker: rename, protect and move tabs, add a :class:`TabSpec` as a new tab (a tab of
        that title already there is a :class:`StoreError`, never overwritten). A change naming
        a tab the workbook lacks (or renaming onto a title it has) is a :class:`StoreError`
        and nothing is written. ``expect_marker`` as for :meth:`write_tabs`."""

    def set_aside(self, workbook_id: str, label: str) -> str:
        """Keep the workbook under another name (``label`` added to its title) so that a new
        one can take its place; return the new id. Only for workbooks Svod owns whole (the
        consolidated one) that it can no longer write into."""
        raise NotImplementedError(f"{self.name} cannot set a workbook aside")

    def workbook_id_for(self, reference: str) -> str:
        """The id behind what the head typed in «Книга» (a file name, a URL, an id)."""
        return reference.strip()
