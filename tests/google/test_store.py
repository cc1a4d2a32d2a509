"""GoogleStore against the emulator, through real gspread over HTTP: what it reads, what
it writes, and what each operation costs."""
from __future__ import annotations

from datetime import date

import pytest
import requests

from sync_service.district.registry import default_collections
from sync_service.forms.layout import school_tabs
from sync_service.forms.schema import load_schema
from sync_service.stores.base import Dropdown, TabSpec, WorkbookChanged, WorkbookUnavailable
from sync_service.stores.google import LIST_LIMIT, list_tab_title
from tests.google.conftest import YEAR, librarian, reset_stats, stats, store_for

EMAIL = "ivanova@school.example"


def metadata(emu, workbook_id: str, fields: str = "sheets(properties,protectedRanges,merges)") -> dict:
    response = requests.get(f"{emu.url}/v4/spreadsheets/{workbook_id}", params={"fields": fields},
                            headers={"Authorization": "Bearer svod"}, timeout=10)
    response.raise_for_status()
    return response.json()


def cells(emu, workbook_id: str, rng: str, render: str = "FORMULA") -> list[list]:
    response = requests.get(f"{emu.url}/v4/spreadsheets/{workbook_id}/values/{rng}",
                            params={"valueRenderOption": render}, headers={"Authorization": "Bearer svod"}, timeout=10)
    response.raise_for_status()
    return response.json().get("values", [])


def calls(emu) -> dict[str, int]:
    return stats(emu)["endpoints"]


@pytest.fixture
def shared(emu):
    """A store and a workbook with one tab, shared with the librarian."""
    store = store_for(emu)
    workbook_id = store.create_workbook("sch01 МБОУ СОШ №1", [TabSpec("Фонд", [["Показатель", "Значение"]],
                                                                     frozen_rows=1)])
    store.share(workbook_id, EMAIL)
    reset_stats(emu)
    return store, workbook_id


def test_one_call_reads_what_the_librarian_typed(emu, shared):
    store, workbook_id = shared
    sheet = librarian(emu, EMAIL).open_by_key(workbook_id).worksheet("Фонд")
    sheet.update([["Читатели", "600"], ["Охват", "12.5%"], ["Дата", "01.09.2024"], ["Готово", "TRUE"],
                  ["Ошибка", "=1/0"], ["Ссылка", "='Нет'!A1"], ["Класс", "5"], ["", "7"]], "A2",
                 value_input_option="USER_ENTERED")
    sheet.merge_cells("A8:A9")
    reset_stats(emu)
    store.markers([workbook_id])  # the sync asks for markers first
    workbook = store.read(workbook_id)
    assert calls(emu) == {"GET drive.files.list": 1, "GET spreadsheets.get": 1}
    rows = workbook.sheets["Фонд"].rows
    assert rows[1:] == [["Читатели", 600], ["Охват", "12.50%"], ["Дата", date(2024, 9, 1)], ["Готово", True],
                        ["Ошибка", "#DIV/0!"], ["Ссылка", "#REF!"], ["Класс", 5], [None, 7]]
    assert workbook.sheets["Фонд"].merges == [(8, 1, 9, 1)]
    assert workbook.title == "sch01 МБОУ СОШ №1" and workbook.marker.startswith("v")


def test_a_read_needs_one_call_for_all_tabs(emu):
    store = store_for(emu)
    tabs = school_tabs(default_collections(load_schema(), YEAR))
    workbook_id = store.create_workbook("sch02", tabs)
    reset_stats(emu)
    marker = store.markers([workbook_id])[workbook_id]
    workbook = store.read(workbook_id)
    assert set(workbook.sheets) == {t.title for t in tabs} and workbook.marker == marker
    assert calls(emu)["GET spreadsheets.get"] == 1 and stats(emu)["reads"] == 2


def test_an_unchanged_workbook_is_served_from_memory_after_one_listing(emu, shared):
    store, workbook_id = shared
    first = store.read(workbook_id)
    reset_stats(emu)
    again = store.read(workbook_id)
    assert again.sheets == first.sheets and calls(emu) == {"GET drive.files.list": 1}
    store.markers([workbook_id])  # reuses the listing read() just took
    assert stats(emu)["reads"] == 1


def test_written_text_stays_text(emu, shared):
    store, workbook_id = shared
    typed = ['=IMPORTRANGE("https://docs.google.com/spreadsheets/d/x";"A1:B2")', '=HYPERLINK("https://a.example";"Фото")',
             "=1+1", "'=квота", "#REF!"]
    store.write_tabs(workbook_id, [TabSpec("Свод", [["Школа", "Ссылка"], *[["sch01", t] for t in typed]],
                                           protected=True)])
    assert calls(emu) == {"POST spreadsheets.batchUpdate": 1}
    assert [row[1] for row in cells(emu, workbook_id, "Свод!A2:B6", "FORMULA")] == typed
    assert [row[1] for row in cells(emu, workbook_id, "Свод!A2:B6", "FORMATTED_VALUE")] == typed


def test_write_tabs_replaces_only_service_tabs_in_one_call(emu, shared):
    store, workbook_id = shared
    librarian(emu, EMAIL).open_by_key(workbook_id).worksheet("Фонд").update([["Читатели", 600]], "A2")
    before = cells(emu, workbook_id, "Фонд")
    store.markers([workbook_id])
    marker = store.read(workbook_id).marker
    reset_stats(emu)
    long = TabSpec("Проверка", [[f"строка {n}", n] for n in range(30)], bold_rows=(1,), protected=True,
                   widths={1: 40})
    new_marker = store.write_tabs(workbook_id, [long], expect_marker=marker)
    short = TabSpec("Проверка", [["Замечаний нет."]], protected=True)
    assert calls(emu) == {"POST spreadsheets.batchUpdate": 1}
    store.write_tabs(workbook_id, [short], expect_marker=new_marker)
    assert cells(emu, workbook_id, "Проверка") == [["Замечаний нет."]]
    assert cells(emu, workbook_id, "Фонд") == before
    sheets = {s["properties"]["title"]: s for s in metadata(emu, workbook_id)["sheets"]}
    assert sheets["Проверка"]["properties"]["gridProperties"]["rowCount"] == 1
    assert len(sheets["Проверка"]["protectedRanges"]) == 1  # protected once, when added


def test_the_marker_after_our_own_write_is_the_one_drive_shows_next(emu, shared):
    store, workbook_id = shared
    marker = store.markers([workbook_id])[workbook_id]
    predicted = store.write_tabs(workbook_id, [TabSpec("Проверка", [["ok"]], protected=True)], expect_marker=marker)
    assert store_for(emu).markers([workbook_id])[workbook_id] == predicted

    # The librarian types between our listing and our write: the marker moves past the
    # prediction, so the sync will read the workbook again — the edit is never lost.
    marker = store.markers([workbook_id])[workbook_id]
    librarian(emu, EMAIL).open_by_key(workbook_id).worksheet("Фонд").update([["Читатели", 700]], "A2")
    predicted = store.write_tabs(workbook_id, [TabSpec("Проверка", [["ok 2"]], protected=True)], expect_marker=marker)
    assert store_for(emu).markers([workbook_id])[workbook_id] != predicted


def test_write_refused_when_a_newer_listing_shows_a_change(emu, shared):
    store, workbook_id = shared
    marker = store.markers([workbook_id])[workbook_id]
    librarian(emu, EMAIL).open_by_key(workbook_id).worksheet("Фонд").update([["Читатели", 700]], "A2")
    store.markers([workbook_id])
    reset_stats(emu)
    with pytest.raises(WorkbookChanged):
        store.write_tabs(workbook_id, [TabSpec("Проверка", [["ok"]], protected=True)], expect_marker=marker)
    assert stats(emu)["writes"] == 0


def test_a_fresh_store_reads_the_layout_once_and_never_has_a_write_refused(emu, shared):
    store, workbook_id = shared
    store.write_tabs(workbook_id, [TabSpec("Статус", [["a"]], protected=True)])
    other = store_for(emu)  # knows nothing of the workbook
    reset_stats(emu)
    other.write_tabs(workbook_id, [TabSpec("Статус", [["b"]], protected=True), TabSpec("Новый", [["d"]])])
    # a tab that does not exist yet costs no refused batch: one layout read, one write
    assert calls(emu) == {"GET spreadsheets.get": 1, "POST spreadsheets.batchUpdate": 1}
    assert cells(emu, workbook_id, "Статус") == [["b"]] and cells(emu, workbook_id, "Новый") == [["d"]]
    reset_stats(emu)
    other.write_tabs(workbook_id, [TabSpec("Статус", [["c"]], protected=True)])
    assert calls(emu) == {"POST spreadsheets.batchUpdate": 1}    # the layout is known now
    assert cells(emu, workbook_id, "Статус") == [["c"]]


def test_created_form_tabs_have_frozen_protected_headers_dropdowns_and_checkbox(emu):
    store = store_for(emu)
    tabs = school_tabs(default_collections(load_schema(), YEAR))
    reset_stats(emu)
    workbook_id = store.create_workbook("sch03", tabs)
    assert stats(emu)["writes"] == 2
    data = metadata(emu, workbook_id, "sheets(properties,protectedRanges,data.rowData.values("
                                      "dataValidation,userEnteredFormat.textFormat.bold),data.columnMetadata)")
    sheets = {s["properties"]["title"]: s for s in data["sheets"]}
    assert list(sheets) == [t.title for t in tabs]  # no «Sheet1» left
    staffing = sheets["Кадры"]
    assert staffing["properties"]["gridProperties"]["frozenRowCount"] == 4
    assert {(p["range"]["startRowIndex"], p["warningOnly"]) for p in staffing["protectedRanges"]} == {(0, True), (3, True)}
    rows = staffing["data"][0]["rowData"]
    assert rows[1]["values"][1]["dataValidation"]["condition"]["type"] == "BOOLEAN"
    assert rows[3]["values"][0]["userEnteredFormat"]["textFormat"]["bold"] is True
    kinds = {v.get("dataValidation", {}).get("condition", {}).get("type") for v in rows[4]["values"]}
    assert "ONE_OF_LIST" in kinds
    assert staffing["data"][0]["columnMetadata"][0]["pixelSize"] > 100


def test_add_missing_tabs_adds_only_what_is_missing_and_keeps_data(emu, shared):
    store, workbook_id = shared
    librarian(emu, EMAIL).open_by_key(workbook_id).worksheet("Фонд").update([["Читатели", 600]], "A2")
    before = cells(emu, workbook_id, "Фонд")
    added = store.add_missing_tabs(workbook_id, [TabSpec("фонд ", [["другое"]]), TabSpec("Кадры", [["ФИО"]])])
    assert added == ["Кадры"] and cells(emu, workbook_id, "Фонд") == before
    reset_stats(emu)
    assert store.add_missing_tabs(workbook_id, [TabSpec("Кадры", [["ФИО"]])]) == []
    assert stats(emu)["writes"] == 0 and stats(emu)["reads"] == 1


def test_a_long_dropdown_list_lives_in_a_hidden_protected_tab(emu):
    store = store_for(emu)
    choices = tuple(f"1.1.1.{n}" for n in range(LIST_LIMIT + 20))
    workbook_id = store.create_workbook("sch04", [TabSpec("Заказ", [["Код"]], dropdowns=(Dropdown(1, 2, 50, choices),))])
    sheets = {s["properties"]["title"]: s for s in metadata(emu, workbook_id)["sheets"]}
    lists = sheets[list_tab_title(choices)]
    assert lists["properties"].get("hidden") is True and lists["protectedRanges"]
    assert cells(emu, workbook_id, f"'{list_tab_title(choices)}'!A1:A2") == [["1.1.1.0"], ["1.1.1.1"]]


def test_listing_pages_and_references(emu):
    store = store_for(emu)
    ids = [store.create_workbook(f"sch{n:02d}", [TabSpec("a", [["x"]])]) for n in range(3)]
    url = f"https://docs.google.com/spreadsheets/d/{ids[0]}/edit#gid=0"
    assert store.workbook_id_for(url) == ids[0] == store.workbook_id_for(f" {ids[0]} ")
    assert store.workbook_id_for("sch01") == ids[1]
    assert store.workbook_id_for("нет такой") == "нет такой"
    fresh = store_for(emu)
    assert {w.id for w in fresh.list_workbooks()} == set(ids)
    assert fresh.markers([*ids, "missing"])["missing"] is None


def test_sharing_with_the_librarian(emu):
    store = store_for(emu)
    workbook_id = store.create_workbook("sch05", [TabSpec("a", [["x"]])])
    assert EMAIL not in store.permissions(workbook_id)
    store.share(workbook_id, EMAIL, notify=True, message="Книга школы для отчётов ОМО")
    assert store.permissions(workbook_id)[EMAIL] == "writer"
    assert librarian(emu, EMAIL).open_by_key(workbook_id).title == "sch05"


def test_unreadable_workbooks_say_why_in_russian(emu):
    store = store_for(emu)
    with pytest.raises(WorkbookUnavailable) as missing:
        store.read("1NoSuchSpreadsheet000000000000000")
    assert "не найдена" in missing.value.reason
    foreign = librarian(emu, "other@school.example").create("чужая").id
    with pytest.raises(WorkbookUnavailable) as denied:
        store.read(foreign)
    assert "нет доступа" in denied.value.reason or "не найдена" in denied.value.reason
