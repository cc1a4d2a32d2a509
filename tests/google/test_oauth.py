"""The head's own Google account, end to end against the emulator's OAuth endpoints: she
connects from the admin page (Flask test client → the emulator's consent screen → the
callback), Svod makes and syncs her spreadsheets with the drive.file scope only; Google
revokes the grant: the next sync fails at once, the status page says so in Russian, later
syncs make no call at all; she reconnects from the admin page and the next sync succeeds.
"""
from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.security import generate_password_hash

from sheets_emulator.client import consent, oauth_client_config, register_oauth_client
from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.registry import default_collections
from sync_service.forms.layout import head_tab
from sync_service.provision.google import provision
from sync_service.stores import google_account
from sync_service.stores.google import GoogleStore
from sync_service.stores.google_http import Backoff
from sync_service.sync.run import run_sync
from tests.google.conftest import NOW, YEAR, Sleeps, reset_stats, settings_for, stats
from web import create_app

HEAD = "head@gmail.com"
PASSWORD = "пароль руководителя"
PUBLIC = "http://svod.test"
CLIENT_ID = "svod-test.apps.googleusercontent.com"


@pytest.fixture
def head(emu, tmp_path, monkeypatch):
    """Settings of a district whose head connects her own Google account (no service account)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    config = oauth_client_config(emu.url, CLIENT_ID, "client-secret", [PUBLIC + "/admin/google/callback"])
    register_oauth_client(emu.url, config)
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps(config), encoding="utf-8")
    settings = settings_for(emu, tmp_path, google_client_secrets=str(secrets), secret_key="test-secret",
                            public_url=PUBLIC, admin_password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
    Svod(settings).db.upgrade()
    return settings


def svod_of(settings, **overrides) -> Svod:
    svod = Svod(settings.__class__(**{**settings.__dict__, **overrides}) if overrides else settings,
                clock=lambda: NOW)
    svod.store.api.backoff = Backoff(sleep=Sleeps())
    return svod


def csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def connect_from_admin_page(client, user=HEAD) -> str:
    """«Подключить Google» → the consent screen → «Разрешить» → the callback; the page after."""
    answer = client.post("/admin/google/connect", data={"csrf_token": csrf(client, "/admin/google/")})
    assert answer.status_code == 302
    consent_url = answer.headers["Location"]
    assert "code_challenge=" in consent_url and "state=" in consent_url and "access_type=offline" in consent_url
    back = urlsplit(consent(consent_url, user))
    assert back.path == "/admin/google/callback"
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 302
    return client.get("/admin/google/").get_data(as_text=True)


def test_revoked_access_fails_fast_says_so_and_reconnecting_from_the_admin_page_mends_it(emu, head, caplog):
    caplog.set_level(logging.DEBUG)
    app = create_app({"SVOD": svod_of(head), "TESTING": True, "SVOD_PAGE_CACHE": False})
    client = app.test_client()
    login = client.post("/admin/login", data={"password": PASSWORD, "csrf_token": csrf(client, "/admin/login")})
    assert login.status_code == 302
    assert "Google не подключён" in client.get("/admin/google/").get_data(as_text=True)
    assert "/admin/google/" in client.get("/admin/").get_data(as_text=True)   # «Аккаунт Google» in the menu

    page = connect_from_admin_page(client)
    assert f"Google подключён: <strong>{HEAD}</strong>" in page and "Отключить" in page
    token = google_account.TokenStore(Svod(head).db, head).load()
    with Svod(head).db.session() as session:
        sealed = session.get(m.Meta, google_account.TOKEN_KEY).value
    assert token.refresh_token not in sealed and token.refresh_token not in page   # encrypted, never shown

    # With drive.file Svod sees only what it made: it makes the head's «Настройки ОМО» too.
    svod = svod_of(head)
    assert isinstance(svod.store, GoogleStore) and svod.store.service_email == HEAD
    head_id = make_head_workbook(svod)
    svod = svod_of(head, head_spreadsheet_id=head_id)
    report = provision(svod, notify=True)
    assert not report.problems, report.problems
    assert all(emu.state.files[wid].owner == HEAD for _, wid in report.created)
    first = run_sync(svod)
    assert first.status == "ok" and first.read == 2, first

    # The head removes Svod in her Google account (or the 7-day Testing expiry hits).
    emu.app.control_oauth({"revoke_user": HEAD})
    reset_stats(emu)
    asked = token_requests(emu)
    svod = svod_of(head, head_spreadsheet_id=head_id)       # a fresh process: the clock's next sync
    failed = run_sync(svod)
    assert failed.status == "failed" and "Доступ к Google отозван" in failed.error, failed
    # google-auth refreshes before the first request: one refused refresh, no API call, no retry
    assert token_requests(emu) == asked + 1 and stats(emu)["reads"] + stats(emu)["writes"] == 0
    assert svod.store.api.backoff.sleep == []
    status_page = client.get("/").get_data(as_text=True)
    assert "Доступ к Google отозван — подключите заново" in status_page
    assert "Доступ к Google отозван" in client.get("/admin/").get_data(as_text=True)

    again = run_sync(svod_of(head, head_spreadsheet_id=head_id))
    assert again.status == "failed" and "Доступ к Google отозван" in again.error
    assert token_requests(emu) == asked + 1 and stats(emu)["reads"] + stats(emu)["writes"] == 0  # nothing at all

    page = connect_from_admin_page(client)
    assert f"Google подключён: <strong>{HEAD}</strong>" in page and "отозван" not in page
    mended = run_sync(svod)          # the same store picks up the new connection
    assert mended.status == "ok", mended
    assert "Доступ к Google отозван" not in client.get("/").get_data(as_text=True)
    assert token.refresh_token not in caplog.text

    # «Отключить»: Svod forgets the token and asks Google to revoke it
    stored = google_account.TokenStore(Svod(head).db, head).load()
    client.post("/admin/google/disconnect", data={"csrf_token": csrf(client, "/admin/google/")})
    assert google_account.TokenStore(Svod(head).db, head).load() is None
    assert requests.post(f"{emu.url}/token", data={
        "grant_type": "refresh_token", "refresh_token": stored.refresh_token, "client_id": CLIENT_ID,
        "client_secret": "client-secret"}).json()["error"] == "invalid_grant"
    assert client.application.test_client().get("/admin/google/").status_code == 302   # signed in only


def token_requests(emu) -> int:
    return emu.app.control_oauth({})["token_requests"]


def make_head_workbook(svod) -> str:
    schools = [["sch01", "МБОУ СОШ №1", "Иванова И. И.", "ivanova@school.example", "", "да"],
               ["sch02", "МБОУ СОШ №2", "Петрова П. П.", "petrova@gmail.com", "", "да"]]
    plan = [[c.form.key, "", YEAR, c.deadline, c.campaign.title if c.campaign else ""]
            for c in default_collections(svod.schema, YEAR)][:3]
    return svod.store.create_workbook("Настройки ОМО", [head_tab(svod.schema, "schools", schools),
                                                         head_tab(svod.schema, "plan", plan)])


def test_the_cli_login_needs_no_browser_on_the_server(emu, head):
    said: list[str] = []

    def ask(prompt: str) -> str:
        url = next(line for line in said if line.startswith(emu.url))
        return consent(url, HEAD)          # the head pastes the address her browser went to

    svod = Svod(head)
    assert google_account.login_cli(head, svod.db, ask=ask, say=said.append) == 0
    assert said[-1] == f"Google подключён: {HEAD}"
    assert google_account.status_cli(head, svod.db, say=said.append) == 0 and said[-1].endswith(HEAD)
    assert google_account.logout_cli(head, svod.db, say=said.append) == 0
    assert google_account.TokenStore(svod.db, head).load() is None


def test_a_pasted_address_of_another_attempt_is_refused(emu, head):
    svod = Svod(head)
    url, state, verifier = google_account.start(head)
    other, _, _ = google_account.start(head)
    with pytest.raises(google_account.AccountError) as refused:
        google_account.finish(head, state=state, verifier=verifier, callback_url=consent(other, HEAD))
    assert "state" in str(refused.value)
    assert google_account.TokenStore(svod.db, head).load() is None
    assert requests.get(url, params={"login_hint": HEAD}, allow_redirects=False).status_code == 302
