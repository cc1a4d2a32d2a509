"""The pages: the status matrix, one school, one collection, each a bounded page.

Thin views over sync_service.district."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from sync_service import db as m
from sync_service import ru
from sync_service.context import Svod
from sync_service.district.check_tab import SEVERITY_LABELS
from sync_service.district.collection_page import collection_detail, district_figures
from sync_service.district.history import school_year
from sync_service.district.overview import (
    bounded_last_sync,
    debtor_page,
    district_lists,
    not_submitted_page,
    overview,
    unknown_list,
)
from sync_service.district.registry import shifted_year
from sync_service.district.report import (
    data_marker,
    format_debtors,
    format_not_submitted,
    plan_calendar,
    rate_history,
)
from sync_service.district.school_page import PREVIEW, finding_group, school_detail
from sync_service.district.status import (
    NOT_SUBMITTED,
    NOT_SUBMITTED_FILTER,
    STATUS_LABELS,
    STATUS_SYMBOLS,
    STATUS_TEXTS,
)
from sync_service.ru import as_date
from sync_service.sync.head_forms import run_schema

from .charts import RatePoint, bar_chart, chart_window, progress_chart, rate_chart
from .compress import MIN_BYTES, Body, accepts_gzip, spliced
from .matrix import matrix_cells, overdue_rows
from .publish import published

bp = Blueprint("status", __name__)

# Legend order: from done to not done, then what Svod does not know; the head's review last.
LEGEND = ("submitted", "submitted_late", "returned", "in_progress", "not_started", "overdue", "unknown",
          "accepted", "accepted_late", "changed", "sent_back")
SYNC_LABELS = {"ok": "успешно", "partial": "с ошибками", "failed": "не удалась", "running": "идёт сейчас",
               "interrupted": "прервана"}


def svod() -> Svod:
    return current_app.extensions["svod"]


def read(fn, *args, year: str | None = None, **kwargs):
    """Call a report function of sync_service.district.report in a session, for the academic
    year shown (``?year=``, by default the one Svod tracks; ``year`` another), now."""
    context = svod()
    with context.db.session() as session:
        if "schema" in kwargs:  # the head's own forms («Формы») beside the shipped ones, removed ones too
            kwargs["schema"] = run_schema(session, kwargs["schema"], active_only=False)
        return fn(session, *args, academic_year=year or shown_year(), now=context.clock(), **kwargs)


def known_years() -> list[str]:
    """Every academic year the database holds collections of, the newest first (asked once per request)."""
    if "svod_years" not in g:
        with svod().db.session() as session:
            g.svod_years = sorted(set(session.scalars(select(m.Collection.academic_year).where(m.Collection.in_plan)
                                                      .distinct())), reverse=True)
    return g.svod_years


def shown_year() -> str:
    """The year a page shows: ``?year=2026/2027`` when the database holds it, else the one
    Svod tracks (a year switch never leads to an empty page)."""
    if "svod_year" not in g:
        asked = (request.args.get("year") or "").strip().replace("-", "/")
        current = svod().academic_year
        g.svod_current_year = current
        g.svod_year = asked if asked != current and asked in known_years() else current
    return g.svod_year


@bp.url_defaults
def _keep_year(endpoint: str, values: dict) -> None:
    """Links between the status pages stay in the year being looked at."""
    if "svod_year" in g and g.svod_year != g.svod_current_year and "year" not in values:
        values["year"] = g.svod_year


def year_switch() -> dict:
    """The header's year switch: the years held, the one shown and the current one."""
    if request.blueprint != "status" or request.endpoint in (None, "status.debtors_txt"):
        return {"years": []}
    try:
        return {"years": known_years(), "shown": shown_year(), "current": g.svod_current_year,
                "endpoint": request.endpoint, "args": dict(request.view_args or {})}
    except SQLAlchemyError:   # the error page of a database that cannot be read: no switch
        return {"years": []}


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
        g.svod_data_key = (marker, shown_year(), context.clock().date())
    return g.svod_data_key


def read_cached(fn):
    """``read(fn)`` for report functions that depend on the data and today's date only;
    the report's ``generated_at`` is set to now."""
    store = cache()
    result = store.get((fn.__name__, *data_key()), lambda: read(fn)) if store else read(fn)
    if "generated_at" in result:
        result = {**result, "generated_at": svod().clock().isoformat()}
    return result


def cached(key: tuple, make):
    """``make()``, kept until a sync writes or the date changes (when the page cache is on)."""
    store = cache()
    return store.get((*key, *data_key()), make) if store else make()


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
    """The status page: as the clock published it, while that holds (web/publish.py), with
    what changes by the minute (the time, the sync's health) drawn around it; else rendered
    here (kept per minute by the page cache, when on)."""
    stored = _published() if set(request.args) <= {"page", "year"} else None
    if stored is None:
        return cached_page(_index)
    (head, head_deflated), (tail, tail_deflated) = stored["parts"]
    frame = stored["frame"]
    if stored["running"]:  # a sync under way: the live part says so
        frame = {**frame, **read(sync_frame)}
    live = render_template("_status_live.html", **live_part(frame)).encode()
    if len(tail) < MIN_BYTES or not accepts_gzip():
        return Response(head + live + tail, mimetype="text/html")
    response = Response(spliced([(head, head_deflated), (live, None), (tail, tail_deflated)]), mimetype="text/html")
    response.headers["Content-Encoding"] = "gzip"
    return response


def _index() -> str:
    args = request.args
    report = read(overview, collection=args.get("collection") or None, status=args.get("status") or None,
                  page=args.get("page"))
    filters = _filters(report)
    return _frame_page(read(index_frame, report=report), cached_fragment(lambda: _index_body(report, filters)))


def _frame_page(frame: dict, body: Markup) -> str:
    """The status page: ``body`` (the matrix and lists) in its frame, drawn now."""
    return render_template("status.html", body=body, **live_part(frame))


def live_part(frame: dict) -> dict:
    """What the part of the status page drawn on every view is drawn from (_status_live.html)."""
    now = svod().clock()
    return {"frame": frame, "generated_at": now,
            "health": sync_health(frame["last_sync"], now, svod().settings.sync_interval_minutes)}


def index_frame(session, *, report: dict, academic_year: str, now: datetime) -> dict:
    """What the status page shows around its body: the year, the number of schools and
    collections, the last sync and the names of the schools it could not read, the next
    three things of the plan. The same for the published and the live page."""
    upcoming = [item for month in plan_calendar(session, academic_year=academic_year, now=now)["months"]
                for item in month["entries"] if item["kind"] != "today" and not item["past"]][:3]
    return {"academic_year": report["academic_year"], "expected": report["expected"],
            "collections": len(report["plan"]), **sync_frame(session, run=report["last_sync"]),
            "upcoming": json.loads(json.dumps(upcoming, default=str))}


def sync_frame(session, *, run: dict | None = None, **_) -> dict:
    """The last sync (``run``, or read now) and the names of the schools it could not read."""
    run = run if run is not None else bounded_last_sync(session)
    codes = (run or {}).get("failed_schools", [])[:10]
    names = dict(session.execute(select(m.School.code, m.School.name).where(m.School.code.in_(codes))).all()) if codes else {}
    return {"last_sync": run, "names": names}


def _published() -> dict | None:
    """The unfiltered page as the clock published it (web/publish.py), when it holds."""
    if not current_app.config.get("SVOD_PUBLISHED", True):
        return None
    context = svod()
    with context.db.engine.connect() as connection:
        return published(connection, today=context.clock().date(), args=request.args,
                         script_root=request.script_root)


def _index_body(report: dict, filters: dict) -> str:
    history = read_cached(rate_history)
    today = svod().clock().date()
    chart = bar_chart([(c["tab"], c["reporting_rate"]) for c in report["collections"]],
                      title="Сдали отчёт, % школ по каждому сбору")
    rate_charts = [
        (c, rate_chart(_points(history.get(c["key"], [])), start=_year_start(report["academic_year"]), end=today,
                       small=True, deadline=as_date(c["deadline"]), title=f"«{c['tab']}»: доля сдавших по дням"))
        for c in report["collections"]]
    cells = {(s["school"], s["collection"]): s for s in report["submissions"]}
    lists = read(district_lists, collection=filters["collection"] or None, status=filters["status"] or None)
    owing, unknown = lists["debtors"], lists["unknown"]
    text = format_debtors(owing["debtors"], today, unknown=unknown["schools"], unknown_total=unknown["total"])
    missing = read_not_submitted(filters["collection"]) if filters["collection"] else None
    return render_template("_status_body.html", report=report, filters=filters, cells=cells, chart=chart,
                           months=month_groups(report["collections"]),
                           short={c["key"]: c["tab"].rpartition(" — ")[2] for c in report["collections"]},
                           rate_charts=rate_charts, legend_order=LEGEND, more_debtors=owing["more"],
                           debtors_shown=len(owing["debtors"]), debtors=text, missing=missing)


def month_groups(collections: list[dict]) -> list[dict]:
    """The matrix's top header row: runs of collections whose deadline falls in one month
    («Сентябрь 2026», its number of columns), «Без срока» for those without one."""
    groups: list[dict] = []
    for c in collections:
        day = as_date(c["deadline"])
        title = f"{ru.month_name(day.month)} {day.year}" if day else "Без срока"
        if groups and groups[-1]["title"] == title:
            groups[-1]["span"] += 1
        else:
            groups.append({"title": title, "span": 1})
    return groups


def read_not_submitted(key: str, page=1) -> dict | None:
    """A collection's «не сдали» page with its messenger text (``text``), or None."""
    listing = read(not_submitted_page, collection=key, page=page)
    if listing is not None:
        listing["text"] = format_not_submitted(listing, svod().clock().date())
    return listing


@bp.route("/not-submitted.txt")
def not_submitted_txt():
    """One collection's «не сдали» list as plain text (``?collection=``), 100 schools a page."""
    key = request.args.get("collection") or ""
    listing = cached(("not-submitted.txt", request.query_string),
                     lambda: read_not_submitted(key, page=request.args.get("page")))
    if listing is None:
        return Response(f"Сбора «{key}» нет в плане: укажите его ключ, например /not-submitted.txt?collection=staffing\n",
                        status=404, mimetype="text/plain")
    text, info = listing["text"], listing["page"]
    if info["pages"] > 1:
        text += (f"\n\nШколы {info['first']}–{info['last']} из {info['total']}, страница {info['number']} "
                 f"из {info['pages']}.")
        if info["number"] < info["pages"]:
            text += " Следующая: " + url_for("status.not_submitted_txt", collection=key, page=info["number"] + 1)
    return Response(text + "\n", mimetype="text/plain")


@bp.route("/debtors.txt")
def debtors_txt():
    """The debtors as plain text, with the filters of the status page, a page of schools at
    a time; kept until a sync writes, as the status page."""
    return Response(cached(("debtors.txt", request.query_string), _debtors_text) + "\n", mimetype="text/plain")


def _debtors_text() -> str:
    args = request.args
    owing = read(debtor_page, collection=args.get("collection") or None, status=args.get("status") or None,
                 page=args.get("page"))
    info = owing["page"]
    # The schools Svod knows nothing about go with the first page only.
    unknown = read(unknown_list, collection=args.get("collection") or None) if info["number"] == 1 else None
    text = format_debtors(owing["debtors"], svod().clock().date(), unknown=unknown["schools"] if unknown else (),
                          unknown_total=unknown["total"] if unknown else 0)
    if info["pages"] > 1:
        text += (f"\n\nШколы {info['first']}–{info['last']} из {info['total']}, страница {info['number']} "
                 f"из {info['pages']}.")
        if info["number"] < info["pages"]:
            more = {k: v for k, v in args.items() if k in ("collection", "status")}
            text += " Следующая: " + url_for("status.debtors_txt", page=info["number"] + 1, **more)
    return text


@bp.route("/plan")
def plan():
    return render_template("plan.html", calendar=read_cached(plan_calendar))


@bp.route("/school/<code>")
def school(code: str):
    detail = read(school_detail, code, schema=svod().schema, page=request.args.get("page"))
    if detail is None:
        abort(404)
    last = read(school_year, code, year=shifted_year(shown_year(), -1))
    return render_template("school.html", detail=detail, preview=PREVIEW, last=last)


@bp.route("/school/<code>/findings")
def school_findings(code: str):
    """One group of a school's findings (tab × column × code), all of it, page by page."""
    group = read_group(code)
    if group is None:
        abort(404)
    return render_template("school_findings.html", group=group)


def read_group(code: str) -> dict | None:
    args = request.args
    return read(finding_group, code, schema=svod().schema, collection=args.get("collection", ""),
                column=args.get("column", ""), finding_code=args.get("finding", ""), page=args.get("page"))


@bp.route("/collection/<key>")
def collection(key: str):
    detail = read_collection(key)
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


def read_collection(key: str) -> dict | None:
    """The collection's page of schools; its district figures (which read every school's
    snapshot) kept until a sync writes."""
    detail = read(collection_detail, key, schema=svod().schema, page=request.args.get("page"), figures=False)
    if detail is not None:
        detail["figures"] = cached(("figures", key), lambda: read(district_figures, key, schema=svod().schema))
        detail["not_submitted"] = cached(("not-submitted", key), lambda: read_not_submitted(key))
        previous = shifted_year(shown_year(), -1)
        last = cached(("last", key), lambda: read(collection_detail, key, schema=svod().schema, per_page=1,
                                                  year=previous))
        detail["last"] = last and {"academic_year": previous, "collection": last["collection"],
                                   "totals": {c["key"]: c["total"] for c in (last["figures"] or {}).get("columns", [])},
                                   "computed": {c["key"]: c["value"] for c in (last["figures"] or {}).get("computed", [])}}
    return detail


def _filters(report: dict) -> dict:
    """The filter form: the values that applied and a note for an unknown one."""
    asked = {name: request.args.get(name) or "" for name in ("collection", "status")}
    collection, status = report["filters"]["collection"] or "", report["filters"]["status"] or ""
    notes = []
    if asked["collection"] and not collection:
        notes.append(f"Сбора «{asked['collection']}» нет в плане на {report['academic_year']} учебный год — "
                     "показаны все сборы.")
    if asked["status"] and not status:
        notes.append("Такого статуса нет — показаны все статусы.")
    query = {k: v for k, v in (("collection", collection), ("status", status)) if v}
    titles = {c["key"]: c["title"] for c in report["plan"]}
    return {"collection": collection, "status": status, "notes": notes, "active": bool(query), "query": query,
            "title": titles.get(collection)}


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
hyphenated = bp.app_template_filter("hyphenated")(ru.hyphenated)


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
        STATUS_LABELS=STATUS_LABELS, STATUS_TEXTS=STATUS_TEXTS, STATUS_SYMBOLS=STATUS_SYMBOLS,
        SYNC_LABELS=SYNC_LABELS, LEGEND=LEGEND, NOT_SUBMITTED=NOT_SUBMITTED,
        NOT_SUBMITTED_FILTER=NOT_SUBMITTED_FILTER,
        SEVERITY_LABELS=SEVERITY_LABELS, percent=ru.percent, ru_number=ru.number, nav_links=nav_links,
        year_switch=year_switch, matrix_cells=matrix_cells,
        overdue_rows=overdue_rows)
