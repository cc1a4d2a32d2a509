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
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from typing import Any

from sync_service.stores.base import (
    StoreError,
    TabChange,
    TabSpec,
    Value,
    Workbook,
    WorkbookChanged,
    WorkbookInfo,
    WorkbookStore,
    WorkbookUnavailable,
)
from sync_service.stores.google_errors import NO_STORAGE, REVOKED, explain
from sync_service.stores.google_http import (
    DRIVE_API,
    MAX_BODY,
    SHEETS_API,
    ApiClient,
    ApiFailure,
    ApiUrlAdapter,
    Backoff,
    body_bytes,
)
from sync_service.stores.google_json import (  # noqa: F401  (re-exported: the store's pure half)
    LIST_LIMIT,
    SheetRef,
    _norm,
    a1,
    cell_data,
    cell_value,
    change_requests,
    grid_size,
    list_tab_title,
    list_tabs,
    next_marker,
    number_format,
    sheet_from_json,
    spreadsheet_id_from,
    stable_sheet_id,
    tab_request_stream,
    tab_requests,
    to_serial,
    workbook_from_json,
)
from sync_service.stores.rows import Spool

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
                 time_zone: str = "Europe/Moscow", clock=time.monotonic, service_account: bool = False,
                 drive_id: str = "", max_body: int = MAX_BODY):
        self.api = ApiClient(http_client, per_minute=per_minute, concurrency=read_workers, backoff=backoff)
        self.service_email = service_email
        # A service account can own files only in a shared drive: ``drive_id`` (a shared drive
        # or a folder in one, SVOD_GOOGLE_DRIVE_ID) is where everything Svod creates goes.
        self.service_account, self.drive_id, self.max_body = service_account, drive_id, max_body
        self.locale, self.time_zone, self.clock = locale, time_zone, clock
        self._lock = threading.RLock()
        self._listing_lock = threading.Lock()
        self._listing: _Listing | None = None
        self._cache: dict[str, Workbook] = {}
        self._layouts: dict[str, dict[str, SheetRef]] = {}

    @classmethod
    def from_settings(cls, settings) -> GoogleStore:
        """Credentials: the head's own account when she connected it (SVOD_GOOGLE_CLIENT_SECRETS
        and the stored token), else the service account of GOOGLE_APPLICATION_CREDENTIALS, else
        (with SVOD_GOOGLE_API_URL) a static token the emulator accepts; gspread's session
        pointed at the API URL."""
        import gspread

        tokens = _token_store(settings)
        token = tokens.load() if tokens is not None else None
        credentials, email = _credentials(settings, token)
        client = gspread.Client(auth=credentials)
        client.set_timeout((10, 120))
        _mount(client.http_client.session, settings)
        store = cls(client.http_client, per_minute=settings.google_quota_per_minute,
                    read_workers=settings.read_workers, service_email=email, time_zone=settings.timezone,
                    service_account=type(credentials).__module__.endswith("service_account"),
                    drive_id=settings.google_drive_id)
        store.settings = settings
        if tokens is not None:
            store._link(tokens, token)
        return store

    def _link(self, tokens, token) -> None:
        """Follow the head's connection: Google's invalid_grant marks it revoked (every later
        call fails at once, no retry storm), and each listing (a sync's first call) picks up
        a reconnection or a revocation made meanwhile in another process."""
        self.tokens, self._connected = tokens, token.connected_at if token is not None else None
        self.api.on_revoked = lambda failure: tokens.mark_revoked()
        self._follow_account()

    def _follow_account(self) -> None:
        tokens = getattr(self, "tokens", None)
        if tokens is None:
            return
        token = tokens.load()
        if token is None or tokens.revoked():
            if token is not None or self._connected is not None:
                self.api.blocked = ApiFailure(401, "the head's Google access is revoked", 1, REVOKED)
            return
        if token.connected_at != self._connected:
            from google.auth.transport.requests import AuthorizedSession

            from sync_service.stores.google_account import user_credentials

            credentials = user_credentials(self.settings, token)
            self.api.http.auth = credentials
            self.api.http.session = AuthorizedSession(credentials)
            _mount(self.api.http.session, self.settings)
            self.service_email, self.service_account, self._connected = token.email, False, token.connected_at
        self.api.blocked = None

    def _call(self, workbook_id: str, method: str, url: str, **kwargs: Any) -> dict:
        """One API call about one spreadsheet; a failure becomes WorkbookUnavailable."""
        try:
            return self.api.call(method, url, **kwargs)[0]
        except ApiFailure as failure:
            raise WorkbookUnavailable(workbook_id, _reason(failure, self.service_email)) from failure

    # --- listing and markers -------------------------------------------------------------

    def _fetch_listing(self, *, handoff: bool) -> _Listing:
        self._follow_account()
        files: dict[str, tuple[str, str | None]] = {}
        params = {"q": LIST_QUERY, "fields": LIST_FIELDS, "pageSize": 1000, "supportsAllDrives": "true",
                  "includeItemsFromAllDrives": "true"}
        if self.drive_id:  # the shared drive's files besides those shared with the account
            params["corpora"] = "allDrives"
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

    def _batch(self, workbook_id: str, requests: Iterable[dict]) -> None:
        """The requests in as few batchUpdates as keep each body under Google's 2 MB, in order.

        Every body is made before the first is sent — those past the first kept in a
        temporary file (:class:`Spool`), so that a large write holds one body at a time —
        and a tab's rows that cannot be read (:class:`RowsUnreadable`) stop the write before
        anything changed in the spreadsheet."""
        bodies = Spool(batch=1)
        try:
            for chunk in iter_batches(requests, self.max_body):
                bodies.append(chunk)
            for chunk in bodies:
                self.api.call("POST", f"{SPREADSHEETS_URL}/{workbook_id}:batchUpdate",
                              json={"requests": chunk}, name="spreadsheets.batchUpdate")
        finally:
            bodies.close()

    def _plan(self, tabs: Sequence[TabSpec], layout: dict[str, SheetRef] | None, *,
              replace: bool) -> tuple[Iterator[dict], dict[str, SheetRef]]:
        """Requests for ``tabs`` against ``layout`` (None: unknown — assume Svod's own tabs
        exist under their stable ids), made as they are sent (a tab's values a few hundred
        rows at a time). ``replace``: rewrite existing tabs; else skip them."""
        requests: list[Iterable[dict]] = []
        added: dict[str, SheetRef] = {}
        taken = {ref.sheet_id for ref in (layout or {}).values()}
        sheet_ids = {key: ref.sheet_id for key, ref in (layout or {}).items()}  # where links may go
        ordered: dict[str, TabSpec] = {}
        for tab in [*tabs, *list_tabs(tabs)]:
            ordered[_norm(tab.title)] = tab  # a spreadsheet cannot hold two tabs of one title: the later wins
        for key, tab in ordered.items():
            existing = layout.get(key) if layout is not None else SheetRef(stable_sheet_id(tab.title), tab.title)
            if existing is not None:
                if replace:
                    requests.append(tab_request_stream(tab, existing.sheet_id, new=False, sheet_ids=sheet_ids))
                    added[key] = SheetRef(existing.sheet_id, tab.title)
                continue
            sheet_id = stable_sheet_id(tab.title)
            while sheet_id in taken:
                sheet_id = sheet_id % (2 ** 31 - 2) + 1
            taken.add(sheet_id)
            requests.append(tab_request_stream(tab, sheet_id, new=True, roomy=not tab.protected and not replace,
                                               sheet_ids=sheet_ids))
            added[key] = SheetRef(sheet_id, tab.title)
        return chain.from_iterable(requests), added

    def _apply(self, workbook_id: str, tabs: Sequence[TabSpec], *, replace: bool) -> list[str]:
        """One batchUpdate putting ``tabs`` into the workbook; returns the titles it added.
        An unknown layout is read first: a guess that a tab exists would cost a refused
        batch (Google applies a batch all or nothing) when it does not."""
        with self._lock:
            layout = self._layouts.get(workbook_id)
        try:
            if layout is None:
                layout = self.layout(workbook_id)
            requests, touched = self._plan(tabs, layout, replace=replace)
            self._batch(workbook_id, requests)
        except ApiFailure as failure:
            raise WorkbookUnavailable(workbook_id, _reason(failure, self.service_email)) from failure
        with self._lock:
            self._layouts[workbook_id] = {**layout, **touched}
            self._cache.pop(workbook_id, None)
        wanted = {_norm(t.title) for t in tabs}
        return [ref.title for key, ref in touched.items() if key in wanted and key not in layout]

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

    def change_tabs(self, workbook_id: str, changes: Sequence[TabChange], *, expect_marker: str | None = None) -> str:
        """One metadata read (the tabs as they are now, in order) and one batchUpdate, which
        Google applies whole or not at all (:func:`change_requests`)."""
        changes = list(changes)
        current = self._known_marker(workbook_id)
        if expect_marker is not None and current is not None and current != expect_marker:
            raise WorkbookChanged(workbook_id)
        layout = self.layout(workbook_id)
        requests = change_requests(changes, list(layout.values()))
        try:
            self._batch(workbook_id, requests)
        except ApiFailure as failure:
            raise WorkbookUnavailable(workbook_id, _reason(failure, self.service_email)) from failure
        finally:
            with self._lock:
                self._layouts.pop(workbook_id, None)
                self._cache.pop(workbook_id, None)
        return self._after_write(workbook_id, expect_marker if expect_marker is not None else current)

    def check_can_create(self) -> None:
        """A service account owns nothing outside a shared drive (Google, since 2025): say so
        before any request rather than after a refused one."""
        if self.service_account and not self.drive_id:
            raise StoreError(explain(403, NO_STORAGE, "", 1, self.service_email))

    def create_workbook(self, title: str, tabs: Sequence[TabSpec]) -> str:
        """A new spreadsheet where the account may own it: in the head's own Drive
        (``spreadsheets.create``), or in the shared drive or folder of SVOD_GOOGLE_DRIVE_ID
        (Drive ``files.create``); then one batchUpdate with the tabs (and «Sheet1» gone)."""
        self.check_can_create()
        settings = {"locale": self.locale, "timeZone": self.time_zone}
        first: list[dict] = []
        try:
            if self.drive_id:
                created, _ = self.api.call(
                    "POST", FILES_URL, name="drive.files.create", params={"supportsAllDrives": "true", "fields": "id"},
                    json={"name": title, "mimeType": SPREADSHEET_MIME, "parents": [self.drive_id]})
                workbook_id = created["id"]
                default = [SheetRef(0, "Sheet1")]   # a new spreadsheet's only sheet has id 0
                first = [{"updateSpreadsheetProperties": {"properties": settings, "fields": "locale,timeZone"}}]
            else:
                created, _ = self.api.call("POST", SPREADSHEETS_URL, json={"properties": {"title": title, **settings}},
                                           name="spreadsheets.create")
                workbook_id = created["spreadsheetId"]
                default = [SheetRef(s["properties"]["sheetId"], s["properties"]["title"])
                           for s in created.get("sheets") or []]
        except ApiFailure as failure:
            raise StoreError(f"Не удалось создать таблицу «{title}»: {_reason(failure, self.service_email)}"
                             ) from failure
        with self._lock:
            self._layouts[workbook_id] = {}
            if self._listing is not None:
                self._listing.files[workbook_id] = (title, None)
        touched = {_norm(ref.title): ref for ref in default}
        if tabs or first:
            requests, added = self._plan(tabs, {}, replace=False) if tabs else ([], {})
            if tabs:
                requests = chain(requests, [{"deleteSheet": {"sheetId": ref.sheet_id}} for ref in default])
                touched = added
            try:
                self._batch(workbook_id, chain(first, requests))
            except ApiFailure as failure:
                raise StoreError(f"Таблица «{title}» ({workbook_id}) создана, но листы не добавлены: "
                                 f"{_reason(failure, self.service_email)}") from failure
        with self._lock:
            self._layouts[workbook_id] = touched
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


def _reason(failure: ApiFailure, account: str) -> str:
    return explain(failure.status, failure.google_reason, failure.reason, failure.tries, account)


def split_batch(requests: Iterable[dict], limit: int = MAX_BODY) -> list[list[dict]]:
    """All of :func:`iter_batches` (for requests few enough to hold)."""
    return list(iter_batches(requests, limit))


def iter_batches(requests: Iterable[dict], limit: int = MAX_BODY) -> Iterator[list[dict]]:
    """Consecutive runs of ``requests`` whose batchUpdate body stays under ``limit`` bytes,
    each handed on as soon as the next request would not fit; a single updateCells too big
    on its own is cut by rows (the first part keeps its range, so it still clears the rest;
    the others write from their starting row)."""
    empty = len(body_bytes({"requests": []}))
    chunk: list[dict] = []
    size = empty
    for request in requests:
        for part in _cut(request, limit - size):
            bytes_ = len(body_bytes(part)) + 1
            if chunk and size + bytes_ > limit:
                yield chunk
                chunk, size = [], empty
            chunk.append(part)
            size += bytes_
    if chunk:
        yield chunk


def _cut(request: dict, limit: int) -> list[dict]:
    update = request.get("updateCells")
    if update is None or len(body_bytes(request)) <= limit or len(update.get("rows") or []) < 2:
        return [request]
    rows = update["rows"]
    half = len(rows) // 2
    head = {"updateCells": {**update, "rows": rows[:half]}}
    sheet = (update.get("range") or update.get("start") or {}).get("sheetId")
    start = (update.get("range") or {}).get("startRowIndex", 0) if "range" in update else update["start"].get("rowIndex", 0)
    tail = {"updateCells": {"start": {"sheetId": sheet, "rowIndex": start + half, "columnIndex": 0},
                            "rows": rows[half:], "fields": update["fields"]}}
    return _cut(head, limit) + _cut(tail, limit)


def _token_store(settings):
    """The head's stored token, when Svod may connect her own account (an OAuth client is set)."""
    if not settings.google_client_secrets:
        return None
    from sync_service.db import Database
    from sync_service.stores.google_account import TokenStore

    return TokenStore(Database(settings.database_url), settings)


def _mount(session, settings) -> None:
    from requests.adapters import HTTPAdapter

    pool = max(10, settings.read_workers * 2)
    if settings.google_api_url:
        ApiUrlAdapter(settings.google_api_url, pool_maxsize=pool).mount_on(session)
    else:
        session.mount("https://", HTTPAdapter(pool_maxsize=pool))


def _credentials(settings, token=None) -> tuple[Any, str]:
    from sync_service.config import ConfigError

    if token is not None:
        from sync_service.stores.google_account import user_credentials

        return user_credentials(settings, token), token.email
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
    if settings.google_client_secrets:
        raise ConfigError("Google is not connected yet: sign in at /admin/google/ («Подключить Google») or run "
                          "`svod google login` (see docs/google.md)")
    raise ConfigError("the google backend needs the head's Google account (SVOD_GOOGLE_CLIENT_SECRETS, then "
                      "«Подключить Google») or a service account key in GOOGLE_APPLICATION_CREDENTIALS "
                      "(see docs/google.md)")
