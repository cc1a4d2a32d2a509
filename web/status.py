"""The pages: the status matrix, one school, one collection. Thin views over sync_service.report."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, current_app, render_template

from sync_service.check_tab import SEVERITY_LABELS
from sync_service.context import Svod
from sync_service.report import build_report, collection_detail, school_detail
from sync_service.status import STATUS_LABELS

from .charts import bar_chart, chart_window, percent, progress_chart, ru_number

bp = Blueprint("status", __name__)

# A symbol for each status, so the matrix never speaks by colour alone.
STATUS_SYMBOLS = {"not_started": "·", "in_progress": "…", "submitted": "✓", "submitted_late": "✓!",
                  "returned": "✗", "overdue": "!"}
# Legend order: from done to not done.
LEGEND = ("submitted", "submitted_late", "returned", "in_progress", "not_started", "overdue")
SYNC_LABELS = {"ok": "успешно", "partial": "с ошибками", "failed": "не удалась", "running": "идёт сейчас",
               "interrupted": "прервана"}


def svod() -> Svod:
    return current_app.extensions["svod"]


def read(fn, *args, **kwargs):
    """Call a report function of sync_service.report in a session, for this academic year, now."""
    context = svod()
    with context.db.session() as session:
        return fn(session, *args, academic_year=context.academic_year, now=context.clock(), **kwargs)


@bp.route("/")
def index():
    report = read(build_report)
    chart = bar_chart([(c["tab"], c["reporting_rate"]) for c in report["collections"]],
                      title="Сдали отчёт, % школ по каждому сбору")
    cells = {(s["school"], s["collection"]): s for s in report["submissions"]}
    return render_template("status.html", report=report, cells=cells, chart=chart, legend_order=LEGEND)


@bp.route("/school/<code>")
def school(code: str):
    detail = read(school_detail, code, schema=svod().schema)
    if detail is None:
        abort(404)
    return render_template("school.html", detail=detail)


@bp.route("/collection/<key>")
def collection(key: str):
    detail = read(collection_detail, key, schema=svod().schema)
    if detail is None:
        abort(404)
    info = detail["collection"]
    points = [(date.fromisoformat(p["date"]), p["total"]) for p in detail["history"]["submitted_by_day"]]
    deadline = date.fromisoformat(info["deadline"]) if info["deadline"] else None
    start, end = chart_window(points, deadline, datetime.fromisoformat(detail["generated_at"]).date())
    chart = progress_chart(points, expected=info["expected"], start=start, end=end, deadline=deadline,
                           title=f"Сдача отчёта «{info['title']}» по дням")
    return render_template("collection.html", detail=detail, chart=chart)


# --- what templates use -------------------------------------------------------------------

def _as_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return value


@bp.app_template_filter("ru_date")
def ru_date(value, empty: str = "—") -> str:
    """ISO date or datetime -> ДД.ММ.ГГГГ."""
    value = _as_date(value)
    return value.strftime("%d.%m.%Y") if value else empty


@bp.app_template_filter("ru_datetime")
def ru_datetime(value, empty: str = "—") -> str:
    """ISO datetime -> ДД.ММ.ГГГГ ЧЧ:ММ (a bare date keeps its date only)."""
    value = _as_date(value)
    if not value:
        return empty
    return value.strftime("%d.%m.%Y %H:%M") if isinstance(value, datetime) else value.strftime("%d.%m.%Y")


@bp.app_template_filter("plural")
def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 день, 2 дня, 5 дней, 21 день."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


@bp.record_once
def _template_globals(state) -> None:
    # Globals rather than a context processor: imported macros (_status.html) see them too.
    state.app.jinja_env.globals.update(
        STATUS_LABELS=STATUS_LABELS, STATUS_SYMBOLS=STATUS_SYMBOLS, SYNC_LABELS=SYNC_LABELS,
        SEVERITY_LABELS=SEVERITY_LABELS, percent=percent, ru_number=ru_number)
