"""The WSGI application, routing, and the threaded server that runs it."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import batch_update, drive, shared_drives, sheets
from .call import Call
from .errors import UNAUTHENTICATED_MESSAGE, ApiError, insufficient_scopes, invalid_credentials
from .faults import Config, FaultInjector, Quotas, Stats, injected_error, quota_exceeded
from .oauth import Identity, OAuthServer, is_service_account
from .state import State

_AUTH = "https://www.googleapis.com/auth/"
# The scopes each kind of request accepts (from the discovery documents: sheets.v4.json,
# drive.v3.json), and those that reach every file rather than only the app's own.
SCOPES = {
    ("sheets", False): {"drive", "drive.file", "drive.readonly", "spreadsheets", "spreadsheets.readonly"},
    ("sheets", True): {"drive", "drive.file", "spreadsheets"},
    ("drive", False): {"drive", "drive.file", "drive.readonly", "drive.metadata", "drive.metadata.readonly"},
    ("drive", True): {"drive", "drive.file"},
}
BROAD = {"sheets": {"drive", "drive.readonly", "spreadsheets", "spreadsheets.readonly"},
         "drive": {"drive", "drive.readonly", "drive.metadata", "drive.metadata.readonly"}}


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str  # e.g. "spreadsheets.values.get", the key used in stats
    service: str  # "sheets" or "drive": decides quotas and error shape
    is_write: bool
    handler: Callable[..., Any]
    scopes: frozenset[str] | None = None  # None: as SCOPES says for the service


def _route(method: str, pattern: str, name: str, handler: Callable[..., Any], *, write: bool,
           scopes: tuple[str, ...] | None = None) -> Route:
    service = "drive" if pattern.startswith("/drive/") else "sheets"
    return Route(method, re.compile(pattern + r"\Z", re.DOTALL), name, service, write, handler,
                 frozenset(scopes) if scopes else None)


_ID = r"(?P<id>[^/:]+)"
# Ranges are URL-decoded by now and may contain '/', ':' and anything else.
ROUTES = [
    _route("POST", r"/v4/spreadsheets", "spreadsheets.create", sheets.spreadsheets_create, write=True),
    _route("GET", rf"/v4/spreadsheets/{_ID}", "spreadsheets.get", sheets.spreadsheets_get, write=False),
    _route(
        "POST", rf"/v4/spreadsheets/{_ID}:batchUpdate", "spreadsheets.batchUpdate",
        batch_update.spreadsheets_batch_update, write=True,
    ),
    _route(
        "POST", rf"/v4/spreadsheets/{_ID}/sheets/(?P<sheet>\d+):copyTo", "spreadsheets.sheets.copyTo",
        sheets.sheets_copy_to, write=True,
    ),
    _route("GET", rf"/v4/spreadsheets/{_ID}/values:batchGet", "spreadsheets.values.batchGet",
           sheets.values_batch_get, write=False),
    _route("POST", rf"/v4/spreadsheets/{_ID}/values:batchUpdate", "spreadsheets.values.batchUpdate",
           sheets.values_batch_update, write=True),
    _route("POST", rf"/v4/spreadsheets/{_ID}/values:batchClear", "spreadsheets.values.batchClear",
           sheets.values_batch_clear, write=True),
    _route("POST", rf"/v4/spreadsheets/{_ID}/values/(?P<range>.+):append", "spreadsheets.values.append",
           sheets.values_append, write=True),
    _route("POST", rf"/v4/spreadsheets/{_ID}/values/(?P<range>.+):clear", "spreadsheets.values.clear",
           sheets.values_clear, write=True),
    _route("GET", rf"/v4/spreadsheets/{_ID}/values/(?P<range>.+)", "spreadsheets.values.get",
           sheets.values_get, write=False),
    _route("PUT", rf"/v4/spreadsheets/{_ID}/values/(?P<range>.+)", "spreadsheets.values.update",
           sheets.values_update, write=True),
    _route("GET", r"/drive/v3/about", "drive.about.get", shared_drives.about_get, write=False),
    _route("POST", r"/drive/v3/drives", "drive.drives.create", shared_drives.drives_create, write=True,
           scopes=("drive",)),
    _route("GET", r"/drive/v3/drives", "drive.drives.list", shared_drives.drives_list, write=False,
           scopes=("drive", "drive.readonly")),
    _route("GET", rf"/drive/v3/drives/{_ID}", "drive.drives.get", shared_drives.drives_get, write=False,
           scopes=("drive", "drive.readonly")),
    _route("POST", r"/drive/v3/files", "drive.files.create", drive.files_create, write=True),
    _route("GET", r"/drive/v3/files", "drive.files.list", drive.files_list, write=False),
    _route("GET", rf"/drive/v3/files/{_ID}", "drive.files.get", drive.files_get, write=False),
    _route("PATCH", rf"/drive/v3/files/{_ID}", "drive.files.update", drive.files_update, write=True),
    _route("DELETE", rf"/drive/v3/files/{_ID}", "drive.files.delete", drive.files_delete, write=True),
    _route("POST", rf"/drive/v3/files/{_ID}/copy", "drive.files.copy", drive.files_copy, write=True),
    _route("GET", rf"/drive/v3/files/{_ID}/export", "drive.files.export", drive.files_export, write=False),
    _route("POST", rf"/drive/v3/files/{_ID}/permissions", "drive.permissions.create",
           drive.permissions_create, write=True),
    _route("GET", rf"/drive/v3/files/{_ID}/permissions", "drive.permissions.list",
           drive.permissions_list, write=False),
    _route("DELETE", rf"/drive/v3/files/{_ID}/permissions/(?P<permission>[^/]+)", "drive.permissions.delete",
           drive.permissions_delete, write=True),
    _route("GET", rf"/drive/v3/files/{_ID}/comments", "drive.comments.list", drive.comments_list, write=False),
    _route("POST", rf"/drive/v3/files/{_ID}/comments", "drive.comments.create",
           drive.comments_create, write=True),
]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def _json(body: Any, status: int = 200, pretty: bool = True) -> Response:
    """Google indents its JSON unless the request says prettyPrint=false. Text is UTF-8 as
    it is; half of a broken emoji in a cell (a lone surrogate, which UTF-8 cannot carry)
    goes out as a JSON escape, which clients read back as that same half."""
    text = json.dumps(body, ensure_ascii=False, indent=2) if pretty else json.dumps(body, ensure_ascii=False,
                                                                                     separators=(",", ":"))
    return Response(
        _LONE_SURROGATE.sub(_escaped, text),
        status=status,
        content_type="application/json; charset=UTF-8",
    )


def _error(route: Route | None, error: ApiError, pretty: bool = True) -> Response:
    body = error.drive_body() if route is not None and route.service == "drive" else error.sheets_body()
    return _json(body, error.code, pretty)


def _pretty(request: Request) -> bool:
    """The system parameter prettyPrint (also spelled $prettyPrint), true by default."""
    value = request.args.get("prettyPrint", request.args.get("$prettyPrint", "true"))
    return value.strip().lower() not in ("false", "0")


class App:
    """The WSGI application: both APIs plus the /_emulator control paths."""

    def __init__(self, state: State, config: Config) -> None:
        config.validate()
        self.state = state
        self.config = config
        self.stats = Stats()
        self.quotas = Quotas()
        self.faults = FaultInjector(config.seed)
        self.oauth = OAuthServer()
        self.users: set[str] = set()   # everyone who has called: they have a Google account
        self._config_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    # -- control paths -----------------------------------------------------------

    def control(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/_emulator/stats" and method == "GET":
            return _json(self.stats.to_json())
        if path == "/_emulator/config" and method == "GET":
            return _json(self.config.to_json())
        if path == "/_emulator/config" and method == "POST":
            try:
                self.update_config(request.get_json(force=True, silent=True) or {})
            except (TypeError, ValueError) as problem:
                return _json({"error": {"code": 400, "message": str(problem), "status": "INVALID_ARGUMENT"}}, 400)
            return _json(self.config.to_json())
        if path == "/_emulator/oauth" and method == "POST":
            return _json(self.control_oauth(request.get_json(force=True, silent=True) or {}))
        if path == "/_emulator/reset" and method == "POST":
            wanted = request.get_json(force=True, silent=True) or {"state": True, "stats": True}
            self.reset(state=bool(wanted.get("state")), stats=bool(wanted.get("stats")))
            return _json({"state": bool(wanted.get("state")), "stats": bool(wanted.get("stats"))})
        return _json({"error": {"code": 404, "message": "Method not found.", "status": "NOT_FOUND"}}, 404)

    def control_oauth(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Register OAuth clients, expire every access token, or revoke a user's grants
        (as when she removes the app in her Google account)."""
        for client in wanted.get("clients") or []:
            self.oauth.register_client(client["client_id"], client["client_secret"],
                                       tuple(client.get("redirect_uris") or ()))
        if wanted.get("expire_access_tokens"):
            self.oauth.expire_access_tokens()
        revoked = self.oauth.revoke_user(wanted["revoke_user"]) if wanted.get("revoke_user") else 0
        return {"clients": sorted(self.oauth.clients), "revoked": revoked, "refreshes": self.oauth.refreshes,
                "token_requests": self.oauth.token_requests}

    def update_config(self, changes: dict[str, Any]) -> None:
        with self._config_lock:
            candidate = Config(**{**self.config.to_json(), **changes})
            candidate.validate()
            for key, value in candidate.to_json().items():
                setattr(self.config, key, value)
            if "seed" in changes:
                self.faults.reseed(self.config.seed)

    def reset(self, state: bool = True, stats: bool = True) -> None:
        if state:
            with self.state.lock:
                self.state.clear()
                self.state.save_if_dirty()
        if state:
            self.oauth.reset()
            self.users.clear()
        if stats:
            self.stats.reset()
            self.quotas.reset()

    # -- API paths ----------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith("/_emulator/"):
            return self.control(request)
        if request.path in ("/o/oauth2/auth", "/o/oauth2/v2/auth", "/token", "/revoke"):
            return self.oauth_endpoint(request)
        pretty = _pretty(request)
        route, args = self._match(request)
        if route is None:
            return _json({"error": {"code": 404, "message": "Method not found.", "status": "NOT_FOUND"}}, 404, pretty)
        self.stats.count(request.method, route.name, route.is_write)
        if self.config.latency_ms:
            time.sleep(self.config.latency_ms / 1000)
        token = self._user(request)
        if token is None:
            return _error(route, ApiError(401, UNAUTHENTICATED_MESSAGE, reason="required"), pretty)
        identity = self.oauth.identify(token)
        if identity is None:
            return _error(route, invalid_credentials(), pretty)
        user = identity.user
        if not self._scoped(route, identity):
            return _error(route, insufficient_scopes(), pretty)
        self.users.add(user.lower())
        fault = self.faults.pick(self.config.fault_rate, self.config.fault_kinds)
        if fault is not None:
            self.stats.add_fault()
            if fault == "drop":
                return self._drop(request)
            if fault == "429":
                limit = self.config.write_quota if route.is_write else self.config.read_quota
                return _error(route, quota_exceeded(route.service, route.is_write, limit), pretty)
            return _error(route, injected_error(fault), pretty)
        limit = self.config.write_quota if route.is_write else self.config.read_quota
        if not self.quotas.admit(user, route.service, route.is_write, limit):
            self.stats.add_throttled()
            return _error(route, quota_exceeded(route.service, route.is_write, limit), pretty)
        try:
            body = self._body(request)
            with self.state.lock:
                call = Call(user, request.args, body, self.state, client=identity.client,
                            app_only=self._app_only(route, identity),
                            legacy_storage=frozenset(a.lower() for a in self.config.legacy_storage_accounts),
                            has_account=self.has_account)
                result = route.handler(call, **args)
                self.state.save_if_dirty()
        except ApiError as error:
            return _error(route, error, pretty)
        except Exception:  # a bug in the emulator: answer like Google's 500
            traceback.print_exc()
            return _error(route, ApiError(500, "Internal error encountered."), pretty)
        if result is None:
            return Response(status=204)
        if isinstance(result, tuple):  # (content type, bytes) from exports
            content_type, data = result
            return Response(data, content_type=content_type)
        return _json(result, pretty=pretty)

    @staticmethod
    def _scoped(route: Route, identity: Identity) -> bool:
        if identity.scopes is None:
            return True
        accepted = route.scopes or SCOPES[(route.service, route.is_write)]
        return any(_AUTH + scope in identity.scopes for scope in accepted)

    @staticmethod
    def _app_only(route: Route, identity: Identity) -> bool:
        if identity.scopes is None:
            return False
        return not any(_AUTH + scope in identity.scopes for scope in BROAD[route.service])

    def has_account(self, email: str) -> bool:
        address = email.strip().lower()
        if is_service_account(address) or address in self.users:
            return True
        domain = "@" + address.split("@", 1)[-1]
        return any(entry.lower() in (address, domain) for entry in self.config.google_accounts)

    def oauth_endpoint(self, request: Request) -> Response:
        """Google's consent screen, token and revocation endpoints (see oauth.py)."""
        if request.path in ("/o/oauth2/auth", "/o/oauth2/v2/auth"):
            if request.method != "GET":
                return _json({"error": "invalid_request"}, 405)
            status, headers, body = self.oauth.authorize(request.args)
            if status == 302:
                return Response(status=302, headers=headers)
            return _json(body, status)
        if request.method != "POST":
            return _json({"error": "invalid_request", "error_description": "POST is required"}, 405)
        form = {**request.args.to_dict(), **request.form.to_dict()}
        if request.path == "/revoke":
            status, body = self.oauth.revoke(form.get("token", ""))
            return _json(body, status)
        basic = (request.authorization.username or "", request.authorization.password or "") \
            if request.authorization and request.authorization.type == "basic" else None
        status, body = self.oauth.token(form, basic)
        return _json(body, status)

    @staticmethod
    def _match(request: Request) -> tuple[Route | None, dict[str, str]]:
        for route in ROUTES:
            if route.method != request.method:
                continue
            m = route.pattern.match(request.path)
            if m:
                names = {"id": "spreadsheet_id", "range": "range_text", "sheet": "sheet_id", "permission": "permission_id"}
                args = {names[k]: v for k, v in m.groupdict().items()}
                if route.service == "drive" and "spreadsheet_id" in args:
                    key = "drive_id" if route.name.startswith("drive.drives.") else "file_id"
                    args[key] = args.pop("spreadsheet_id")
                return route, args
        return None, {}

    @staticmethod
    def _user(request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    @staticmethod
    def _body(request: Request) -> Any:
        data = request.get_data(cache=True)
        if not data.strip():
            return None
        try:
            return _drop_nulls(json.loads(data))
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None

    @staticmethod
    def _drop(request: Request) -> Response:
        """Close the connection without answering, like a network failure.
        The server then fails to write and treats it as a dropped client."""
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return Response(status=500)


def _drop_nulls(value: Any) -> Any:
    """Google reads a JSON null field as an absent field. Nulls inside lists
    stay: in ``values`` they mean "leave this cell alone"."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


class _QuietHandler(WSGIRequestHandler):
    """No access log: tests and benchmarks make thousands of requests."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class Emulator:
    """A running emulator: a threaded WSGI server on a background thread.

    ``url`` is the base URL to use instead of https://sheets.googleapis.com
    and https://www.googleapis.com; ``state``, ``config`` and ``stats`` are
    live objects for assertions.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state_path: str | None = None, **options: Any) -> None:
        self.state = State(state_path, seed=options.get("seed"))
        self.config = Config(**options)
        self.app = App(self.state, self.config)
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.host = host
        self.port = self._server.socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def stats(self) -> Stats:
        return self.app.stats

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self._server.serve_forever, name="sheets-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.state.lock:
            self.state.save_if_dirty()

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted (used by the CLI)."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            with self.state.lock:
                self.state.save_if_dirty()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextlib.contextmanager
def run_emulator(port: int = 0, host: str = "127.0.0.1", state_path: str | None = None, **options: Any) -> Iterator[Emulator]:
    """Start an emulator on a background thread (a free port by default) and
    stop it on exit. Yields the :class:`Emulator`; its ``url`` is the base URL."""
    emulator = Emulator(host=host, port=port, state_path=state_path, **options)
    with emulator:
        yield emulator
