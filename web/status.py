"""The pages: the status matrix, one school, one collection. Thin views over sync_service.report."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from sync_service.check_tab import SEVERITY_LABELS
from sync_service.context import Svod
from sync_service.report import (
    build_report, collection_detail, debtors_text, filter_report, plan_calendar, rate_history, school_detail,
)
from sync_service.status import STATUS_LABELS

from .charts import RatePoint, bar_chart, chart_window, percent, progress_chart, rate_chart, ru_number

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
    full = read(build_report)
    report = filter_report(full, collection=request.args.get("collection") or None,
                           status=request.args.get("status") or None)
    filters = _filters(full)
    history = read(rate_history)
    now = svod().clock()
    start, today = _year_start(full["academic_year"]), now.date()
    chart = bar_chart([(c["tab"], c["reporting_rate"]) for c in report["collections"]],
                      title="Сдали отчёт, % школ по каждому сбору")
    rate_charts = [
        (c, rate_chart(_points(history.get(c["key"], [])), start=start, end=today, small=True,
                       deadline=_as_date(c["deadline"]), title=f"«{c['tab']}»: доля сдавших по дням"))
        for c in report["collections"]]
    cells = {(s["school"], s["collection"]): s for s in report["submissions"]}
    upcoming = [item for month in read(plan_calendar)["months"] for item in month["entries"]
                if item["kind"] != "today" and not item["past"]][:3]
    return render_template("status.html", report=report, full=full, filters=filters, cells=cells, chart=chart,
                           rate_charts=rate_charts, legend_order=LEGEND, debtors=debtors_text(report, today),
                           health=sync_health(full["last_sync"], now, svod().settings.sync_interval_minutes),
                           school_names={s["code"]: s["name"] for s in full["schools"]}, upcoming=upcoming)


@bp.route("/debtors.txt")
def debtors_txt():
    """The debtors as plain text, with the filters of the status page."""
    report = filter_report(read(build_report), collection=request.args.get("collection") or None,
                           status=request.args.get("status") or None)
    return Response(debtors_text(report, svod().clock().date()) + "\n", mimetype="text/plain")


@bp.route("/plan")
def plan():
    return render_template("plan.html", calendar=read(plan_calendar))


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
    deadline = _as_date(info["deadline"])
    today = datetime.fromisoformat(detail["generated_at"]).date()
    start, end = chart_window(points, deadline, today)
    chart = progress_chart(points, expected=info["expected"], start=start, end=end, deadline=deadline,
                           title=f"Сдача отчёта «{info['title']}» по дням")
    rates = rate_chart(_points(detail["history"]["rates"]), start=_year_start(detail["academic_year"]), end=today,
                       deadline=deadline, title=f"Доля сдавших отчёт «{info['title']}» по дням")
    return render_template("collection.html", detail=detail, chart=chart, rates=rates)


def _filters(report: dict) -> dict:
    """The filter form: the chosen values (only known ones) and a note for an unknown one."""
    keys = {c["key"]: c for c in report["collections"]}
    collection, status = request.args.get("collection") or "", request.args.get("status") or ""
    notes = []
    if collection and collection not in keys:
        notes.append(f"Сбора «{collection}» нет в плане на {report['academic_year']} учебный год — показаны все сборы.")
        collection = ""
    if status and status not in STATUS_LABELS:
        notes.append("Такого статуса нет — показаны все статусы.")
        status = ""
    query = {k: v for k, v in (("collection", collection), ("status", status)) if v}
    return {"collection": collection, "status": status, "notes": notes, "active": bool(query), "query": query,
            "title": keys[collection]["title"] if collection else None}


def _year_start(academic_year: str) -> date:
    return date(int(academic_year.split("/")[0]), 9, 1)


def _points(history: list[dict]) -> list[RatePoint]:
    return [RatePoint(datetime.fromisoformat(h["at"]), h["reporting_rate"], h["on_time_rate"]) for h in history]


def sync_health(last: dict | None, now: datetime, interval_minutes: int) -> dict:
    """Is the page fresh? Stale when the newest run that went through finished more than
    two sync intervals ago (or none ever did): the clock process may be down."""
    limit = timedelta(minutes=2 * interval_minutes)
    success = datetime.fromisoformat(last["last_success_at"]) if last and last["last_success_at"] else None
    stale = last is not None and (success is None or now - success > limit)
    return {"stale": stale, "last_success_at": success, "limit_minutes": 2 * interval_minutes,
            "interval_minutes": interval_minutes}


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


@bp.app_template_filter("ru_duration")
def ru_duration(seconds: int | None) -> str:
    """65 -> «1 мин 5 с»; 3720 -> «1 ч 2 мин»."""
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"
    if minutes:
        return f"{minutes} мин {secs} с" if secs else f"{minutes} мин"
    return f"{secs} с"


@bp.app_template_filter("plural")
def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 день, 2 дня, 5 дней, 21 день."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


# The header's links: (endpoint, label), shown when the endpoint exists (areas written
# elsewhere register their blueprints only when present).
NAV = (("status.index", "Статус"), ("status.plan", "План года"), ("orders.order", "Заказ учебников"),
       ("orders.exchange", "Обмен учебниками"), ("admin.index", "Управление"))


def nav_links() -> list[tuple[str, str, str]]:
    """(endpoint, label, url) of the header links whose page exists."""
    present = current_app.view_functions
    return [(endpoint, label, url_for(endpoint)) for endpoint, label in NAV if endpoint in present]


@bp.record_once
def _template_globals(state) -> None:
    # Globals rather than a context processor: imported macros (_status.html) see them too.
    state.app.jinja_env.globals.update(
        STATUS_LABELS=STATUS_LABELS, STATUS_SYMBOLS=STATUS_SYMBOLS, SYNC_LABELS=SYNC_LABELS, LEGEND=LEGEND,
        SEVERITY_LABELS=SEVERITY_LABELS, percent=percent, ru_number=ru_number, nav_links=nav_links)
