"""HTTP hardening of every answer: security headers, and the client's real address and
scheme behind a reverse proxy.

- ``Content-Security-Policy``: everything from this site only, no inline script or
  style (the pages' scripts are ``static/svod.js`` and the admin dashboard's
  ``static/sync-progress.js``), no plugins, no ``<base>``, forms
  post only here, and no framing by another site (``frame-ancestors 'none'``, with
  ``X-Frame-Options: DENY`` for browsers that predate it). ``img-src`` allows ``data:``
  for the empty favicon of ``base.html``.
- ``X-Content-Type-Options: nosniff``: a JSON or text answer is never run as a script.
- ``Referrer-Policy: same-origin``: a link to a school's Google Sheet does not tell
  Google which page of Svod it was followed from.
- ``Strict-Transport-Security`` when Svod is served over https: ``SVOD_PUBLIC_URL``
  starts with ``https://``, or this request came over https (directly, or through a
  trusted proxy's ``X-Forwarded-Proto``). Never over plain http, where a browser ignores
  it anyway and a mistaken https setting would lock a local install out.
- ``SVOD_TRUSTED_PROXIES`` = N wraps the app in werkzeug's ``ProxyFix`` trusting the
  last N proxies' ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` / ``-Port``: the sign-in
  limit then counts per visitor, not per proxy. 0 (the default) trusts no header, which
  is right when gunicorn faces the internet itself (a header could be forged).
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other sites of the district may live there
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    """Headers on every answer; ProxyFix when proxies are trusted."""
    settings = app.extensions["svod"].settings
    if settings.trusted_proxies > 0:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    app.config.setdefault("SVOD_HTTPS", settings.public_url.lower().startswith("https://"))
    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    """``after_request``: the headers of the module docstring, on every answer (errors too)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SVOD_HTTPS") or request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
