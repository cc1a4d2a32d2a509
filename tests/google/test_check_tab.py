"""A school's «Проверка» on Google Sheets (issue 15), through the emulator: the first tab when
there is something to fix, each place a cell-level link to its sheet and range
(``userEnteredFormat.textFormat.link`` «#gid=…&range=…», never a =HYPERLINK formula), and the
same findings and advice as in an .xlsx."""
from __future__ import annotations

import pytest
import requests

from sync_service.district.registry import default_collections
from sync_service.forms.layout import CHECK_TAB, head_tab, school_tabs
from sync_service.order import commands
from sync_service.order.fpu_tab import FPU_HEADER, FPU_TAB, FPU_TITLE
from sync_service.stores.google import EMULATOR_TOKEN
from sync_service.sync.run import run_sync
from tests.google.conftest import YEAR, librarian, svod_for

FIELDS = ("sheets(properties(sheetId,title,index),data.rowData.values(formattedValue,userEnteredValue,"
          "userEnteredFormat.textFormat.link,effectiveFormat.textFormat(underline),hyperlink))")
ROW = ["Иванова Анна Петровна", "Педагог-библиотекарь", 1, "Высшее библиотечное", 20, 12]


def spreadsheet(emu, workbook_id: str) -> dict:
    response = requests.get(f"{emu.url}/v4/spreadsheets/{workbook_id}", timeout=30,
                            params={"includeGridData": "true", "fields": FIELDS},
                            headers={"Authorization": f"Bearer {EMULATOR_TOKEN}"})
    response.raise_for_status()
    return response.json()


def grid(sheet: dict) -> list[list[dict]]:
    return [row.get("values") or [] for row in (sheet.get("data") or [{}])[0].get("rowData") or []]


def text(cell: dict) -> str:
    return cell.get("formattedValue") or ""


def make_district(emu, tmp_path, *, fpu: bool = False):
    """Two schools and the head's workbook; sch01's «Кадры» has a misspelt header and a
    wrong number; with ``fpu`` the sample federal list is imported first."""
    svod = svod_for(emu, tmp_path)
    if fpu:
        commands.fpu_import(svod.db, commands.sample_fpu_path())
    collections = default_collections(svod.schema, YEAR)
    ids = [svod.store.create_workbook(f"sch0{n} МБОУ СОШ №{n}", school_tabs(collections)) for n in (1, 2)]
    rows = [[f"sch0{n}", f"МБОУ СОШ №{n}", "Иванова", f"a{n}@school.example", wid, "да"]
            for n, wid in enumerate(ids, start=1)]
    plan = [[c.form.key, "", YEAR, c.deadline, c.campaign.title if c.campaign else ""] for c in collections]
    head = svod.store.create_workbook("Настройки ОМО", [head_tab(svod.schema, "schools", rows),
                                                       head_tab(svod.schema, "plan", plan)])
    staff = librarian(emu, EMULATOR_TOKEN).open_by_key(ids[0]).worksheet("Кадры")
    staff.update([["да"]], "B2")
    staff.update([["Ствака"]], "C4")                       # «Ставка» misspelt
    staff.update([ROW, [*ROW[:4], "двадцать", 12]], "A5")   # «Общий стаж, лет» of row 6 is no number
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head)
    summary = run_sync(svod)
    assert summary.failed == 0
    return svod, ids


@pytest.fixture
def synced(emu, tmp_path):
    return make_district(emu, tmp_path)[1]


def test_the_order_instruction_has_its_fpu_tab_and_an_idle_sync_leaves_it(emu, tmp_path):
    svod, ids = make_district(emu, tmp_path, fpu=True)
    sheets = {s["properties"]["title"]: s for s in spreadsheet(emu, ids[1])["sheets"]}
    rows = grid(sheets[FPU_TAB])
    assert text(rows[0][0]) == FPU_TITLE and [text(c) for c in rows[3]] == list(FPU_HEADER)
    assert len(rows) > 200 and all(text(row[0]) for row in rows[4:])
    summary = run_sync(svod)
    assert summary.checks_written == 0   # the list did not change: not written again


def test_the_check_tab_is_first_and_each_place_links_to_its_cell(emu, synced):
    data = spreadsheet(emu, synced[0])
    sheets = {s["properties"]["title"]: s for s in data["sheets"]}
    assert data["sheets"][0]["properties"]["title"] == CHECK_TAB
    staffing_id = sheets["Кадры"]["properties"]["sheetId"]
    cells = grid(sheets[CHECK_TAB])
    (rename,) = [row for row in cells if any("Переименуйте «Ствака» в «Ставка» (ячейка C4)." == text(c) for c in row)]
    assert text(rename[2]) == "C4"
    uri = f"#gid={staffing_id}&range=C4"
    assert rename[2]["userEnteredFormat"]["textFormat"]["link"] == {"uri": uri}
    assert rename[2]["hyperlink"] == uri and rename[2]["effectiveFormat"]["textFormat"]["underline"] is True
    (typed,) = [row for row in cells if any(text(c).startswith("Впишите в ячейку E6") for c in row)]
    assert text(typed[5]) == "Впишите в ячейку E6 целое число от 0 до 60, например 15."
    assert typed[2]["userEnteredFormat"]["textFormat"]["link"] == {"uri": f"#gid={staffing_id}&range=E6"}
    # values only: no cell of the tab is a formula
    assert not [c for row in cells for c in row if "formulaValue" in (c.get("userEnteredValue") or {})]


def test_a_school_with_nothing_to_fix_keeps_its_check_tab_where_it_was(emu, synced):
    data = spreadsheet(emu, synced[1])
    assert data["sheets"][-1]["properties"]["title"] == CHECK_TAB


def test_the_emulator_refuses_a_link_google_would_refuse(emu, synced):
    """Link has one field, ``uri``: a ``sheetId`` in it is an unknown name, as on Google."""
    sheet_id = spreadsheet(emu, synced[0])["sheets"][1]["properties"]["sheetId"]
    body = {"requests": [{"updateCells": {
        "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0,
                  "endColumnIndex": 1},
        "rows": [{"values": [{"userEnteredFormat": {"textFormat": {"link": {"sheetId": sheet_id}}}}]}],
        "fields": "userEnteredFormat.textFormat.link"}}]}
    response = requests.post(f"{emu.url}/v4/spreadsheets/{synced[0]}:batchUpdate", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {EMULATOR_TOKEN}"})
    assert response.status_code == 400
    assert 'Unknown name "sheetId"' in response.json()["error"]["message"]
