"""The app factory: settings from the environment, no migrations in workers, optional blueprints, wsgi."""
import importlib
import sys
import types

import pytest
from flask import Blueprint

from sync_service.db import Database
from web import DatabaseBehind, create_app, register_optional

ROUTES = {"/", "/school/<code>", "/collection/<key>", "/api/status", "/api/school/<code>",
          "/api/collection/<key>", "/healthz", "/plan", "/debtors.txt", "/api/plan", "/api/rates"}


def test_documented_routes_exist(app):
    assert ROUTES <= {rule.rule for rule in app.url_map.iter_rules()}
    for path in ("/", "/api/status", "/healthz"):
        app.test_client().get(path)
    assert not app.extensions["svod"].built("store")  # the web never reads workbooks


def test_settings_from_the_environment_and_no_migration_at_start(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SVOD_ACADEMIC_YEAR", "2030/2031")
    monkeypatch.setenv("SVOD_SECRET_KEY", "s3cret")
    with pytest.raises(DatabaseBehind, match="db-upgrade"):
        create_app()  # a worker never migrates: the release step does
    Database(url).upgrade()
    app = create_app()
    svod = app.extensions["svod"]
    assert (svod.settings.database_url, svod.academic_year, app.config["SECRET_KEY"]) == (url, "2030/2031", "s3cret")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/status").get_json()["collections"] == []
    svod.db.dispose()


def test_the_wsgi_module_builds_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wsgi.db'}")
    Database(f"sqlite:///{tmp_path / 'wsgi.db'}").upgrade()
    monkeypatch.delitem(sys.modules, "web.wsgi", raising=False)
    module = importlib.import_module("web.wsgi")
    assert module.app.test_client().get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    module.app.extensions["svod"].db.dispose()
    monkeypatch.delitem(sys.modules, "web.wsgi")


def test_an_optional_blueprint_is_registered_when_present(make_app, monkeypatch):
    fake = types.ModuleType("web.fake_area")
    fake.bp = Blueprint("fake_area", __name__)
    fake.bp.add_url_rule("/fake", "page", lambda: "fake")
    monkeypatch.setitem(sys.modules, "web.fake_area", fake)
    app = make_app()
    assert register_optional(app, "web.fake_area") is True
    assert app.test_client().get("/fake").get_data(as_text=True) == "fake"


def test_a_missing_optional_blueprint_is_skipped(make_app, monkeypatch):
    app = make_app()
    assert register_optional(app, "web.no_such_area") is False
    monkeypatch.setitem(sys.modules, "web.empty_area", types.ModuleType("web.empty_area"))
    assert register_optional(app, "web.empty_area") is False  # a module without `bp`


def test_text_answers_are_gzipped_for_clients_that_accept_it(client):
    import gzip

    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    api = client.get("/api/status", headers={"Accept-Encoding": "gzip"})
    assert api.headers["Content-Encoding"] == "gzip" and gzip.decompress(api.data).startswith(b"{")
    tiny = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert tiny.headers.get("Content-Encoding") is None  # not worth it under a kilobyte
    refused = client.get("/", headers={"Accept-Encoding": "gzip;q=0"})
    assert refused.headers.get("Content-Encoding") is None


def test_a_cached_page_is_gzipped_once(app):
    from web.compress import Body

    body = Body(("<p>Школа</p>" * 500).encode())
    with app.test_request_context("/", headers={"Accept-Encoding": "gzip"}):
        first = body.response("text/html")
        packed = body._packed
        second = body.response("text/html")
    assert packed is not None and body._packed is packed
    assert first.headers["Content-Encoding"] == "gzip" and first.get_data() == second.get_data()
    assert first.get_data() is not body.raw and len(first.get_data()) < len(body.raw) // 10
    with app.test_request_context("/"):
        assert body.response("text/html").get_data() == body.raw
