"""Pointing real clients at the emulator.

:class:`EmulatorAdapter` is a ``requests`` transport adapter that sends
requests for https://sheets.googleapis.com and https://www.googleapis.com to
the emulator instead; mount it on any ``requests.Session`` (gspread's
``AuthorizedSession`` included) with :func:`mount`.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

GOOGLE_BASES = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class EmulatorAdapter(HTTPAdapter):
    """Rewrites Google API URLs to ``base_url`` (scheme and host only; the
    path and query are kept) and sends them with a normal HTTP adapter."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def rewrite(self, url: str) -> str:
        for base in GOOGLE_BASES:
            if url.startswith(base + "/") or url == base:
                return self.base_url + url[len(base) :]
        return url

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        request.url = self.rewrite(request.url)
        return super().send(request, *args, **kwargs)


def mount(session: requests.Session, base_url: str) -> EmulatorAdapter:
    """Route the session's Google API traffic to the emulator."""
    adapter = EmulatorAdapter(base_url)
    for base in GOOGLE_BASES:
        session.mount(base + "/", adapter)
    return adapter


def gspread_client(base_url: str, token: str = "test"):
    """A gspread.Client whose traffic goes to the emulator at ``base_url``,
    authenticated as the user ``token`` (the bearer token is the identity)."""
    import gspread
    from google.oauth2.credentials import Credentials

    client = gspread.Client(auth=Credentials(token=token))
    mount(client.http_client.session, base_url)
    return client


def service_account_info(base_url: str, email: str) -> dict:
    """A service account key as the Cloud console downloads it, with a fresh RSA key and
    ``token_uri`` at the emulator: google-auth signs its JWT and asks the emulator's token
    endpoint for an access token, as it asks Google's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    project = email.split("@", 1)[1].split(".", 1)[0]
    return {"type": "service_account", "project_id": project, "private_key_id": "emulator", "private_key": pem,
            "client_email": email, "client_id": "100000000000000000000", "token_uri": base_url.rstrip("/") + "/token"}


def oauth_client_config(base_url: str, client_id: str, client_secret: str, redirect_uris: list[str]) -> dict:
    """An OAuth client of type "web" as the Cloud console downloads it (client_secret.json),
    with the consent screen and the token endpoint at the emulator."""
    base = base_url.rstrip("/")
    return {"web": {"client_id": client_id, "client_secret": client_secret, "redirect_uris": list(redirect_uris),
                    "auth_uri": base + "/o/oauth2/auth", "token_uri": base + "/token",
                    "project_id": "svod-emulator"}}


def register_oauth_client(base_url: str, config: dict) -> None:
    """Tell the emulator about an OAuth client (what creating it in the Cloud console does)."""
    web = config.get("web") or config.get("installed")
    answer = requests.post(base_url.rstrip("/") + "/_emulator/oauth", timeout=10, json={"clients": [{
        "client_id": web["client_id"], "client_secret": web["client_secret"],
        "redirect_uris": web.get("redirect_uris") or []}]})
    answer.raise_for_status()


def consent(authorization_url: str, user: str) -> str:
    """What the consent screen does when ``user`` clicks «Allow»: the redirect URL it sends
    the browser to (with ``code`` and ``state``)."""
    answer = requests.get(authorization_url, params={"login_hint": user}, allow_redirects=False, timeout=10)
    if answer.status_code != 302:
        raise RuntimeError(f"the consent screen refused: {answer.status_code} {answer.text}")
    return answer.headers["Location"]
