"""The pages: the status matrix, one school, one collection. Thin views over sync_service.district.report."""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from markupsafe import Markup

from sync_service import ru
from sync_service.ru import as_date
from sync_service.context import Svod
from sync_service.district.check_tab import SEVERITY_LABELS
from sync_service.district.report import (
    build_report,
    collection_detail,
    data_marker,
    debtors_text,
    filter_report,
    plan_calendar,
    rate_history,
    school_detail,
)
from sync_service.district.status import STATUS_LABELS

from .charts import RatePoint, bar_chart, chart_window, progress_chart, rate_chart
from .compress import Body

bp = Blueprint("status", __name__)

# A symbol for each status, so the matrix never speaks by colour alone.
STATUS_SYMBOLS = {"not_started": "·", "in_progress": "…", "submitted": "✓", "submitted_late": "✓!",
                  "returned": "✗", "overdue": "!"}
# Legend order: from done to not done.
LEGEND = ("submitted", "submitted_late", "returned", "in_progress", "not_started", "overdue")
# The overdue table shows the longest overdue first, this many; the debtors' list has all.
OVERDUE_LIMIT = 100
SYNC_LABELS = {"ok": "успешно", "partial": "с ошибками", "failed": "не удалась", "running": "идёт сейчас",
               "interrupted": "прервана"}


def svod() -> Svod:
    return current_app.extensions["svod"]


def read(fn, *args, **kwargs):
    """Call a report function of sync_service.district.report in a session, for this academic year, now."""
    context = svod()
    with context.db.session() as session:
        return fn(session, *args, academic_year=context.academic_year, now=context.clock(), **kwargs)


class Cache:
    """A small LRU of this process: the built report and the rendered matrix of a
    500-school district cost ~0.5 s (bench/web_bench.py), and they only change when a sync
    writes (``data_marker``) or the date changes. Each gunicorn worker keeps its own."""

    def __init__(self, size: int = 16):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()
        self._building = threading.RLock()  # re-entrant: a page's build reads cached reports

    def get(self, key, make):
        found = self._lookup(key)
        if found is not None:
            return found[0]
        # One build at a time: when a sync ends, the threads asking for the new page wait
        # for one build instead of each making their own.
        with self._building:
            found = self._lookup(key)
            if found is not None:
                return found[0]
            value = make()
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value

    def _lookup(self, key) -> tuple | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return (self._items[key],)
        return None


def cache() -> Cache | None:
    """The app's cache, or None when ``SVOD_PAGE_CACHE`` is off."""
    app = current_app
    if not app.config.get("SVOD_PAGE_CACHE", True):
        return None
    return app.extensions.setdefault("svod_page_cache", Cache())


def data_key() -> tuple:
    """What a page of this moment depends on: the data as the last sync left it, the
    academic year, and today's date (statuses and days overdue change at midnight).
    Asked once per request."""
    if "svod_data_key" not in g:
        context = svod()
        with context.db.session() as session:
            marker = data_marker(session)
        g.svod_data_key = (marker, context.academic_year, context.clock().date())
    return g.svod_data_key


def read_cached(fn):
    """``read(fn)`` for report functions that depend on the data and today's date only;
    the report's ``generated_at`` is set to now."""
    store = cache()
    result = store.get((fn.__name__, *data_key()), lambda: read(fn)) if store else read(fn)
    if "generated_at" in result:
        result = {**result, "generated_at": svod().clock().isoformat()}
    return result


def cached_fragment(render) -> Markup:
    """A rendered part of a page that depends on the data, today's date and the query
    parameters only, kept until a sync writes."""
    store = cache()
    if store is None:
        return Markup(render())
    return store.get(("fragment", request.endpoint, request.query_string, *data_key()), lambda: Markup(render()))


def cached_page(render) -> Response:
    """A whole page, encoded (and gzipped once when a browser asks), kept for the current
    minute (pages show the time to the minute) and these query parameters, until a sync writes."""
    store = cache()
    if store is None:
        return Response(render(), mimetype="text/html")
    minute = svod().clock().replace(second=0, microsecond=0)
    body = store.get(("page", request.endpoint, request.query_string, minute, *data_key()),
                     lambda: Body(render().encode()))
    return body.response("text/html")


@bp.route("/")
def index():
    """The status page: what changes by the minute (the time, the sync's health) is drawn
    each minute around the matrix and lists, which are drawn once per sync."""
    return cached_page(_index)


def _index() -> str:
    full = read_cached(build_report)
    filters = _filters(full)
    now = svod().clock()
    upcoming = [item for month in read_cached(plan_calendar)["months"] for item in month["entries"]
                if item["kind"] != "today" and not item["past"]][:3]
    return render_template("status.html", full=full, filters=filters, upcoming=upcoming,
                           body=cached_fragment(lambda: _index_body(full, filters)),
                           health=sync_health(full["last_sync"], now, svod().settings.sync_interval_minutes),
                           school_names={s["code"]: s["name"] for s in full["schools"]})


def _index_body(full: dict, filters: dict) -> str:
    report = filter_report(full, collection=filters["collection"] or None, status=filters["status"] or None)
    history = read_cached(rate_history)
    today = svod().clock().date()
    chart = bar_chart([(c["tab"], c["reporting_rate"]) for c in report["collections"]],
                      title="Сдали отчёт, % школ по каждому сбору")
    rate_charts = [
        (c, rate_chart(_points(history.get(c["key"], [])), start=_year_start(full["academic_year"]), end=today,
                       small=True, deadline=as_date(c["deadline"]), title=f"«{c['tab']}»: доля сдавших по дням"))
        for c in report["collections"]]
    cells = {(s["school"], s["collection"]): s for s in report["submissions"]}
    return render_template("_status_body.html", report=report, full=full, filters=filters, cells=cells, chart=chart,
                           rate_charts=rate_charts, legend_order=LEGEND, debtors=debtors_text(report, today),
                           overdue_limit=OVERDUE_LIMIT)


@bp.route("/debtors.txt")
def debtors_txt():
    """The debtors as plain text, with the filters of the status page."""
    report = filter_report(read_cached(build_report), collection=request.args.get("collection") or None,
                           status=request.args.get("status") or None)
    return Response(debtors_text(report, svod().clock().date()) + "\n", mimetype="text/plain")


@bp.route("/plan")
def plan():
    return render_template("plan.html", calendar=read_cached(plan_calendar))


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
    deadline = as_date(info["deadline"])
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

# The Russian formats of sync_service.ru, as the templates' filters.
ru_date = bp.app_template_filter("ru_date")(ru.date_text)
ru_datetime = bp.app_template_filter("ru_datetime")(ru.datetime_text)
ru_duration = bp.app_template_filter("ru_duration")(ru.duration)
plural = bp.app_template_filter("plural")(ru.plural)


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
        SEVERITY_LABELS=SEVERITY_LABELS, percent=ru.percent, ru_number=ru.number, nav_links=nav_links)
