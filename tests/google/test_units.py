"""Pure parts of the Google store: cells, requests, ids, the quota window and backoff."""
from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime

import pytest
import requests

from sync_service.stores.base import Dropdown, TabSpec
from sync_service.stores.google import _reason, split_batch
from sync_service.stores.google_http import ApiClient, ApiFailure, ApiUrlAdapter, Backoff, QuotaWindow, body_bytes
from sync_service.stores.google_json import (
    LIST_LIMIT,
    cell_data,
    cell_value,
    grid_size,
    list_tab_title,
    next_marker,
    number_format,
    sheet_from_json,
    spreadsheet_id_from,
    stable_sheet_id,
    tab_requests,
)


def number(value, kind=None, text=None):
    cell = {"effectiveValue": {"numberValue": value}}
    if kind:
        cell["effectiveFormat"] = {"numberFormat": {"type": kind}}
    if text is not None:
        cell["formattedValue"] = text
    return cell


@pytest.mark.parametrize("cell, expected", [
    ({}, None),
    ({"effectiveValue": {"stringValue": "Иванова"}}, "Иванова"),
    ({"effectiveValue": {"boolValue": True}, "formattedValue": "TRUE"}, True),
    (number(42), 42),
    (number(42.0), 42),
    (number(0.5), 0.5),
    (number(0.125, "PERCENT", "12,5%"), "12,5%"),
    (number(45536, "DATE", "01.09.2024"), date(2024, 9, 1)),
    (number(45536.5, "DATE_TIME", "01.09.2024 12:00"), datetime(2024, 9, 1, 12, 0)),
    (number(1234.5, "NUMBER", "1 234,50"), 1234.5),
    ({"effectiveValue": {"errorValue": {"type": "REF"}}, "formattedValue": "#REF!"}, "#REF!"),
    ({"effectiveValue": {"errorValue": {"type": "DIVIDE_BY_ZERO"}}, "formattedValue": "#DIV/0!"}, "#DIV/0!"),
])
def test_cell_values_as_people_see_them(cell, expected):
    assert cell_value(cell) == expected and type(cell_value(cell)) is type(expected)


def test_sheet_from_grid_data_keeps_positions_and_merges():
    data = {"properties": {"title": "Обеспеченность", "sheetId": 7},
            "merges": [{"sheetId": 7, "startRowIndex": 4, "endRowIndex": 6, "startColumnIndex": 0, "endColumnIndex": 1}],
            "data": [{"rowData": [{"values": [{"effectiveValue": {"stringValue": "Класс"}}]},
                                  {},
                                  {"values": [{}, {}, number(50)]},
                                  {"values": [{}, {}]}]}]}
    sheet = sheet_from_json(data)
    assert sheet.title == "Обеспеченность"
    assert sheet.rows == [["Класс"], [], [None, None, 50]]
    assert sheet.merges == [(5, 1, 6, 1)]


def test_values_are_written_typed_never_as_formulas():
    assert cell_data("=IMPORTRANGE(\"x\";\"A1\")") == {"userEnteredValue": {"stringValue": "=IMPORTRANGE(\"x\";\"A1\")"}}
    assert cell_data(True) == {"userEnteredValue": {"boolValue": True}}
    assert cell_data(3.0) == {"userEnteredValue": {"numberValue": 3}}
    assert cell_data(date(2024, 9, 1))["userEnteredValue"] == {"numberValue": 45536}
    assert cell_data(date(2024, 9, 1))["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert cell_data(None) == {} and cell_data("") == {}
    assert cell_data("Итого", bold=True) == {"userEnteredValue": {"stringValue": "Итого"},
                                             "userEnteredFormat": {"textFormat": {"bold": True}}}
    assert cell_data(float("nan")) == {"userEnteredValue": {"stringValue": "nan"}}


@pytest.mark.parametrize("excel, expected", [
    ("DD.MM.YYYY", {"type": "DATE", "pattern": "dd.mm.yyyy"}),
    ("DD.MM.YYYY hh:mm", {"type": "DATE_TIME", "pattern": "dd.mm.yyyy hh:mm"}),
    ("0.0", {"type": "NUMBER", "pattern": "0.0"}),
    ("0%", {"type": "PERCENT", "pattern": "0%"}),
    ("@", {"type": "TEXT", "pattern": "@"}),
])
def test_number_formats(excel, expected):
    assert number_format(excel) == expected


@pytest.mark.parametrize("reference, expected", [
    ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc/edit#gid=0",
     "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc"),
    ("https://docs.google.com/spreadsheets/u/1/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012/edit?usp=sharing",
     "1AbCdEfGhIjKlMnOpQrStUvWxYz012"),
    ("  1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789  ", "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("sch01 МБОУ СОШ №1", None),
])
def test_spreadsheet_ids_from_what_the_head_types(reference, expected):
    assert spreadsheet_id_from(reference) == expected


def test_stable_ids_and_markers():
    assert stable_sheet_id("Проверка") == stable_sheet_id("Проверка") != stable_sheet_id("Свод")
    assert all(1 <= stable_sheet_id(t) < 2 ** 31 for t in ("", "a", "Статус сдачи"))
    assert next_marker("v41") == "v42"
    assert next_marker("2024-09-01T00:00:00.000Z") is None and next_marker(None) is None


def test_grid_sizes_fit_service_tabs_and_leave_room_in_forms():
    service = TabSpec("Проверка", [["a", "b", "c"]] * 3, frozen_rows=0)
    assert grid_size(service, roomy=False) == (3, 3)
    frozen = TabSpec("Свод", [["a"]], frozen_rows=2)
    assert grid_size(frozen, roomy=False) == (3, 1)
    form = TabSpec("Кадры", [["a"]], dropdowns=(Dropdown(4, 5, 504, ("да", "нет")),), checkboxes=((2, 2),))
    assert grid_size(form, roomy=False) == (504, 4)
    assert grid_size(form, roomy=True) == (1000, 26)


def test_requests_of_a_new_form_tab():
    tab = TabSpec("Кадры", [["Кадры"], ["Готово", False], [], ["ФИО", "Ставка"], ["Иванова", 1]], frozen_rows=4,
                  bold_rows=(1, 4),
                  widths={1: 30}, dropdowns=(Dropdown(2, 5, 504, ("1", "0,5")),), checkboxes=((2, 2),),
                  protected_rows=(1, 4), number_formats={2: "0.00"})
    requests_ = tab_requests(tab, 11, new=True, roomy=True)
    kinds = [next(iter(r)) for r in requests_]
    assert kinds == ["addSheet", "updateCells", "repeatCell", "setDataValidation", "setDataValidation",
                     "updateDimensionProperties", "addProtectedRange", "addProtectedRange"]
    grid = requests_[0]["addSheet"]["properties"]["gridProperties"]
    assert grid == {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 4}
    assert requests_[3]["setDataValidation"]["rule"]["condition"]["type"] == "ONE_OF_LIST"
    assert requests_[4]["setDataValidation"]["rule"]["condition"] == {"type": "BOOLEAN"}
    assert all(r["addProtectedRange"]["protectedRange"]["warningOnly"] for r in requests_[-2:])
    # the column format covers the rows written, not the empty grid below
    assert (requests_[2]["repeatCell"]["range"]["startRowIndex"], requests_[2]["repeatCell"]["range"]["endRowIndex"]) \
        == (4, 5)
    assert "repeatCell" not in [next(iter(r)) for r in tab_requests(TabSpec("Кадры", [["ФИО"]], frozen_rows=1,
                                                                            number_formats={1: "0"}), 11, new=True)]


def test_requests_rewriting_a_service_tab_replace_everything_but_protection():
    tab = TabSpec("Проверка", [["Итог"]], protected=True)
    requests_ = tab_requests(tab, 5, new=False)
    kinds = [next(iter(r)) for r in requests_]
    assert kinds == ["updateSheetProperties", "unmergeCells", "updateCells"]
    assert requests_[2]["updateCells"]["range"] == {"sheetId": 5}
    assert "addProtectedRange" in [next(iter(r)) for r in tab_requests(tab, 5, new=True)]


def test_long_lists_go_to_a_hidden_range():
    choices = tuple(f"1.1.{n}" for n in range(LIST_LIMIT + 1))
    rule = tab_requests(TabSpec("Заказ", [], dropdowns=(Dropdown(1, 5, 10, choices),)), 3, new=True)[1]
    condition = rule["setDataValidation"]["rule"]["condition"]
    assert condition["type"] == "ONE_OF_RANGE"
    assert condition["values"][0]["userEnteredValue"] == f"='{list_tab_title(choices)}'!$A$1:$A${LIST_LIMIT + 1}"


# --- HTTP plumbing -------------------------------------------------------------------------

def test_api_url_adapter_rewrites_only_google_hosts():
    adapter = ApiUrlAdapter("http://127.0.0.1:8765/")
    assert adapter.rewrite("https://sheets.googleapis.com/v4/spreadsheets/x?fields=a") == \
        "http://127.0.0.1:8765/v4/spreadsheets/x?fields=a"
    assert adapter.rewrite("https://www.googleapis.com/drive/v3/files") == "http://127.0.0.1:8765/drive/v3/files"
    assert adapter.rewrite("https://oauth2.googleapis.com/token") == "https://oauth2.googleapis.com/token"


def test_quota_window_never_lets_more_than_the_limit_into_a_window():
    window = QuotaWindow(3, window=0.3)
    started = time.monotonic()
    stamps = []

    def one():
        window.acquire()
        stamps.append(time.monotonic() - started)
        window.release()

    threads = [threading.Thread(target=one) for _ in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    assert len(stamps) == 7
    for i in range(len(stamps) - 3):
        assert stamps[i + 3] - stamps[i] >= 0.29  # any 4 consecutive calls span a window
    assert stamps[-1] >= 0.59


def test_backoff_doubles_up_to_the_cap_with_jitter():
    assert [Backoff(random=lambda: 1.0).delay(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 32, 32]
    assert Backoff(random=lambda: 0.0).delay(3) == 2.0
    assert Backoff(random=lambda: 0.0).delay(0, retry_after=5) == 5


class FakeHttp:
    """gspread's HTTPClient.request, answering from a script of outcomes."""

    def __init__(self, *outcomes):
        self.outcomes, self.calls = list(outcomes), 0

    def request(self, method, url, params=None, data=None, headers=None):
        self.calls += 1
        self.bodies = [*getattr(self, "bodies", []), data]
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class FakeApiError(Exception):
    def __init__(self, status, message="boom", reason=None):
        self.response = requests.Response()
        self.response.status_code = status
        self.error = {"code": status, "message": message}
        if reason:  # Drive's shape: the reason in errors[0]
            self.error["errors"] = [{"domain": "usageLimits", "reason": reason, "message": message}]
        self.response._content = json.dumps({"error": self.error}).encode()


def ok(body=b'{"a": 1}'):
    response = requests.Response()
    response.status_code, response._content = 200, body
    return response


def test_client_retries_transient_failures_and_gives_up_on_others():
    sleeps = []
    http = FakeHttp(requests.ConnectionError("dropped"), FakeApiError(503), FakeApiError(429), ok())
    client = ApiClient(http, per_minute=0, backoff=Backoff(sleep=sleeps.append, random=lambda: 1.0))
    body, _ = client.call("GET", "https://sheets.googleapis.com/v4/spreadsheets/x")
    assert body == {"a": 1} and http.calls == 4 and sleeps == [0.5, 1, 2]
    assert (client.counts.reads, client.counts.retries) == (4, 3)

    client = ApiClient(FakeHttp(FakeApiError(404, "Requested entity was not found.")), per_minute=0,
                       backoff=Backoff(sleep=sleeps.append))
    with pytest.raises(ApiFailure) as failure:
        client.call("GET", "https://sheets.googleapis.com/v4/spreadsheets/x")
    assert (failure.value.status, failure.value.tries) == (404, 1)

    client = ApiClient(FakeHttp(*[FakeApiError(500)] * 3), per_minute=0,
                       backoff=Backoff(tries=3, sleep=lambda s: None))
    with pytest.raises(ApiFailure) as failure:
        client.call("POST", "https://sheets.googleapis.com/v4/spreadsheets/x:batchUpdate", json={})
    assert (failure.value.status, failure.value.tries, failure.value.transient) == (500, 3, True)


def test_only_what_can_succeed_later_is_retried():
    """gspread's BackOffHTTPClient retries any 403 of domain usageLimits, so a service account's
    storageQuotaExceeded seems to hang (gspread issue 1592); Svod retries only 408, 429, 5xx and
    Drive's rate-limit reasons, and a storage refusal fails at once with what to do."""
    sleeps = []
    http = FakeHttp(FakeApiError(403, "User Rate Limit Exceeded", "userRateLimitExceeded"),
                    FakeApiError(403, "Rate Limit Exceeded", "rateLimitExceeded"), FakeApiError(408), ok())
    client = ApiClient(http, per_minute=0, backoff=Backoff(sleep=sleeps.append))
    assert client.call("GET", "https://www.googleapis.com/drive/v3/files")[0] == {"a": 1} and http.calls == 4

    storage = FakeApiError(403, "Service Accounts do not have storage quota.", "storageQuotaExceeded")
    client = ApiClient(FakeHttp(storage), per_minute=0, backoff=Backoff(sleep=sleeps.append))
    with pytest.raises(ApiFailure) as failure:
        client.call("POST", "https://www.googleapis.com/drive/v3/files", json={"name": "x"})
    assert (failure.value.tries, failure.value.transient, failure.value.google_reason) == (
        1, False, "storageQuotaExceeded")
    reason = _reason(failure.value, "svod@p.iam.gserviceaccount.com")
    assert "SVOD_GOOGLE_DRIVE_ID" in reason and "Подключить Google" in reason


def test_a_revoked_token_blocks_every_later_call_without_a_request():
    revoked = type("RefreshError", (Exception,), {})(
        "('invalid_grant: Token has been expired or revoked.', {'error': 'invalid_grant'})")
    http = FakeHttp(revoked, ok())
    seen = []
    client = ApiClient(http, per_minute=0, backoff=Backoff(sleep=lambda s: None))
    client.on_revoked = seen.append
    for _ in range(3):
        with pytest.raises(ApiFailure) as failure:
            client.call("GET", "https://www.googleapis.com/drive/v3/files")
        assert failure.value.revoked and _reason(failure.value, "").startswith("Доступ к Google отозван")
    assert http.calls == 1 and len(seen) == 1


def test_bodies_go_out_as_compact_utf8_and_batches_stay_under_the_limit():
    http = FakeHttp(ok())
    ApiClient(http, per_minute=0).call("POST", "https://sheets.googleapis.com/v4/spreadsheets", json={"t": "Школа"})
    assert http.bodies == ['{"t":"Школа"}'.encode()]

    rows = [{"values": [{"userEnteredValue": {"stringValue": "Читатели " * 20}}]} for _ in range(400)]
    requests_ = [{"addSheet": {"properties": {"sheetId": 7, "title": "Свод"}}},
                 {"updateCells": {"range": {"sheetId": 7}, "rows": rows, "fields": "userEnteredValue"}},
                 {"updateDimensionProperties": {"range": {"sheetId": 7}}}]
    chunks = split_batch(requests_, limit=20_000)
    assert len(chunks) > 3 and all(len(body_bytes({"requests": c})) <= 20_000 for c in chunks)
    flat = [r for chunk in chunks for r in chunk]
    assert flat[0] == requests_[0] and flat[-1] == requests_[-1]
    cells = [r["updateCells"] for r in flat if "updateCells" in r]
    assert cells[0]["range"] == {"sheetId": 7}                      # the first part still clears the tab
    assert [c["start"]["rowIndex"] for c in cells[1:]] == sorted(c["start"]["rowIndex"] for c in cells[1:])
    assert sum(len(c["rows"]) for c in cells) == 400
    assert split_batch(requests_) == [requests_]                     # small enough: one batch
