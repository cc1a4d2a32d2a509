"""Who has not submitted yet, before the deadline (issue 15): every collection has a
copyable «не сдали» list — not started, in progress, returned, overdue and «нет данных»,
each marked — on the status page filtered to it, on its own page and as text, and the
status filter «не сдан». Through Flask's test client over the district of conftest.py
(22.11.2026: «Фонд» is due on 30.11, so nobody owes it yet, but three schools have not
submitted it)."""
from __future__ import annotations

import html as markup
import re
from datetime import date

from sync_service import db as m

from .test_pages import matrix, page, text

FUND_MISSING = """\
Не сдали «Мониторинг библиотечного фонда» (срок 30.11.2026) на 22.11.2026: 3 школы из 4:
— МБОУ Лицей № 4 — возвращён на исправление, ошибок: 1
— МБОУ СОШ № 2 — заполняется
— МБОУ Гимназия № 3 — не начат (по данным на 21.11.2026)
"""


def textarea(html: str, ident: str) -> str:
    area = re.search(rf'<textarea id="{ident}"[^>]*>(.*?)</textarea>', html, re.S)
    return markup.unescape(area.group(1)) + "\n"


def test_a_collection_not_yet_due_has_its_list_to_remind_early(client):
    html = page(client, "/?collection=library_fund")
    # before: the page only had «Должников … нет» for what is not yet due
    assert textarea(html, "not-submitted-text") == FUND_MISSING
    button = re.search(r'<button type="button" class="copy" data-copy="not-submitted-text" hidden>(.*?)</button>', html)
    assert button.group(1) == "Скопировать список «не сдали»"
    assert 'href="/not-submitted.txt?collection=library_fund"' in html
    assert "возвращён — 1, заполняется — 1, не начат — 1." in text(html)


def test_the_list_as_text(client):
    response = client.get("/not-submitted.txt?collection=library_fund")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.get_data(as_text=True) == FUND_MISSING
    overdue = client.get("/not-submitted.txt?collection=staffing").get_data(as_text=True)
    assert overdue.splitlines()[1:] == ["— МБОУ Гимназия № 3 — возвращён на исправление, ошибок: 3 (по данным на 21.11.2026)",
                                        "— МБОУ Лицей № 4 — просрочен 53 дня"]
    missing = client.get("/not-submitted.txt?collection=nope")
    assert missing.status_code == 404 and "Сбора «nope» нет в плане" in missing.get_data(as_text=True)


def test_every_collection_has_its_count_and_list_on_the_unfiltered_page(client):
    html = page(client, "/")
    section = html.split('id="not-submitted"')[1].split('id="overdue"')[0]
    rows = re.findall(r'<tr data-collection="([\w.]+)">.*?<td class="num" data-label="Не сдали">(.*?)</td>', section, re.S)
    assert rows == [("staffing", "2 из 4"), ("textbook_provision", "2 из 4"), ("event_report.month", "3 из 4"),
                    ("library_fund", "3 из 4"), ("textbook_exchange", "3 из 4")]
    assert 'href="/?collection=library_fund#not-submitted"' in section
    assert 'href="/not-submitted.txt?collection=textbook_exchange"' in section


def test_the_collection_page_has_the_list(client):
    assert textarea(page(client, "/collection/library_fund"), "not-submitted-text") == FUND_MISSING
    api = client.get("/api/collection/library_fund").get_json()
    assert api["not_submitted"]["text"] + "\n" == FUND_MISSING
    assert api["collection"]["not_submitted"] == 3


def test_the_status_filter_not_submitted(client):
    html = page(client, "/?collection=library_fund&status=not_submitted")
    assert matrix(html) == [["sch02", "in_progress"], ["sch03", "not_started"], ["sch04", "returned"]]
    assert '<option value="not_submitted" selected>' in html
    assert "Подходят школ: 3 из 4, у которых есть несданный отчёт; сбор: Мониторинг библиотечного фонда." in text(html)
    api = client.get("/api/status?status=not_submitted").get_json()
    assert api["filters"]["status"] == "not_submitted" and len(api["schools"]) == 4


def test_a_long_list_is_paged(make_app):
    app = make_app(data=False)
    with app.extensions["svod"].db.session() as session:
        session.add_all([m.School(code=f"s{i:03d}", name=f"Школа № {i:03d}") for i in range(130)])
        session.add(m.Collection(key="textbook_order", form="textbook_order", tab="Заказ учебников",
                                 title="Заказ учебников на следующий учебный год", deadline=date(2027, 2, 28),
                                 academic_year="2026/2027"))
    client = app.test_client()
    first = client.get("/not-submitted.txt?collection=textbook_order").get_data(as_text=True).splitlines()
    assert first[0] == ("Не сдали «Заказ учебников на следующий учебный год» (срок 28.02.2027) на 22.11.2026: "
                        "130 школ из 130:")
    assert first[1] == "— Школа № 000 — не начат" and len(first) == 1 + 100 + 2
    assert first[-1] == ("Школы 1–100 из 130, страница 1 из 2. Следующая: "
                         "/not-submitted.txt?collection=textbook_order&page=2")
    second = client.get("/not-submitted.txt?collection=textbook_order&page=2").get_data(as_text=True).splitlines()
    assert second[1] == "— Школа № 100 — не начат" and second[-1] == "Школы 101–130 из 130, страница 2 из 2."
    html = page(client, "/?collection=textbook_order")
    assert textarea(html, "not-submitted-text").count("\n— ") == 100
    assert "Здесь — первые 100 из 130" in text(html)
