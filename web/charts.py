"""Tiny server-side SVG charts: no JavaScript, no external fonts, readable by screen readers.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says in
words what the bars or the line show, and every bar carries its value as text, so
nothing is told by colour or shape alone.
"""
from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from typing import Sequence

from markupsafe import Markup, escape

_ids = count(1)


def ru_number(value: float | int | None, digits: int = 1) -> str:
    """1234.5 -> «1 234,5»: a space between thousands and a decimal comma."""
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",")


def percent(value: float | int | None) -> str:
    """37.5 -> «37,5 %»."""
    return "—" if value is None else f"{ru_number(round(value, 1))}\u00a0%"


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css_class: str) -> Markup:
    uid = next(_ids)
    return Markup(
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title-{uid} chart-desc-{uid}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title-{uid}">{escape(title)}</title><desc id="chart-desc-{uid}">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def bar_chart(bars: Sequence[tuple[str, float]], *, title: str, max_value: float = 100.0) -> Markup:
    """Horizontal bars of percentages, one per ``(label, value)``, with the value written out."""
    label_width, bar_width, row, top = 210, 330, 26, 8
    width, height = label_width + bar_width + 70, top * 2 + row * max(1, len(bars))
    body = []
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        length = 0 if not max_value else max(0.0, min(1.0, (value or 0) / max_value)) * bar_width
        shown = label if len(label) <= 30 else label[:29] + "…"
        body.append(
            f'<g class="bar"><title>{escape(label)}: {escape(percent(value))}</title>'
            f'<text class="label" x="{label_width - 8}" y="{y + 17}" text-anchor="end">{escape(shown)}</text>'
            f'<rect class="track" x="{label_width}" y="{y + 4}" width="{bar_width}" height="{row - 8}"/>'
            f'<rect class="fill" x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}"/>'
            f'<text class="value" x="{label_width + bar_width + 6}" y="{y + 17}">{escape(percent(value))}</text></g>')
    if not bars:
        body.append(f'<text class="label" x="{width / 2}" y="{top + 17}" text-anchor="middle">нет данных</text>')
    desc = "; ".join(f"{label} — {percent(value)}" for label, value in bars) or "нет данных"
    return _svg(width, height, title, desc, body, "bar-chart")


def progress_chart(points: Sequence[tuple[date, int]], *, expected: int, start: date, end: date,
                   deadline: date | None, title: str) -> Markup:
    """A step line of how many schools had submitted by each day, against the expected
    number and the deadline (a dashed vertical line)."""
    left, right, top, bottom = 44, 16, 16, 34
    width, height = 640, 240
    plot_w, plot_h = width - left - right, height - top - bottom
    first = min([start, end] + [day for day, _ in points] + ([deadline] if deadline else []))
    last = max([start, end] + [day for day, _ in points] + ([deadline] if deadline else []))
    span = max(1, (last - first).days)
    top_value = max([expected, 1] + [total for _, total in points])

    def x(day: date) -> float:
        return left + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    body = [f'<line class="axis" x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}"/>',
            f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{y(0):.1f}"/>',
            f'<text class="tick" x="{left - 6}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>',
            f'<line class="expected" x1="{left}" y1="{y(expected):.1f}" x2="{width - right}" y2="{y(expected):.1f}"/>',
            f'<text class="tick" x="{left - 6}" y="{y(expected) + 4:.1f}" text-anchor="end">{expected}</text>',
            f'<text class="tick" x="{width - right}" y="{y(expected) - 4:.1f}" text-anchor="end">'
            f'всего школ: {expected}</text>']
    for day, anchor in ((first, "start"), (last, "end")):
        body.append(f'<text class="tick" x="{x(day):.1f}" y="{height - 12}" text-anchor="{anchor}">'
                    f'{day.strftime("%d.%m.%Y")}</text>')
    if deadline is not None:
        body.append(f'<line class="deadline" x1="{x(deadline):.1f}" y1="{top}" x2="{x(deadline):.1f}" '
                    f'y2="{y(0):.1f}"/>'
                    f'<text class="tick deadline-label" x="{x(deadline) + 4:.1f}" y="{top + 12}">'
                    f'срок {deadline.strftime("%d.%m.%Y")}</text>')
    # The step line: flat until a day with submissions, then up; carried on to the end.
    path, total = [f"M{x(first):.1f},{y(0):.1f}"], 0
    for day, value in points:
        path.append(f"H{x(day):.1f}V{y(value):.1f}")
        total = value
    path.append(f"H{x(last):.1f}")
    body.append(f'<path class="line" d="{"".join(path)}"/>')
    for day, value in points:
        body.append(f'<circle class="point" cx="{x(day):.1f}" cy="{y(value):.1f}" r="3">'
                    f'<title>{day.strftime("%d.%m.%Y")}: сдали {value}</title></circle>')
    desc = (f"Сдали {total} из {expected}"
            + (f"; срок сдачи {deadline.strftime('%d.%m.%Y')}" if deadline else "; без срока")
            + "".join(f"; {day.strftime('%d.%m.%Y')} — {value}" for day, value in points))
    return _svg(width, height, title, desc, body, "progress-chart")


def chart_window(points: Sequence[tuple[date, int]], deadline: date | None, today: date) -> tuple[date, date]:
    """The days a progress chart spans: from a week before the first submission (or the
    deadline) to today or the deadline, whichever is later."""
    anchors = [day for day, _ in points] + ([deadline] if deadline else []) + [today]
    return min(anchors) - timedelta(days=7), max(anchors)
