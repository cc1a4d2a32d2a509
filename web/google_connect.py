"""«Подключить Google»: the head connects her own Google account (OAuth 2.0, see
``sync_service.stores.google_account``), sees which address is connected, and can
disconnect it. Signed in only (``login_required``); every POST carries the CSRF token.

The consent screen's ``state`` and the PKCE verifier live in the head's signed session
between «Подключить» and Google's callback; the refresh token goes straight to the
encrypted token store and is never put on a page, in the session or in the log.
"""
from __future__ import annotations

import contextlib
import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from sync_service.config import ConfigError
from sync_service.stores import google_account as account

from .auth import login_required

log = logging.getLogger("svod.web")

bp = Blueprint("google_connect", __name__, url_prefix="/admin/google")   # CSRF: the app checks every POST
REVOKED_TEXT = "Доступ к Google отозван — подключите заново"
PENDING = "google_oauth_pending"


def _svod():
    return current_app.extensions["svod"]


def _tokens() -> account.TokenStore:
    svod = _svod()
    return account.TokenStore(svod.db, svod.settings)


def _stored(tokens: account.TokenStore) -> tuple[account.StoredToken | None, str | None]:
    """The stored token (or None) and why it could not be read (a changed secret key)."""
    try:
        return tokens.load(), None
    except ConfigError as exc:
        return None, str(exc)


@bp.app_context_processor
def google_banner() -> dict:
    """``google_revoked`` for every template (the status and admin pages show the banner with
    it) and ``google_backend`` (the admin navigation links «Аккаунт Google» only then)."""
    svod = current_app.extensions.get("svod")
    if svod is None or svod.settings.backend != "google":
        return {"google_revoked": False, "google_backend": False}
    try:
        return {"google_revoked": _tokens().revoked(), "google_backend": True}
    except Exception:  # the banner must never break a page (a database that is not reachable…)
        log.warning("could not read the Google connection's state", exc_info=True)
        return {"google_revoked": False, "google_backend": True}


@bp.get("/")
@login_required
def index():
    tokens = _tokens()
    token, problem = _stored(tokens)
    return render_template("admin/google.html", token=token, revoked=tokens.revoked(), problem=problem,
                           configured=bool(_svod().settings.google_client_secrets),
                           redirect_uri=account.redirect_uri(_svod().settings), revoked_text=REVOKED_TEXT)


@bp.post("/connect")
@login_required
def connect():
    try:
        url, state, verifier = account.start(_svod().settings)
    except account.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    session[PENDING] = {"state": state, "verifier": verifier}
    return redirect(url)


@bp.get("/callback")
@login_required
def callback():
    pending = session.pop(PENDING, None)
    if not pending:
        flash("Подключение не начиналось в этом окне (или уже завершено): нажмите «Подключить Google» ещё раз.",
              "error")
        return redirect(url_for(".index"))
    try:
        token = account.finish(_svod().settings, state=pending["state"], verifier=pending["verifier"],
                               callback_url=request.url)
        _tokens().save(token)
    except (account.AccountError, ConfigError) as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    flash(f"Google подключён: {token.email}", "ok")
    return redirect(url_for(".index"))


@bp.post("/disconnect")
@login_required
def disconnect():
    tokens = _tokens()
    token, _ = _stored(tokens)
    if token is not None:
        # forgetting it here is what matters; Google's side is best effort
        with contextlib.suppress(account.AccountError):
            account.revoke(_svod().settings, token)
    tokens.clear()
    flash("Google отключён: Svod больше не обращается к вашему аккаунту.", "ok")
    return redirect(url_for(".index"))
