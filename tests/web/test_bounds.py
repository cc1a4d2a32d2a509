"""Every page and API answer is bounded, whatever the database holds.

A district inserted directly (seconds): 260 schools × 5 collections, one school whose
order tab produced 200 000 findings (100 000 broken lines, two findings each: the
issue's 138 MB school page), 30 read errors, 3 000 rate snapshots of one collection
(a sync every quarter of an hour for a month), a 20 000-row snapshot. Every GET route
of the app is asked for, and each answer must stay under 2 MB; the pages a head opens
every day far under it.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert

from sync_service import db as m
from sync_service.district.overview import OVERDUE_LIMIT, PER_PAGE, SYNC_ERRORS_LIMIT
from sync_service.district.school_page import GROUP_PER_PAGE, PREVIEW
from tests.web.conftest import YEAR, build_app
from tests.web.test_security import HEAD, sign_in

SCHOOLS = 260
FINDINGS = 200_000
LIMIT = 2 * 1024 * 1024
DAILY = 300 * 1024  # what the head opens every morning


def fill(session) -> None:
    schools = [m.School(code=f"s{i:03d}", name=f"МБОУ СОШ № {i}") for i in range(SCHOOLS)]
    keys = ["staffing", "library_fund", "textbook_order", "event_report.month", "textbook_exchange"]
    collections = [m.Collection(key=key, form=key.split(".")[0], tab=f"Лист {i}", title=f"Сбор «{key}»",
                                deadline=date(2026, 9, 30) + timedelta(days=30 * i) if i < 4 else None,
                                campaign="month" if "." in key else None, position=i, academic_year=YEAR)
                   for i, key in enumerate(keys)]
    session.add_all(schools + collections)
    session.flush()
    run = m.SyncRun(started_at=datetime(2026, 11, 22, 8), finished_at=datetime(2026, 11, 22, 8, 5), status="partial",
                    schools_total=SCHOOLS, schools_failed=30)
    session.add(run)
    session.flush()
    session.execute(insert(m.Submission), [
        dict(school_id=s.id, collection_id=c.id, ready=(s.id + c.id) % 3 == 0, errors=(s.id % 5 == 0) * 3,
             has_data=True, first_submitted_at=datetime(2026, 10, 1) if (s.id + c.id) % 3 == 0 else None,
             version=1 if c.key == "textbook_order" and s.code == "s000" else 0)
        for s in schools for c in collections])
    order = collections[2]
    hostile = session.query(m.Submission).filter_by(school_id=schools[0].id, collection_id=order.id).one()
    session.add(m.SubmissionVersion(submission_id=hostile.id, version=1, data_hash="h", computed={}, run_id=run.id,
                                    rows={"columns": {"fpu_code": ["1.1.1"] * 20_000, "copies": [10] * 20_000},
                                          "rows": list(range(5, 20_005))}))
    session.execute(insert(m.FindingRecord), [
        dict(school_id=schools[0].id, collection_id=order.id, code=code, severity="error", form="textbook_order",
             sheet="Заказ учебников", row=5 + n // 2, column=column, column_key=key, address=f"{letter}{5 + n // 2}",
             message=f"Ошибка в строке {5 + n // 2}: " + "очень длинное сообщение " * 8, hint="Исправьте значение.")
        for n in range(FINDINGS)
        for code, column, key, letter in [(("fpu-unknown", "Код ФПУ", "fpu_code", "A"),
                                           ("range", "Количество", "copies", "E"))[n % 2]]])
    session.add_all([m.WorkbookState(school_id=s.id, workbook_id=s.code, error="файл повреждён " * 5,
                                     error_at=datetime(2026, 11, 22, 8)) for s in schools[-30:]])
    session.add_all([m.SyncOutcome(run_id=run.id, school_id=s.id, outcome="failed") for s in schools[-30:]])
    session.execute(insert(m.RateSnapshot), [
        dict(run_id=run.id, collection_id=collections[0].id, at=datetime(2026, 10, 1) + timedelta(minutes=15 * n),
             expected=SCHOOLS, reporting_rate=n / 30, on_time_rate=n / 40) for n in range(3000)])


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("big"), data=False, **HEAD)
    with app.extensions["svod"].db.session() as session:
        fill(session)
    yield app
    app.extensions["svod"].dispose()


@pytest.fixture(scope="module")
def client(big):
    client = big.test_client()
    sign_in(client)  # the head's pages too
    return client


def plain(html: str) -> str:
    """The text with the no-break spaces of Russian numbers as plain ones, spaces squeezed."""
    return re.sub(r"\s+", " ", html.replace("\u202f", " ").replace("\u00a0", " "))


def sample_urls(app) -> list[str]:
    """Every GET route of the app with values that hit the big data."""
    values = {"code": "s000", "key": "textbook_order", "run_id": "1", "filename": "svod.css"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        urls.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values.get(match[1], "x"), rule.rule))
    return sorted(urls)


def test_every_get_route_answers_under_2_mb(big, client):
    urls = sample_urls(big)
    assert {"/", "/school/s000", "/api/school/s000", "/collection/textbook_order", "/api/status"} <= set(urls)
    sizes = {}
    for url in urls + ["/?status=returned", "/?page=3", "/school/s000?page=2", "/debtors.txt?page=2",
                       "/?collection=textbook_order", "/?status=not_submitted",
                       "/not-submitted.txt?collection=textbook_order", "/not-submitted.txt?collection=textbook_order&page=2",
                       "/school/s000/findings?collection=textbook_order&column=copies&finding=range&page=7",
                       "/api/school/s000/findings?collection=textbook_order&column=fpu_code&finding=fpu-unknown"]:
        response = client.get(url)
        assert response.status_code in (200, 302, 404), url
        if response.headers.get("Content-Disposition", "").startswith("attachment"):
            continue  # a file the head asked to download (the database export), not a page
        sizes[url] = len(response.get_data())
    assert {url: size for url, size in sizes.items() if size >= LIMIT} == {}
    daily = ["/", "/school/s000", "/collection/textbook_order", "/debtors.txt", "/api/status", "/api/school/s000",
             "/?collection=textbook_order", "/not-submitted.txt?collection=textbook_order"]
    assert {url: sizes[url] for url in daily if sizes[url] >= DAILY} == {}


def test_the_status_page_is_a_page_of_schools(client):
    html = client.get("/").get_data(as_text=True)
    assert html.count('<th scope="row" class="school-col">') == PER_PAGE + 2  # + the two rates rows
    assert "Школы 1–50 из 260, страница 1 из 6" in plain(html)
    assert 'href="/?page=2"' in html and 'href="/?page=6"' in html
    assert f"Показаны {OVERDUE_LIMIT} самых давних из" in html
    assert f"Показаны первые {SYNC_ERRORS_LIMIT} из" not in html  # 30 read errors: all listed
    last = client.get("/?page=6").get_data(as_text=True)
    assert last.count('<th scope="row" class="school-col">') == SCHOOLS - 5 * PER_PAGE + 2
    assert ">s259<" not in last and "МБОУ СОШ № 259" in last


def test_the_api_pages_its_schools(client):
    first = client.get("/api/status").get_json()
    assert (len(first["schools"]), first["page"]["pages"], first["page"]["total"]) == (100, 3, SCHOOLS)
    assert len(first["submissions"]) == 100 * 5 and len(first["overdue"]) == OVERDUE_LIMIT
    asked = client.get("/api/status?per_page=100000&page=2").get_json()
    assert (asked["page"]["per_page"], asked["page"]["number"], asked["schools"][0]["code"]) == (200, 2, "s200")
    assert len(client.get("/api/rates").get_json()["staffing"]) == 32  # 3 000 snapshots: the last of each day


def test_a_school_with_200_000_findings(client):
    html = client.get("/school/s000").get_data(as_text=True)
    assert "Ошибок: 200 000, предупреждений: 0." in plain(html)
    assert html.count('<tr class="sev-error">') == 2 * PREVIEW
    assert "и ещё 99 995 таких же в столбце «Код ФПУ»" in plain(html)
    assert "/school/s000/findings?collection=textbook_order&amp;column=copies&amp;finding=range" in html
    api = client.get("/api/school/s000").get_json()
    groups = api["findings"][0]["groups"]
    assert [(g["code"], g["column"], g["total"], g["more"], len(g["findings"])) for g in groups] == [
        ("fpu-unknown", "Код ФПУ", 100_000, 100_000 - PREVIEW, PREVIEW),
        ("range", "Количество", 100_000, 100_000 - PREVIEW, PREVIEW)]
    assert (api["errors"], api["groups_page"]["total"]) == (FINDINGS, 2)


def test_the_rest_of_a_group_page_by_page(client):
    url = "/api/school/s000/findings?collection=textbook_order&column=copies&finding=range"
    page = client.get(url + "&page=3").get_json()
    assert (page["page"]["pages"], page["page"]["first"], len(page["findings"])) == (1000, 201, GROUP_PER_PAGE)
    assert [f["address"] for f in page["findings"][:2]] == ["E205", "E206"]  # sheet order
    html = client.get(url.replace("/api", "") + "&page=1000").get_data(as_text=True)
    assert "Замечания 99 901–100 000 из 100 000, страница 1000 из 1000" in plain(html)
    assert client.get("/api/school/s000/findings?collection=nope&column=copies&finding=range").status_code == 404


def test_the_collection_page_is_a_page_of_schools(client):
    detail = client.get("/api/collection/textbook_order").get_json()
    assert (len(detail["schools"]), detail["schools_page"]["pages"]) == (100, 3)
    # s000's 20 000 rows are not submitted (its workbook cannot be read): not in the district's totals
    assert detail["schools"][0]["rows"] == 20_000 and detail["figures"]["rows"] == 0
    html = client.get("/collection/textbook_order?page=3").get_data(as_text=True)
    assert "Школы 201–260 из 260, страница 3 из 3" in plain(html)
