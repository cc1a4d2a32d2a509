"""Tiny server-side SVG charts: no JavaScript, no external fonts, readable by screen readers.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says in
words what the bars or the line show, and every bar carries its value as text, so
nothing is told by colour or shape alone.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from markupsafe import Markup, escape

from sync_service.ru import date_text, percent


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css_class: str) -> Markup:
    # The ids its title and description are named by come from what it says (charts of one
    # page say different things): the same chart renders the same, in any process, at any time.
    uid = hashlib.blake2s(f"{css_class}\0{title}\0{desc}".encode(), digest_size=5).hexdigest()
    return Markup(
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title-{uid} chart-desc-{uid}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title-{uid}">{escape(title)}</title><desc id="chart-desc-{uid}">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def bar_chart(bars: Sequence[tuple[str, float]], *, title: str, max_value: float = 100.0) -> Markup:
    """Horizontal bars of percentages, one per ``(label, value)``, with the value written out.
    Each label sits above its bar, so that a long name needs no room beside it (phones)."""
    bar_width, row, top = 400, 40, 4
    width, height = bar_width + 70, top * 2 + row * max(1, len(bars))
    body = []
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        length = 0 if not max_value else max(0.0, min(1.0, (value or 0) / max_value)) * bar_width
        shown = label if len(label) <= 60 else label[:59] + "…"
        body.append(
            f'<g class="bar"><title>{escape(label)}: {escape(percent(value))}</title>'
            f'<text class="label" x="0" y="{y + 13}">{escape(shown)}</text>'
            f'<rect class="track" x="0" y="{y + 18}" width="{bar_width}" height="16"/>'
            f'<rect class="fill" x="0" y="{y + 18}" width="{length:.1f}" height="16"/>'
            f'<text class="value" x="{bar_width + 6}" y="{y + 31}">{escape(percent(value))}</text></g>')
    if not bars:
        body.append(f'<text class="label" x="{width / 2}" y="{top + 17}" text-anchor="middle">нет данных</text>')
    desc = "; ".join(f"{label} — {percent(value)}" for label, value in bars) or "нет данных"
    return _svg(width, height, title, desc, body, "bar-chart")


def progress_chart(points: Sequence[tuple[date, int]], *, expected: int, start: date, end: date,
                   deadline: date | None, title: str) -> Markup:
    """A step line of how many schools had submitted by each day, against the expected
    number and the deadline (a dashed vertical line)."""
    left, right, top, bottom = 56, 16, 18, 34
    width, height = 560, 240
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
            # below the dotted line: the space above it belongs to the deadline's label
            f'<text class="tick" x="{width - right}" y="{y(expected) + 14:.1f}" text-anchor="end">'
            f'всего школ: {expected}</text>']
    for day, anchor in ((first, "start"), (last, "end")):
        body.append(f'<text class="tick" x="{x(day):.1f}" y="{height - 12}" text-anchor="{anchor}">'
                    f'{date_text(day)}</text>')
    if deadline is not None:
        body.append(f'<line class="deadline" x1="{x(deadline):.1f}" y1="{top}" x2="{x(deadline):.1f}" '
                    f'y2="{y(0):.1f}"/>'
                    + _deadline_label(x(deadline), top, width, deadline))
    # The step line: flat until a day with submissions, then up; carried on to the end.
    path, total = [f"M{x(first):.1f},{y(0):.1f}"], 0
    for day, value in points:
        path.append(f"H{x(day):.1f}V{y(value):.1f}")
        total = value
    path.append(f"H{x(last):.1f}")
    body.append(f'<path class="line" d="{"".join(path)}"/>')
    for day, value in points:
        body.append(f'<circle class="point" cx="{x(day):.1f}" cy="{y(value):.1f}" r="3">'
                    f'<title>{date_text(day)}: сдали {value}</title></circle>')
    desc = (f"Сдали {total} из {expected}"
            + (f"; срок сдачи {date_text(deadline)}" if deadline else "; без срока")
            + "".join(f"; {date_text(day)} — {value}" for day, value in points))
    return _svg(width, height, title, desc, body, "progress-chart")


def chart_window(points: Sequence[tuple[date, int]], deadline: date | None, today: date) -> tuple[date, date]:
    """The days a progress chart spans: from a week before the first submission (or the
    deadline) to today or the deadline, whichever is later."""
    anchors = [day for day, _ in points] + ([deadline] if deadline else []) + [today]
    return min(anchors) - timedelta(days=7), max(anchors)


def _deadline_label(x: float, top: int, width: int, deadline: date) -> str:
    """«срок ДД.ММ.ГГГГ» beside the deadline line: on its left in the right half, so it stays inside."""
    right_half = x > width / 2
    return (f'<text class="tick deadline-label" x="{x - 4 if right_half else x + 4:.1f}" y="{top - 4}" '
            f'text-anchor="{"end" if right_half else "start"}">срок {date_text(deadline)}</text>')


class RatePoint(NamedTuple):
    """The rates of a collection from ``at`` on (until the next point)."""
    at: datetime
    reporting_rate: float
    on_time_rate: float


def rate_chart(points: Sequence[RatePoint], *, start: date, end: date, title: str, small: bool = False,
               deadline: date | None = None) -> Markup:
    """The reporting rate (solid) and the on-time rate (dashed) over time, 0–100 %.

    A rate holds until the next sync changes it (snapshots are only stored on change), so
    both are drawn as steps carried on to ``end``. ``small`` is the size for the small
    multiples of the status page: fewer ticks, no point markers."""
    width, height = (300, 130) if small else (560, 240)
    left, right, top, bottom = (42, 50, 10, 24) if small else (56, 60, 18, 34)
    plot_w, plot_h = width - left - right, height - top - bottom
    first = min([start] + [p.at.date() for p in points])
    last = max([end, first + timedelta(days=1)])
    span = (last - first).days

    def x(day: date) -> float:
        return left + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(100.0, value)) / 100)

    body = []
    for value in ((0, 50, 100) if small else (0, 25, 50, 75, 100)):
        body.append(f'<line class="{"axis" if value == 0 else "grid"}" x1="{left}" y1="{y(value):.1f}" '
                    f'x2="{width - right}" y2="{y(value):.1f}"/>'
                    f'<text class="tick" x="{left - 5}" y="{y(value) + 4:.1f}" text-anchor="end">{value}\u00a0%</text>')
    for day, anchor in ((first, "start"), (last, "end")):
        body.append(f'<text class="tick" x="{x(day):.1f}" y="{height - (8 if small else 12)}" '
                    f'text-anchor="{anchor}">{date_text(day)}</text>')
    if deadline is not None and first <= deadline <= last:
        body.append(f'<line class="deadline" x1="{x(deadline):.1f}" y1="{top}" x2="{x(deadline):.1f}" '
                    f'y2="{y(0):.1f}"/>')
        if not small:
            body.append(_deadline_label(x(deadline), top, width, deadline))
    if not points:
        body.append(f'<text class="label" x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
                    f'text-anchor="middle">нет данных</text>')
    for field, css in (("on_time_rate", "line line-on-time"), ("reporting_rate", "line")):
        if not points:
            break
        values = [getattr(p, field) for p in points]
        level = f"{y(values[0]):.1f}"
        path = [f"M{x(points[0].at.date()):.1f},{level}"]
        for point, value in zip(points[1:], values[1:]):
            if f"{y(value):.1f}" != level:  # a step; a sync that changed nothing continues the line
                level = f"{y(value):.1f}"
                path.append(f"H{x(point.at.date()):.1f}V{level}")
        path.append(f"H{x(last):.1f}")
        body.append(f'<path class="{css}" d="{"".join(path)}"/>')
    if points:
        final = points[-1]
        body.append(f'<text class="value" x="{width - right + 4}" y="{y(final.reporting_rate) + 4:.1f}">'
                    f'{escape(percent(final.reporting_rate))}</text>')
        if small:  # the newest value as a dot: a history of one sync is a dot, not an invisible line
            body.append(f'<circle class="point" cx="{x(final.at.date()):.1f}" cy="{y(final.reporting_rate):.1f}" '
                        f'r="2.5"/>')
        else:
            for point in points:
                body.append(f'<circle class="point" cx="{x(point.at.date()):.1f}" cy="{y(point.reporting_rate):.1f}" '
                            f'r="3"><title>{date_text(point.at.date())}: сдали {escape(percent(point.reporting_rate))}, '
                            f'вовремя {escape(percent(point.on_time_rate))}</title></circle>')
    return _svg(width, height, title, rate_description(points, first, last), body,
                "rate-chart small" if small else "rate-chart")


def rate_description(points: Sequence[RatePoint], first: date, last: date) -> str:
    """The chart in words: the rates now, and each change (the first and the last few when many)."""
    if not points:
        return f"С {date_text(first)} по {date_text(last)} данных о сдаче нет"
    final = points[-1]
    text = (f"С {date_text(first)} по {date_text(last)}: сейчас сдали {percent(final.reporting_rate)}, "
            f"вовремя {percent(final.on_time_rate)}")
    shown = list(points) if len(points) <= 8 else [*points[:3], None, *points[-4:]]
    changes = ["…" if p is None else f"{date_text(p.at.date())} — {percent(p.reporting_rate)}" for p in shown]
    return f"{text}. Изменения: " + "; ".join(changes)
