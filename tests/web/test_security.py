"""Attacks on the sign-in and the HTTP answers, through the real app (tests/web/conftest.py).

Each would have worked on the code before this hardening: an open redirect after signing
in, a header split into a 500, a sign-in limit multiplied by the number of workers,
parallel guesses slipping past the limit, a POST without a token to a blueprint other
than the admin's, pages without security headers.
"""
from __future__ import annotations

import html
import re
import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import Blueprint
from werkzeug.security import generate_password_hash

from tests.web.conftest import NOW, build_app
from web import limiter as limits
from web.limiter import LoginLimiter, SignInLimit, client_key

PASSWORD = "correct horse battery"
HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # cheap: tests sign in often
HEAD = {"admin_password_hash": HASH, "secret_key": "test-secret"}


def login_form(client, next_value: str | None = None) -> dict:
    """The sign-in form as the page gives it (``?next=`` lands in its hidden field)."""
    url = "/admin/login" + (f"?next={quote(next_value, safe='')}" if next_value is not None else "")
    page = client.get(url).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return {name: html.unescape(value) for name, value in fields.items()}


def sign_in(client, password=PASSWORD, next_value=None):
    return client.post("/admin/login", data={**login_form(client, next_value), "password": password})


@pytest.fixture(scope="module")
def head_app(tmp_path_factory):
    """An app the head can sign in to, shared by the tests that only sign in successfully."""
    app = build_app(tmp_path_factory.mktemp("head"), **HEAD)
    yield app
    app.extensions["svod"].db.dispose()


# --- where the head goes after signing in -------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/\t/evil.com",                       # browsers drop the tab: //evil.com
    "/\r\nSet-Cookie:x=1",                # a header split: was a 500
    "/\n/evil.com", "\t//evil.com", " /\\evil.com",
    "//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "/\\/evil.com",
    "https://evil.com/admin/", "http:evil.com", "javascript:alert(1)", "evil.com",
    "/\u2028/evil.com", "/\u00a0/evil.com", "/\u200b/evil.com", "/%09/evil.com?" + "x" * 3000,
])
def test_sign_in_never_sends_the_head_to_another_host(head_app, target):
    response = sign_in(head_app.test_client(), next_value=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize("target", ["/admin/config", "/admin/history?page=2", "/school/sch01#c-staffing",
                                    "/%2F%2Fevil.com"])  # an encoded slash stays a path of this site
def test_sign_in_goes_back_to_a_path_of_this_site(head_app, target):
    response = sign_in(head_app.test_client(), next_value=target)
    assert (response.status_code, response.headers["Location"]) == (302, target)


# --- the sign-in limit ----------------------------------------------------------------------------

def test_the_limit_is_shared_by_every_worker(make_app, tmp_path):
    """Two apps on one database stand for two gunicorn workers: 3 failures on one and 2
    on the other block the address on both (each counted alone before: 10 attempts)."""
    first = make_app(**HEAD)
    second = build_app(tmp_path, database_url=first.extensions["svod"].settings.database_url, **HEAD)
    clients = [first.test_client(), second.test_client()]
    for i in range(5):
        assert sign_in(clients[i % 2], "wrong").status_code == 401
    for client in clients:
        assert sign_in(client).status_code == 429
    second.extensions["svod"].db.dispose()


def test_during_the_block_even_the_right_password_is_refused_and_after_it_signs_in(make_app):
    """What the head sees: during the block, when it ends (the right password too is refused,
    or the block would tell a guesser when they had it); after it, the right password works
    at once, and a wrong one starts a fresh count."""
    app = make_app(**HEAD)
    client, limiter = app.test_client(), app.extensions["svod_login_limiter"]
    now = [NOW]
    limiter.clock = lambda: now[0]
    for minute in range(5):
        now[0] = NOW + timedelta(minutes=minute)
        assert sign_in(client, "wrong").status_code == 401
    now[0] = NOW + timedelta(minutes=10)
    blocked = sign_in(client)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == str(9 * 60)
    text = blocked.get_data(as_text=True)
    assert "Вход снова откроется в 09:19 (через 9 мин.) — тогда введите пароль ещё раз." in text
    assert client.get("/admin/").status_code == 302  # not signed in
    # Refused attempts do not prolong the block.
    now[0] = NOW + timedelta(minutes=18, seconds=59)
    assert sign_in(client, "wrong").status_code == 429
    now[0] = NOW + timedelta(minutes=19)
    assert sign_in(client, "wrong").status_code == 401  # a fresh count: not blocked
    for _ in range(3):
        assert sign_in(client, "wrong").status_code == 401
    assert sign_in(client, "wrong").status_code == 401  # the fifth of the new count blocks again
    assert sign_in(client).status_code == 429
    now[0] = NOW + timedelta(minutes=34)
    assert sign_in(client).status_code == 302
    assert client.get("/admin/").status_code == 200
    with app.extensions["svod"].db.session() as session:
        assert session.query(SignInLimit).count() == 0  # the right password forgets the attempts


def test_the_right_password_before_the_fifth_failure_clears_the_count(make_app):
    app = make_app(**HEAD)
    client = app.test_client()
    for _ in range(4):
        assert sign_in(client, "wrong").status_code == 401
    assert sign_in(client).status_code == 302
    other = app.test_client()
    for _ in range(5):
        assert sign_in(other, "wrong").status_code == 401


def parallel_attempts(limiters: list[LoginLimiter], n: int, client: str = "203.0.113.7") -> list[bool]:
    """``n`` attempts of one client at once, spread over ``limiters`` (workers): allowed or not."""
    results, start = [], threading.Barrier(n)

    def guess(i):
        start.wait()
        results.append(limiters[i % len(limiters)].attempt(client).allowed)
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(results)


def test_parallel_guesses_count_before_their_hash_is_checked(make_app):
    """Eight attempts of one client at once, from two workers: five reach the password
    check, three are refused — however their transactions interleave."""
    database = make_app(**HEAD).extensions["svod"].db
    other = type(database)(database.url)
    limiters = [LoginLimiter(database, lambda: NOW), LoginLimiter(other, lambda: NOW)]
    assert parallel_attempts(limiters, 8) == [False] * 3 + [True] * 5
    assert limiters[1].blocked_until("203.0.113.7") == NOW + limits.COOL_DOWN
    other.dispose()


def test_one_ipv6_network_is_one_client():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.1") == client_key("192.0.2.1") == "192.0.2.1"
    assert client_key(None) == "unknown"


def test_behind_a_trusted_proxy_each_visitor_has_its_own_limit(make_app):
    app = make_app(trusted_proxies=1, **HEAD)
    stranger, head = app.test_client(), app.test_client()
    stranger.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.9"
    head.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.44"
    for _ in range(5):
        sign_in(stranger, "wrong")
    assert sign_in(stranger).status_code == 429
    assert sign_in(head).status_code == 302


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(make_app):
    app = make_app(**HEAD)
    client = app.test_client()
    for n in range(5):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n}"  # a guesser changing the header
        sign_in(client, "wrong")
    assert sign_in(client).status_code == 429


# --- CSRF on every blueprint ---------------------------------------------------------------------

def test_a_post_to_any_blueprint_needs_the_token(tmp_path):
    area = Blueprint("some_area", __name__)
    area.add_url_rule("/area/do", "do", lambda: "done", methods=["POST"])

    app = build_app(tmp_path, **HEAD)
    app.register_blueprint(area)
    client = app.test_client()
    assert client.post("/area/do", data={}).status_code == 400
    assert client.post("/area/do", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/area/do", data={"csrf_token": login_form(client)["csrf_token"]}).status_code == 200
    app.extensions["svod"].db.dispose()


# --- security headers -------------------------------------------------------------------------------

ANSWERS = ["/", "/school/sch01", "/collection/staffing", "/plan", "/debtors.txt", "/api/status", "/healthz",
           "/static/svod.css", "/static/svod.js", "/no-such-page", "/api/no-such", "/admin/login", "/admin/"]


@pytest.mark.parametrize("path", ANSWERS)
def test_every_answer_carries_the_security_headers(head_app, path):
    response = head_app.test_client().get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_a_failing_page_carries_them_too(make_app):
    app = make_app(**HEAD)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")
    response = app.test_client().get("/boom")
    assert response.status_code == 500 and "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_hsts_when_served_over_https(make_app):
    by_setting = make_app(public_url="https://svod.example.ru", **HEAD).test_client()
    assert by_setting.get("/").headers["Strict-Transport-Security"] == "max-age=31536000"
    direct = make_app(**HEAD).test_client()
    assert "Strict-Transport-Security" in direct.get("/", base_url="https://localhost").headers
    proxied = make_app(trusted_proxies=1, **HEAD).test_client()
    assert "Strict-Transport-Security" in proxied.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    untrusted = make_app(**HEAD).test_client()  # a forged header is not believed
    assert "Strict-Transport-Security" not in untrusted.get("/", headers={"X-Forwarded-Proto": "https"}).headers
