"""The head's sign-in: one password, its hash in the environment.

- ``SVOD_ADMIN_PASSWORD_HASH`` holds a werkzeug hash (``svod create-admin`` prints one);
  with it empty nobody can sign in.
- The session cookie is HttpOnly, SameSite=Lax, and Secure when ``SVOD_PUBLIC_URL`` is
  https; it lives 12 hours. ``SECRET_KEY`` comes from ``SVOD_SECRET_KEY``; when unset a
  random key is made per process (logged as a warning): sessions then end at every restart
  and are not shared between gunicorn workers — set the variable in production.
- Every POST (PUT, PATCH, DELETE) to the app, whatever its blueprint, must carry the
  session's CSRF token (``csrf_token()`` in templates); a missing or wrong token is a 400.
- Sign-in attempts are limited per client in the database, shared by every worker
  (``web/limiter.py``): after 5 failures in 15 minutes the form answers 429, saying when
  it opens again, for 15 minutes; then the right password signs in. Behind a reverse
  proxy set ``SVOD_TRUSTED_PROXIES`` (``web/security.py``), or every visitor is the proxy.
- After signing in the head goes back to the page she was going to, a path of this site
  only (:func:`safe_next`): never another host, never a header split.
"""
from __future__ import annotations

import functools
import getpass
import hmac
import logging
import math
import secrets
import sys
import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.urls import iri_to_uri

from .limiter import LoginLimiter, client_key

log = logging.getLogger("svod.web.auth")

bp = Blueprint("auth", __name__, url_prefix="/admin")

MIN_PASSWORD_LENGTH = 8
SESSION_HOURS = 12
MAX_NEXT_LENGTH = 2000
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def too_many(until, now) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return (f"Слишком много неудачных попыток входа с этого адреса. Вход снова откроется в "
            f"{until:%H:%M} (через {minutes} мин.) — тогда введите пароль ещё раз.")


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
    app.extensions["svod_login_limiter"] = LoginLimiter(svod.db, svod.clock)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.before_request(check_csrf)


# --- CSRF --------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get("_csrf")
    if not token:
        token = session["_csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf():
    """``before_request`` of the whole app: every POST (PUT, PATCH, DELETE) carries the
    token, whichever blueprint it goes to (a blueprint added later is covered too)."""
    if request.method not in UNSAFE_METHODS or g.get("svod_csrf_checked"):
        return None
    g.svod_csrf_checked = True
    expected, sent = session.get("_csrf", ""), request.form.get("csrf_token", "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        abort(make_response(render_template(
            "error.html", code=400, title="Форма устарела",
            message="Страница была открыта слишком давно или не с этого сайта. Обновите её и повторите."), 400))
    return None


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


def safe_next(target: str | None) -> str:
    """Where to go after signing in: ``target`` if it is a path of this site, else the
    admin's home. Refused: anything but a path starting with one ``/``; backslashes (read
    as ``/`` by browsers); control characters and spaces of any kind (browsers drop tabs
    and newlines, so ``/%09/evil.com`` would become ``//evil.com``; a newline would split
    the header); and anything that still names a host once made a URI."""
    fallback = url_for("admin.index")
    if not target or len(target) > MAX_NEXT_LENGTH or "\\" in target:
        return fallback
    if any(unicodedata.category(char)[0] in "CZ" for char in target):
        return fallback
    for candidate in (target, iri_to_uri(target)):
        parts = urlsplit(candidate)
        if not candidate.startswith("/") or candidate.startswith("//") or parts.scheme or parts.netloc:
            return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    password_hash = current_app.extensions["svod"].settings.admin_password_hash
    limiter: LoginLimiter = current_app.extensions["svod_login_limiter"]
    page = functools.partial(render_template, "admin/login.html", configured=bool(password_hash),
                             next=request.values.get("next", ""))
    if request.method == "GET":
        return page(error=None)
    client = client_key(request.remote_addr)
    # Recorded before the hash is checked, so parallel guesses count while they run; a
    # blocked client is refused without checking (the right password too: see limiter.py).
    attempt = limiter.attempt(client)
    if not attempt.allowed:
        log.warning("sign-in blocked for %s until %s: too many failures", client, attempt.blocked_until)
        now = limiter.clock()
        response = make_response(page(error=too_many(attempt.blocked_until, now)), 429)
        response.headers["Retry-After"] = str(max(1, math.ceil((attempt.blocked_until - now).total_seconds())))
        return response
    if not verify_password(request.form.get("password", ""), password_hash):
        log.warning("failed sign-in from %s", client)
        return page(error="Неверный пароль." if password_hash else "Вход не настроен."), 401
    limiter.succeeded(client)
    session.clear()  # a fresh session (and CSRF token) after signing in
    session["admin"] = True
    session.permanent = True
    log.info("the head signed in from %s", client)
    return redirect(safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("status.index"))


# --- `svod create-admin` ------------------------------------------------------------------------------

def create_admin(*, password_stdin: bool = False) -> int:
    """Ask for the head's password twice (or read it from stdin) and print the hash line."""
    if password_stdin:
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
