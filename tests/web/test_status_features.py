"""The status page in depth: filters, the debtors' list, the plan, the sync's health, the
rates over time. Through Flask's test client over the district of conftest.py."""
import re
from datetime import date, datetime

import pytest

from sync_service import db as m
from sync_service.district.report import calendar_months, filter_report

from .test_pages import matrix, page, text


def header_keys(html: str) -> list[str]:
    return re.findall(r'<td class="rate" data-collection="([\w.]+)"', html)


# --- filters -------------------------------------------------------------------------------

def test_filter_form_works_without_javascript(client):
    html = page(client, "/")
    form = re.search(r'<form class="filters" method="get" action="/".*?</form>', html, re.S).group(0)
    assert re.findall(r'<select name="(\w+)"', form) == ["collection", "status"]
    assert '<button type="submit">Показать</button>' in form
    assert re.findall(r'<option value="([\w.]*)"', form) == [
        "", "staffing", "textbook_provision", "event_report.month", "library_fund", "textbook_exchange",
        "", "not_submitted", "submitted", "submitted_late", "returned", "in_progress", "not_started", "overdue",
        "unknown", "accepted", "accepted_late", "changed", "sent_back"]


def test_filter_by_collection(client):
    html = page(client, "/?collection=staffing")
    assert header_keys(html) == ["staffing"]
    assert matrix(html) == [["sch01", "submitted"], ["sch02", "submitted_late"], ["sch03", "returned"],
                            ["sch04", "overdue"]]
    assert '<option value="staffing" selected>' in html
    overdue = html.split('id="overdue"')[1].split("</table>")[0]
    assert re.findall(r'<td class="wide"><a href="/collection/[\w.]+">(.*?)</a>', overdue) == [
        "Мониторинг кадрового обеспечения школьной библиотеки"]


def test_filter_by_status_keeps_the_schools_with_that_status(client):
    html = page(client, "/?status=overdue")
    assert [row[0] for row in matrix(html)] == ["sch02", "sch03", "sch04"]
    assert len(header_keys(html)) == 5
    assert "Подходят школ: 3 из 4, у которых есть статус «просрочен»." in text(html)
    assert "по всем 4 школам, не только показанным" in html


def test_filter_by_collection_and_status(client):
    html = page(client, "/?collection=textbook_provision&status=submitted")
    assert matrix(html) == [["sch01", "submitted"], ["sch04", "submitted"]]
    assert "Просроченных отчётов нет." in html  # the overdue list follows the filter
    assert text(html).count("Показать все") == 1


def test_a_filter_matching_nothing(client):
    html = page(client, "/?collection=staffing&status=in_progress")
    assert "Нет школ, подходящих под отбор." in html and matrix(html) == []


@pytest.mark.parametrize("query, note", [
    ("collection=work_plan", "Сбора «work_plan» нет в плане на 2026/2027 учебный год — показаны все сборы."),
    ("status=lost", "Такого статуса нет — показаны все статусы."),
])
def test_an_unknown_filter_value_shows_everything_with_a_note(client, query, note):
    html = page(client, f"/?{query}")
    assert note in html and len(matrix(html)) == 4 and len(header_keys(html)) == 5


def test_the_api_takes_the_same_filters(client):
    report = client.get("/api/status?collection=staffing&status=returned").get_json()
    assert ([s["code"] for s in report["schools"]], [c["key"] for c in report["collections"]],
            [(s["school"], s["status"]) for s in report["submissions"]], report["overdue"]) == (
        ["sch03"], ["staffing"], [("sch03", "returned")], [])


def test_filter_report_is_pure_and_keeps_the_rates():
    report = {"schools": [{"code": "a", "name": "A"}, {"code": "b", "name": "B"}],
              "collections": [{"key": "x", "reporting_rate": 50.0}, {"key": "y", "reporting_rate": 0.0}],
              "submissions": [{"school": "a", "collection": "x", "status": "submitted"},
                              {"school": "a", "collection": "y", "status": "overdue"},
                              {"school": "b", "collection": "x", "status": "overdue"},
                              {"school": "b", "collection": "y", "status": "overdue"}],
              "overdue": [{"school": "a", "collection": "y"}, {"school": "b", "collection": "x"},
                          {"school": "b", "collection": "y"}]}
    narrowed = filter_report(report, collection="x", status="submitted")
    assert (narrowed["schools"], narrowed["collections"], narrowed["overdue"]) == (
        [{"code": "a", "name": "A"}], [{"key": "x", "reporting_rate": 50.0}], [])
    assert filter_report(report, status="overdue")["overdue"] == report["overdue"]
    assert filter_report(report, collection="nope", status="nope") == report


# --- the debtors -----------------------------------------------------------------------------

DEBTORS = """\
Должники на 22.11.2026:
— МБОУ Гимназия № 3: Мониторинг обеспеченности обучающихся учебниками (срок 30.09.2026, просрочено 53 дн.; по данным на 21.11.2026)
— МБОУ Гимназия № 3: Отчёт о мероприятиях: Международный месячник школьных библиотек (срок 31.10.2026, просрочено 22 дн.; по данным на 21.11.2026)
— МБОУ Гимназия № 3: Мониторинг кадрового обеспечения школьной библиотеки (возвращён на исправление, ошибок: 3; по данным на 21.11.2026)
— МБОУ Лицей № 4: Мониторинг кадрового обеспечения школьной библиотеки (срок 30.09.2026, просрочено 53 дн.)
— МБОУ Лицей № 4: Отчёт о мероприятиях: Международный месячник школьных библиотек (срок 31.10.2026, просрочено 22 дн.)
— МБОУ Лицей № 4: Мониторинг библиотечного фонда (возвращён на исправление, ошибок: 1)
— МБОУ СОШ № 2: Мониторинг обеспеченности обучающихся учебниками (срок 30.09.2026, просрочено 53 дн.)
— МБОУ СОШ № 2: Отчёт о мероприятиях: Международный месячник школьных библиотек (срок 31.10.2026, просрочено 22 дн.)
"""


def test_debtors_txt(client):
    response = client.get("/debtors.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.get_data(as_text=True) == DEBTORS


def test_debtors_txt_follows_the_filters(client):
    assert client.get("/debtors.txt?collection=library_fund").get_data(as_text=True) == (
        "Должники на 22.11.2026:\n"
        "— МБОУ Лицей № 4: Мониторинг библиотечного фонда (возвращён на исправление, ошибок: 1)\n")


def test_no_debtors(make_app):
    client = make_app(data=False, now=datetime(2026, 9, 15, 9, 0)).test_client()
    assert client.get("/debtors.txt").get_data(as_text=True) == "Должников на 15.09.2026 нет.\n"


def test_the_page_shows_the_debtors_in_a_textarea_with_a_copy_button(client):
    html = page(client, "/")
    area = re.search(r'<textarea id="debtors-text"[^>]*>(.*?)</textarea>', html, re.S)
    assert area.group(1).replace("&#34;", '"') + "\n" == DEBTORS
    assert "readonly" in area.group(0)
    button = re.search(r'<button type="button" class="copy" data-copy="debtors-text" hidden>(.*?)</button>', html)
    assert button.group(1) == "Скопировать список должников"  # shown by the script, useless without it
    assert '<script src="/static/svod.js" defer></script>' in html
    script = client.get("/static/svod.js").get_data(as_text=True)
    assert "navigator.clipboard.writeText" in script and 'execCommand("copy")' in script
    assert 'href="/debtors.txt"' in html
    assert 'href="/debtors.txt?status=overdue"' in page(client, "/?status=overdue")


# --- the plan ------------------------------------------------------------------------------------

def test_plan_page_months_of_the_academic_year(client):
    html = page(client, "/plan")
    assert [t.strip() for t in re.findall(r'<h2 id="m-[\d-]+">([^<]+)', html)] == [
        "Сентябрь 2026", "Октябрь 2026", "Ноябрь 2026", "Декабрь 2026", "Январь 2027", "Февраль 2027",
        "Март 2027", "Апрель 2027", "Май 2027", "Июнь 2027", "Июль 2027", "Август 2027"]
    assert 'class="month current"' in html and "сейчас" in html


def month(html: str, anchor: str) -> list[str]:
    section = re.search(rf'<section class="month[^"]*" aria-labelledby="{anchor}">(.*?)</section>', html, re.S)
    return [text(item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", section.group(1), re.S)]


def test_plan_months_hold_events_deadlines_and_today(client):
    html = page(client, "/plan")
    assert month(html, "m-2026-9") == [
        "30.09.2026 Срок сдачи Мониторинг кадрового обеспечения школьной библиотеки",
        "30.09.2026 Срок сдачи Мониторинг обеспеченности обучающихся учебниками"]
    assert month(html, "m-2026-10") == [
        "01.10.2026 Мероприятие Международный месячник школьных библиотек (Месячник школьных библиотек)",
        "31.10.2026 Срок сдачи Отчёт о мероприятиях: Международный месячник школьных библиотек"]
    assert month(html, "m-2026-11") == [
        "12.11.2026 Мероприятие Семинар «Обеспеченность учебниками»",
        "22.11.2026 Сегодня",
        "30.11.2026 Срок сдачи Мониторинг библиотечного фонда"]
    assert month(html, "m-2026-12") == ["10.12.2026 Мероприятие Вебинар в Сферуме: ФПУ и заказ учебников"]
    assert 'id="today" aria-current="date"' in html
    assert 'href="/collection/library_fund"' in html
    assert "Заседание прошлого года" not in html


def test_plan_undated_and_outside_the_year(client):
    seen = text(page(client, "/plan"))
    assert "Без даты без даты Мероприятие Консультации по запросу" in seen
    assert "За пределами учебного года 28.08.2026 Мероприятие Заседание ОМО № 1" in seen
    assert "без срока Срок сдачи" not in seen
    assert "Без даты без даты Мероприятие Консультации по запросу без даты Срок сдачи Взаимообмен" in seen


def test_plan_json(client):
    plan = client.get("/api/plan").get_json()
    assert (plan["academic_year"], plan["today"], len(plan["months"])) == ("2026/2027", "2026-11-22", 12)
    assert [item["kind"] for item in plan["months"][2]["entries"]] == ["event", "today", "deadline"]


def test_status_page_shows_what_comes_next_in_the_plan(client):
    upcoming = text(re.search(r'<section class="upcoming".*?</section>', page(client, "/"), re.S).group(0))
    assert upcoming.split("Скоро по плану")[1].strip() == (
        "30.11.2026 срок сдачи: Мониторинг библиотечного фонда "
        "10.12.2026 Вебинар в Сферуме: ФПУ и заказ учебников Весь план года →")


CALENDAR = [
    # date, kind, title -> (month index, past)
    ("2026-09-30", "deadline", "A", 0, True),
    ("2027-08-31", "event", "B", 11, False),
]


def test_calendar_months_is_pure():
    items = [{"kind": kind, "date": day, "title": title, "campaign": None, "collection": None}
             for day, kind, title, _month, _past in CALENDAR]
    calendar = calendar_months("2026/2027", items + [{"kind": "event", "date": None, "title": "C",
                                                      "campaign": None, "collection": None}], date(2026, 10, 5))
    for day, _kind, title, index, past in CALENDAR:
        got = [e for e in calendar["months"][index]["entries"] if e["title"] == title]
        assert [(e["date"], e["past"]) for e in got] == [(day, past)]
    assert [e["kind"] for e in calendar["months"][1]["entries"]] == ["today"]
    assert [(m["past"], m["current"]) for m in calendar["months"][:3]] == [(True, False), (False, True),
                                                                          (False, False)]
    assert [e["title"] for e in calendar["undated"]] == ["C"] and calendar["outside"] == []


def test_plan_in_the_header_navigation(client):
    html = page(client, "/plan")
    nav = re.search(r'<nav aria-label="Разделы">(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r'href="([^"]+)"', nav)[:2] == ["/", "/plan"]
    assert '<a href="/plan" aria-current="page">План года</a>' in nav


# --- the sync's health ------------------------------------------------------------------------

def test_a_fresh_sync_gives_no_warning(client):
    # the last run finished at 08:31, now is 09:00: 29 minutes < 2 × 15
    assert "Данные могут быть устаревшими" not in page(client, "/")


def test_a_stale_sync_is_warned_about(make_app):
    html = page(make_app(sync_interval_minutes=10).test_client(), "/")
    warning = re.search(r'<p class="stale" role="alert">(.*?)</p>', html, re.S).group(1)
    assert text(warning).strip() == (
        "⚠ Данные могут быть устаревшими. Последняя успешная синхронизация — 22.11.2026 08:31, "
        "больше 20 мин назад; обычно она идёт каждые 10 мин. Проверьте, что процесс синхронизации (clock) работает.")


def test_failed_runs_do_not_count_as_fresh(make_app):
    app = make_app()
    with app.extensions["svod"].db.session() as session:
        session.add(m.SyncRun(started_at=datetime(2026, 11, 22, 8, 50), finished_at=datetime(2026, 11, 22, 8, 50, 3),
                              status="failed", error="Не удалось прочитать книгу руководителя ОМО"))
    client = app.test_client()
    assert client.get("/api/status").get_json()["last_sync"]["last_success_at"] == "2026-11-22T08:31:00"
    html = page(client, "/")
    assert "Последняя синхронизация: 22.11.2026 08:50 — не удалась, заняла 3 с." in text(html)
    assert "Не удалось прочитать книгу руководителя ОМО" in html
    assert "Данные могут быть устаревшими" not in html  # 08:31 is still within 30 minutes
    html = page(make_app(now=datetime(2026, 11, 22, 10, 0)).test_client(), "/")
    assert "больше 30 мин назад" in text(html)


def test_no_successful_sync_ever(make_app):
    app = make_app(data=False)
    with app.extensions["svod"].db.session() as session:
        session.add(m.SyncRun(started_at=datetime(2026, 11, 22, 8, 0), status="running"))
    html = page(app.test_client(), "/")
    assert "Ни одна синхронизация ещё не прошла до конца" in html
    assert "Последняя синхронизация: 22.11.2026 08:00 — идёт сейчас." in text(html)


def test_last_sync_duration_in_the_json(client):
    last = client.get("/api/status").get_json()["last_sync"]
    assert (last["duration_seconds"], last["last_success_at"]) == (60, "2026-11-22T08:31:00")


# --- rates over time ---------------------------------------------------------------------------

def test_status_page_small_multiples_of_rates(client):
    html = page(client, "/")
    charts = re.findall(r'<figure class="multiple">(.*?)</figure>', html, re.S)
    assert len(charts) == 5
    assert all('class="chart rate-chart small"' in c and 'role="img"' in c for c in charts)
    staffing = charts[0]
    assert re.search(r"<title[^>]*>«Кадры»: доля сдавших по дням</title>", staffing)
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", staffing).group(1).replace("\u00a0", " ")
    assert desc == ("С 01.09.2026 по 22.11.2026: сейчас сдали 50 %, вовремя 25 %. "
                    "Изменения: 26.09.2026 — 25 %; 04.10.2026 — 50 %")
    assert "нет данных" in charts[1] and 'href="/collection/textbook_provision"' in charts[1]


def test_rates_json(client):
    rates = client.get("/api/rates").get_json()
    assert list(rates) == ["staffing", "textbook_provision", "event_report.month", "library_fund",
                           "textbook_exchange"]
    assert [(r["at"], r["reporting_rate"]) for r in rates["staffing"]] == [("2026-09-26T08:00:00", 50.0 / 2),
                                                                           ("2026-10-04T08:00:00", 50.0)]


def test_collection_page_rate_chart(client):
    html = page(client, "/collection/staffing")
    svg = re.search(r'<svg class="chart rate-chart".*?</svg>', html, re.S).group(0)
    assert "Доля сдавших отчёт «Мониторинг кадрового обеспечения школьной библиотеки» по дням" in svg
    assert len(re.findall(r'<circle class="point"', svg)) == 2
    assert "04.10.2026: сдали 50\u00a0%, вовремя 25\u00a0%" in svg
    assert 'class="deadline"' in svg and "срок 30.09.2026" in svg


# --- the page cache ------------------------------------------------------------------------------

def _retire_sch04(app):
    with app.extensions["svod"].db.session() as session:
        session.query(m.School).filter_by(code="sch04").update({"active": False})


def test_pages_are_cached_until_a_sync_writes(make_app):
    app = make_app()
    client = app.test_client()
    assert "МБОУ Лицей № 4" in page(client, "/") and "МБОУ Лицей № 4" in client.get("/debtors.txt").get_data(True)
    _retire_sch04(app)  # not through a sync: the cached pages stay
    assert "МБОУ Лицей № 4" in page(client, "/") and "МБОУ Лицей № 4" in client.get("/debtors.txt").get_data(True)
    with app.extensions["svod"].db.session() as session:  # a sync's outcome is a write the cache sees
        session.add(m.SyncOutcome(run_id=2, school_id=1, outcome="unchanged"))
    assert "МБОУ Лицей № 4" not in page(client, "/")
    assert [s["code"] for s in client.get("/api/status").get_json()["schools"]] == ["sch01", "sch02", "sch03"]


def test_the_cache_can_be_switched_off(make_app):
    app = make_app(config={"SVOD_PAGE_CACHE": False})
    client = app.test_client()
    assert "МБОУ Лицей № 4" in page(client, "/")
    _retire_sch04(app)
    assert "МБОУ Лицей № 4" not in page(client, "/")


def test_a_cached_report_still_tells_the_time_now(make_app):
    now = [datetime(2026, 11, 22, 9, 0)]
    app = make_app()
    app.extensions["svod"].clock = lambda: now[0]
    client = app.test_client()
    assert client.get("/api/status").get_json()["generated_at"] == "2026-11-22T09:00:00"
    now[0] = datetime(2026, 11, 22, 9, 5)
    assert client.get("/api/status").get_json()["generated_at"] == "2026-11-22T09:05:00"
    assert "Статусы на 22.11.2026 09:05" in text(page(client, "/"))
    now[0] = datetime(2026, 11, 23, 9, 0)  # a new day: days overdue move on
    assert client.get("/api/status").get_json()["overdue"][0]["days_overdue"] == 54
