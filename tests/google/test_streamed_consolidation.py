"""The consolidated tabs streamed on the Google backend (the emulator, through real gspread):
spooled rows sent as updateCells of a few rows each, in batchUpdates under the body limit,
make the same spreadsheet as the same tabs held as lists; and rows that cannot be read
stop the write before any request, so the previous tabs stay as they were."""
from __future__ import annotations

from dataclasses import replace

import pytest
import requests

from sync_service.stores import google_json
from sync_service.stores import rows as spool
from sync_service.stores.rows import RowsUnreadable
from tests.google.conftest import reset_stats, stats, store_for
from tests.integration.test_streamed_consolidation import FailingRows, random_tabs, spooled


@pytest.fixture
def tiny_batches(monkeypatch):
    monkeypatch.setattr(spool, "BATCH", 3)
    monkeypatch.setattr(google_json, "ROWS_A_REQUEST", 4)


def spreadsheet(emu, workbook_id: str) -> list[dict]:
    """Every tab as the API gives it back: properties, merges, filter, protections, and each
    cell's value, format and validation."""
    response = requests.get(f"{emu.url}/v4/spreadsheets/{workbook_id}", params={"includeGridData": "true"},
                            headers={"Authorization": "Bearer svod"}, timeout=30)
    response.raise_for_status()
    sheets = response.json()["sheets"]
    for sheet in sheets:   # (the emulator numbers protected ranges per spreadsheet)
        for protected in sheet.get("protectedRanges", []):
            protected.pop("protectedRangeId", None)
    return sheets


def test_spooled_tabs_make_the_same_spreadsheet_in_bounded_requests(emu, tiny_batches):
    store = store_for(emu)
    store.max_body = 60_000
    listed = random_tabs(1)
    as_lists = store.create_workbook("Свод списками", listed)
    reset_stats(emu)
    streamed = store.create_workbook("Свод потоком", spooled(listed))
    sent = stats(emu)
    assert spreadsheet(emu, streamed) == spreadsheet(emu, as_lists)
    # many batchUpdates, none over the limit
    assert sent["endpoints"]["POST spreadsheets.batchUpdate"] > 5 and store.api.counts.largest_body <= 60_000
    # a later sync rewrites the tabs of the existing spreadsheet: the same again
    again = random_tabs(2)
    store.write_tabs(as_lists, again)
    store.write_tabs(streamed, spooled(again))
    assert spreadsheet(emu, streamed) == spreadsheet(emu, as_lists)
    fund = next(sheet for sheet in spreadsheet(emu, streamed) if sheet["properties"]["title"] == "Фонд")
    values = [[cell.get("userEnteredValue") for cell in row.get("values", [])]
              for row in fund["data"][0]["rowData"]]
    assert values[0][0] == {"stringValue": "Код школы"} and len(values) == len(next(
        t for t in again if t.title == "Фонд").rows)


def test_rows_that_cannot_be_read_send_nothing_and_keep_the_tabs(emu, tiny_batches):
    store = store_for(emu)
    store.max_body = 60_000
    tabs = random_tabs(1)
    workbook_id = store.create_workbook("Свод", tabs)
    before = spreadsheet(emu, workbook_id)
    fund = next(t for t in random_tabs(2) if t.title == "Фонд")
    broken = replace(fund, rows=FailingRows(fund.rows, good=len(fund.rows) - 2))
    reset_stats(emu)
    with pytest.raises(RowsUnreadable):
        store.write_tabs(workbook_id, [*spooled(random_tabs(3))[:3], broken])
    assert "POST spreadsheets.batchUpdate" not in stats(emu)["endpoints"]
    assert spreadsheet(emu, workbook_id) == before
