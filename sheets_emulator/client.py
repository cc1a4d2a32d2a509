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
