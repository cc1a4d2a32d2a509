"""Quotas, injected faults and latency, statistics, the control endpoints,
authentication, and Drive listing over plain HTTP."""

from __future__ import annotations

import time

import gspread
import pytest
import requests

SPREADSHEET = "application/vnd.google-apps.spreadsheet"


def _create(api, name, **extra):
    answer = api.post(f"{api.base}/drive/v3/files", json={"name": name, "mimeType": SPREADSHEET, **extra})
    answer.raise_for_status()
    return answer.json()["id"]


def test_missing_credentials_get_google_401(api):
    answer = requests.get(f"{api.base}/v4/spreadsheets/anything")
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
    drive = requests.get(f"{api.base}/drive/v3/files")
    assert drive.status_code == 401
    assert drive.json()["error"]["errors"][0]["reason"] == "required"


def test_read_quota_answers_429_like_google(emulator, gc):
    spreadsheet = gc.create("Quota")
    ws = spreadsheet.sheet1
    emulator.app.update_config({"read_quota": 3})
    for _ in range(3):
        ws.get_all_values()
    with pytest.raises(gspread.exceptions.APIError) as caught:
        ws.get_all_values()
    error = caught.value.response.json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["message"].startswith(
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' "
        "of service 'sheets.googleapis.com'"
    )
    # Writes have their own bucket, and so does every other user.
    ws.update_acell("A1", "still writable")
    other = requests.get(
        f"{emulator.url}/v4/spreadsheets/{spreadsheet.id}", headers={"Authorization": "Bearer other-user"}
    )
    assert other.status_code == 403
    assert emulator.stats.to_json()["throttled"] == 1


def test_quota_window_slides(emulator, api, monkeypatch):
    emulator.app.update_config({"write_quota": 2})
    clock = [1000.0]
    monkeypatch.setattr("sheets_emulator.faults.time.monotonic", lambda: clock[0])
    _create(api, "a")
    _create(api, "b")
    assert api.post(f"{api.base}/drive/v3/files", json={"name": "c"}).status_code == 429
    clock[0] += 61
    assert api.post(f"{api.base}/drive/v3/files", json={"name": "c"}).status_code == 200


def test_seeded_faults_are_reproducible(emulator, api):
    def run():
        emulator.app.update_config({"fault_rate": 0.5, "fault_kinds": ["500", "503", "429"], "seed": 7})
        codes = [api.get(f"{api.base}/drive/v3/files").status_code for _ in range(30)]
        emulator.app.update_config({"fault_rate": 0.0})
        return codes

    first, second = run(), run()
    assert first == second
    assert {500, 503, 429} <= set(first) and 200 in first
    failed = api.get(f"{api.base}/_emulator/stats").json()["faults"]
    assert failed == sum(code != 200 for code in first + second)


def test_injected_errors_have_google_bodies(emulator, api):
    emulator.app.update_config({"fault_rate": 1.0, "fault_kinds": ["503"]})
    answer = api.get(f"{api.base}/v4/spreadsheets/x")
    assert answer.status_code == 503
    assert answer.json() == {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}


def test_dropped_connections_close_without_answer(emulator, api):
    emulator.app.update_config({"fault_rate": 1.0, "fault_kinds": ["drop"]})
    with pytest.raises(requests.ConnectionError):
        api.get(f"{api.base}/drive/v3/files")
    emulator.app.update_config({"fault_rate": 0.0})
    assert api.get(f"{api.base}/drive/v3/files").status_code == 200


def test_latency_is_added(emulator, api):
    emulator.app.update_config({"latency_ms": 150})
    started = time.monotonic()
    api.get(f"{api.base}/drive/v3/files")
    assert time.monotonic() - started >= 0.15


def test_stats_count_reads_and_writes_per_endpoint(api, gc):
    ws = gc.create("Stats").sheet1  # Drive create, then two metadata reads
    ws.update([["a"]], "A1")
    ws.get_all_values()
    stats = api.get(f"{api.base}/_emulator/stats").json()
    assert stats == {
        "reads": 3,
        "writes": 2,
        "endpoints": {
            "GET spreadsheets.get": 2,
            "GET spreadsheets.values.get": 1,
            "POST drive.files.create": 1,
            "PUT spreadsheets.values.update": 1,
        },
        "faults": 0,
        "throttled": 0,
    }
    api.post(f"{api.base}/_emulator/reset", json={"stats": True})
    assert api.get(f"{api.base}/_emulator/stats").json()["reads"] == 0
    assert [f["name"] for f in gc.list_spreadsheet_files()] == ["Stats"]  # state kept
    api.post(f"{api.base}/_emulator/reset", json={"state": True})
    assert gc.list_spreadsheet_files() == []


def test_config_endpoint_validates(api):
    answer = api.post(f"{api.base}/_emulator/config", json={"read_quota": 5, "latency_ms": 1})
    assert answer.json()["read_quota"] == 5
    assert api.get(f"{api.base}/_emulator/config").json()["latency_ms"] == 1
    assert api.post(f"{api.base}/_emulator/config", json={"fault_rate": 2}).status_code == 400
    assert api.post(f"{api.base}/_emulator/config", json={"fault_kinds": ["explode"]}).status_code == 400
    assert api.post(f"{api.base}/_emulator/config", json={"nonsense": 1}).status_code == 400


def test_drive_list_queries_fields_and_paging(api):
    folder = api.post(
        f"{api.base}/drive/v3/files", json={"name": "Class 5A", "mimeType": "application/vnd.google-apps.folder"}
    ).json()["id"]
    ids = [_create(api, f"Books {i}", parents=[folder]) for i in range(5)]
    _create(api, "Journal")
    listing = api.get(
        f"{api.base}/drive/v3/files",
        params={"q": f"'{folder}' in parents and name contains 'books' and trashed = false", "pageSize": 2,
                "orderBy": "name", "fields": "nextPageToken, files(id,name,parents)"},
    ).json()
    assert [f["name"] for f in listing["files"]] == ["Books 0", "Books 1"]
    assert listing["files"][0]["parents"] == [folder]
    names = [f["name"] for f in listing["files"]]
    while "nextPageToken" in listing:
        listing = api.get(
            f"{api.base}/drive/v3/files",
            params={"q": f"'{folder}' in parents", "pageSize": 2, "orderBy": "name", "pageToken": listing["nextPageToken"]},
        ).json()
        names += [f["name"] for f in listing["files"]]
    assert names == [f"Books {i}" for i in range(5)]
    default = api.get(f"{api.base}/drive/v3/files", params={"q": "name = 'Journal'"}).json()
    assert default["kind"] == "drive#fileList" and default["incompleteSearch"] is False
    assert set(default["files"][0]) == {"kind", "id", "name", "mimeType"}
    since = api.get(f"{api.base}/drive/v3/files/{ids[-1]}", params={"fields": "modifiedTime"}).json()["modifiedTime"]
    newer = api.get(f"{api.base}/drive/v3/files", params={"q": f"modifiedTime > '{since}'"}).json()
    assert [f["name"] for f in newer["files"]] == ["Journal"]
    bad = api.get(f"{api.base}/drive/v3/files", params={"q": "name ~ 'x'"})
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Invalid Value"


def test_drive_update_trash_and_delete(api):
    file_id = _create(api, "Old")
    patched = api.patch(f"{api.base}/drive/v3/files/{file_id}", json={"name": "Renamed", "trashed": True},
                        params={"fields": "name,trashed"}).json()
    assert patched == {"name": "Renamed", "trashed": True}
    assert api.get(f"{api.base}/v4/spreadsheets/{file_id}").json()["properties"]["title"] == "Renamed"
    assert api.get(f"{api.base}/drive/v3/files", params={"q": "trashed = false"}).json()["files"] == []
    assert api.delete(f"{api.base}/drive/v3/files/{file_id}").status_code == 204
    missing = api.get(f"{api.base}/drive/v3/files/{file_id}")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == f"File not found: {file_id}."


def test_permissions_create_list_delete(api):
    file_id = _create(api, "Perms")
    created = api.post(
        f"{api.base}/drive/v3/files/{file_id}/permissions",
        params={"sendNotificationEmail": "false", "emailMessage": "hi"},
        json={"type": "user", "role": "writer", "emailAddress": "a@gmail.com"},
    )
    assert created.status_code == 200
    assert set(created.json()) == {"kind", "id", "type", "role"}
    listing = api.get(f"{api.base}/drive/v3/files/{file_id}/permissions").json()["permissions"]
    assert [(p["role"], p["type"]) for p in listing] == [("owner", "user"), ("writer", "user")]
    owner_transfer = api.post(
        f"{api.base}/drive/v3/files/{file_id}/permissions", json={"type": "user", "role": "owner", "emailAddress": "b@x"}
    )
    assert owner_transfer.status_code == 403
    assert api.delete(f"{api.base}/drive/v3/files/{file_id}/permissions/{created.json()['id']}").status_code == 204
    assert len(api.get(f"{api.base}/drive/v3/files/{file_id}/permissions").json()["permissions"]) == 1


def test_spreadsheets_create_and_field_masks(api):
    created = api.post(
        f"{api.base}/v4/spreadsheets",
        json={"properties": {"title": "Direct"}, "sheets": [{"properties": {"title": "Books"}}, {"properties": {"title": "Readers"}}]},
    ).json()
    assert [s["properties"]["title"] for s in created["sheets"]] == ["Books", "Readers"]
    sid = created["spreadsheetId"]
    api.put(f"{api.base}/v4/spreadsheets/{sid}/values/Books!A1", params={"valueInputOption": "USER_ENTERED"},
            json={"values": [["=1+1", "x"]]})
    masked = api.get(
        f"{api.base}/v4/spreadsheets/{sid}",
        params={"ranges": "Books!A1:B1",
                "fields": "sheets(properties(title,sheetId),data(rowData(values(effectiveValue,formattedValue,userEnteredValue))))"},
    ).json()
    assert masked == {"sheets": [{"properties": {"sheetId": 0, "title": "Books"}, "data": [{"rowData": [{"values": [
        {"userEnteredValue": {"formulaValue": "=1+1"}, "effectiveValue": {"numberValue": 2}, "formattedValue": "2"},
        {"userEnteredValue": {"stringValue": "x"}, "effectiveValue": {"stringValue": "x"}, "formattedValue": "x"},
    ]}]}]}]}
    missing_option = api.put(f"{api.base}/v4/spreadsheets/{sid}/values/Books!A1", json={"values": [["x"]]})
    assert missing_option.json()["error"]["message"] == "'valueInputOption' is required but not specified"


def test_unknown_paths_answer_404(api):
    answer = api.get(f"{api.base}/v4/nothing/here")
    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == "NOT_FOUND"


@pytest.mark.parametrize("mask", [
    "sheets(properties(title),data(rowData(values(effectiveValue,formattedValue,effectiveFormat.numberFormat.type))))",
    "sheets.data.rowData.values(userEnteredValue,dataValidation)",
    "sheets.data.rowData.values.effectiveFormat",
    "sheets.data.rowData.values(*)",
    "sheets.data.rowData",
    "sheets(properties.title,data(startRow,rowData.values.formattedValue))",
])
def test_masked_grid_reads_equal_the_full_read_trimmed(api, mask):
    """spreadsheets.get builds only the cell fields its mask keeps; what it answers must be
    exactly the full resource trimmed by that mask."""
    from sheets_emulator import fieldmask

    created = api.post(f"{api.base}/v4/spreadsheets", json={"properties": {"title": "Masks"}}).json()
    sid = created["spreadsheetId"]
    api.put(f"{api.base}/v4/spreadsheets/{sid}/values/A1", params={"valueInputOption": "USER_ENTERED"},
            json={"values": [["Книга", "=2*3", "12.5%"], ["", "01.09.2026", "да"]]})
    api.post(f"{api.base}/v4/spreadsheets/{sid}:batchUpdate", json={"requests": [
        {"setDataValidation": {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 2,
                                         "endColumnIndex": 3},
                               "rule": {"condition": {"type": "ONE_OF_LIST",
                                                      "values": [{"userEnteredValue": "да"}, {"userEnteredValue": "нет"}]},
                                        "strict": True, "showCustomUi": True}}},
        {"repeatCell": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold"}},
    ]}).raise_for_status()
    full = api.get(f"{api.base}/v4/spreadsheets/{sid}", params={"includeGridData": "true"}).json()
    masked = api.get(f"{api.base}/v4/spreadsheets/{sid}", params={"includeGridData": "true", "fields": mask}).json()
    assert masked == fieldmask.select(full, fieldmask.parse(mask))
    assert any(row.get("values") for sheet in masked["sheets"] for data in sheet.get("data", [])
               for row in data.get("rowData", []))


def test_pretty_print_is_the_default_and_can_be_turned_off(api):
    sid = api.post(f"{api.base}/v4/spreadsheets", json={"properties": {"title": "Печать"}}).json()["spreadsheetId"]
    pretty = api.get(f"{api.base}/v4/spreadsheets/{sid}")
    compact = api.get(f"{api.base}/v4/spreadsheets/{sid}", params={"prettyPrint": "false"})
    assert pretty.text.startswith("{\n  ") and "\n" not in compact.text.strip()
    assert pretty.json() == compact.json()
    missing = api.get(f"{api.base}/v4/spreadsheets/nope", params={"$prettyPrint": "false"})
    assert missing.status_code == 404 and "\n" not in missing.text.strip()
