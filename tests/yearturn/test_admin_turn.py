"""The head's year page: «Показать, что изменится» is made by the clock (the web process only
records the request), the turn needs that preview and a confirmation, then the clock runs
it with a sync; the annual analysis downloads from the same page."""
from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import datetime

import docx
import openpyxl
from werkzeug.security import generate_password_hash

from jobs.scheduler import Runner
from sync_service.sync.run import run_sync
from tests.factory import make_app
from tests.yearturn.district import STAFF, build

PASSWORD = "correct horse battery"


def signed_in(svod):
    client = make_app(svod).test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post("/admin/login", data={"password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def post(client, path: str, **form):
    page = client.get("/admin/year/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return client.post(path, data={"csrf_token": token, **form})


def test_preview_confirm_and_the_clock_turns_the_year(tmp_path):
    d = build(tmp_path, "2026/2027", now=datetime(2026, 9, 15, 9))
    d.svod.settings = replace(d.svod.settings, admin_password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"),
                              secret_key="test-secret")
    run_sync(d.svod)
    d.fill_table("sch01", "Кадры", STAFF)
    d.at(datetime(2027, 8, 25, 9))
    run_sync(d.svod)
    client = signed_in(d.svod)
    page = client.get("/admin/year/").get_data(as_text=True)
    assert "Переход на 2027/2028 учебный год" in page and "Я проверила" not in page
    # no preview yet: the turn is refused
    post(client, "/admin/year/turn", confirm="2027/2028")
    runner = Runner(d.svod)
    assert runner.poll_requests() is None and d.svod.academic_year == "2026/2027"
    before = d.tabs("sch01")
    post(client, "/admin/year/preview")
    assert d.tabs("sch01") == before   # the web made nothing: the clock makes the preview
    assert runner.poll_requests().job == "year_preview"
    assert d.tabs("sch01") == before   # a preview changes no workbook
    page = client.get("/admin/year/").get_data(as_text=True)
    assert "переименовать «Кадры» → «Кадры 2026-2027»" in page and "Я проверила" in page
    post(client, "/admin/year/turn")   # not confirmed
    assert runner.poll_requests() is None
    post(client, "/admin/year/turn", confirm="2027/2028")
    assert d.tabs("sch01") == before
    run = runner.poll_requests()
    assert run.job == "sync" and run.outcome == "ok", run.message
    assert d.svod.academic_year == "2027/2028"
    assert "Кадры 2026-2027" in d.tabs("sch01")
    assert "переход сделан" in client.get("/admin/year/").get_data(as_text=True)


def test_the_annual_analysis_downloads(tmp_path):
    d = build(tmp_path, "2026/2027", now=datetime(2027, 6, 20, 9))
    d.svod.settings = replace(d.svod.settings, admin_password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"),
                              secret_key="test-secret")
    run_sync(d.svod)
    client = signed_in(d.svod)
    word = client.get("/admin/year/analysis.docx?year=2026/2027")
    assert word.status_code == 200 and "attachment" in word.headers["Content-Disposition"]
    assert docx.Document(io.BytesIO(word.data)).paragraphs[0].text.endswith("2026/2027 учебный год")
    excel = client.get("/admin/year/analysis.xlsx?year=2026-2027")
    assert openpyxl.load_workbook(io.BytesIO(excel.data)).sheetnames[0] == "1 Исполнительская дисциплина"
    assert make_app(d.svod).test_client().get("/admin/year/analysis.docx").status_code == 302   # signed in only
