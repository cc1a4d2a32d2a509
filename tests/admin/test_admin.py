"""The head's sign-in and admin pages, through the real app and a migrated SQLite database."""
from __future__ import annotations

import functools
import io
import logging
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from jobs.models import JobRun
from sync_service import db as m
from tests.factory import make_app as app_of
from tests.factory import make_svod
from web import admin, auth

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 9, 0)
YEAR = "2026/2027"
PASSWORD = "correct horse battery"
HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # cheap: tests sign in often
ADMIN_GETS = ["/admin/", "/admin/history", "/admin/history/1", "/admin/config", "/admin/jobs",
              "/admin/download/consolidated", "/admin/download/export", "/admin/download/forms"]


def populate(session) -> None:
    school = m.School(code="sch01", name="МБОУ СОШ № 1", librarian="Петрова Анна Сергеевна",
                      email="petrova@school1.example", workbook="sch01.xlsx")
    gone = m.School(code="sch02", name="МБОУ СОШ № 2", librarian="Сидоров Иван", in_registry=False)
    session.add_all([school, gone,
                     m.Collection(key="staffing", academic_year=YEAR, form="staffing", tab="Кадры",
                                  title="Мониторинг кадрового обеспечения", deadline=date(2026, 9, 30)),
                     m.PlanEvent(academic_year=YEAR, title="Семинар «Школьная библиотека сегодня»",
                                 date=date(2026, 12, 10))])
    session.flush()
    run = m.SyncRun(started_at=datetime(2026, 11, 22, 8, 30), finished_at=datetime(2026, 11, 22, 8, 31),
                    status="partial", trigger="clock", schools_total=2, schools_read=1, schools_failed=1)
    session.add(run)
    session.flush()
    session.add_all([m.SyncOutcome(run_id=run.id, school_id=school.id, outcome="read", duration_ms=120),
                     m.SyncOutcome(run_id=run.id, school_id=gone.id, outcome="failed",
                                   error="нет книги «sch02.xlsx»")])
    session.add(JobRun(job="export", started_at=datetime(2026, 11, 22, 2, 30), finished_at=datetime(2026, 11, 22, 2, 31),
                       outcome="failed", message="Ошибка: диск заполнен"))


@functools.cache
def template_database(folder: Path) -> Path:
    """A migrated, filled database made once; each app gets a copy (migrating is slow)."""
    path = folder / "template.db"
    db = m.Database(f"sqlite:///{path}")
    db.upgrade()
    with db.session() as session:
        populate(session)
    db.dispose()
    return path


def build_app(folder, *, template: Path, config=None, **settings):
    shutil.copyfile(template, folder / "svod.db")
    values = dict(academic_year=YEAR, admin_password_hash=HASH, secret_key="test-secret",
                  smtp_password="smtp-secret-value")
    values.update(settings)
    svod = make_svod(folder, now=NOW, migrate=False, **values)
    app = app_of(svod, **(config or {}))
    for blueprint in (auth.bp, admin.bp):  # until create_app registers them itself
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)
    return app


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return template_database(tmp_path_factory.mktemp("template"))


@pytest.fixture
def make_app(tmp_path, template):
    made = []

    def factory(**options):
        folder = tmp_path / f"app{len(made)}"
        folder.mkdir()
        made.append(build_app(folder, template=template, **options))
        return made[-1]
    yield factory
    for app in made:
        app.extensions["svod"].dispose()


def token(client, path="/admin/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def sign_in(client) -> None:
    response = client.post("/admin/login", data={"password": PASSWORD, "csrf_token": token(client)})
    assert response.status_code == 302


@pytest.fixture
def client(make_app):
    client = make_app().test_client()
    sign_in(client)
    return client


# --- signing in ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ADMIN_GETS)
def test_every_admin_page_asks_to_sign_in(make_app, path):
    response = make_app().test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_sign_in_goes_back_where_the_head_was_going_and_only_there(make_app):
    client = make_app().test_client()
    form = {"password": PASSWORD, "csrf_token": token(client), "next": "/admin/config"}
    assert client.post("/admin/login", data=form).headers["Location"] == "/admin/config"
    client = make_app().test_client()
    form = {"password": PASSWORD, "csrf_token": token(client), "next": "//evil.example/admin"}
    assert client.post("/admin/login", data=form).headers["Location"] == "/admin/"


def test_a_wrong_password_is_refused_in_russian(make_app):
    client = make_app().test_client()
    response = client.post("/admin/login", data={"password": "nope", "csrf_token": token(client)})
    assert response.status_code == 401
    assert "Неверный пароль." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_five_failures_in_fifteen_minutes_lock_the_address_out(make_app):
    app = make_app()
    client = app.test_client()
    csrf = token(client)
    for _ in range(5):
        assert client.post("/admin/login", data={"password": "nope", "csrf_token": csrf}).status_code == 401
    blocked = client.post("/admin/login", data={"password": PASSWORD, "csrf_token": csrf})
    assert blocked.status_code == 429
    assert ("Слишком много неудачных попыток входа с этого адреса. Вход снова откроется в 09:15 (через 15 мин.)"
            in blocked.get_data(as_text=True))
    # Another address is not affected; and the block ends with the cool-down.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    sign_in(other)
    limiter = app.extensions["svod_login_limiter"]
    limiter.clock = lambda: NOW + timedelta(minutes=16)
    assert client.post("/admin/login", data={"password": PASSWORD, "csrf_token": csrf}).status_code == 302


def test_without_a_password_hash_nobody_signs_in(make_app):
    client = make_app(admin_password_hash="").test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    assert "Вход не настроен: задайте переменную окружения SVOD_ADMIN_PASSWORD_HASH" in page
    assert client.post("/admin/login", data={"password": "", "csrf_token": token(client)}).status_code == 401


@pytest.mark.parametrize("form", [{}, {"csrf_token": "forged"}])
def test_posts_without_the_sessions_csrf_token_are_refused(client, form):
    for path in ("/admin/sync", "/admin/logout", "/admin/login"):
        response = client.post(path, data={"password": PASSWORD, **form})
        assert response.status_code == 400
        assert "Форма устарела" in response.get_data(as_text=True)


def test_sign_out(client):
    assert client.post("/admin/logout", data={"csrf_token": token(client, "/admin/")}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_the_session_cookie_flags(make_app):
    client = make_app().test_client()
    response = client.post("/admin/login", data={"password": PASSWORD, "csrf_token": token(client)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    client = make_app(public_url="https://svod.example.ru").test_client()
    response = client.post("/admin/login", data={"password": PASSWORD, "csrf_token": token(client)},
                           base_url="https://localhost")
    assert "; Secure" in response.headers["Set-Cookie"]


def test_without_a_secret_key_a_random_one_is_made_and_said(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="svod.web.auth")
    first, second = make_app(secret_key=""), make_app(secret_key="")
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert "SVOD_SECRET_KEY is not set" in caplog.text
    assert make_app().config["SECRET_KEY"] == "test-secret"


# --- the pages ------------------------------------------------------------------------------------------------

def test_the_dashboard(client):
    page = client.get("/admin/").get_data(as_text=True)
    assert "Обновить сейчас" in page and "Выгрузка базы данных" in page
    assert "Сводной книги ещё нет" in page
    assert "выгрузка базы данных" in page and "Ошибка: диск заполнен" in page  # the job run


def test_history_and_one_run_with_per_school_outcomes(client):
    page = client.get("/admin/history").get_data(as_text=True)
    assert "с ошибками" in page and "по расписанию" in page
    page = client.get("/admin/history/1").get_data(as_text=True)
    assert "Синхронизация № 1" in page
    assert "прочитана" in page and "ошибка" in page and "нет книги «sch02.xlsx»" in page
    assert client.get("/admin/history/99").status_code == 404


def test_configuration_shows_contacts_and_masks_secrets(client):
    page = client.get("/admin/config").get_data(as_text=True)
    assert "Петрова Анна Сергеевна" in page and "petrova@school1.example" in page  # admin pages may
    assert "нет (убрана из списка)" in page
    assert "Мониторинг кадрового обеспечения" in page and "30.09.2026" in page
    assert "10.12.2026 — Семинар «Школьная библиотека сегодня»" in page
    assert "smtp-secret-value" not in page and "test-secret" not in page and HASH not in page
    assert "smtp_password" in page and "***" in page


def test_job_runs_page(client):
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "выгрузка базы данных" in page and "ошибка" in page and "Ошибка: диск заполнен" in page


def test_public_pages_show_no_contacts(client):
    page = client.get("/").get_data(as_text=True)
    assert "Петрова" not in page and "petrova@school1.example" not in page


# --- «Обновить сейчас» ------------------------------------------------------------------------------------------

def test_refresh_now_records_one_request_however_often_it_is_clicked(client):
    """No sync runs in the web process: the button leaves a request for the clock; ten
    clicks are one request, and the page says it is coming."""
    for _ in range(10):
        response = client.post("/admin/sync", data={"csrf_token": token(client, "/admin/")}, follow_redirects=True)
    assert "Синхронизация уже запрошена: она начнётся в течение нескольких секунд." in response.get_data(as_text=True)
    with client.application.extensions["svod"].db.session() as session:
        waiting = session.scalars(select(m.SyncRequest)).all()
        assert [(r.status, r.requested_by) for r in waiting] == [("pending", "web")]
        assert session.scalar(select(func.count(m.SyncRun.id))) == 1  # the template's run only
    page = client.get("/admin/").get_data(as_text=True)
    assert "Синхронизация запрошена в 09:00 и начнётся в течение нескольких секунд." in page
    progress = client.get("/admin/sync/progress").get_json()
    assert progress["active"] is True and progress["request"]["status"] == "pending"


def test_a_request_no_clock_takes_says_to_check_the_clock(make_app):
    app = make_app()
    client = app.test_client()
    sign_in(client)
    client.post("/admin/sync", data={"csrf_token": token(client, "/admin/")})
    context = app.extensions["svod"]
    context.clock = lambda: datetime(2026, 11, 22, 9, 5)  # five minutes later, still untaken
    text = client.get("/admin/sync/progress").get_json()["text"]
    assert "процесс расписания (clock) её ещё не начал" in text


def test_the_progress_asks_to_sign_in(make_app):
    assert make_app().test_client().get("/admin/sync/progress").status_code == 302


# --- downloads ----------------------------------------------------------------------------------------------------

def test_download_the_consolidated_workbook(client):
    settings = client.application.extensions["svod"].settings
    response = client.get("/admin/download/consolidated", follow_redirects=True)
    assert "Сводной книги ещё нет" in response.get_data(as_text=True)
    settings.workbooks_dir.mkdir(parents=True, exist_ok=True)
    (settings.workbooks_dir / "Свод 2026-2027.xlsx").write_bytes(b"PK fake xlsx")
    response = client.get("/admin/download/consolidated")
    assert response.data == b"PK fake xlsx"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_google_consolidated_is_a_link(make_app):
    client = make_app(backend="google", consolidated_spreadsheet_id="1AbC").test_client()
    sign_in(client)
    assert client.get("/admin/").get_data(as_text=True).count("https://docs.google.com/spreadsheets/d/1AbC/edit") == 1
    assert client.get("/admin/download/consolidated").headers["Location"] == \
        "https://docs.google.com/spreadsheets/d/1AbC/edit"


def test_download_the_database_export_made_on_the_fly(client):
    response = client.get("/admin/download/export")
    assert response.status_code == 200
    assert response.data.startswith(b"SQLite format 3")
    assert "svod-2026-11-22.sqlite3" in response.headers["Content-Disposition"]
    assert "(последняя: svod-2026-11-22.sqlite3)" in client.get("/admin/").get_data(as_text=True)


def test_download_the_shipped_forms_in_the_forms_layout(client):
    response = client.get("/admin/download/forms")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Формы", "Правила"]
    rows = list(book["Формы"].iter_rows(values_only=True))
    assert rows[0][:5] == ("Форма", "Лист", "Вид", "Столбец", "Тип")
    assert ("Мониторинг библиотечного фонда", None, None, "Фонд всего, экз.", "Целое число") in [r[:5] for r in rows]
    rules = [r[1] for r in book["Правила"].iter_rows(min_row=2, values_only=True)]
    assert "Учебники, экз. ≤ Фонд всего, экз." in rules
    assert "/admin/download/forms" in client.get("/admin/").get_data(as_text=True)


# --- `svod create-admin` -------------------------------------------------------------------------------------------

def test_create_admin_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("длинный пароль 123\n"))
    assert auth.create_admin(password_stdin=True) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("SVOD_ADMIN_PASSWORD_HASH=")
    assert check_password_hash(line.split("=", 1)[1], "длинный пароль 123")


def test_create_admin_asks_twice(monkeypatch, capsys):
    answers = iter(["первый пароль", "второй пароль"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert auth.create_admin(password_stdin=False) == 1
    assert "Пароли не совпадают." in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert auth.create_admin(password_stdin=True) == 1
    assert "Пароль слишком короткий" in capsys.readouterr().err


def test_the_web_never_imports_the_scheduler_nor_the_sync():
    """Syncs and the schedule live in the clock process: the web cannot run them (nor pause
    the garbage collector of a process that serves requests)."""
    code = ("import sys, gc, web, web.admin, web.auth, web.status; "
            "assert not [name for name in sys.modules if name in ('jobs.scheduler', 'sync_service.sync.run', "
            "'sync_service.sync.runtime') or name.startswith('apscheduler')], sys.modules; "
            "assert gc.isenabled()")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
