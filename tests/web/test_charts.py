"""The SVG charts (the Russian number formats they use: tests/unit/test_ru.py)."""
from datetime import date, datetime
from xml.etree import ElementTree

from web.charts import RatePoint, bar_chart, chart_window, progress_chart, rate_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart_is_valid_accessible_svg():
    svg = str(bar_chart([("Кадры", 50.0), ("Фонд <новый>", 12.5)], title="Сдали, %"))
    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id and root.find(f"{SVG}title").text == "Сдали, %"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == "Кадры — 50\u00a0%; Фонд <новый> — 12,5\u00a0%"
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("class") == "fill"]
    assert widths == [200.0, 50.0]  # of 400
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    assert values == ["50\u00a0%", "12,5\u00a0%"]


def test_bar_chart_without_bars():
    assert "нет данных" in bar_chart([], title="Сдали")


def test_progress_chart():
    points = [(date(2026, 9, 25), 1), (date(2026, 10, 3), 3)]
    start, end = chart_window(points, date(2026, 9, 30), date(2026, 11, 22))
    assert (start, end) == (date(2026, 9, 18), date(2026, 11, 22))
    svg = str(progress_chart(points, expected=4, start=start, end=end, deadline=date(2026, 9, 30), title="Ход"))
    root = ElementTree.fromstring(svg)
    assert root.find(f"{SVG}desc").text == "Сдали 3 из 4; срок сдачи 30.09.2026; 25.09.2026 — 1; 03.10.2026 — 3"
    assert [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")] == ["25.09.2026: сдали 1",
                                                                               "03.10.2026: сдали 3"]
    assert len([line for line in root.iter(f"{SVG}line") if line.get("class") == "deadline"]) == 1


def test_progress_chart_without_deadline_or_points():
    svg = str(progress_chart([], expected=0, start=date(2026, 11, 15), end=date(2026, 11, 22), deadline=None,
                             title="Ход"))
    root = ElementTree.fromstring(svg)
    assert root.find(f"{SVG}desc").text == "Сдали 0 из 0; без срока"


RATES = [RatePoint(datetime(2026, 9, 11, 8), 10.0, 10.0), RatePoint(datetime(2026, 9, 21, 8), 50.0, 40.0),
         RatePoint(datetime(2026, 10, 1, 8), 75.0, 40.0)]


def test_rate_chart_is_a_step_line_carried_to_the_end():
    svg = str(rate_chart(RATES, start=date(2026, 9, 1), end=date(2026, 10, 11), deadline=date(2026, 9, 30),
                         title="Кадры"))
    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Кадры"
    assert root.find(f"{SVG}desc").text == ("С 01.09.2026 по 11.10.2026: сейчас сдали 75\u00a0%, вовремя 40\u00a0%. "
                                            "Изменения: 11.09.2026 — 10\u00a0%; 21.09.2026 — 50\u00a0%; "
                                            "01.10.2026 — 75\u00a0%")
    # 40 days over 444 units from x=56; 0–100 % over 188 units from y=18
    # (a sync that changed nothing adds no segment: the on-time line's 40 % carries on)
    paths = {p.get("class"): p.get("d") for p in root.iter(f"{SVG}path")}
    assert paths == {"line line-on-time": "M167.0,187.2H278.0V130.8H500.0",
                     "line": "M167.0,187.2H278.0V112.0H389.0V65.0H500.0"}
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"] == ["75\u00a0%"]
    assert [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")][-1] == (
        "01.10.2026: сдали 75\u00a0%, вовремя 40\u00a0%")
    assert len([x for x in root.iter(f"{SVG}line") if x.get("class") == "deadline"]) == 1


def test_small_rate_chart_and_a_long_history():
    many = [RatePoint(datetime(2026, 9, day, 8), float(day), 0.0) for day in range(1, 13)]
    root = ElementTree.fromstring(str(rate_chart(many, start=date(2026, 9, 1), end=date(2026, 9, 30), title="Т",
                                                 small=True)))
    assert root.get("class") == "chart rate-chart small"
    dots = list(root.iter(f"{SVG}circle"))  # only the newest value, without a tooltip
    assert len(dots) == 1 and dots[0].find(f"{SVG}title") is None
    assert root.find(f"{SVG}desc").text.endswith(
        "Изменения: 01.09.2026 — 1\u00a0%; 02.09.2026 — 2\u00a0%; 03.09.2026 — 3\u00a0%; …; 09.09.2026 — 9\u00a0%; "
        "10.09.2026 — 10\u00a0%; 11.09.2026 — 11\u00a0%; 12.09.2026 — 12\u00a0%")


def test_rate_chart_without_history():
    root = ElementTree.fromstring(str(rate_chart([], start=date(2026, 9, 1), end=date(2026, 9, 1), title="Т")))
    assert root.find(f"{SVG}desc").text == "С 01.09.2026 по 02.09.2026 данных о сдаче нет"
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "label"] == ["нет данных"]
