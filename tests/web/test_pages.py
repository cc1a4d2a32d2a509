"""The pages through Flask's test client: statuses, labels, counts, findings, figures, errors."""
import re

import pytest


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def text(html: str) -> str:
    """What a reader sees: tags dropped, spaces squeezed."""
    html = re.sub(r"<(svg|title)\b.*?</\1>", " ", html, flags=re.S)
    squeezed = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return re.sub(r" ([,.:;)])", r"\1", squeezed)


def rows(html: str, table_class: str) -> list[list[str]]:
    """The body rows of the table with ``table_class`` as lists of cell texts."""
    table = re.search(rf'<table class="[^"]*\b{table_class}\b[^"]*">(.*?)</table>', html, re.S).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    return [[text(cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


# --- the status page ----------------------------------------------------------------

@pytest.fixture(scope="module")
def index(client):
    return page(client, "/")


def test_status_page_is_russian(index):
    assert '<html lang="ru">' in index
    assert "Сдача отчётов за 2026/2027 учебный год" in index
    assert "Статусы на 22.11.2026 09:00" in text(index)


MATRIX = """
sch01 submitted submitted submitted_late submitted in_progress
sch02 submitted_late overdue overdue in_progress submitted
sch03 returned overdue overdue not_started not_started
sch04 overdue submitted overdue returned not_started
"""


def matrix(html: str) -> list[list[str]]:
    """[school code, status, status, …] per matrix row, collections in the header's order."""
    body = re.search(r'<table class="matrix[^"]*">.*?<tbody>(.*?)</tbody>', html, re.S)
    return [[re.search(r'href="/school/(\w+)"', row).group(1), *re.findall(r'data-status="(\w+)"', row)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)] if body else []


def test_matrix_statuses(index):
    assert matrix(index) == [line.split() for line in MATRIX.strip().splitlines()]


def test_matrix_cells_carry_symbol_and_label_not_only_colour(index):
    row = re.search(r'<th scope="row" class="school-col"><a href="/school/sch04">.*?</tr>', index, re.S).group(0)
    cell = re.search(r"<td.*?</td>", row).group(0)  # staffing, the first collection
    assert cell == ('<td data-status="overdue" data-label="Кадры"><a class="st st-overdue" '
                    # the aria-label is also the tooltip (svod.css)
                    'href="/school/sch04#c-staffing" aria-label="Кадры: просрочен">!</a></td>')
    row = re.search(r'class="school-col"><a href="/school/sch03">.*?</tr>', index, re.S).group(0)
    returned = re.findall(r"<td.*?</td>", row)[0]
    assert ('aria-label="Кадры: возвращён на исправление (по данным на 21.11.2026), ошибок: 3">✗ <b class="err-count">3</b>'
            in returned)


def test_legend_names_every_status(index):
    legend = re.search(r'<ul class="legend".*?</ul>', index, re.S).group(0)
    assert text(legend).split() == ["✓", "сдан", "✓!", "сдан", "с", "опозданием", "✗", "возвращён", "…",
                                    "заполняется", "·", "не", "начат", "!", "просрочен", "?", "нет", "данных:",
                                    "книга", "не", "читается", "★", "принят", "★!", "принят,", "сдан", "с",
                                    "опозданием", "✎", "изменено", "после", "принятия", "↩", "возвращён", "на",
                                    "доработку"]


def test_column_headers_carry_deadlines(index):
    """Compact headers that fit a laptop: grouped by the month of the deadline, the day and
    month under each name, long words with soft hyphens, a campaign's kind apart (issue 15)."""
    head = re.search(r"<thead>(.*?)</thead>", index, re.S).group(1)
    months = re.findall(r'<th scope="colgroup" colspan="(\d+)">(.*?)</th>', head)
    assert months == [("2", "Сентябрь 2026"), ("1", "Октябрь 2026"), ("1", "Ноябрь 2026"), ("1", "Без срока")]
    names = re.search(r'<tr class="names">(.*?)</tr>', head, re.S).group(1)
    assert text(names).replace("\u00ad", "-").split() == [
        "Кадры", "до", "30.09", "Обес-пе-чен-ность", "до", "30.09", "Ме-ро-при-я-тия", "Месячник", "до", "31.10",
        "Фонд", "до", "30.11", "Обмен", "учеб-ни-ка-ми", "без", "срока"]
    assert '<span class="kind-of">Ме\u00adро\u00adпри\u00adя\u00adтия</span> Месячник' in names
    assert re.findall(r'data-collection="([\w.]+)"', names) == [
        "staffing", "textbook_provision", "event_report.month", "library_fund", "textbook_exchange"]
    # every cell says which collection it is, for the phone's per-school cards
    assert re.findall(r'<td data-status="\w+" data-label="([^"]+)">', index)[:5] == [
        "Кадры", "Обеспеченность", "Месячник", "Фонд", "Обмен учебниками"]


def test_rates_in_the_footer(index):
    footer = text(re.search(r"<tfoot>(.*?)</tfoot>", index, re.S).group(1))
    assert footer.split() == ["Сдали", "50", "%", "50", "%", "25", "%", "25", "%", "25", "%",
                              "Сдали", "вовремя", "25", "%", "50", "%", "0", "%", "25", "%", "25", "%"]


def test_overdue_list(index):
    assert rows(index, "overdue") == [
        ["МБОУ СОШ № 2", "Мониторинг обеспеченности обучающихся учебниками", "30.09.2026", "53 дня"],
        ["МБОУ Гимназия № 3", "Мониторинг обеспеченности обучающихся учебниками", "30.09.2026", "53 дня"],
        ["МБОУ Лицей № 4", "Мониторинг кадрового обеспечения школьной библиотеки", "30.09.2026", "53 дня"],
        ["МБОУ СОШ № 2", "Отчёт о мероприятиях: Международный месячник школьных библиотек", "31.10.2026", "22 дня"],
        ["МБОУ Гимназия № 3", "Отчёт о мероприятиях: Международный месячник школьных библиотек", "31.10.2026",
         "22 дня"],
        ["МБОУ Лицей № 4", "Отчёт о мероприятиях: Международный месячник школьных библиотек", "31.10.2026",
         "22 дня"],
    ]


def test_last_sync_and_failed_schools(index):
    seen = text(index)
    assert ("Последняя синхронизация: 22.11.2026 08:31 — с ошибками, заняла 1 мин. "
            "Школ 4: прочитано 1, без изменений 2, не прочитано 1.") in seen
    failed = re.search(r'<p class="failed-schools">.*?</p>', index, re.S).group(0)
    assert text(failed).strip() == "Не удалось прочитать книги 1 школы: МБОУ Гимназия № 3 ( причины)."
    assert 'href="/school/sch03"' in failed and 'href="#sync-errors"' in failed and 'id="sync-errors"' in index
    assert "МБОУ Гимназия № 3: нет книги «sch03.xlsx» (22.11.2026 08:30)" in seen
    school_row = re.search(r'<tr class="has-sync-error">.*?</tr>', index, re.S).group(0)
    assert "МБОУ Гимназия № 3" in school_row and "⚠ книга не читается, данные на 21.11.2026" in school_row


def test_rate_chart_is_accessible_svg(index):
    svg = re.search(r"<svg.*?</svg>", index, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "Сдали отчёт, % школ по каждому сбору" in svg
    assert "Кадры — 50 %" in svg.replace("\u00a0", " ")
    assert svg.count('class="fill"') == 5


def test_no_external_resources(index):
    assert not re.search(r'(src|href)="(https?:)?//', index)
    # One script, this site's own file: no inline script for the Content-Security-Policy to refuse.
    assert re.findall(r"<script[^>]*>", index) == ['<script src="/static/svod.js" defer>']
    assert not re.search(r"\sstyle=|<style", index)


def test_stylesheet_is_served(client):
    response = client.get("/static/svod.css")
    assert response.status_code == 200 and b"position: sticky" in response.data


def test_nothing_synced_yet(make_app):
    html = page(make_app(data=False).test_client(), "/")
    assert "Синхронизация ещё не выполнялась" in html
    assert "Просроченных отчётов нет." in html


def test_a_decimal_rate_has_a_comma(make_app):
    app = make_app()
    from sync_service import db as m
    with app.extensions["svod"].db.session() as session:
        session.query(m.School).filter_by(code="sch04").update({"active": False})
    html = page(app.test_client(), "/")
    footer = text(re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)).replace("\u00a0", " ")
    assert footer.split()[:5] == ["Сдали", "66,7", "%", "33,3", "%"]  # staffing: 2 of 3; provision: 1 of 3


# --- one school ----------------------------------------------------------------------

def test_school_page_collections(client):
    html = page(client, "/school/sch01")
    assert "<h1>МБОУ СОШ № 1</h1>" in html
    assert rows(html, "list")[:2] == [
        ["Мониторинг кадрового обеспечения школьной библиотеки", "до 30.09.2026", "✓ сдан", "0", "0", "25.09.2026"],
        ["Мониторинг обеспеченности обучающихся учебниками", "до 30.09.2026", "✓ сдан", "0", "0", "30.09.2026"],
    ]
    assert "Мало читателей: 500 &lt; 600" in html


def test_school_page_findings_grouped_by_form_with_addresses(client):
    html = page(client, "/school/sch03")
    groups = re.findall(r'<section class="findings">\s*<h3>(.*?)</h3>(.*?)</section>', html, re.S)
    assert [title for title, _ in groups] == ["Книга школы", "Мониторинг кадрового обеспечения школьной библиотеки"]
    assert rows(groups[0][1], "list") == [["", "", "Не удалось прочитать книгу: файл повреждён",
                                           "Проверьте, что файл — книга Excel (.xlsx) и что он не открыт с ошибкой; "
                                           "пересохраните его.", "ошибка"]]
    staffing = rows(groups[1][1], "list")
    assert [line[:2] for line in staffing] == [
        ["лист «Кадры», ячейка C6", "Ставка"], ["лист «Кадры», ячейка K6", "Эл. почта"],
        ["лист «Кадры», ячейка A7", "ФИО"], ["лист «Кадры», строка 8", ""], ["лист «Кадры», ячейка J7", "Телефон"]]
    assert staffing[0][2:] == ["Значение 3 вне допустимых границ (от 0,25 до 2)",
                               "Проверьте значение в ячейке C6: допустимо от 0,25 до 2.", "ошибка"]
    assert staffing[4][2] == "Не заполнено обязательное поле «Телефон»"


def test_school_page_sync_error(client):
    html = page(client, "/school/sch03")
    assert "Книгу школы не удалось прочитать" in html
    assert "нет книги «sch03.xlsx» (22.11.2026 08:30)" in text(html)
    assert "Книгу школы не удалось прочитать" not in page(client, "/school/sch01")


def test_school_without_findings(client):
    html = page(client, "/school/sch02")
    assert "Замечаний нет." in html


def test_empty_form_finding(client):
    assert "Отмечено «Готово», но форма пустая" in page(client, "/school/sch04")


@pytest.mark.parametrize("code", ["nope", "sch09", "sch10"])
def test_unknown_or_inactive_school_is_404_in_russian(client, code):
    html = page(client, f"/school/{code}", 404)
    assert "Страница не найдена" in html and '<html lang="ru">' in html


# --- one collection --------------------------------------------------------------------

def figures(html: str) -> dict[str, str]:
    return {key: text(value).strip().replace("\u202f", " ").replace("\u00a0", " ") for key, value in
            re.findall(r'<tr data-key="(\w+)"><td>.*?</td>\s*<td class="num">(.*?)</td>', html, re.S)}


def test_record_form_figures_are_district_sums_and_ratios_of_submitted_schools(client):
    # sch02's fund is still being typed (not «Готово»): it is not in the district's totals
    html = page(client, "/collection/library_fund")
    assert figures(html) == {
        "fund_total": "12 000", "fund_textbooks": "7 000", "fund_fiction": "4 000", "received": "600",
        "written_off": "100", "readers": "500", "students": "600",
        "books_per_reader": "10", "textbooks_per_student": "11,7", "renewal": "5 %", "coverage": "83,3 %",
    }
    assert "По данным 1 сдавшей школы из 4" in text(html)


def test_table_form_figures_by_each_columns_aggregate(client):
    # sch03's staff list is returned with errors: left out. Years of courses are not added
    # up; lengths of service are averaged; «Должность» counts the staff.
    html = page(client, "/collection/staffing")
    assert figures(html) == {"position": "3", "rate": "2,5", "experience_total": "14,3", "experience_library": "10"}
    assert "строк всего: 3" in text(html)
    hows = dict(re.findall(r'<tr data-key="(\w+)"><td>.*?</td>\s*<td class="num">.*?</td>\s*<td>(.*?)</td>', html, re.S))
    assert hows == {"position": "заполнено строк", "rate": "сумма", "experience_total": "среднее",
                    "experience_library": "среднее"}


def test_table_form_computed_from_totals(client):
    html = page(client, "/collection/textbook_provision")
    assert figures(html) == {"students": "170", "copies": "170", "provision_pct": "100 %"}


def test_collection_page_statuses_and_rates(client):
    html = page(client, "/collection/staffing")
    assert [line[:2] for line in rows(html, "schools")] == [
        ["МБОУ СОШ № 1", "✓ сдан"], ["МБОУ СОШ № 2", "✓! сдан с опозданием"], ["МБОУ Гимназия № 3", "✗ возвращён по данным на 21.11.2026"],
        ["МБОУ Лицей № 4", "! просрочен"]]
    seen = text(html).replace("\u00a0", " ")
    assert "Сдали 50 % (2 из 4)" in seen and "Сдали вовремя 25 % (1 из 4)" in seen


def test_collection_progress_chart(client):
    html = page(client, "/collection/staffing")
    svg = re.search(r'<svg class="chart progress-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and 'class="deadline"' in svg and "срок 30.09.2026" in svg
    assert "Сдали 2 из 4; срок сдачи 30.09.2026; 25.09.2026 — 1; 03.10.2026 — 2" in svg


def test_collection_without_data(client):
    assert "Итогов пока нет: ни одна школа не сдала эту форму" in page(client, "/collection/textbook_exchange")


@pytest.mark.parametrize("key", ["nope", "work_plan", "annual_report"])
def test_unknown_collection_is_404(client, key):
    page(client, f"/collection/{key}", 404)


# --- errors ------------------------------------------------------------------------------

def test_500_is_russian_without_traceback(make_app):
    app = make_app(config={"TESTING": False})
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
    app.add_url_rule("/api/boom", "api_boom", lambda: 1 / 0)
    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Внутренняя ошибка" in html and '<html lang="ru">' in html
    assert "Traceback" not in html and "ZeroDivisionError" not in html
    response = app.test_client().get("/api/boom")
    assert (response.status_code, response.get_json()) == (500, {"error": "internal", "message": "Внутренняя ошибка"})


def test_pages_fail_politely_without_a_database(make_app, tmp_path):
    app = make_app(database_url=f"sqlite:///{tmp_path}", config={"TESTING": False})
    html = page(app.test_client(), "/", 500)
    assert "Внутренняя ошибка" in html and "sqlite" not in html.lower()
