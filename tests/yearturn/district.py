"""A small district for the years' tests, built and typed into through the real store of
either backend: .xlsx files (librarians' edits made with openpyxl, as Excel makes them) or
Google spreadsheets in the emulator (edits as values typed into cells)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import openpyxl

from sync_service.context import Svod
from sync_service.district.registry import default_collections
from sync_service.forms.layout import FIRST_DATA_ROW, head_tab, school_tabs
from sync_service.provision.workbooks import workbook_title
from sync_service.stores.xlsx import XlsxStore
from tests.factory import make_svod, shipped_schema

HEAD = "Настройки ОМО.xlsx"
STAFF = [["Иванова Анна Петровна", "Педагог-библиотекарь", 1, "Высшее библиотечное", 20, 12, "Первая", 2024,
          date(1975, 3, 4), "+7 912 345-67-89", "ivanova@example.ru"],
         ["Петрова Ольга Ивановна", "Библиотекарь", 0.5, "Среднее профессиональное", 8, 3, None, None, None, None,
          None]]
UMK = [["Математика", 5, "1.1.2.4.1.1.1", "Виленкин Н.Я. и др.", "Математика", "Просвещение"]]


@dataclass
class YearDistrict:
    svod: Svod
    codes: list[str]
    ids: dict[str, str]          # school code -> workbook id
    head_id: str

    @property
    def store(self):
        return self.svod.store

    def at(self, moment: datetime) -> None:
        """Move the clock."""
        self.svod.clock = lambda: moment

    def type(self, workbook_id: str, tab: str, cells: dict[tuple[int, int], object]) -> None:
        """Type values into cells (row, column: 1-based) of a tab, as a person does."""
        if isinstance(self.store, XlsxStore):
            path = self.store.folder / workbook_id
            book = openpyxl.load_workbook(path)
            for (row, column), value in cells.items():
                book[tab].cell(row=row, column=column, value=value)
            book.save(path)
        else:
            self.store.set_cells(workbook_id, {(tab, r, c): v for (r, c), v in cells.items()})

    def fill_table(self, code: str, tab: str, rows: list[list], *, ready: bool = True) -> None:
        cells = {(2, 2): "да" if ready else "нет"}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    cells[(FIRST_DATA_ROW + r, c + 1)] = value
        self.type(self.ids[code], tab, cells)

    def fill_record(self, code: str, form_key: str, values: dict, *, ready: bool = True) -> None:
        form = self.svod.schema.forms[form_key]
        cells = {(2, 2): "да" if ready else "нет"}
        for offset, column in enumerate(form.columns):
            if column.key in values:
                cells[(FIRST_DATA_ROW + offset, 2)] = values[column.key]
        self.type(self.ids[code], form.tab, cells)

    def tabs(self, code_or_id: str) -> dict[str, list[list]]:
        """Every tab's rows, «Проверка» (rewritten by every sync) left out."""
        self.store.list_workbooks()   # fresh markers: another process (the CLI) may have written
        workbook = self.store.read(self.ids.get(code_or_id, code_or_id))
        return {title: sheet.rows for title, sheet in workbook.sheets.items() if title != "Проверка"}


def build(folder: Path, year: str, *, schools: int = 3, store=None, now: datetime, **settings) -> YearDistrict:
    """``schools`` schools with the default calendar of ``year`` in «План»; the year is not
    pinned (SVOD_ACADEMIC_YEAR empty): Svod follows the turns."""
    schema = shipped_schema()
    if store is None:
        store = XlsxStore(folder / "books")
        (folder / "books").mkdir(parents=True, exist_ok=True)
    svod = make_svod(folder, now=now, store=store, academic_year="", read_workers=2, **settings)
    collections = default_collections(schema, year)
    plan_rows = [[c.form.title, "", year, c.deadline, c.campaign.title if c.campaign else ""] for c in collections]
    codes = [f"sch{n:02d}" for n in range(1, schools + 1)]
    school_rows = [[code, f"МБОУ СОШ №{n}", "Библиотекарь Тестовая", f"{code}@school.example", "", "да"]
                   for n, code in enumerate(codes, start=1)]
    head_id = store.create_workbook(HEAD.removesuffix(".xlsx"), [head_tab(schema, "schools", school_rows),
                                                                 head_tab(schema, "plan", plan_rows)])
    ids = {code: store.create_workbook(workbook_title(code, f"МБОУ СОШ №{n}"), school_tabs(collections))
           for n, code in enumerate(codes, start=1)}
    if not isinstance(store, XlsxStore):
        svod.settings = replace(svod.settings, head_spreadsheet_id=head_id)
    return YearDistrict(svod, codes, ids, head_id)
