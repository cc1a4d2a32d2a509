"""The municipal order pages: totals per publisher, each school's order status, the
specifications to download, and the proposed exchange of textbooks.

Thin views over :mod:`sync_service.order.queries`; the database comes from
``current_app.extensions["svod"]`` (its ``db``, ``academic_year`` and ``clock``). No
personal data: schools appear by code and name only.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from flask import Blueprint, abort, current_app, render_template, send_file
from markupsafe import Markup, escape
from sqlalchemy import select

from sync_service import ru
from sync_service.district.status import STATUS_LABELS
from sync_service.order.consolidate import export_title, publisher_tabs
from sync_service.order.models import FpuList, current_fpu, describe_list
from sync_service.order.queries import load_exchange, load_order, order_statuses
from sync_service.stores.xlsx import new_workbook

bp = Blueprint("orders", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context():
    svod = current_app.extensions["svod"]
    now = svod.clock() if callable(getattr(svod, "clock", None)) else datetime.now()
    return svod, svod.academic_year, now


def number(value) -> str:
    """12345 -> «12 345» (copies), 1234.5 -> «1 234,50» (an amount)."""
    return ru.number(value) if value is None or isinstance(value, int) else ru.money(value)


def copies_chart(bars: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Horizontal bars of copies per publisher with the number written out: inline SVG, no
    script, a <title> and <desc> for screen readers."""
    label_w, bar_w, row, top = 150, 300, 26, 6
    width, height = label_w + bar_w + 90, top * 2 + row * max(1, len(bars))
    peak = max([value for _, value in bars] + [1])
    body = []
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        length = bar_w * value / peak
        body.append(f'<g class="bar"><text class="label" x="{label_w - 8}" y="{y + 17}" text-anchor="end">'
                    f'{escape(label)}</text><rect class="fill" x="{label_w}" y="{y + 4}" width="{length:.1f}" '
                    f'height="{row - 8}" fill="#3b6ea5"/><text class="value" x="{label_w + length + 6:.1f}" '
                    f'y="{y + 17}">{escape(number(value))}</text></g>')
    desc = "; ".join(f"{label} — {number(value)} экз." for label, value in bars) or "нет данных"
    return Markup(f'<svg class="chart bar-chart publishers" viewBox="0 0 {width} {height}" role="img" '
                  f'xmlns="http://www.w3.org/2000/svg">'
                  f'<title>{escape(title)}</title><desc>{escape(desc)}</desc>{"".join(body)}</svg>')


@bp.route("/order")
def order():
    svod, year, now = _context()
    with svod.db.session() as session:
        active = session.scalar(select(FpuList).where(FpuList.active.is_(True)))
        municipal = load_order(session, year, now=now) if active is not None else None
        snapshots = order_statuses(session, year, now)
        schools = [{"code": s.school.code, "name": s.school.name, "status": s.status,
                    "status_label": STATUS_LABELS.get(s.status, s.status), "lines": len(s.rows.rows),
                    "copies": sum(r.get("copies") or 0 for r in s.rows.rows if isinstance(r.get("copies"), int)),
                    "errors": s.submission.errors if s.submission else 0} for s in snapshots]
        fpu_text = describe_list(active)
    chart = copies_chart([(p.short, p.copies) for p in municipal.publishers], title="Заказано экземпляров по издательствам") \
        if municipal and municipal.publishers else None
    return render_template("orders/order.html", order=municipal, schools=schools, chart=chart, fpu_text=fpu_text,
                           academic_year=year, number=number)


@bp.route("/order/<publisher_slug>.xlsx")
def download(publisher_slug: str):
    svod, year, now = _context()
    with svod.db.session() as session:
        fpu = current_fpu(session)
        municipal = load_order(session, year, now=now, fpu=fpu,
                               customer=svod.settings.customer) if fpu is not None else None
    pub = municipal.publisher(publisher_slug) if municipal else None
    if pub is None:
        abort(404)
    single = replace(municipal, publishers=[pub])
    data = new_workbook(publisher_tabs(single, pub))
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"{export_title(single, pub)}.xlsx")


@bp.route("/exchange")
def exchange():
    svod, year, _now = _context()
    with svod.db.session() as session:
        plan = load_exchange(session, year)
    return render_template("orders/exchange.html", plan=plan, academic_year=year, number=number)
