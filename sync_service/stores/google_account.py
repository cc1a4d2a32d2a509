"""The head's own Google account (OAuth 2.0): the consent flow, the stored refresh token and
the credentials the store uses.

- Scope: only ``drive.file`` — the files Svod itself creates (and shares) in the head's
  Drive, through the Sheets and the Drive API alike. It is Google's non-sensitive scope: no
  app verification, no "unverified app" screen; Svod never sees her other files.
- The web flow (``start`` / ``finish``) is google-auth-oauthlib's ``Flow``: a random
  ``state`` and a PKCE verifier (S256) per attempt, ``access_type=offline`` for a refresh
  token, ``prompt=consent`` so Google sends one again on a reconnect.
- The CLI (``svod google login``) uses the same client and redirect URI: it prints the
  URL, the head opens it anywhere, and pastes back the address Google sent her browser to
  (with ``code`` and ``state``) — no browser is needed on the server.
- The refresh token is kept in the database encrypted with Fernet (a key derived from
  SVOD_GOOGLE_TOKEN_KEY, else SVOD_SECRET_KEY), never logged and never on a page; only the
  address is shown. When Google answers ``invalid_grant`` the account is marked revoked:
  the status and admin pages say so, and syncs make no Google call until she reconnects.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sync_service import db as m
from sync_service.config import ConfigError

log = logging.getLogger("svod.google")
# requests-oauthlib logs the token endpoint's whole answer (the refresh token in it) at DEBUG:
# the token must never reach a log, whatever level the service runs at.
for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)

SCOPES = ("https://www.googleapis.com/auth/drive.file",)
TOKEN_KEY = "google_oauth_token"      # Meta: the Fernet-encrypted token (JSON)
STATE_KEY = "google_oauth_state"      # Meta: "revoked" after Google's invalid_grant, else absent
ABOUT_URL = "https://www.googleapis.com/drive/v3/about"


class AccountError(Exception):
    """The connection could not be made; the message is Russian, for the head."""


@dataclass(frozen=True)
class StoredToken:
    refresh_token: str
    email: str
    scopes: tuple[str, ...]
    connected_at: str

    def __repr__(self) -> str:  # never print the token
        return f"StoredToken(email={self.email!r}, connected_at={self.connected_at!r})"


# --- the token at rest ----------------------------------------------------------------------

def _fernet(settings):
    from cryptography.fernet import Fernet

    secret = settings.google_token_key or settings.secret_key
    if not secret:
        raise ConfigError("SVOD_SECRET_KEY (or SVOD_GOOGLE_TOKEN_KEY) is not set: Svod needs it to keep the "
                          "Google token encrypted")
    digest = hashlib.sha256(b"svod google token\0" + secret.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class TokenStore:
    """The head's token in the database (``meta`` rows), encrypted."""

    def __init__(self, db, settings):
        self.db, self.settings = db, settings

    def save(self, token: StoredToken) -> None:
        sealed = _fernet(self.settings).encrypt(json.dumps(asdict(token)).encode("utf-8")).decode("ascii")
        with self.db.session() as session:
            session.merge(m.Meta(key=TOKEN_KEY, value=sealed))
            found = session.get(m.Meta, STATE_KEY)
            if found is not None:
                session.delete(found)

    def load(self) -> StoredToken | None:
        from cryptography.fernet import InvalidToken

        with self.db.session() as session:
            row = session.get(m.Meta, TOKEN_KEY)
            sealed = row.value if row is not None else None
        if not sealed:
            return None
        try:
            data = json.loads(_fernet(self.settings).decrypt(sealed.encode("ascii")))
        except InvalidToken:
            raise ConfigError("the stored Google token cannot be decrypted: SVOD_SECRET_KEY (or "
                              "SVOD_GOOGLE_TOKEN_KEY) changed; connect Google again") from None
        return StoredToken(data["refresh_token"], data["email"], tuple(data["scopes"]), data["connected_at"])

    def clear(self) -> None:
        with self.db.session() as session:
            for key in (TOKEN_KEY, STATE_KEY):
                found = session.get(m.Meta, key)
                if found is not None:
                    session.delete(found)

    def mark_revoked(self) -> None:
        with self.db.session() as session:
            session.merge(m.Meta(key=STATE_KEY, value="revoked"))

    def revoked(self) -> bool:
        with self.db.session() as session:
            row = session.get(m.Meta, STATE_KEY)
            return row is not None and row.value == "revoked"


# --- the OAuth client and the consent flow -----------------------------------------------------

def client_config(settings) -> dict:
    path = settings.google_client_secrets
    if not path:
        raise AccountError("Не задан SVOD_GOOGLE_CLIENT_SECRETS: скачайте JSON клиента OAuth из Google Cloud "
                           "(docs/google.md, «Свой аккаунт Google») и укажите путь к нему")
    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AccountError(f"Не удалось прочитать клиент OAuth {path}: {exc}") from None
    if "web" not in config:
        raise AccountError("Клиент OAuth должен быть типа «Веб-приложение» (в JSON нет раздела web)")
    return config


def _insecure_ok(config: dict) -> None:
    """oauthlib insists on HTTPS; the local emulator speaks HTTP on the loopback only. And
    oauthlib refuses an answer whose scopes differ from those asked (Google adds the ones
    granted earlier): Svod checks the scope it needs itself (``finish``)."""
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    token_uri = config["web"]["token_uri"]
    host = urlsplit(token_uri).hostname or ""
    if token_uri.startswith("http://") and host in ("127.0.0.1", "localhost", "::1"):
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def redirect_uri(settings) -> str:
    return settings.public_url.rstrip("/") + "/admin/google/callback"


def _flow(settings, **kwargs):
    from google_auth_oauthlib.flow import Flow

    config = client_config(settings)
    _insecure_ok(config)
    return Flow.from_client_config(config, scopes=list(SCOPES), redirect_uri=redirect_uri(settings), **kwargs)


def start(settings) -> tuple[str, str, str]:
    """(the consent screen's URL, state, PKCE verifier): keep the last two until the callback."""
    flow = _flow(settings, autogenerate_code_verifier=True)
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    return url, state, flow.code_verifier


def finish(settings, *, state: str, verifier: str, callback_url: str) -> StoredToken:
    """Exchange the code of ``callback_url`` (the address Google redirected to) for tokens."""
    query = parse_qs(urlsplit(callback_url).query)
    if query.get("error"):
        raise AccountError(f"Google не дал доступ: {query['error'][0]} — подключите заново и нажмите «Разрешить»")
    if query.get("state", [""])[0] != state:
        raise AccountError("Ответ Google не от этого подключения (state не совпадает): начните подключение заново")
    if not query.get("code"):
        raise AccountError("В адресе нет кода Google (code): скопируйте адрес целиком и попробуйте снова")
    flow = _flow(settings, state=state, code_verifier=verifier)
    try:
        flow.fetch_token(code=query["code"][0])
    except Exception as exc:  # oauthlib's errors carry Google's error and description
        log.info("the OAuth code exchange failed: %s", type(exc).__name__)
        raise AccountError(f"Google не принял код подключения ({getattr(exc, 'error', '') or type(exc).__name__}): "
                           "начните подключение заново") from None
    credentials = flow.credentials
    if not credentials.refresh_token:
        raise AccountError("Google не выдал ключ для работы без вас (refresh token): отключите Svod в "
                           "настройках аккаунта Google и подключите заново")
    granted = tuple(sorted(credentials.scopes or SCOPES))
    if not set(SCOPES) <= set(granted):
        raise AccountError("Доступ к файлам Google Диска не отмечен на экране согласия: подключите заново и "
                           "оставьте его отмеченным")
    return StoredToken(credentials.refresh_token, who_is(settings, credentials), granted,
                       datetime.now(UTC).replace(microsecond=0).isoformat())


def who_is(settings, credentials) -> str:
    """The connected address: Drive's about.get (drive.file allows it)."""
    session = authorized_session(settings, credentials)
    answer = session.get(ABOUT_URL, params={"fields": "user(emailAddress)"}, timeout=(10, 60))
    answer.raise_for_status()
    return answer.json()["user"]["emailAddress"]


def authorized_session(settings, credentials):
    from google.auth.transport.requests import AuthorizedSession

    from sync_service.stores.google_http import ApiUrlAdapter

    session = AuthorizedSession(credentials)
    if settings.google_api_url:
        ApiUrlAdapter(settings.google_api_url).mount_on(session)
    return session


def user_credentials(settings, token: StoredToken):
    """google-auth's user credentials: no access token yet, google-auth refreshes on first use."""
    from google.oauth2.credentials import Credentials

    web = client_config(settings)["web"]
    _insecure_ok({"web": web})
    return Credentials(token=None, refresh_token=token.refresh_token, token_uri=web["token_uri"],
                       client_id=web["client_id"], client_secret=web["client_secret"], scopes=list(token.scopes))


def revoke(settings, token: StoredToken) -> bool:
    """Ask Google to forget the grant (best effort: the stored token is removed anyway)."""
    import requests

    token_uri = client_config(settings)["web"]["token_uri"]
    revoke_uri = token_uri.rsplit("/", 1)[0] + "/revoke"
    try:
        answer = requests.post(revoke_uri, data={"token": token.refresh_token}, timeout=(10, 30))
    except requests.RequestException:
        return False
    return answer.status_code == 200


# --- the command line (svod google login / logout / status) ---------------------------------

def login_cli(settings, db, *, ask, say) -> int:
    """Connect from a server without a browser: print the URL, take back the address Google
    redirected to. ``ask(prompt) -> str`` and ``say(text)`` are the terminal."""
    try:
        url, state, verifier = start(settings)
        say("Откройте этот адрес в браузере (на любом компьютере), войдите в свой аккаунт Google и "
            "нажмите «Разрешить»:")
        say(url)
        say("Браузер перейдёт на страницу Svod (если она не откроется — не страшно). Скопируйте адрес из "
            "адресной строки целиком и вставьте сюда.")
        pasted = ask("Адрес после «Разрешить»").strip()
        token = finish(settings, state=state, verifier=verifier, callback_url=pasted)
    except AccountError as exc:
        say(str(exc))
        return 1
    TokenStore(db, settings).save(token)
    say(f"Google подключён: {token.email}")
    return 0


def logout_cli(settings, db, *, say) -> int:
    tokens = TokenStore(db, settings)
    token = tokens.load()
    if token is None:
        say("Google не был подключён.")
        return 0
    revoke(settings, token)
    tokens.clear()
    say(f"Google отключён: {token.email}")
    return 0


def status_cli(settings, db, *, say) -> int:
    tokens = TokenStore(db, settings)
    token = tokens.load()
    if tokens.revoked():
        say("Доступ к Google отозван — подключите заново: svod google login")
        return 1
    say(f"Google подключён: {token.email}" if token else "Google не подключён (svod google login).")
    return 0
