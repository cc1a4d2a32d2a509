"""Google Sheets as the workbook store (gspread's HTTP client + google-auth).

Every call is a raw request through gspread's session (see :mod:`.google_http` for the
quota, retries and the emulator URL); gspread's helpers would make several calls where
one does. What each operation costs (see docs/google.md):

- ``list_workbooks()`` / ``markers()``: one Drive ``files.list`` (pageSize 1000, paged
  beyond) for all spreadsheets the service account sees, so an idle sync costs one call.
- ``read()``: one ``spreadsheets.get`` with grid data and a field mask (titles, merges,
  values, number-format types) — never a call per tab. Its marker comes from the listing
  the caller got its markers from (taken before the read, so never newer than the content);
  a workbook the caller has no marker for costs a listing first, which the next
  ``markers()`` reuses. An unchanged workbook read again is served from memory.
- ``write_tabs()``: one ``spreadsheets.batchUpdate`` per workbook (missing tabs added,
  content replaced, formats set, all in the same batch); values go in as typed values
  (``stringValue`` etc.), so nothing a school typed can become a formula.

The change marker is Drive's ``version`` (``"v42"``): every change of a file advances it,
so after its own write the store knows the marker the next listing will show when nobody
else wrote meanwhile (``v42`` -> ``v43``). If anybody did, or Google advanced the version
by more, the markers differ and the sync simply reads the workbook again: never a missed
edit, at worst one extra read.
"""
from __future__ import annotations

import copy
import hashlib
import re
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from sync_service.stores.base import (
    Dropdown,
    Sheet,
    StoreError,
    TabSpec,
    Value,
    Workbook,
    WorkbookChanged,
    WorkbookInfo,
    WorkbookStore,
    WorkbookUnavailable,
)
from sync_service.stores.google_http import DRIVE_API, SHEETS_API, ApiClient, ApiFailure, ApiUrlAdapter, Backoff

SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive")
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
SPREADSHEETS_URL = f"{SHEETS_API}/v4/spreadsheets"
FILES_URL = f"{DRIVE_API}/drive/v3/files"
# The identity a static token stands for when Svod talks to the emulator without a key.
EMULATOR_TOKEN = "svod"

LIST_QUERY = f"mimeType='{SPREADSHEET_MIME}' and trashed=false"
LIST_FIELDS = "nextPageToken,files(id,name,modifiedTime,version)"
READ_FIELDS = ("properties.title,sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),merges,"
               "data(startRow,startColumn,rowData.values(effectiveValue,formattedValue,"
               "effectiveFormat.numberFormat.type)))")
LAYOUT_FIELDS = "sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))"
# A listing read() took this recently is what the next markers() answers from (a caller
# that reads the head's workbook and then asks for markers pays one listing, not two).
HANDOFF_SECONDS = 60.0
SHEETS_EPOCH = datetime(1899, 12, 30)
# Rows and columns of a tab people type into; service tabs are sized to fit.
ROOMY_ROWS, ROOMY_COLUMNS = 1000, 26
# Longer dropdown lists go to a hidden tab and are referenced as a range.
LIST_LIMIT = 500
LIST_TAB_PREFIX = "Список "
PIXELS_PER_CHAR, PIXELS_PADDING = 7, 12
SERVICE_TAB_NOTE = "Служебный лист: его заполняет Svod"
HEADER_ROW_NOTE = "Строка формы: Svod находит столбцы по ней, не меняйте её"

_ID = re.compile(r"^[A-Za-z0-9_-]{20,}$")
_URL_ID = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")


# --- pure helpers: cells ---------------------------------------------------------------

def cell_value(cell: Mapping[str, Any]) -> Value:
    """One CellData as Svod sees it: percentages and errors as their text, dates as dates."""
    value = cell.get("effectiveValue")
    if not value:
        return None
    if "errorValue" in value:
        return cell.get("formattedValue") or "#" + value["errorValue"].get("type", "ERROR") + "!"
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "stringValue" in value:
        return value["stringValue"]
    number = value.get("numberValue")
    if number is None:
        return None
    kind = ((cell.get("effectiveFormat") or {}).get("numberFormat") or {}).get("type")
    if kind == "PERCENT" or kind == "TIME":
        return cell.get("formattedValue", _plain_number(number))
    if kind in ("DATE", "DATE_TIME"):
        moment = SHEETS_EPOCH + timedelta(days=float(number))
        moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
        return moment.date() if kind == "DATE" else moment
    return _plain_number(number)


def _plain_number(number: Any) -> int | float:
    if isinstance(number, float) and number.is_integer() and abs(number) < 2 ** 53:
        return int(number)
    return number


def sheet_from_json(data: Mapping[str, Any]) -> Sheet:
    """A Sheet from one ``sheets[]`` entry of spreadsheets.get with grid data."""
    title = data["properties"]["title"]
    cells: dict[tuple[int, int], Value] = {}
    for block in data.get("data") or []:
        top, left = block.get("startRow", 0), block.get("startColumn", 0)
        for r, row in enumerate(block.get("rowData") or []):
            for c, cell in enumerate(row.get("values") or []):
                value = cell_value(cell) if cell else None
                if value is not None and value != "":
                    cells[(top + r, left + c)] = value
    height = max((r for r, _ in cells), default=-1) + 1
    rows: list[list[Value]] = [[] for _ in range(height)]
    for (r, c), value in sorted(cells.items()):
        line = rows[r]
        line.extend([None] * (c - len(line)))
        line.append(value)
    merges = [(m.get("startRowIndex", 0) + 1, m.get("startColumnIndex", 0) + 1,
               m.get("endRowIndex", 0), m.get("endColumnIndex", 0)) for m in data.get("merges") or []]
    return Sheet(title=title, rows=rows, merges=merges)


def workbook_from_json(workbook_id: str, data: Mapping[str, Any], marker: str) -> Workbook:
    sheets = {s["properties"]["title"]: sheet_from_json(s) for s in data.get("sheets") or []}
    return Workbook(id=workbook_id, title=(data.get("properties") or {}).get("title", ""), sheets=sheets,
                    marker=marker)


def to_serial(value: date | datetime) -> float | int:
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    delta = moment.replace(tzinfo=None) - SHEETS_EPOCH
    serial = delta.days + delta.seconds / 86400
    return int(serial) if float(serial).is_integer() else serial


def cell_data(value: Value, *, bold: bool = False) -> dict[str, Any]:
    """A CellData holding ``value`` as a typed value: a string is always text (RAW)."""
    out: dict[str, Any] = {}
    fmt: dict[str, Any] = {}
    if isinstance(value, bool):
        out["userEnteredValue"] = {"boolValue": value}
    elif isinstance(value, (int, float, Decimal)):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            out["userEnteredValue"] = {"stringValue": str(value)}
        else:
            out["userEnteredValue"] = {"numberValue": _plain_number(number)}
    elif isinstance(value, datetime):
        out["userEnteredValue"] = {"numberValue": to_serial(value)}
        fmt["numberFormat"] = {"type": "DATE_TIME", "pattern": "dd.mm.yyyy hh:mm"}
    elif isinstance(value, date):
        out["userEnteredValue"] = {"numberValue": to_serial(value)}
        fmt["numberFormat"] = {"type": "DATE", "pattern": "dd.mm.yyyy"}
    elif value is not None and value != "":
        out["userEnteredValue"] = {"stringValue": str(value)}
    if bold:
        fmt["textFormat"] = {"bold": True}
    if fmt:
        out["userEnteredFormat"] = fmt
    return out


def number_format(excel: str) -> dict[str, str]:
    """An Excel number format of :class:`TabSpec` as a Sheets NumberFormat."""
    if excel == "@":
        return {"type": "TEXT", "pattern": "@"}
    if excel.endswith("%"):
        return {"type": "PERCENT", "pattern": excel}
    bare = re.sub(r'"[^"]*"', "", excel)
    if re.search(r"[dDyY]", bare):
        kind = "DATE_TIME" if re.search(r"[hHsS]", bare) else "DATE"
        return {"type": kind, "pattern": excel.lower()}
    return {"type": "NUMBER", "pattern": excel}


# --- pure helpers: ids and requests -------------------------------------------------------

def spreadsheet_id_from(reference: str) -> str | None:
    """The id in a spreadsheet URL or a bare id; None when ``reference`` is neither."""
    text = reference.strip()
    found = _URL_ID.search(text)
    if found:
        return found.group(1)
    return text if _ID.match(text) else None


def stable_sheet_id(title: str) -> int:
    """The sheetId Svod gives a tab it creates: the same for the same title in every
    workbook, so a service tab can be rewritten without first asking for the layout."""
    return zlib.crc32(title.encode("utf-8")) % (2 ** 31 - 2) + 1


def next_marker(marker: str | None) -> str | None:
    """The marker after one more change (``v42`` -> ``v43``); None when unknown."""
    if marker and marker.startswith("v") and marker[1:].isdigit():
        return f"v{int(marker[1:]) + 1}"
    return None


def _norm(title: str) -> str:
    return " ".join(title.split()).casefold()


def a1(title: str, row: int, column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return "'" + title.replace("'", "''") + f"'!{letters}{row}"


def list_tab_title(choices: Sequence[str]) -> str:
    digest = hashlib.sha1("\n".join(choices).encode("utf-8")).hexdigest()[:8]
    return LIST_TAB_PREFIX + digest


def list_tabs(tabs: Sequence[TabSpec]) -> list[TabSpec]:
    """The hidden, protected tabs holding dropdown lists longer than LIST_LIMIT."""
    out: dict[str, TabSpec] = {}
    for tab in tabs:
        for dropdown in tab.dropdowns:
            if len(dropdown.choices) > LIST_LIMIT:
                title = list_tab_title(dropdown.choices)
                out.setdefault(title, TabSpec(title=title, rows=[[c] for c in dropdown.choices],
                                              protected=True, hidden=True))
    return list(out.values())


@dataclass(frozen=True)
class SheetRef:
    sheet_id: int
    title: str


def grid_size(tab: TabSpec, *, roomy: bool) -> tuple[int, int]:
    """Rows and columns of a tab's grid: room to type for people's tabs, a snug fit for
    the service's (Google refuses to freeze every row, hence the spare row)."""
    width = max([len(r) for r in tab.rows] + [*tab.widths, *tab.number_formats, 1])
    height = max(len(tab.rows), tab.frozen_rows + 1, 1)
    for dropdown in tab.dropdowns:
        width, height = max(width, dropdown.column), max(height, dropdown.last_row)
    for row, column in tab.checkboxes:
        width, height = max(width, column), max(height, row)
    if roomy:
        return max(height, ROOMY_ROWS), max(width, ROOMY_COLUMNS)
    return height, width


def tab_requests(tab: TabSpec, sheet_id: int, *, new: bool, roomy: bool = False) -> list[dict]:
    """The batchUpdate requests that make tab ``sheet_id`` hold exactly ``tab``.

    ``new``: add the sheet (with its protections). Otherwise the existing sheet is resized
    and all its values, formats and validations are replaced; protections stay as they are.
    """
    rows, columns = grid_size(tab, roomy=roomy)
    grid = {"rowCount": rows, "columnCount": columns, "frozenRowCount": tab.frozen_rows}
    whole = {"sheetId": sheet_id}
    requests: list[dict] = []
    if new:
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": tab.title, "hidden": tab.hidden,
                                                     "gridProperties": grid}}})
    else:
        requests.append({"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "title": tab.title, "hidden": tab.hidden, "gridProperties": grid},
            "fields": "title,hidden,gridProperties(rowCount,columnCount,frozenRowCount)"}})
    bold = set(tab.bold_rows)
    row_data = [{"values": [cell_data(v, bold=i in bold) for v in line]} for i, line in enumerate(tab.rows, start=1)]
    span = dict(whole) if not new else {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": max(1, len(row_data)),
                                        "startColumnIndex": 0, "endColumnIndex": columns}
    if not new:
        requests.append({"unmergeCells": {"range": whole}})
    if row_data or not new:
        requests.append({"updateCells": {"range": span, "rows": row_data,
                                         "fields": "userEnteredValue,userEnteredFormat,dataValidation"}})
    # Merged cells (a demo tab carries the librarian's merges; TabSpec itself has none).
    for top, left, bottom, right in getattr(tab, "merges", ()):
        requests.append({"mergeCells": {"mergeType": "MERGE_ALL", "range": {
            "sheetId": sheet_id, "startRowIndex": top - 1, "endRowIndex": bottom,
            "startColumnIndex": left - 1, "endColumnIndex": right}}})
    # Column formats cover the rows written here: Google recognises dates, percentages and
    # numbers as people type them, and formatting a thousand empty rows makes every read heavier.
    first_data = tab.frozen_rows or (max(bold) if bold else 0)
    for column, excel in sorted(tab.number_formats.items()) if len(tab.rows) > first_data else ():
        requests.append({"repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": first_data, "endRowIndex": len(tab.rows),
                      "startColumnIndex": column - 1, "endColumnIndex": column},
            "cell": {"userEnteredFormat": {"numberFormat": number_format(excel)}},
            "fields": "userEnteredFormat.numberFormat"}})
    for dropdown in tab.dropdowns:
        requests.append({"setDataValidation": {"range": _dropdown_range(sheet_id, dropdown),
                                               "rule": _list_rule(dropdown.choices)}})
    for row, column in tab.checkboxes:
        requests.append({"setDataValidation": {
            "range": {"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row,
                      "startColumnIndex": column - 1, "endColumnIndex": column},
            "rule": {"condition": {"type": "BOOLEAN"}}}})
    for column, chars in sorted(tab.widths.items()):
        requests.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": column - 1, "endIndex": column},
            "properties": {"pixelSize": chars * PIXELS_PER_CHAR + PIXELS_PADDING}, "fields": "pixelSize"}})
    if new and tab.protected:
        requests.append({"addProtectedRange": {"protectedRange": {
            "range": whole, "description": SERVICE_TAB_NOTE, "warningOnly": False}}})
    elif new:
        for row in tab.protected_rows:
            requests.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row},
                "description": HEADER_ROW_NOTE, "warningOnly": True}}})
    return requests


def _dropdown_range(sheet_id: int, dropdown: Dropdown) -> dict:
    return {"sheetId": sheet_id, "startRowIndex": dropdown.first_row - 1, "endRowIndex": dropdown.last_row,
            "startColumnIndex": dropdown.column - 1, "endColumnIndex": dropdown.column}


def _list_rule(choices: Sequence[str]) -> dict:
    if len(choices) > LIST_LIMIT:
        source = a1(list_tab_title(choices), 1, 1).replace("!A1", f"!$A$1:$A${len(choices)}")
        condition = {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "=" + source}]}
    else:
        condition = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in choices]}
    # Not strict: a paste from last year's file stays, and Svod's findings say what is wrong.
    return {"condition": condition, "showCustomUi": True, "strict": False}


# --- the store ------------------------------------------------------------------------

@dataclass
class _Listing:
    """One Drive listing: id -> (title, marker). ``marker`` None: created by us since, unknown."""

    files: dict[str, tuple[str, str | None]]
    at: float
    handoff: bool = True          # taken by read()/list_workbooks(), not yet used by markers()
    seen: set[str] = field(default_factory=set)  # ids whose marker the caller got from this listing


class GoogleStore(WorkbookStore):
    """Workbooks are Google spreadsheets the service account can open."""

    name = "google"

    def __init__(self, http_client: Any, *, per_minute: int = 60, read_workers: int = 4,
                 backoff: Backoff | None = None, service_email: str = "", locale: str = "ru_RU",
                 time_zone: str = "Europe/Moscow", clock=time.monotonic):
        self.api = ApiClient(http_client, per_minute=per_minute, concurrency=read_workers, backoff=backoff)
        self.service_email = service_email
        self.locale, self.time_zone, self.clock = locale, time_zone, clock
        self._lock = threading.RLock()
        self._listing_lock = threading.Lock()
        self._listing: _Listing | None = None
        self._cache: dict[str, Workbook] = {}
        self._layouts: dict[str, dict[str, SheetRef]] = {}

    @classmethod
    def from_settings(cls, settings) -> "GoogleStore":
        """Credentials from GOOGLE_APPLICATION_CREDENTIALS (or, with SVOD_GOOGLE_API_URL and no
        key, a static token the emulator accepts); gspread's session pointed at the API URL."""
        import gspread
        from requests.adapters import HTTPAdapter

        credentials, email = _credentials(settings)
        client = gspread.Client(auth=credentials)
        client.set_timeout((10, 120))
        pool = max(10, settings.read_workers * 2)
        session = client.http_client.session
        if settings.google_api_url:
            ApiUrlAdapter(settings.google_api_url, pool_maxsize=pool).mount_on(session)
        else:
            session.mount("https://", HTTPAdapter(pool_maxsize=pool))
        return cls(client.http_client, per_minute=settings.google_quota_per_minute,
                   read_workers=settings.read_workers, service_email=email, time_zone=settings.timezone)

    def _call(self, workbook_id: str, method: str, url: str, **kwargs: Any) -> dict:
        """One API call about one spreadsheet; a failure becomes WorkbookUnavailable."""
        try:
            return self.api.call(method, url, **kwargs)[0]
        except ApiFailure as failure:
            raise WorkbookUnavailable(workbook_id, _reason(failure, self.service_email)) from failure

    # --- listing and markers -------------------------------------------------------------

    def _fetch_listing(self, *, handoff: bool) -> _Listing:
        files: dict[str, tuple[str, str | None]] = {}
        params = {"q": LIST_QUERY, "fields": LIST_FIELDS, "pageSize": 1000, "supportsAllDrives": "true",
                  "includeItemsFromAllDrives": "true"}
        while True:
            body, _ = self.api.call("GET", FILES_URL, params=params, name="drive.files.list")
            for item in body.get("files") or []:
                version = item.get("version")
                marker = f"v{version}" if version is not None else item.get("modifiedTime")
                files[item["id"]] = (item.get("name", ""), marker)
            token = body.get("nextPageToken")
            if not token:
                break
            params = {**params, "pageToken": token}
        listing = _Listing(files, self.clock(), handoff=handoff)
        with self._lock:
            self._listing = listing
        return listing

    def _recent_listing(self, seconds: float) -> _Listing | None:
        listing = self._listing
        if listing is not None and self.clock() - listing.at <= seconds:
            return listing
        return None

    def _listing_failed(self, failure: ApiFailure) -> StoreError:
        return StoreError(f"Не удалось получить список таблиц Google: {_reason(failure, self.service_email)}")

    def list_workbooks(self) -> list[WorkbookInfo]:
        """Always a fresh listing: the sync takes every marker from it."""
        with self._listing_lock:
            try:
                listing = self._fetch_listing(handoff=True)
            except ApiFailure as failure:
                raise self._listing_failed(failure) from failure
            with self._lock:
                listing.seen = set(listing.files)
        return [WorkbookInfo(wid, title, marker or "") for wid, (title, marker) in listing.files.items()]

    def markers(self, workbook_ids: Sequence[str]) -> dict[str, str | None]:
        with self._listing_lock:
            listing = self._recent_listing(HANDOFF_SECONDS)
            if (listing is None or not listing.handoff
                    or any(listing.files.get(w, ("", ""))[1] is None for w in workbook_ids)):
                try:
                    listing = self._fetch_listing(handoff=False)
                except ApiFailure as failure:
                    raise self._listing_failed(failure) from failure
            with self._lock:
                listing.handoff = False
                listing.seen |= {w for w in workbook_ids if w in listing.files}
            return {w: listing.files[w][1] if w in listing.files else None for w in workbook_ids}

    def _marker_for_read(self, workbook_id: str) -> str | None:
        """The marker a read of ``workbook_id`` can honestly carry: one taken before the read."""
        with self._lock:
            listing = self._listing
            if listing is not None and workbook_id in listing.seen:
                return listing.files[workbook_id][1]
            known = listing.files.get(workbook_id) if listing is not None else None
            stale_cache = workbook_id in self._cache
        if stale_cache or known is None or known[1] is None:
            with self._listing_lock:
                try:
                    known = self._fetch_listing(handoff=True).files.get(workbook_id)
                except ApiFailure as failure:
                    raise WorkbookUnavailable(workbook_id, _reason(failure, self.service_email)) from failure
        return known[1] if known else None

    # --- reading ------------------------------------------------------------------------

    def read(self, workbook_id: str) -> Workbook:
        marker = self._marker_for_read(workbook_id)
        with self._lock:
            cached = self._cache.get(workbook_id)
        if cached is not None and marker is not None and cached.marker == marker:
            return copy.deepcopy(cached)
        data = self._call(workbook_id, "GET", f"{SPREADSHEETS_URL}/{workbook_id}", name="spreadsheets.get",
                          params={"includeGridData": "true", "fields": READ_FIELDS})
        workbook = workbook_from_json(workbook_id, data, marker or "")
        with self._lock:
            self._layouts[workbook_id] = {_norm(s["properties"]["title"]): SheetRef(
                s["properties"]["sheetId"], s["properties"]["title"]) for s in data.get("sheets") or []}
            if marker:
                self._cache[workbook_id] = copy.deepcopy(workbook)
        return workbook

    def layout(self, workbook_id: str) -> dict[str, SheetRef]:
        """Tab titles (normalised) -> sheet: one metadata read."""
        data = self._call(workbook_id, "GET", f"{SPREADSHEETS_URL}/{workbook_id}", name="spreadsheets.get",
                          params={"fields": LAYOUT_FIELDS})
        layout = {_norm(s["properties"]["title"]): SheetRef(s["properties"]["sheetId"], s["properties"]["title"])
                  for s in data.get("sheets") or []}
        with self._lock:
            self._layouts[workbook_id] = layout
        return layout

    # --- writing ------------------------------------------------------------------------

    def _batch(self, workbook_id: str, requests: list[dict]) -> dict:
        if not requests:
            return {}
        body, _ = self.api.call("POST", f"{SPREADSHEETS_URL}/{workbook_id}:batchUpdate",
                                json={"requests": requests}, name="spreadsheets.batchUpdate")
        return body

    def _plan(self, tabs: Sequence[TabSpec], layout: dict[str, SheetRef] | None, *,
              replace: bool) -> tuple[list[dict], dict[str, SheetRef]]:
        """Requests for ``tabs`` against ``layout`` (None: unknown — assume Svod's own tabs
        exist under their stable ids). ``replace``: rewrite existing tabs; else skip them."""
        requests: list[dict] = []
        added: dict[str, SheetRef] = {}
        taken = {ref.sheet_id for ref in (layout or {}).values()}
        ordered: dict[str, TabSpec] = {}
        for tab in [*tabs, *list_tabs(tabs)]:
            ordered[_norm(tab.title)] = tab  # a spreadsheet cannot hold two tabs of one title: the later wins
        for key, tab in ordered.items():
            existing = layout.get(key) if layout is not None else SheetRef(stable_sheet_id(tab.title), tab.title)
            if existing is not None:
                if replace:
                    requests += tab_requests(tab, existing.sheet_id, new=False)
                    added[key] = SheetRef(existing.sheet_id, tab.title)
                continue
            sheet_id = stable_sheet_id(tab.title)
            while sheet_id in taken:
                sheet_id = sheet_id % (2 ** 31 - 2) + 1
            taken.add(sheet_id)
            requests += tab_requests(tab, sheet_id, new=True, roomy=not tab.protected and not replace)
            added[key] = SheetRef(sheet_id, tab.title)
        return requests, added

    def _apply(self, workbook_id: str, tabs: Sequence[TabSpec], *, replace: bool) -> list[str]:
        """One batchUpdate putting ``tabs`` into the workbook; returns the titles it added."""
        with self._lock:
            layout = self._layouts.get(workbook_id)
        try:
            requests, touched = self._plan(tabs, layout, replace=replace)
            try:
                self._batch(workbook_id, requests)
            except ApiFailure as failure:
                if layout is not None or failure.status != 400:
                    raise
                # A guess at the layout was wrong (a tab missing or renamed): ask, then write.
                layout = self.layout(workbook_id)
                requests, touched = self._plan(tabs, layout, replace=replace)
                self._batch(workbook_id, requests)
        except ApiFailure as failure:
            raise WorkbookUnavailable(workbook_id, _reason(failure, self.service_email)) from failure
        with self._lock:
            if layout is not None:  # only complete layouts are kept: a guess that worked says nothing of other tabs
                self._layouts[workbook_id] = {**layout, **touched}
            self._cache.pop(workbook_id, None)
        wanted = {_norm(t.title) for t in tabs}
        return [ref.title for key, ref in touched.items() if key in wanted and key not in (layout or {})]

    def _after_write(self, workbook_id: str, base: str | None) -> str:
        """Record our own change: the listing's marker moves to the one Drive will show."""
        predicted = next_marker(base)
        with self._lock:
            listing = self._listing
            if listing is not None and workbook_id in listing.files:
                listing.files[workbook_id] = (listing.files[workbook_id][0], predicted)
        return predicted or ""

    def _known_marker(self, workbook_id: str) -> str | None:
        with self._lock:
            listing = self._listing
            return listing.files.get(workbook_id, ("", None))[1] if listing is not None else None

    def write_tabs(self, workbook_id: str, tabs: Iterable[TabSpec], *, expect_marker: str | None = None) -> str:
        """One batchUpdate. ``expect_marker`` is checked against the newest listing this
        store holds (no extra call): Google has no conditional write, and an edit made after
        that listing is never lost anyway — it moves the marker past our prediction, so
        the next sync reads the workbook again."""
        tabs = list(tabs)
        current = self._known_marker(workbook_id)
        if expect_marker is not None and current is not None and current != expect_marker:
            raise WorkbookChanged(workbook_id)
        self._apply(workbook_id, tabs, replace=True)
        return self._after_write(workbook_id, expect_marker if expect_marker is not None else current)

    def add_missing_tabs(self, workbook_id: str, tabs: Sequence[TabSpec]) -> list[str]:
        """One metadata read, and one batchUpdate only when something is missing."""
        layout = self.layout(workbook_id)
        missing = [t for t in tabs if _norm(t.title) not in layout]
        if not missing:
            return []
        added = self._apply(workbook_id, missing, replace=False)
        self._after_write(workbook_id, self._known_marker(workbook_id))
        return added

    def create_workbook(self, title: str, tabs: Sequence[TabSpec]) -> str:
        """spreadsheets.create, then one batchUpdate adding the tabs (and dropping «Sheet1»)."""
        body = {"properties": {"title": title, "locale": self.locale, "timeZone": self.time_zone}}
        try:
            created, _ = self.api.call("POST", SPREADSHEETS_URL, json=body, name="spreadsheets.create")
        except ApiFailure as failure:
            raise StoreError(f"Не удалось создать таблицу «{title}»: {_reason(failure, self.service_email)}"
                             ) from failure
        workbook_id = created["spreadsheetId"]
        default = [SheetRef(s["properties"]["sheetId"], s["properties"]["title"]) for s in created.get("sheets") or []]
        with self._lock:
            self._layouts[workbook_id] = {}
            if self._listing is not None:
                self._listing.files[workbook_id] = (title, None)
        if tabs:
            requests, touched = self._plan(tabs, {}, replace=False)
            requests += [{"deleteSheet": {"sheetId": ref.sheet_id}} for ref in default]
            try:
                self._batch(workbook_id, requests)
            except ApiFailure as failure:
                raise StoreError(f"Таблица «{title}» ({workbook_id}) создана, но листы не добавлены: "
                                 f"{_reason(failure, self.service_email)}") from failure
            with self._lock:
                self._layouts[workbook_id] = touched
        else:
            with self._lock:
                self._layouts[workbook_id] = {_norm(ref.title): ref for ref in default}
        return workbook_id

    def set_cells(self, workbook_id: str, cells: Mapping[tuple[str, int, int], Value]) -> str:
        """Write single cells (tab, row, column: 1-based) as typed values, in one call."""
        if not cells:
            return self._known_marker(workbook_id) or ""
        data = [{"range": a1(tab, row, column), "values": [[_raw(value)]]}
                for (tab, row, column), value in cells.items()]
        self._call(workbook_id, "POST", f"{SPREADSHEETS_URL}/{workbook_id}/values:batchUpdate",
                   json={"valueInputOption": "RAW", "data": data}, name="spreadsheets.values.batchUpdate")
        with self._lock:
            self._cache.pop(workbook_id, None)
        return self._after_write(workbook_id, self._known_marker(workbook_id))

    # --- sharing --------------------------------------------------------------------------

    def permissions(self, workbook_id: str) -> dict[str, str]:
        """E-mail (lower case) -> role of everyone the spreadsheet is shared with."""
        body = self._call(workbook_id, "GET", f"{FILES_URL}/{workbook_id}/permissions", name="drive.permissions.list",
                          params={"fields": "permissions(emailAddress,role)", "supportsAllDrives": "true"})
        return {p["emailAddress"].lower(): p.get("role", "") for p in body.get("permissions") or []
                if p.get("emailAddress")}

    def share(self, workbook_id: str, email: str, role: str = "writer", *, notify: bool = True,
              message: str = "") -> None:
        """Give ``email`` access (Drive permissions.create); Google e-mails them when ``notify``."""
        params = {"sendNotificationEmail": "true" if notify else "false", "supportsAllDrives": "true"}
        if notify and message:
            params["emailMessage"] = message
        self._call(workbook_id, "POST", f"{FILES_URL}/{workbook_id}/permissions", params=params,
                   json={"type": "user", "role": role, "emailAddress": email}, name="drive.permissions.create")
        self._after_write(workbook_id, self._known_marker(workbook_id))

    # --- references ---------------------------------------------------------------------

    def workbook_id_for(self, reference: str) -> str:
        """A spreadsheet URL or id as typed in «Книга»; a title is looked up in the listing."""
        found = spreadsheet_id_from(reference)
        if found:
            return found
        with self._lock:
            listing = self._listing
        if listing is None:  # titles change rarely: any listing this store holds will do
            self.list_workbooks()
            listing = self._listing
        wanted = _norm(reference)
        matches = [wid for wid, (title, _) in listing.files.items() if _norm(title) == wanted]
        return matches[0] if len(matches) == 1 else reference.strip()


def _raw(value: Value) -> Any:
    if isinstance(value, (date, datetime)):
        return to_serial(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _reason(failure: ApiFailure, service_email: str) -> str:
    """Why a call failed, in Russian, with what to do about it."""
    account = f" {service_email}" if service_email else ""
    if failure.status == 404:
        return "таблица не найдена: проверьте ссылку в столбце «Книга» на листе «Школы»"
    if failure.status == 403:
        return f"нет доступа к таблице: откройте её сервисному аккаунту{account} с правом редактора"
    if failure.status == 429:
        return (f"Google ограничил частоту запросов (квота API), попыток: {failure.tries}; "
                "повторим при следующей синхронизации")
    if failure.status == 0:
        return (f"Google не ответил (обрыв связи или тайм-аут), попыток: {failure.tries}; "
                "повторим при следующей синхронизации")
    if failure.status >= 500:
        return (f"ошибка на стороне Google ({failure.status}), попыток: {failure.tries}; "
                "повторим при следующей синхронизации")
    return f"Google отклонил запрос ({failure.status}: {failure.reason})"


def _credentials(settings) -> tuple[Any, str]:
    from sync_service.config import ConfigError

    if settings.google_credentials:
        from google.oauth2 import service_account

        try:
            credentials = service_account.Credentials.from_service_account_file(
                settings.google_credentials, scopes=list(SCOPES))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"GOOGLE_APPLICATION_CREDENTIALS={settings.google_credentials!r}: "
                              f"cannot use the service account key ({exc})") from None
        return credentials, credentials.service_account_email
    if settings.google_api_url:
        from google.oauth2.credentials import Credentials

        return Credentials(token=EMULATOR_TOKEN), f"{EMULATOR_TOKEN}@emulator.invalid"
    raise ConfigError("GOOGLE_APPLICATION_CREDENTIALS is not set: the google backend needs the service "
                      "account's JSON key (see docs/google.md)")
