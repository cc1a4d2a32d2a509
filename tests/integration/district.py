"""A small district built by hand for the end-to-end tests, through the real XlsxStore.

Librarians' edits are made with openpyxl directly on the files, as Excel would make them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl

from sync_service.context import Svod
from sync_service.district.registry import default_collections
from sync_service.forms.layout import FIRST_DATA_ROW, form_tab, head_tab, school_tabs
from sync_service.forms.schema import load_schema
from sync_service.provision.workbooks import workbook_title
from sync_service.stores.xlsx import XlsxStore
from tests.factory import make_svod

YEAR = "2026/2027"
NOW = datetime(2026, 11, 22, 9, 0)
HEAD = "Настройки ОМО.xlsx"
CONSOLIDATED = "Свод 2026-2027.xlsx"   # SVOD_CONSOLIDATED_WORKBOOK «Свод.xlsx» with the year

# Valid rows per form key (table forms) or {column key: value} (record forms).
GOOD = {
    "textbook_provision": [[5, "Математика", 50, 50, None], [5, "Русский язык", 50, 48, "96 %"],
                           [6, "История", 45, 45, None]],
    "staffing": [["Иванова Анна Петровна", "Педагог-библиотекарь", 1, "Высшее библиотечное", 20, 12,
                  "Первая", 2024, date(1975, 3, 4), "+7 912 345-67-89", "ivanova@example.ru"]],
    "library_fund": {"fund_total": 12000, "fund_textbooks": 7000, "fund_fiction": 4000, "fund_reference": 500,
                     "received": 600, "written_off": 200, "readers": 600, "students": 800},
}


@dataclass
class District:
    folder: Path
    svod: Svod
    schools: list[tuple[str, str]] = field(default_factory=list)

    @property
    def store(self) -> XlsxStore:
        return self.svod.store

    def path(self, code: str) -> Path:
        name = dict(self.schools)[code]
        return self.folder / f"{workbook_title(code, name)}.xlsx"

    def edit(self, code: str, tab: str, cells: dict[str, object]) -> None:
        """Type values into cells of a tab, as the librarian does in Excel, and save."""
        book = openpyxl.load_workbook(self.path(code))
        sheet = book[tab]
        for address, value in cells.items():
            sheet[address] = value
        book.save(self.path(code))

    def values(self, code: str, tab: str) -> list[tuple]:
        book = openpyxl.load_workbook(self.path(code))
        return [tuple(row) for row in book[tab].iter_rows(values_only=True)]


def build_district(folder: Path, schools: int = 3, *, deadlines: dict[str, date] | None = None,
                   database_url: str | None = None, **settings) -> District:
    """``schools`` schools with empty form tabs; the plan is the default calendar. The database
    is SQLite beside ``folder`` unless ``database_url`` names another (PostgreSQL tests);
    ``settings`` override the context's."""
    folder.mkdir(parents=True, exist_ok=True)
    store = XlsxStore(folder)
    values = dict(workbooks_dir=folder, database_url=database_url or f"sqlite:///{folder.parent / 'svod.db'}",
                  lock_file=folder.parent / "sync.lock", academic_year=YEAR, read_workers=2)
    svod = make_svod(folder, now=NOW, store=store, **{**values, **settings})
    district = District(folder, svod, [(f"sch{n:02d}", f"МБОУ СОШ №{n}") for n in range(1, schools + 1)])
    collections = default_collections(svod.schema, YEAR)
    plan_rows = [[c.form.key, "", YEAR, (deadlines or {}).get(c.key, c.deadline),
                  c.campaign.title if c.campaign else ""] for c in collections]
    school_rows = [[code, name, "Библиотекарь Тестовая", f"{code}@example.ru", "", "да"]
                   for code, name in district.schools]
    store.create_workbook(HEAD.removesuffix(".xlsx"), [head_tab(svod.schema, "schools", school_rows),
                                                      head_tab(svod.schema, "plan", plan_rows)])
    for code, name in district.schools:
        store.create_workbook(workbook_title(code, name), school_tabs(collections))
    return district


def fill(district: District, code: str, form_key: str, *, ready: bool = True, rows=None) -> None:
    """Fill a form tab with GOOD data (or ``rows``) and tick «Готово»."""
    schema = load_schema()
    form = schema.forms[form_key]
    data = GOOD[form_key] if rows is None else rows
    cells: dict[str, object] = {"B2": "да" if ready else "нет"}
    if form.shape == "record":
        for offset, column in enumerate(form.columns):
            if column.key in data:
                cells[f"B{FIRST_DATA_ROW + offset}"] = data[column.key]
    else:
        for r, row in enumerate(data):
            for c, value in enumerate(row):
                if value is not None:
                    cells[f"{openpyxl.utils.get_column_letter(c + 1)}{FIRST_DATA_ROW + r}"] = value
    district.edit(code, form_tab_title(form_key), cells)


def form_tab_title(form_key: str) -> str:
    return load_schema().forms[form_key].tab


__all__ = ["District", "build_district", "fill", "form_tab", "NOW", "HEAD", "CONSOLIDATED", "YEAR"]
