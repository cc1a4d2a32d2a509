"""A small district on either backend for the tests of the head's own forms: the head and
the librarians type into their workbooks as people do (openpyxl on the .xlsx files, gspread
against the emulator), Svod reads them through its real store."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import requests

from sync_service.context import Svod
from sync_service.district.registry import default_collections
from sync_service.forms.layout import head_tab, school_tabs
from sync_service.provision.workbooks import workbook_title
from sync_service.stores.google import EMULATOR_TOKEN
from sync_service.stores.xlsx import XlsxStore
from tests.factory import make_svod

YEAR = "2026/2027"
SCHOOLS = [("sch01", "МБОУ СОШ №1"), ("sch02", "МБОУ СОШ №2"), ("sch03", "МБОУ СОШ №3")]
FORMS_HEADER = ["Форма", "Лист", "Вид", "Столбец", "Тип", "Обязательный", "Мин", "Макс", "Список", "Подсказка",
                "Личные данные", "Проверки", "Ключ"]
RULES_HEADER = ["Форма", "Правило", "Сообщение", "Важность"]


def _cell(value: Any) -> Any:
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else value


@dataclass
class HeadDistrict:
    svod: Svod
    head: str                      # the head's workbook id
    books: dict[str, str]          # school code -> workbook id
    backend: str
    plan: list[list]               # the rows of «План» as built
    folder: Path | None = None     # xlsx
    client: Any = None             # google: gspread acting as the head and the librarians

    def add_to_plan(self, *rows: list) -> None:
        """The head adds rows to «План» (its header and the rows already there kept)."""
        self.plan = [*self.plan, *rows]
        header = [c.label for c in self.svod.schema.head["plan"].columns]
        self.put_tab(self.head, "План", [header, *self.plan])

    def read(self, code: str):
        return self.svod.store.read(self.books.get(code, code))

    def tab(self, code: str, title: str) -> list[list]:
        sheet = self.read(code).sheet(title)
        return None if sheet is None else sheet.rows

    def put_tab(self, workbook: str, title: str, rows: list[list]) -> None:
        """The head types a whole tab (made if missing, else replaced)."""
        if self.backend == "xlsx":
            path = self.folder / workbook
            book = openpyxl.load_workbook(path)
            if title in book.sheetnames:
                del book[title]
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(list(row))
            book.save(path)
            return
        book = self.client.open_by_key(workbook)
        titles = {w.title: w for w in book.worksheets()}
        sheet = titles.get(title) or book.add_worksheet(title, rows=max(40, len(rows) + 5), cols=20)
        sheet.clear()
        sheet.update([[_cell(v) for v in row] for row in rows], "A1", value_input_option="USER_ENTERED")

    def type(self, code: str, title: str, cells: dict[str, Any]) -> None:
        """A librarian types into cells of a tab."""
        workbook = self.books.get(code, code)
        if self.backend == "xlsx":
            path = self.folder / workbook
            book = openpyxl.load_workbook(path)
            for address, value in cells.items():
                book[title][address] = value
            book.save(path)
            return
        sheet = self.client.open_by_key(workbook).worksheet(title)
        for address, value in cells.items():
            sheet.update([[_cell(value)]], address, value_input_option="USER_ENTERED" if not isinstance(value, bool)
                         else "RAW")


def build(backend: str, tmp_path: Path, emulator=None, **settings: Any) -> HeadDistrict:
    """Three schools with the shipped forms' tabs, the head's «Школы» and «План» (the default
    calendar); no «Формы» yet. ``settings`` override the .xlsx district's (``make_svod``)."""
    if backend == "xlsx":
        folder = tmp_path / "district"
        folder.mkdir()
        svod = make_svod(tmp_path, store=XlsxStore(folder), workbooks_dir=folder, head_workbook="Настройки ОМО.xlsx",
                         consolidated_workbook="Свод.xlsx", read_workers=2, **settings)
        client = None
    else:
        from sheets_emulator.client import gspread_client
        from tests.google.conftest import svod_for

        svod, folder = svod_for(emulator, tmp_path), None
        client = gspread_client(emulator.url, token=EMULATOR_TOKEN)
    collections = default_collections(svod.schema, YEAR)
    books = {code: svod.store.create_workbook(workbook_title(code, name), school_tabs(collections))
             for code, name in SCHOOLS}
    rows = [[code, name, "Библиотекарь", f"{code}@school.example", books[code], "да"] for code, name in SCHOOLS]
    plan = [[c.form.title, "", YEAR, c.deadline, c.campaign.title if c.campaign else ""] for c in collections]
    head = svod.store.create_workbook("Настройки ОМО", [head_tab(svod.schema, "schools", rows),
                                                       head_tab(svod.schema, "plan", plan)])
    if backend == "google":
        svod = svod_for(emulator, tmp_path, head_spreadsheet_id=head)
    return HeadDistrict(svod, head, books, backend, plan, folder, client)


def dropdown(head: str, column: str, *, folder=None, emulator=None) -> list[str]:
    """What the dropdown of «План»!{column}2 offers, as the real file (in ``folder``) or the
    spreadsheet (in ``emulator``) holds it."""
    if folder is not None:
        book = openpyxl.load_workbook(folder / head)
        [rule] = [v for v in book["План"].data_validations.dataValidation if str(v.sqref).startswith(f"{column}2:")]
        assert rule.type == "list" and rule.errorStyle == "warning"   # a warning: never refuses a value
        if rule.formula1.startswith('"'):
            return rule.formula1.strip('"').split(",")
        tab, cells = rule.formula1.split("!")
        return [c.value for c in book[tab.strip("'")][cells.split("$")[1]] if c.value]
    answer = requests.get(f"{emulator.url}/v4/spreadsheets/{head}", timeout=10,
                          headers={"Authorization": f"Bearer {EMULATOR_TOKEN}"},
                          params={"fields": "sheets(properties.title,data.rowData.values.dataValidation)"})
    answer.raise_for_status()
    [plan] = [s for s in answer.json()["sheets"] if s["properties"]["title"] == "План"]
    rule = plan["data"][0]["rowData"][1]["values"][ord(column) - ord("A")]["dataValidation"]
    assert rule["strict"] is False
    condition = rule["condition"]
    assert condition["type"] == "ONE_OF_LIST"
    return [v["userEnteredValue"] for v in condition["values"]]
