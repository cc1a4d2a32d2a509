"""``change_tabs``: rename, protect, move and add tabs in one write, all or nothing — the
same behaviour from the xlsx store (real files, read back with openpyxl) and the Google
store (gspread against the emulator, which applies batchUpdate as Google does)."""
from __future__ import annotations

import zipfile

import openpyxl
import pytest
import requests

from sheets_emulator import run_emulator
from sync_service.stores.base import MoveTab, ProtectTab, RenameTab, StoreError, TabSpec, WorkbookChanged
from sync_service.stores.google import GoogleStore
from sync_service.stores.xlsx import XlsxStore
from tests.google.conftest import ACCOUNTS, store_for


@pytest.fixture(scope="module")
def emulator():
    with run_emulator(read_quota=0, write_quota=0, google_accounts=ACCOUNTS) as emu:
        yield emu


@pytest.fixture(params=["xlsx", "google"])
def store(request, tmp_path):
    if request.param == "xlsx":
        return XlsxStore(tmp_path)
    emu = request.getfixturevalue("emulator")
    requests.post(f"{emu.url}/_emulator/reset", json={"state": True, "stats": True}, timeout=10)
    return store_for(emu)


def tab(title: str, *rows) -> TabSpec:
    return TabSpec(title=title, rows=[list(r) for r in rows])


def titles(store, workbook_id: str) -> list[str]:
    return list(store.read(workbook_id).sheets)


def make(store) -> str:
    return store.create_workbook("sch01 Школа", [tab("Кадры", ["Иванова", 1.0]), tab("Фонд", ["Фонд", 15320]),
                                                 tab("Проверка", ["служебный"])])


def test_a_year_turn_of_tabs_in_one_write(store):
    workbook_id = make(store)
    before = store.read(workbook_id)
    marker = store.change_tabs(workbook_id, [
        RenameTab("Кадры", "Кадры 2026-2027"), RenameTab("Фонд", "Фонд 2026-2027"),
        tab("Кадры", ["новый год"]), tab("Фонд", ["Фонд", None]),
        ProtectTab("Кадры 2026-2027"), ProtectTab("Фонд 2026-2027"),
        MoveTab("Кадры", 0), MoveTab("Фонд", 1), MoveTab("Кадры 2026-2027"), MoveTab("Фонд 2026-2027"),
    ], expect_marker=before.marker)
    after = store.read(workbook_id)
    assert list(after.sheets) == ["Кадры", "Фонд", "Проверка", "Кадры 2026-2027", "Фонд 2026-2027"]
    # every cell of last year's tabs as it was
    assert after.sheets["Кадры 2026-2027"].rows == before.sheets["Кадры"].rows
    assert after.sheets["Фонд 2026-2027"].rows == before.sheets["Фонд"].rows
    assert after.sheets["Кадры"].rows == [["новый год"]]
    assert marker == store.markers([workbook_id])[workbook_id] or isinstance(store, GoogleStore)
    assert protected(store, workbook_id) == {"Кадры 2026-2027", "Фонд 2026-2027"}


def protected(store, workbook_id: str) -> set[str]:
    """The tabs protected whole (Google: a protected range of the whole sheet, not warning only)."""
    if isinstance(store, XlsxStore):
        book = openpyxl.load_workbook(store.folder / workbook_id)
        return {sheet.title for sheet in book.worksheets if sheet.protection.sheet}
    data = store.api.call("GET", f"https://sheets.googleapis.com/v4/spreadsheets/{workbook_id}",
                          params={"fields": "sheets(properties(title),protectedRanges)"})[0]
    return {s["properties"]["title"] for s in data["sheets"]
            if any(set(p["range"]) <= {"sheetId"} and not p.get("warningOnly") for p in s.get("protectedRanges", []))}


@pytest.mark.parametrize("changes", [
    [RenameTab("Кадры", "Кадры 2026-2027"), RenameTab("Нет такого", "Х")],
    [RenameTab("Кадры", "Фонд")],
    [RenameTab("Кадры", "Кадры 2026-2027"), tab("Фонд", ["второй Фонд"])],
    [MoveTab("Кадры", 2), ProtectTab("Нет такого")],
])
def test_a_change_that_does_not_fit_writes_nothing(store, changes):
    workbook_id = make(store)
    before = store.read(workbook_id)
    with pytest.raises(StoreError):
        store.change_tabs(workbook_id, changes)
    after = store.read(workbook_id)
    assert list(after.sheets) == list(before.sheets)
    assert {t: s.rows for t, s in after.sheets.items()} == {t: s.rows for t, s in before.sheets.items()}


def test_a_workbook_changed_since_it_was_read_is_not_written(store, tmp_path):
    workbook_id = make(store)
    marker = store.read(workbook_id).marker
    if isinstance(store, XlsxStore):
        book = openpyxl.load_workbook(store.folder / workbook_id)
        book["Кадры"]["A2"] = "Петрова"
        book.save(store.folder / workbook_id)
    else:
        store.write_tabs(workbook_id, [tab("Проверка", ["другой"])])
    with pytest.raises(WorkbookChanged):
        store.change_tabs(workbook_id, [RenameTab("Кадры", "Кадры 2026-2027")], expect_marker=marker)
    assert "Кадры" in titles(store, workbook_id)


def test_moves_keep_the_shown_tab_and_print_areas_in_excel(tmp_path):
    """An .xlsx: the tab shown on opening stays a tab of this year, one tab selected; a print
    area keeps naming its own tab after the tabs moved."""
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Кадры"
    first["A1"] = "Иванова"
    book.create_sheet("Фонд")["A1"] = 15320
    book.create_sheet("Свой лист")["A1"] = "заметки"
    book["Фонд"].print_area = "A1:B5"
    book.active = 0
    book.save(tmp_path / "sch01.xlsx")
    store = XlsxStore(tmp_path)
    store.change_tabs("sch01.xlsx", [RenameTab("Кадры", "Кадры 2026-2027"), tab("Кадры", ["новый"]),
                                     ProtectTab("Кадры 2026-2027"), MoveTab("Кадры", 0), MoveTab("Кадры 2026-2027")])
    reopened = openpyxl.load_workbook(tmp_path / "sch01.xlsx")
    assert reopened.sheetnames == ["Кадры", "Фонд", "Свой лист", "Кадры 2026-2027"]
    assert reopened.active.title == "Кадры"
    assert [s.title for s in reopened.worksheets if s.sheet_view.tabSelected] == ["Кадры"]
    assert reopened["Фонд"].print_area == "'Фонд'!$A$1:$B$5"
    assert reopened["Кадры 2026-2027"]["A1"].value == "Иванова" and reopened["Кадры 2026-2027"].protection.sheet


def test_a_renamed_and_moved_tab_keeps_its_print_titles(tmp_path):
    """The print titles are the tab's own defined name: a rename renames it, a move moves it."""
    from sync_service.stores.base import PrintSetup

    store = XlsxStore(tmp_path)
    spec = TabSpec("Спецификация", [["Заголовок"], ["№", "Код"], [1, "1.1"]],
                   print_setup=PrintSetup(title_rows=(2, 2)))
    workbook_id = store.create_workbook("Документы", [TabSpec("Прочее", [["x"]]), spec])
    store.change_tabs(workbook_id, [RenameTab("Спецификация", "Спецификация 2026'27"),
                                    MoveTab("Спецификация 2026'27", 0)])
    book = openpyxl.load_workbook(tmp_path / workbook_id)
    assert [(ws.title, ws.print_title_rows) for ws in book] == [("Спецификация 2026'27", "$2:$2"), ("Прочее", None)]
    workbook = zipfile.ZipFile(tmp_path / workbook_id).read("xl/workbook.xml").decode()
    assert '<definedName localSheetId="0" name="_xlnm.Print_Titles">\'Спецификация 2026\'\'27\'!$2:$2<' in workbook
