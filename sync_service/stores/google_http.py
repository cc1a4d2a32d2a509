"""HTTP plumbing of the Google store: where requests go, how fast, and what happens when
they fail. No spreadsheet logic here; :mod:`sync_service.stores.google` builds on it.

- :class:`ApiUrlAdapter` sends requests for Google's API hosts to another base URL (the
  local emulator) — mounted on gspread's session, so nothing else changes.
- :class:`QuotaWindow` keeps the client under Google's "requests per minute per user":
  at most ``per_minute`` requests in any sliding minute. A slot is taken before a request
  and counted from the moment its answer arrived (the server counted it no later), so the
  client's window always trails the server's and never overfills it.
- :class:`Backoff` retries what can succeed later — dropped connections, timeouts, 408,
  429, 5xx and Drive's 403 rate limits (see :mod:`.google_errors`) — with exponential
  delays and jitter, up to a number of tries and a cap on one delay. Anything else (a 403
  ``storageQuotaExceeded``, a revoked token, a 404) fails at once.
- Bodies go out as compact UTF-8 JSON (requests' default escapes every Cyrillic letter
  into six bytes), and a batch is split by the caller to stay under Google's 2 MB.
- :class:`ApiClient` puts them together around gspread's ``HTTPClient.request``.
"""
from __future__ import annotations

import collections
import json as jsonlib
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from sync_service.stores.base import StoreError
from sync_service.stores.google_errors import REVOKED, google_reason, is_transient

log = logging.getLogger("svod.google")

SHEETS_API = "https://sheets.googleapis.com"
DRIVE_API = "https://www.googleapis.com"
GOOGLE_ORIGINS = (SHEETS_API, DRIVE_API)
# Google's recommended maximum of a request's payload ("2 MB"); Svod keeps its bodies under it.
MAX_BODY = 2_000_000


class ApiUrlAdapter(HTTPAdapter):
    """A transport adapter that sends requests for ``origins`` to ``base_url`` instead,
    keeping path and query (``https://sheets.googleapis.com/v4/…`` -> ``<base_url>/v4/…``)."""

    def __init__(self, base_url: str, origins: tuple[str, ...] = GOOGLE_ORIGINS, **kwargs: Any):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.origins = origins

    def rewrite(self, url: str) -> str:
        for origin in self.origins:
            if url == origin or url.startswith(origin + "/"):
                return self.base_url + url[len(origin):]
        return url

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        request.url = self.rewrite(request.url)
        return super().send(request, *args, **kwargs)

    def mount_on(self, session: requests.Session) -> ApiUrlAdapter:
        for origin in self.origins:
            session.mount(origin + "/", self)
        return self


class QuotaWindow:
    """At most ``per_minute`` requests in any sliding ``window`` seconds (0 = unlimited).

    ``acquire()`` blocks until a slot is free; ``release()`` stamps the slot with the time
    the answer arrived; a slot comes back ``window`` seconds after that.
    """

    def __init__(self, per_minute: int, *, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.window, self.clock = per_minute, window, clock
        self._done: collections.deque[float] = collections.deque()
        self._in_flight = 0
        self._cond = threading.Condition()
        self.waited = 0.0  # seconds spent waiting for a slot, for benchmarks

    def acquire(self) -> None:
        if self.per_minute <= 0:
            return
        with self._cond:
            while True:
                now = self.clock()
                while self._done and self._done[0] <= now - self.window:
                    self._done.popleft()
                if len(self._done) + self._in_flight < self.per_minute:
                    self._in_flight += 1
                    return
                # Wake when the oldest finished slot leaves the window (or a request ends).
                delay = self._done[0] + self.window - now if self._done else self.window
                started = self.clock()
                self._cond.wait(timeout=max(0.01, delay))
                self.waited += self.clock() - started

    def release(self) -> None:
        if self.per_minute <= 0:
            return
        with self._cond:
            self._in_flight -= 1
            self._done.append(self.clock())
            self._cond.notify_all()


@dataclass
class Backoff:
    """Exponential backoff with jitter: try ``n`` waits ``min(cap, base * 2**n)`` times a
    random factor in [0.5, 1]. ``sleep`` and ``random`` are injectable for tests."""

    tries: int = 8
    base: float = 0.5
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        wait = min(self.cap, self.base * 2 ** attempt) * (0.5 + self.random() / 2)
        if retry_after is not None:
            wait = max(wait, min(self.cap, retry_after))
        return wait


class ApiFailure(StoreError):
    """A Google API call that failed for good: ``status`` is the HTTP status (0 when no answer
    came), ``reason`` Google's message (English), ``google_reason`` its machine-readable
    reason (``storageQuotaExceeded``, ``invalid_grant`` …), ``tries`` how many attempts."""

    def __init__(self, status: int, reason: str, tries: int = 1, google_reason: str = ""):
        self.status, self.reason, self.tries, self.google_reason = status, reason, tries, google_reason
        super().__init__(f"Google API {status or 'no answer'}: {reason} [{google_reason}] (tries: {tries})")

    @property
    def transient(self) -> bool:
        return is_transient(self.status, self.google_reason)

    @property
    def revoked(self) -> bool:
        return self.google_reason == REVOKED


@dataclass
class CallCounts:
    """What this client sent, for logs and benchmarks."""

    reads: int = 0
    writes: int = 0
    retries: int = 0
    largest_body: int = 0   # bytes of the largest request body sent
    endpoints: collections.Counter = field(default_factory=collections.Counter)


# Google's system parameter: answer without indentation (a school's read shrinks to about a quarter).
COMPACT = {"prettyPrint": "false"}


class ApiClient:
    """Sends one API request through gspread's HTTP client, under the quota, with retries,
    and with at most ``concurrency`` requests in flight. Returns the parsed JSON body (or
    ``{}``) and the response headers."""

    def __init__(self, http_client: Any, *, per_minute: int = 60, concurrency: int = 4,
                 backoff: Backoff | None = None):
        self.http = http_client
        # Google counts each API (Sheets, Drive) and reads and writes separately.
        self.quotas = {(api, write): QuotaWindow(per_minute) for api in ("sheets", "drive") for write in (False, True)}
        self.slots = threading.BoundedSemaphore(max(1, concurrency))
        self.backoff = backoff or Backoff()
        self.counts = CallCounts()
        self._count_lock = threading.Lock()
        # Set when Google said the head's access is revoked: every later call fails at once
        # with this, without a request, until she connects again (no retry storm).
        self.blocked: ApiFailure | None = None
        self.on_revoked: Callable[[ApiFailure], None] | None = None

    def call(self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
             name: str = "") -> tuple[dict, Mapping[str, str]]:
        if self.blocked is not None:
            raise self.blocked
        write = method.upper() != "GET"
        api = "drive" if url.startswith(DRIVE_API) else "sheets"
        quota = self.quotas[(api, write)]
        data, headers = encode(json)
        last: ApiFailure | None = None
        for attempt in range(self.backoff.tries):
            if attempt:
                retry_after = _retry_after(last)
                wait = self.backoff.delay(attempt - 1, retry_after)
                log.info("retrying %s after %s (%.1f s)", name or url, last, wait)
                with self._count_lock:
                    self.counts.retries += 1
                self.backoff.sleep(wait)
            quota.acquire()
            try:
                with self.slots:
                    self._count(write, name or url, len(data or b""))
                    response = self.http.request(method, url, params={**COMPACT, **(params or {})}, data=data,
                                                 headers=headers)
                body = response.json() if response.content else {}
                return body, response.headers
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = ApiFailure(0, f"{type(exc).__name__}: {exc}", attempt + 1)
            except Exception as exc:  # gspread's APIError, google-auth's RefreshError: kept out of the imports
                last = _failure(exc, attempt + 1)
                if last is None:
                    raise
                if last.revoked:
                    self.blocked = last
                    if self.on_revoked is not None:
                        self.on_revoked(last)
                if not last.transient:
                    raise last from None
            finally:
                quota.release()
        assert last is not None
        raise last

    def _count(self, write: bool, name: str, size: int) -> None:
        with self._count_lock:
            self.counts.largest_body = max(self.counts.largest_body, size)
            if write:
                self.counts.writes += 1
            else:
                self.counts.reads += 1
            self.counts.endpoints[name] += 1


def encode(body: Any) -> tuple[bytes | None, dict[str, str] | None]:
    """A JSON body as Google reads it, in compact UTF-8 (``None`` when there is none)."""
    if body is None:
        return None, None
    return body_bytes(body), {"Content-Type": "application/json; charset=UTF-8"}


def body_bytes(body: Any) -> bytes:
    return jsonlib.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _failure(exc: Exception, tries: int) -> ApiFailure | None:
    """An APIError (an answer with an error body) or a RefreshError (the token endpoint
    refused, e.g. ``invalid_grant``) as an ApiFailure; None for anything else."""
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "status_code"):
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = getattr(exc, "error", None)
        message = str(error.get("message") or error) if isinstance(error, Mapping) else str(exc)
        failure = ApiFailure(response.status_code, message, tries, google_reason(body))
        failure.headers = response.headers  # type: ignore[attr-defined]
        return failure
    if type(exc).__name__ == "RefreshError":
        text = str(exc)
        if REVOKED in text:
            return ApiFailure(401, text, tries, REVOKED)
        # a token endpoint that did not answer, or answered 5xx: worth another try
        return ApiFailure(0 if getattr(exc, "retryable", False) else 401, text, tries, "refresh_failed")
    if type(exc).__name__ == "TransportError":
        return ApiFailure(0, str(exc), tries)
    return None


def _retry_after(failure: ApiFailure | None) -> float | None:
    headers = getattr(failure, "headers", None) or {}
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
