"""Google's OAuth 2.0 endpoints, as far as a server-side app and a service account use
them, so that google-auth and google-auth-oauthlib run their own code against the
emulator (see docs/emulator.md for the sources followed):

- ``GET /o/oauth2/auth`` (``accounts.google.com``): the consent screen. There is no one
  to click, so ``login_hint`` names the user who consents; the answer is Google's
  redirect to ``redirect_uri`` with ``code``, ``state`` and ``scope``. PKCE
  (``code_challenge``, S256 or plain) is remembered with the code.
- ``POST /token`` (``oauth2.googleapis.com``): ``authorization_code`` (checks the client
  secret, the redirect URI and the PKCE verifier; a code works once), ``refresh_token``,
  and the service accounts' ``jwt-bearer`` grant (the assertion's ``iss`` and ``scope``
  are taken; its signature is not checked). A refresh token comes back only when the
  consent asked for ``access_type=offline``.
- ``POST /revoke``: revokes a refresh token (and every access token made from it) or an
  access token (and its grant), as Google does.

Access tokens the emulator issues start with ``ya29.`` and carry their user, client and
scopes; an unknown, expired or revoked one gets Google's 401. Any other bearer token is
still "the token is the user", with every scope.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

ACCESS_PREFIX = "ya29."
REFRESH_PREFIX = "1//"
ACCESS_SECONDS = 3599
SERVICE_ACCOUNT_SUFFIX = ".gserviceaccount.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def is_service_account(user: str) -> bool:
    return user.lower().endswith(SERVICE_ACCOUNT_SUFFIX)


@dataclass(frozen=True)
class Identity:
    """Who a bearer token stands for. ``scopes`` None: every scope (a static token)."""

    user: str
    client: str | None = None
    scopes: frozenset[str] | None = None


@dataclass
class _Client:
    secret: str
    redirect_uris: tuple[str, ...] = ()   # empty: any redirect URI is registered


@dataclass
class _Code:
    user: str
    client: str
    redirect_uri: str
    scopes: frozenset[str]
    offline: bool
    challenge: str | None
    method: str


@dataclass
class _Grant:
    user: str
    client: str
    scopes: frozenset[str]
    revoked: bool = False
    access: set[str] = field(default_factory=set)


class OAuthServer:
    """Clients, codes, grants and access tokens, in memory (a restart forgets them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clients: dict[str, _Client] = {}
        self._codes: dict[str, _Code] = {}
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, tuple[Identity, float, str | None]] = {}
        self.refreshes = 0   # refresh_token grants answered with a token, for tests
        self.token_requests = 0   # every request to the token endpoint, for tests

    def reset(self) -> None:
        with self._lock:
            self.clients.clear()
            self._codes.clear()
            self._grants.clear()
            self._access.clear()
            self.refreshes = self.token_requests = 0

    def register_client(self, client_id: str, secret: str, redirect_uris: tuple[str, ...] = ()) -> None:
        with self._lock:
            self.clients[client_id] = _Client(secret, tuple(redirect_uris))

    # -- who is calling ------------------------------------------------------------

    def identify(self, token: str) -> Identity | None:
        """The identity of a bearer token; None for an issued token that is unknown,
        expired or revoked (Google answers 401)."""
        if not token.startswith(ACCESS_PREFIX):
            return Identity(token)
        with self._lock:
            found = self._access.get(token)
            if found is None:
                return None
            identity, expires, refresh = found
            if time.time() >= expires or (refresh is not None and self._grants[refresh].revoked):
                return None
            return identity

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (as an hour later)."""
        with self._lock:
            self._access = {t: (i, 0.0, r) for t, (i, _, r) in self._access.items()}

    def revoke_user(self, user: str) -> int:
        """The user removes the app's access in her Google account: every grant of hers."""
        with self._lock:
            grants = [g for g in self._grants.values() if g.user.lower() == user.lower() and not g.revoked]
            for grant in grants:
                grant.revoked = True
            return len(grants)

    # -- the consent screen --------------------------------------------------------------

    def authorize(self, args: Mapping[str, str]) -> tuple[int, dict[str, str], Any]:
        """(status, headers, body) of the consent screen's answer."""
        client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
        with self._lock:
            client = self.clients.get(client_id)
        if client is None:
            return 401, {}, _error("invalid_client", "The OAuth client was not found.")
        if client.redirect_uris and redirect_uri not in client.redirect_uris:
            return 400, {}, _error("redirect_uri_mismatch", "Bad Request")
        if args.get("response_type") != "code" or not args.get("scope"):
            return 400, {}, _error("invalid_request", "Required parameter is missing: response_type or scope")
        user = args.get("login_hint", "").strip()
        if not user:
            return 400, {}, _error("invalid_request", "the emulator has no sign-in page: login_hint names the user")
        method = args.get("code_challenge_method", "plain")
        if args.get("code_challenge") and method not in ("S256", "plain"):
            return 400, {}, _error("invalid_request", "Invalid code_challenge_method")
        code = "4/0A" + secrets.token_urlsafe(24)
        scopes = frozenset(args["scope"].split())
        with self._lock:
            self._codes[code] = _Code(user, client_id, redirect_uri, scopes, args.get("access_type") == "offline",
                                      args.get("code_challenge"), method)
        query = {"code": code, "scope": " ".join(sorted(scopes))}
        if "state" in args:
            query = {"state": args["state"], **query}
        separator = "&" if "?" in redirect_uri else "?"
        return 302, {"Location": redirect_uri + separator + urlencode(query)}, None

    # -- the token endpoint --------------------------------------------------------------

    def token(self, form: Mapping[str, str], basic: tuple[str, str] | None = None) -> tuple[int, dict]:
        with self._lock:
            self.token_requests += 1
        grant_type = form.get("grant_type", "")
        if grant_type == JWT_BEARER:
            return self._jwt_bearer(form.get("assertion", ""))
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        with self._lock:
            client = self.clients.get(client_id)
        if client is None or client.secret != secret:
            return 401, _error("invalid_client", "Unauthorized")
        if grant_type == "authorization_code":
            return self._exchange(client_id, form)
        if grant_type == "refresh_token":
            return self._refresh(client_id, form.get("refresh_token", ""))
        return 400, _error("unsupported_grant_type", "Invalid grant_type: " + grant_type)

    def _exchange(self, client_id: str, form: Mapping[str, str]) -> tuple[int, dict]:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)   # a code works once
        if code is None or code.client != client_id:
            return 400, _error("invalid_grant", "Bad Request")
        if form.get("redirect_uri", "") != code.redirect_uri:
            return 400, _error("redirect_uri_mismatch", "Bad Request")
        if code.challenge:
            verifier = form.get("code_verifier", "")
            if not verifier:
                return 400, _error("invalid_grant", "Missing code verifier.")
            if _challenge(verifier, code.method) != code.challenge:
                return 400, _error("invalid_grant", "Invalid code verifier.")
        body = {}
        refresh = None
        if code.offline:
            refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
            with self._lock:
                self._grants[refresh] = _Grant(code.user, client_id, code.scopes)
            body["refresh_token"] = refresh
        access = self._issue(Identity(code.user, client_id, code.scopes), refresh)
        return 200, {"access_token": access, "expires_in": ACCESS_SECONDS, **body,
                     "scope": " ".join(sorted(code.scopes)), "token_type": "Bearer"}

    def _refresh(self, client_id: str, refresh: str) -> tuple[int, dict]:
        with self._lock:
            grant = self._grants.get(refresh)
        if grant is None or grant.client != client_id or grant.revoked:
            return 400, _error("invalid_grant", "Token has been expired or revoked.")
        access = self._issue(Identity(grant.user, client_id, grant.scopes), refresh)
        with self._lock:
            self.refreshes += 1
        return 200, {"access_token": access, "expires_in": ACCESS_SECONDS,
                     "scope": " ".join(sorted(grant.scopes)), "token_type": "Bearer"}

    def _jwt_bearer(self, assertion: str) -> tuple[int, dict]:
        claims = _jwt_claims(assertion)
        if claims is None or not claims.get("iss"):
            return 400, _error("invalid_grant", "Invalid JWT Signature.")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            return 400, _error("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        access = self._issue(Identity(claims["iss"], None, scopes), None)
        return 200, {"access_token": access, "expires_in": ACCESS_SECONDS, "token_type": "Bearer"}

    def _issue(self, identity: Identity, refresh: str | None) -> str:
        access = ACCESS_PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = (identity, time.time() + ACCESS_SECONDS, refresh)
            if refresh is not None:
                self._grants[refresh].access.add(access)
        return access

    # -- revocation ------------------------------------------------------------------

    def revoke(self, token: str) -> tuple[int, dict]:
        with self._lock:
            grant = self._grants.get(token)
            if grant is None and token in self._access:
                refresh = self._access[token][2]
                grant = self._grants.get(refresh) if refresh else None
                if grant is None:
                    del self._access[token]
                    return 200, {}
            if grant is None or grant.revoked:
                return 400, _error("invalid_token", "Token expired or revoked")
            grant.revoked = True
            for access in grant.access:
                self._access.pop(access, None)
        return 200, {}


def _error(code: str, description: str) -> dict[str, str]:
    return {"error": code, "error_description": description}


def _challenge(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _jwt_claims(assertion: str) -> dict | None:
    parts = assertion.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None
    return claims if isinstance(claims, dict) else None
