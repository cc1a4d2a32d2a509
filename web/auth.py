"""The head's sign-in: one password, its hash in the environment.

- ``SVOD_ADMIN_PASSWORD_HASH`` holds a werkzeug hash (``svod create-admin`` prints one);
  with it empty nobody can sign in.
- The session cookie is HttpOnly, SameSite=Lax, and Secure when ``SVOD_PUBLIC_URL`` is
  https; it lives 12 hours. ``SECRET_KEY`` comes from ``SVOD_SECRET_KEY``; when unset a
  random key is made per process (logged as a warning): sessions then end at every restart
  and are not shared between gunicorn workers — set the variable in production.
- Every POST of the ``auth`` and ``admin`` blueprints must carry the session's CSRF token
  (``csrf_token()`` in templates); a missing or wrong token is a 400.
- Failed sign-ins are limited per client address: after :data:`MAX_FAILURES` failures in
  :data:`WINDOW_SECONDS` the form answers 429 until the window has passed. The counts live
  in the memory of each process (a restart forgets them; each gunicorn worker counts on its
  own, so the real limit is workers × 5). Behind a reverse proxy the address is the
  proxy's unless the app is wrapped in werkzeug's ProxyFix.
"""
from __future__ import annotations

import argparse
import functools
import getpass
import hmac
import logging
import secrets
import sys
import threading
import time
from collections import deque
from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash, generate_password_hash

log = logging.getLogger("svod.web.auth")

bp = Blueprint("auth", __name__, url_prefix="/admin")

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 8
SESSION_HOURS = 12
TOO_MANY = "Слишком много неудачных попыток входа. Попробуйте снова через 15 минут."


class LoginLimiter:
    """Failed sign-ins per client address in a sliding window, in this process's memory."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS, clock=time.monotonic):
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        return failures

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address)) >= self.max_failures

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())

    def reset(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


# --- app setup (runs when the blueprint is registered) ----------------------------------------------

@bp.record_once
def _configure(state) -> None:
    configure_app(state.app)


def configure_app(app: Flask) -> None:
    """Secret key, cookie flags, the limiter and ``csrf_token()`` for templates."""
    svod = app.extensions.get("svod")
    settings = getattr(svod, "settings", None)
    if not app.config.get("SECRET_KEY"):
        if settings is not None and settings.secret_key:
            app.config["SECRET_KEY"] = settings.secret_key
        else:
            app.config["SECRET_KEY"] = secrets.token_hex(32)
            log.warning("SVOD_SECRET_KEY is not set: using a random key for this process; the head's sessions "
                        "end at every restart and are not shared between workers")
    public_url = settings.public_url if settings is not None else ""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=public_url.lower().startswith("https://"),
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))
    app.extensions["svod_login_limiter"] = LoginLimiter()
    app.jinja_env.globals["csrf_token"] = csrf_token


# --- CSRF --------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get("_csrf")
    if not token:
        token = session["_csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf():
    """``before_request`` of the auth and admin blueprints: every POST carries the token."""
    if request.method != "POST":
        return None
    expected, sent = session.get("_csrf", ""), request.form.get("csrf_token", "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        abort(make_response(render_template(
            "error.html", code=400, title="Форма устарела",
            message="Страница была открыта слишком давно или не с этого сайта. Обновите её и повторите."), 400))
    return None


bp.before_request(check_csrf)


# --- signing in ---------------------------------------------------------------------------------------

def is_signed_in() -> bool:
    return session.get("admin") is True


def login_required(view):
    """Views of the admin area: the head's session or the sign-in page."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not is_signed_in():
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


def verify_password(password: str, password_hash: str) -> bool:
    if not password or not password_hash:
        return False
    try:
        return check_password_hash(password_hash, password)
    except (ValueError, TypeError):  # a malformed hash in the environment
        log.error("SVOD_ADMIN_PASSWORD_HASH is not a password hash; run `svod create-admin`")
        return False


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    password_hash = current_app.extensions["svod"].settings.admin_password_hash
    limiter: LoginLimiter = current_app.extensions["svod_login_limiter"]
    page = functools.partial(render_template, "admin/login.html", configured=bool(password_hash),
                             next=request.values.get("next", ""))
    if request.method == "GET":
        return page(error=None)
    address = request.remote_addr or "unknown"
    if limiter.blocked(address):
        log.warning("sign-in blocked for %s: too many failures", address)
        return page(error=TOO_MANY), 429
    if not verify_password(request.form.get("password", ""), password_hash):
        limiter.failed(address)
        log.warning("failed sign-in from %s", address)
        return page(error="Неверный пароль." if password_hash else "Вход не настроен."), 401
    limiter.reset(address)
    session.clear()  # a fresh session (and CSRF token) after signing in
    session["admin"] = True
    session.permanent = True
    log.info("the head signed in from %s", address)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("status.index"))


# --- `svod create-admin` ------------------------------------------------------------------------------

def cmd_create_admin(args: argparse.Namespace, svod=None) -> int:
    """Ask for the head's password twice (or read it from stdin) and print the hash line."""
    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Пароль руководителя ОМО: ")
        if getpass.getpass("Повторите пароль: ") != password:
            print("Пароли не совпадают.", file=sys.stderr)
            return 1
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"Пароль слишком короткий: нужно не меньше {MIN_PASSWORD_LENGTH} символов.", file=sys.stderr)
        return 1
    print(f"SVOD_ADMIN_PASSWORD_HASH={generate_password_hash(password)}")
    print("Добавьте эту строку в окружение (.env или EnvironmentFile — как есть; в командной строке — "
          "в одинарных кавычках) и перезапустите веб-процесс.", file=sys.stderr)
    return 0
