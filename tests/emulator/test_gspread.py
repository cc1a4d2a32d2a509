"""The emulator driven through real gspread 6.2.1 over HTTP."""

from __future__ import annotations

import gspread
import pytest
from gspread.utils import ValueInputOption, ValueRenderOption

from sheets_emulator.client import EmulatorAdapter, gspread_client


def test_adapter_rewrites_only_google_hosts():
    adapter = EmulatorAdapter("http://127.0.0.1:9/")
    assert adapter.rewrite("https://sheets.googleapis.com/v4/spreadsheets/x?a=1") == "http://127.0.0.1:9/v4/spreadsheets/x?a=1"
    assert adapter.rewrite("https://www.googleapis.com/drive/v3/files") == "http://127.0.0.1:9/drive/v3/files"
    assert adapter.rewrite("https://example.com/x") == "https://example.com/x"


def test_create_open_list_delete(gc):
    created = gc.create("Library 2024")
    assert created.sheet1.title == "Sheet1"
    assert (created.sheet1.row_count, created.sheet1.col_count) == (1000, 26)
    assert gc.open("Library 2024").id == created.id
    assert gc.open_by_key(created.id).title == "Library 2024"
    assert [f["name"] for f in gc.list_spreadsheet_files()] == ["Library 2024"]
    gc.del_spreadsheet(created.id)
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open("Library 2024")
    with pytest.raises(gspread.SpreadsheetNotFound) as caught:
        gc.open_by_key(created.id)
    assert caught.value.__cause__.response.json() == {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }


def test_raw_versus_user_entered(gc):
    ws = gc.create("Input").sheet1
    row = ["0042", "=1+2", "2024-09-01", "01.09.2024", "TRUE", "12%", 7]
    ws.update([row], "A1", value_input_option=ValueInputOption.raw)
    ws.update([row], "A2", value_input_option=ValueInputOption.user_entered)
    assert ws.get("A1:G2") == [
        ["0042", "=1+2", "2024-09-01", "01.09.2024", "TRUE", "12%", "7"],
        ["42", "3", "2024-09-01", "01.09.2024", "TRUE", "12%", "7"],
    ]
    assert ws.get("A1:G2", value_render_option=ValueRenderOption.unformatted) == [
        ["0042", "=1+2", "2024-09-01", "01.09.2024", "TRUE", "12%", 7],
        [42, 3, 45536, 45536, True, 0.12, 7],
    ]
    assert ws.get("A2:G2", value_render_option=ValueRenderOption.formula) == [[42, "=1+2", 45536, 45536, True, 0.12, 7]]
    assert ws.get(
        "C2:D2", value_render_option=ValueRenderOption.unformatted, date_time_render_option="FORMATTED_STRING"
    ) == [["2024-09-01", "01.09.2024"]]


def test_formulas_follow_their_inputs(gc):
    ws = gc.create("Formulas").sheet1
    ws.update([[1], [2], [3], ["=SUM(A1:A3)"], ["=A4*2"], ["=NOPE(1)"], ["=A1/0"]], "A1", raw=False)
    assert ws.col_values(1) == ["1", "2", "3", "6", "12", "#NAME?", "#DIV/0!"]
    ws.update_acell("A1", 10)
    assert ws.acell("A5").value == "30"
    assert ws.acell("A6", value_render_option=ValueRenderOption.formula).value == "=NOPE(1)"


def test_trimming_of_empty_rows_and_cells(gc):
    ws = gc.create("Trim").sheet1
    ws.update([["a", "", ""], ["", "", ""], ["", "b", ""], ["", "", ""]], "A1")
    result = ws.client.values_get(ws.spreadsheet_id, "Sheet1!A1:C4")
    assert result == {"range": "Sheet1!A1:C4", "majorDimension": "ROWS", "values": [["a"], [], ["", "b"]]}
    columns = ws.client.values_get(ws.spreadsheet_id, "Sheet1!A:C", params={"majorDimension": "COLUMNS"})
    assert columns == {"range": "Sheet1!A1:C1000", "majorDimension": "COLUMNS", "values": [["a"], ["", "", "b"]]}
    ws.batch_clear(["A1:C4"])
    assert ws.client.values_get(ws.spreadsheet_id, "Sheet1") == {"range": "Sheet1!A1:Z1000", "majorDimension": "ROWS"}


def test_quoted_titles_are_echoed_as_google_does(gc):
    spreadsheet = gc.create("Titles")
    ws = spreadsheet.add_worksheet("It's mine", rows=5, cols=3)
    response = ws.update([["x", "y"]], "A1")
    assert response["updatedRange"] == "'It''s mine'!A1:B1"
    assert ws.get_all_values() == [["x", "y"]]
    assert spreadsheet.values_get("'It''s mine'!A:A")["range"] == "'It''s mine'!A1:A5"
    with pytest.raises(gspread.exceptions.APIError) as caught:
        spreadsheet.values_get("'No such sheet'!A1")
    assert caught.value.response.json()["error"]["message"] == "Unable to parse range: 'No such sheet'!A1"


def test_append_rows_finds_the_table(gc):
    ws = gc.create("Append").sheet1
    ws.append_rows([["title", "author"], ["War and Peace", "Tolstoy"]])
    response = ws.append_row(["Anna Karenina", "Tolstoy"])
    assert response["tableRange"] == "Sheet1!A1:B2"
    assert response["updates"]["updatedRange"] == "Sheet1!A3:B3"
    assert ws.get_all_records() == [
        {"title": "War and Peace", "author": "Tolstoy"},
        {"title": "Anna Karenina", "author": "Tolstoy"},
    ]


def test_append_grows_the_sheet(gc):
    ws = gc.create("Grow").add_worksheet("small", rows=2, cols=2)
    ws.append_rows([["a"], ["b"], ["c"]])
    ws = gc.open_by_key(ws.spreadsheet_id).worksheet("small")
    assert ws.row_count == 3
    assert ws.col_values(1) == ["a", "b", "c"]


def test_writes_outside_the_grid_fail_like_google(gc):
    ws = gc.create("Grid").sheet1
    with pytest.raises(gspread.exceptions.APIError) as caught:
        ws.update([["x"]], "A1001")
    assert caught.value.response.json()["error"]["message"] == (
        "Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    with pytest.raises(gspread.exceptions.APIError) as caught:
        ws.update([["x"], ["y"]], "A1:A1")
    assert "Requested writing within range [Sheet1!A1], but tried writing to row [2]" in str(caught.value)


def test_batch_get_and_batch_update(gc):
    ws = gc.create("Batch").sheet1
    ws.batch_update([{"range": "A1:B1", "values": [["a", "b"]]}, {"range": "D4", "values": [["=2*2"]]}], raw=False)
    assert ws.batch_get(["A1:B1", "D4"]) == [[["a", "b"]], [["4"]]]


def test_structural_batch_update_requests(gc):
    spreadsheet = gc.create("Structure")
    ws = spreadsheet.sheet1
    ws.update([["h1", "h2", "h3"], [1, 2, 3], [4, 5, 6]], "A1")
    ws.freeze(rows=1, cols=1)
    ws.merge_cells("A5:B6")
    ws.insert_row(["new", "row"], index=2)
    ws.delete_columns(3)
    ws.add_protected_range("A1:B1", editor_users_emails=["librarian@school.example"])
    spreadsheet.batch_update({"requests": [
        {"setDataValidation": {"range": {"sheetId": ws.id, "startRowIndex": 1, "endRowIndex": 4,
                                          "startColumnIndex": 3, "endColumnIndex": 4},
                               "rule": {"condition": {"type": "BOOLEAN"}}}},
        {"addNamedRange": {"namedRange": {"name": "Headers", "range": {"sheetId": ws.id, "startRowIndex": 0,
                                                                        "endRowIndex": 1}}}},
    ]})
    ws.hide_gridlines()
    meta = spreadsheet.fetch_sheet_metadata()
    sheet = meta["sheets"][0]
    assert sheet["properties"]["gridProperties"] == {
        "rowCount": 1001, "columnCount": 25, "frozenRowCount": 1, "frozenColumnCount": 1, "hideGridlines": True,
    }
    assert sheet["merges"] == [{"startRowIndex": 5, "endRowIndex": 7, "startColumnIndex": 0, "endColumnIndex": 2}]
    assert sheet["protectedRanges"][0]["editors"] == {"users": ["librarian@school.example", "test@emulator.invalid"]}
    assert meta["namedRanges"][0]["name"] == "Headers"
    assert ws.get_all_values() == [["h1", "h2"], ["new", "row"], ["1", "2"], ["4", "5"]]
    assert spreadsheet.values_get("Headers")["values"] == [["h1", "h2"]]
    grid = spreadsheet.fetch_sheet_metadata(
        {"ranges": "Sheet1!D2", "fields": "sheets.data.rowData.values.dataValidation"}
    )
    assert grid == {"sheets": [{"data": [{"rowData": [{"values": [{"dataValidation": {"condition": {"type": "BOOLEAN"}}}]}]}]}]}


def test_format_and_notes_round_trip(gc):
    ws = gc.create("Format").sheet1
    ws.format("A1:B1", {"textFormat": {"bold": True}, "backgroundColor": {"red": 1}})
    ws.update_note("A1", "first")
    assert ws.get_note("A1") == "first"
    cell = ws.spreadsheet.fetch_sheet_metadata(
        {"ranges": "Sheet1!B1", "fields": "sheets.data.rowData.values.userEnteredFormat"}
    )["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell == {"userEnteredFormat": {"backgroundColor": {"red": 1}, "textFormat": {"bold": True},
                                          "backgroundColorStyle": {"rgbColor": {"red": 1}}}}


def test_worksheet_management(gc):
    spreadsheet = gc.create("Sheets")
    a = spreadsheet.add_worksheet("a", 10, 10)
    spreadsheet.add_worksheet("b", 10, 10)
    a.update_title("renamed")
    a.hide()
    assert [w.title for w in spreadsheet.worksheets(exclude_hidden=True)] == ["Sheet1", "b"]
    assert [w.title for w in spreadsheet.worksheets()] == ["Sheet1", "renamed", "b"]
    spreadsheet.del_worksheet(spreadsheet.worksheet("b"))
    duplicate = spreadsheet.duplicate_sheet(spreadsheet.sheet1.id, new_sheet_name="copy")
    assert duplicate.title == "copy"
    with pytest.raises(gspread.exceptions.APIError) as caught:
        spreadsheet.add_worksheet("copy", 1, 1)
    assert "A sheet with the name \"copy\" already exists" in caught.value.response.json()["error"]["message"]
    spreadsheet.update_title("New title")
    assert gc.list_spreadsheet_files()[0]["name"] == "New title"


def test_unknown_batch_request_is_rejected(gc):
    spreadsheet = gc.create("Unknown")
    with pytest.raises(gspread.exceptions.APIError) as caught:
        spreadsheet.batch_update({"requests": [{"frobnicate": {}}]})
    error = caught.value.response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"] == "Invalid JSON payload received. Unknown name \"frobnicate\" at 'requests[0]': Cannot find field."


def test_failed_batch_changes_nothing(gc):
    spreadsheet = gc.create("Atomic")
    with pytest.raises(gspread.exceptions.APIError):
        spreadsheet.batch_update({"requests": [
            {"addSheet": {"properties": {"title": "kept?"}}},
            {"deleteSheet": {"sheetId": 12345}},
        ]})
    assert [w.title for w in spreadsheet.worksheets()] == ["Sheet1"]
    with pytest.raises(gspread.exceptions.APIError):
        spreadsheet.batch_update({"requests": [
            {"updateSpreadsheetProperties": {"properties": {"title": "Renamed?"}, "fields": "title"}},
            {"deleteSheet": {"sheetId": 12345}},
        ]})
    assert gc.list_spreadsheet_files()[0]["name"] == "Atomic"


def test_failed_values_batch_update_writes_nothing(gc):
    ws = gc.create("Atomic values").sheet1
    with pytest.raises(gspread.exceptions.APIError):
        ws.batch_update([{"range": "A1", "values": [["written?"]]}, {"range": "A1:A1", "values": [["x"], ["y"]]}])
    assert ws.get_all_values() == [[]]


def test_modified_time_moves_forward_on_every_change(gc):
    spreadsheet = gc.create("Clock")
    seen = [spreadsheet.get_lastUpdateTime()]
    for value in range(5):
        spreadsheet.sheet1.update_acell("A1", value)
        seen.append(spreadsheet.get_lastUpdateTime())
    assert seen == sorted(set(seen)), seen
    spreadsheet.sheet1.get_all_values()
    assert spreadsheet.get_lastUpdateTime() == seen[-1]


def test_sharing_gives_another_user_access(emulator, gc):
    spreadsheet = gc.create("Shared")
    other = gspread_client(emulator.url, token="teacher@school.example")
    with pytest.raises(PermissionError) as caught:
        other.open_by_key(spreadsheet.id)
    assert caught.value.__cause__.response.json()["error"] == {
        "code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED",
    }
    assert other.list_spreadsheet_files() == []
    spreadsheet.share("teacher@school.example", perm_type="user", role="reader", notify=False)
    assert other.open_by_key(spreadsheet.id).title == "Shared"
    with pytest.raises(gspread.exceptions.APIError) as caught:
        other.open_by_key(spreadsheet.id).sheet1.update_acell("A1", "x")
    assert caught.value.response.status_code == 403
    assert [f["name"] for f in other.list_spreadsheet_files()] == ["Shared"]


def test_copy_keeps_data(gc):
    original = gc.create("Original")
    original.sheet1.update([["keep me"]], "A1")
    copied = gc.copy(original.id, title="Copy")
    assert copied.sheet1.get_all_values() == [["keep me"]]
    assert {f["name"] for f in gc.list_spreadsheet_files()} == {"Original", "Copy"}


def test_export_csv(gc):
    spreadsheet = gc.create("Export")
    spreadsheet.sheet1.update([["a", "b,c"], [1, 2]], "A1")
    assert spreadsheet.export(gspread.utils.ExportFormat.CSV) == b'a,"b,c"\r\n1,2\r\n'
