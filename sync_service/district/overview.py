"""The status page and ``/api/status`` one page of schools at a time, aggregated in SQL.

``build_report`` (report.py) walks every school × collection in Python: right for
``svod status --json``, which wants everything, but at 3 000 schools it is 39 000 cells
and megabytes on every page view. Here the database does the walking: one query
expression gives each active school × collection of the plan its status today
(:func:`cells` — the rule of ``status.status_of`` written as SQL ``CASE``, held equal to it
by ``tests/web/test_overview.py``), and the page asks it only for what it shows:

- each collection's counts per status and its rates, over every school (GROUP BY);
- the matrix of one page of schools (``per_page`` of them, by code), narrowed by the
  filters (a collection; the schools with at least one cell of a status);
- the first :data:`OVERDUE_LIMIT` overdue cells, longest first, and how many there are;
- the first :data:`SYNC_ERRORS_LIMIT` schools whose workbook could not be read (or their
  «Проверка» written), and how many;
- the debtors (overdue or returned), a page of schools at a time (:func:`debtor_page`).

So every answer is bounded whatever the database holds. What the unfiltered page shows of
the whole district — each collection's counts and rates, the first overdue cells, the
first debtors, the unreadable workbooks — is computed once per sync, in the clock
(:func:`store_district_part`, after the run's end), and read back by the page in one query
while it still holds (:func:`stored_district_part`: the same data marker and the same day);
so a page view costs what its page of schools costs, not what the district does
(bench/web_bench.py measures it at 3 000 schools). Anything filtered, another day or data
written since is computed live, as before.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import DateTime, and_, case, false, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.report import data_marker, iso, last_sync, plan_collections, school_dict
from sync_service.district.status import (
    ACCEPTED,
    ACCEPTED_LATE,
    IN_PROGRESS,
    NOT_STARTED,
    NOT_SUBMITTED,
    NOT_SUBMITTED_FILTER,
    OVERDUE,
    OWING,
    RETURNED,
    REVIEW_ACCEPTED,
    REVIEW_STATUSES,
    SENT_BACK,
    STATUSES,
    SUBMITTED,
    SUBMITTED_LATE,
    UNKNOWN,
    counted_rates,
    filter_statuses,
)

PER_PAGE = 50            # schools per page of the status page's matrix
API_PER_PAGE = 100       # … of /api/status by default
MAX_PER_PAGE = 200       # … at most, whatever is asked
OVERDUE_LIMIT = 100      # overdue cells listed (the longest overdue first)
SYNC_ERRORS_LIMIT = 50   # unreadable workbooks listed
FAILED_LIMIT = 100       # codes of the schools the last sync could not read
DEBTORS_PER_PAGE = 100   # schools per page of the debtors' list (/debtors.txt)
# Schools in the status page's debtors' text, the longest overdue first: what is pasted into a
# messenger as one message stays readable (and the page at 3 000 schools well under 300 KB);
# the page links /debtors.txt for the rest.
PAGE_DEBTORS = 30


def active():
    """Schools that are expected to report: active and still in the head's «Школы»."""
    return and_(m.School.active.is_(True), m.School.in_registry.is_(True))


def status_expression(collection_id, collections: list[m.Collection], today: date, unreadable=None):
    """``status.status_of`` as SQL over the columns of ``Submission`` (all NULL when the
    school has no submission row: not ready, no data), ``collection_id`` telling which
    collection's deadline applies; ``unreadable`` (a condition on the school's
    ``WorkbookState``) makes a school without a row ``unknown`` (``status.facts_of``)."""
    past = [c.id for c in collections if c.deadline is not None and today > c.deadline]
    # First submitted on or before the deadline's day = before the next midnight.
    cuts = {c.id: literal(datetime.combine(c.deadline + timedelta(days=1), time()), DateTime)
            for c in collections if c.deadline is not None}
    cut = case(cuts, value=collection_id, else_=None) if cuts else literal(None, DateTime)
    s = m.Submission
    ready, has_data = func.coalesce(s.ready, false()), func.coalesce(s.has_data, false())
    errors = func.coalesce(s.errors, 0)
    unknown = [(and_(unreadable, s.id.is_(None)), UNKNOWN)] if unreadable is not None else []
    on_time = or_(cut.is_(None), s.first_submitted_at.is_(None), s.first_submitted_at < cut)
    reviewed = [(s.review == review, status) for review, status in REVIEW_STATUSES.items()]
    return case(
        *unknown,
        *reviewed,
        (s.review == REVIEW_ACCEPTED, case((on_time, ACCEPTED), else_=ACCEPTED_LATE)),
        (and_(ready, or_(errors > 0, not_(has_data))), RETURNED),
        (and_(ready, s.first_submitted_at.is_not(None)),
         case((or_(cut.is_(None), s.first_submitted_at < cut), SUBMITTED), else_=SUBMITTED_LATE)),
        (collection_id.in_(past) if past else false(), OVERDUE),
        (has_data, IN_PROGRESS),
        else_=NOT_STARTED)


def cells(collections: list[m.Collection], today: date):
    """Every active school × collection of ``collections`` with its status on ``today``,
    as a subquery: ``school_id``, ``code``, ``name``, ``collection_id``, ``key``,
    ``position``, ``deadline``, ``status``, ``errors``, ``warnings``, ``submitted_at``,
    ``changed_at``, ``submission_id``, ``version``, ``data_as_of`` (when the workbook cannot
    be read: its last good read). A school without a submission row is ``not_started`` or
    ``overdue`` — or ``unknown`` when its workbook cannot be read."""
    ids = [c.id for c in collections]
    s, state = m.Submission, m.WorkbookState
    status = status_expression(m.Collection.id, collections, today, unreadable=state.error.is_not(None))
    query = (select(m.School.id.label("school_id"), m.School.code, m.School.name,
                    m.Collection.id.label("collection_id"), m.Collection.key, m.Collection.position,
                    m.Collection.deadline, status.label("status"),
                    func.coalesce(s.errors, 0).label("errors"), func.coalesce(s.warnings, 0).label("warnings"),
                    s.first_submitted_at.label("submitted_at"), s.changed_at, s.id.label("submission_id"),
                    s.version, case((state.error.is_not(None), state.last_ok_at), else_=None).label("data_as_of"))
             .select_from(m.School)
             .join(m.Collection, m.Collection.id.in_(ids) if ids else false())
             .outerjoin(s, and_(s.school_id == m.School.id, s.collection_id == m.Collection.id))
             .outerjoin(state, state.school_id == m.School.id)
             .where(active()))
    return query.subquery("cells")


def _page_number(value: Any) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def page_info(number: Any, per_page: int, total: int) -> dict:
    """Which slice of ``total`` items page ``number`` is (out of range: the last page)."""
    pages = max(1, math.ceil(total / per_page))
    number = min(_page_number(number), pages)
    first = (number - 1) * per_page
    return {"number": number, "per_page": per_page, "pages": pages, "total": total,
            "first": first + 1 if total else 0, "last": min(first + per_page, total)}


def clamp_per_page(value: Any, default: int) -> int:
    try:
        return min(MAX_PER_PAGE, max(1, int(value)))
    except (TypeError, ValueError):
        return default


def overview(session: Session, *, academic_year: str, now: datetime, collection: str | None = None,
             status: str | None = None, page: Any = 1, per_page: int = PER_PAGE) -> dict:
    """One page of the status report. ``collection`` keeps one column and ``status`` the
    schools with a cell of that status among the columns shown; unknown values narrow
    nothing (``filters`` says what applied). Rates stay each collection's own, over every school."""
    today = now.date()
    plan = plan_collections(session, academic_year)
    keys = {c.key: c for c in plan}
    collection = collection if collection in keys else None
    wanted = filter_statuses(status)
    status = status if wanted else None
    shown = [keys[collection]] if collection else plan
    table = cells(plan, today)
    shown_ids = [c.id for c in shown]
    in_shown = table.c.collection_id.in_(shown_ids) if shown_ids else false()
    listed = status in (None, OVERDUE, NOT_SUBMITTED_FILTER)
    whole = (stored_district_part(session, academic_year=academic_year, today=today) if collection is None
             else None) or _district_part(session, shown, today, listed=listed)
    expected = whole["expected"]

    if status:
        # The schools with a cell of the status: the statuses of every cell are computed
        # once, for the count and the page both (at most one id per school).
        found = list(session.scalars(select(table.c.school_id).where(in_shown, table.c.status.in_(wanted))
                                     .group_by(table.c.school_id, table.c.code).order_by(table.c.code)))
        total = len(found)
        info = page_info(page, per_page, total)
        page_ids = found[info["first"] - 1:info["last"]] if total else []
    else:
        matching = select(m.School.id.label("school_id"), m.School.code).where(active()).subquery("matching")
        total = session.scalar(select(func.count()).select_from(matching)) or 0
        info = page_info(page, per_page, total)
        page_ids = list(session.scalars(select(matching.c.school_id).order_by(matching.c.code)
                                        .offset(info["first"] - 1 if total else 0).limit(per_page)))
    schools = _schools(session, page_ids)
    order = {c.id: i for i, c in enumerate(plan)}
    page_cells = sorted(session.execute(select(table).where(table.c.school_id.in_(page_ids), in_shown)),
                        key=lambda row: (row.code, order[row.collection_id])) if page_ids else []
    collections = whole["collections"]
    return {
        "academic_year": academic_year,
        "generated_at": iso(now),
        "filters": {"collection": collection, "status": status},
        "plan": [{"key": c.key, "tab": c.tab, "title": c.title} for c in plan],
        "page": info,
        "expected": expected,
        "schools": schools,
        "collections": collections,
        "submissions": [row_cell(row) for row in page_cells],
        "overdue": whole["overdue"] if listed else [],
        "overdue_total": sum(c["counts"][OVERDUE] for c in collections) if listed else 0,
        "sync_errors": whole["sync_errors"],
        "sync_errors_total": whole["sync_errors_total"],
        "last_sync": bounded_last_sync(session),
    }


def _district_part(session: Session, shown: list[m.Collection], today: date, *, listed: bool = True) -> dict:
    """What a page of the status report shows of the whole district for the collections
    ``shown``: the number of schools expected, each collection's counts and rates, the
    first overdue cells (when ``listed``) and the unreadable workbooks."""
    expected = session.scalar(select(func.count()).select_from(m.School).where(active())) or 0
    errors_total, failing = _sync_errors(session)
    return {"expected": expected, "collections": summaries(session, shown, today, expected),
            "overdue": _overdue(session, shown, today) if listed else [],
            "sync_errors": failing, "sync_errors_total": errors_total}


# --- the district's part, computed by the sync ---------------------------------------------------

def _part_key(academic_year: str) -> str:
    return f"status_overview:{academic_year}"


def _marker_value(session: Session) -> list:
    """``data_marker`` as it reads back from JSON."""
    return json.loads(json.dumps(list(data_marker(session)), default=str))


def store_district_part(session: Session, *, academic_year: str, now: datetime) -> None:
    """Compute the unfiltered status page's district-wide part (:func:`_district_part` over
    the whole plan, the first debtors and the unreadable schools of the debtors' text) and
    keep it, with the data marker and the day it holds for, in ``Meta``. Called by the sync
    after its run's end (the marker then is the one pages will see). Generic over statuses:
    what it keeps is what the live functions return."""
    plan = plan_collections(session, academic_year)
    part = _district_part(session, plan, now.date())
    part["debtors"] = first_debtors(session, academic_year=academic_year, now=now, limit=PAGE_DEBTORS)
    part["unknown"] = unknown_list(session, academic_year=academic_year, now=now)
    value = {"marker": _marker_value(session), "day": now.date().isoformat(), "part": part}
    session.merge(m.Meta(key=_part_key(academic_year), value=json.dumps(value, ensure_ascii=False, default=str)))


def stored_district_part(session: Session, *, academic_year: str, today: date) -> dict | None:
    """The part :func:`store_district_part` kept, when it still holds: computed for
    ``today`` and nothing written since (the same data marker); else None."""
    row = session.get(m.Meta, _part_key(academic_year))
    if row is None:
        return None
    value = json.loads(row.value)
    if value.get("day") != today.isoformat() or value.get("marker") != _marker_value(session):
        return None
    return value["part"]


def district_lists(session: Session, *, academic_year: str, now: datetime, collection: str | None = None,
                   status: str | None = None) -> dict:
    """The first debtors (:func:`first_debtors`) and the unreadable schools
    (:func:`unknown_list`) of the status page's debtors' text: ``{"debtors", "unknown"}``,
    kept by the sync for the unfiltered page, else computed."""
    if collection is None and status is None:
        stored = stored_district_part(session, academic_year=academic_year, today=now.date())
        if stored is not None:
            return {"debtors": stored["debtors"], "unknown": stored["unknown"]}
    return {"debtors": first_debtors(session, academic_year=academic_year, now=now, collection=collection,
                                     status=status, limit=PAGE_DEBTORS),
            "unknown": unknown_list(session, academic_year=academic_year, now=now, collection=collection)}


def _schools(session: Session, ids: list[int]) -> list[dict]:
    """The schools of a page, by code, with their error (``report.school_dict``)."""
    if not ids:
        return []
    rows = session.execute(select(m.School, m.WorkbookState)
                           .outerjoin(m.WorkbookState, m.WorkbookState.school_id == m.School.id)
                           .where(m.School.id.in_(ids)).order_by(m.School.code))
    return [school_dict(school, state) for school, state in rows]


def row_cell(row) -> dict:
    return {"school": row.code, "collection": row.key, "status": row.status, "errors": row.errors,
            "warnings": row.warnings, "submitted_at": iso(row.submitted_at), "changed_at": iso(row.changed_at)}


def unreadable_schools(session: Session) -> int:
    """How many active schools' workbooks cannot be read now."""
    return session.scalar(select(func.count()).select_from(m.School).join(
        m.WorkbookState, m.WorkbookState.school_id == m.School.id).where(active(), m.WorkbookState.error.is_not(None))) or 0


def summaries(session: Session, shown: list[m.Collection], today: date, expected: int) -> list[dict]:
    """Each shown collection's counts per status and rates, over every active school: one
    GROUP BY over the submission rows (not the schools × collections grid); the schools
    without a row are what is left of ``expected`` — ``unknown`` those whose workbook cannot
    be read (all of them but those with a row), the rest not started or overdue."""
    counts: dict[int, dict[str, int]] = {c.id: dict.fromkeys(STATUSES, 0) for c in shown}
    unreadable_rows: dict[int, int] = dict.fromkeys(counts, 0)
    if shown:
        s, state = m.Submission, m.WorkbookState
        status = status_expression(s.collection_id, shown, today)
        query = (select(s.collection_id, status, func.count(), func.count(state.error))
                 .join(m.School, m.School.id == s.school_id).outerjoin(state, state.school_id == s.school_id)
                 .where(active(), s.collection_id.in_(list(counts))).group_by(s.collection_id, status))
        for collection_id, status_, n, with_error in session.execute(query):
            counts[collection_id][status_] = n
            unreadable_rows[collection_id] += with_error
    unreadable = unreadable_schools(session) if shown else 0
    result = []
    for c in shown:
        unknown = unreadable - unreadable_rows[c.id]
        counts[c.id][UNKNOWN] = unknown
        missing = expected - sum(counts[c.id].values())
        counts[c.id][OVERDUE if c.deadline is not None and today > c.deadline else NOT_STARTED] += missing
        rates = counted_rates(counts[c.id], expected)
        result.append({"key": c.key, "form": c.form, "title": c.title, "tab": c.tab, "campaign": c.campaign,
                       "deadline": iso(c.deadline), "expected": expected, "reported": rates.reported,
                       "on_time": rates.on_time, "reporting_rate": rates.reporting_rate,
                       "on_time_rate": rates.on_time_rate, "counts": counts[c.id],
                       "not_submitted": sum(counts[c.id][s] for s in NOT_SUBMITTED)})
    return result


def _overdue(session: Session, shown: list[m.Collection], today: date) -> list[dict]:
    """The first :data:`OVERDUE_LIMIT` overdue cells, longest overdue first (by deadline,
    then school code, then collection key): one deadline at a time, each query walking the
    schools in code order and stopping at the limit."""
    listed: list[dict] = []
    past = sorted((c for c in shown if c.deadline is not None and today > c.deadline), key=lambda c: c.deadline)
    for deadline in sorted({c.deadline for c in past}):
        group = [c for c in past if c.deadline == deadline]
        table = cells(group, today)
        titles = {c.id: c.title for c in group}
        rows = session.execute(select(table.c.code, table.c.name, table.c.key, table.c.collection_id)
                               .where(table.c.status == OVERDUE).order_by(table.c.code, table.c.key)
                               .limit(OVERDUE_LIMIT - len(listed)))
        listed += [{"school": r.code, "school_name": r.name, "collection": r.key,
                    "collection_title": titles[r.collection_id], "deadline": iso(deadline),
                    "days_overdue": (today - deadline).days} for r in rows]
        if len(listed) >= OVERDUE_LIMIT:
            break
    return listed


def _sync_errors(session: Session) -> tuple[int, list[dict]]:
    """How many active schools' workbooks could not be read or their «Проверка» written,
    and the first of them by code."""
    where = and_(active(), or_(m.WorkbookState.error.is_not(None), m.WorkbookState.check_error.is_not(None)))
    base = select(m.School, m.WorkbookState).join(m.WorkbookState, m.WorkbookState.school_id == m.School.id).where(where)
    total = session.scalar(select(func.count()).select_from(m.School).join(
        m.WorkbookState, m.WorkbookState.school_id == m.School.id).where(where)) or 0
    rows = session.execute(base.order_by(m.School.code).limit(SYNC_ERRORS_LIMIT))
    return total, [school_dict(school, state) for school, state in rows]


def bounded_last_sync(session: Session) -> dict | None:
    """``report.last_sync`` with at most :data:`FAILED_LIMIT` failed schools' codes."""
    return _bounded(last_sync(session))


def _bounded(run: dict | None) -> dict | None:
    """The last sync with at most :data:`FAILED_LIMIT` failed schools' codes (``schools_failed`` counts them all)."""
    if run is None or len(run["failed_schools"]) <= FAILED_LIMIT:
        return run
    return {**run, "failed_schools": run["failed_schools"][:FAILED_LIMIT]}


# --- the debtors --------------------------------------------------------------------------------

def debtor_page(session: Session, *, academic_year: str, now: datetime, collection: str | None = None,
                status: str | None = None, page: Any = 1, per_page: int = DEBTORS_PER_PAGE) -> dict:
    """The schools owing something (overdue or returned cells among the collections shown;
    with ``status``, only schools with a cell of it), the longest overdue first, a page of
    schools at a time: ``{"page": …, "debtors": [{"school", "name", "items": […]}]}`` in the
    shape of ``report.debtors``."""
    today = now.date()
    plan = plan_collections(session, academic_year)
    keys = {c.key: c for c in plan}
    shown = [keys[collection]] if collection in keys else plan
    table = cells(plan, today)
    ids = [c.id for c in shown]
    owing = and_(table.c.collection_id.in_(ids) if ids else false(), table.c.status.in_(OWING))
    schools = select(table.c.school_id, table.c.code, table.c.name,
                     func.min(case((table.c.status == OVERDUE, table.c.deadline), else_=None)).label("oldest")
                     ).where(owing).group_by(table.c.school_id, table.c.code, table.c.name)
    if filter_statuses(status):
        having = select(table.c.school_id).where(table.c.collection_id.in_(ids) if ids else false(),
                                                 table.c.status.in_(filter_statuses(status)))
        schools = schools.where(table.c.school_id.in_(having))
    schools = schools.subquery("debtors")
    total = session.scalar(select(func.count()).select_from(schools)) or 0
    info = page_info(page, per_page, total)
    # Longest overdue first (the oldest deadline), schools only returned after, then by name.
    rows = session.execute(select(schools).order_by(schools.c.oldest.is_(None), schools.c.oldest, schools.c.name,
                                                    schools.c.code)
                           .offset(info["first"] - 1 if total else 0).limit(per_page)).all()
    return {"page": info, "debtors": _debtor_items(session, rows, shown, today)}


def first_debtors(session: Session, *, academic_year: str, now: datetime, collection: str | None = None,
                  status: str | None = None, limit: int = DEBTORS_PER_PAGE) -> dict:
    """The first ``limit`` debtors of :func:`debtor_page` and whether there are more,
    without counting them all: the schools overdue since the oldest deadline come first,
    so one deadline at a time is asked for (each query stops at the limit), then the
    schools only returned. ``{"debtors": […], "more": bool}``."""
    today = now.date()
    plan = plan_collections(session, academic_year)
    keys = {c.key: c for c in plan}
    shown = [keys[collection]] if collection in keys else plan
    past = [c for c in shown if c.deadline is not None and today > c.deadline]
    chosen = None
    if filter_statuses(status):
        table = cells(shown, today)
        chosen = select(table.c.school_id).where(table.c.status.in_(filter_statuses(status)))
    want, picked = limit + 1, []
    for deadline in sorted({c.deadline for c in past}):
        query = _owing_schools(cells([c for c in past if c.deadline == deadline], today), OVERDUE,
                               [c for c in past if c.deadline < deadline], today, chosen)
        picked += session.execute(query.limit(want - len(picked))).all()
        if len(picked) >= want:
            break
    if len(picked) < want:
        query = _owing_schools(cells(shown, today), (RETURNED, SENT_BACK), past, today, chosen)
        picked += session.execute(query.limit(want - len(picked))).all()
    return {"debtors": _debtor_items(session, picked[:limit], shown, today), "more": len(picked) > limit}


def _owing_schools(table, status: str | tuple[str, ...], not_overdue_in: list[m.Collection], today: date, chosen):
    """The schools with a cell of ``status`` (or of one of them) in ``table`` and none overdue in
    ``not_overdue_in`` (those were listed before), by name: a query to cut with ``limit``."""
    statuses = (status,) if isinstance(status, str) else status
    query = select(table.c.school_id, table.c.code, table.c.name).where(table.c.status.in_(statuses))
    if not_overdue_in:
        earlier = cells(not_overdue_in, today)
        query = query.where(table.c.school_id.not_in(select(earlier.c.school_id).where(earlier.c.status == OVERDUE)))
    if chosen is not None:
        query = query.where(table.c.school_id.in_(chosen))
    return query.distinct().order_by(table.c.name, table.c.code)


def _debtor_items(session: Session, rows, shown: list[m.Collection], today: date) -> list[dict]:
    """The debtors ``rows`` (school id, code, name) with their overdue and returned items."""
    items: dict[int, list[dict]] = {r.school_id: [] for r in rows}
    as_of: dict[int, Any] = {}
    if rows:
        table = cells(shown, today)
        by_id = {c.id: c for c in shown}
        query = select(table).where(table.c.status.in_(OWING), table.c.school_id.in_(list(items)))
        for cell in session.execute(query):
            c = by_id[cell.collection_id]
            as_of[cell.school_id] = cell.data_as_of
            items[cell.school_id].append({
                "collection": c.key, "title": c.title, "deadline": iso(c.deadline), "status": cell.status,
                "days_overdue": (today - c.deadline).days if cell.status == OVERDUE else None,
                "errors": cell.errors})
    return [{"school": r.code, "name": r.name, "data_as_of": iso(as_of.get(r.school_id)),
             "items": sorted(items[r.school_id], key=lambda i: (-(i["days_overdue"] or 0), i["deadline"] or ""))}
            for r in rows]


NOT_SUBMITTED_PER_PAGE = 100  # schools per page of a collection's «не сдали» list


def not_submitted_page(session: Session, *, academic_year: str, now: datetime, collection: str | None,
                       page: Any = 1, per_page: int = NOT_SUBMITTED_PER_PAGE) -> dict | None:
    """The schools that have not submitted ``collection`` (``status.NOT_SUBMITTED``), a page
    at a time in the order of ``report.not_submitted``, with the collection's counts:
    ``{"collection", "expected", "counts", "page", "schools": [{"school", "name", "status",
    "errors", "data_as_of"}]}``; None when the plan has no such collection."""
    today = now.date()
    target = next((c for c in plan_collections(session, academic_year) if c.key == collection), None)
    if target is None:
        return None
    expected = session.scalar(select(func.count()).select_from(m.School).where(active())) or 0
    summary = summaries(session, [target], today, expected)[0]
    total = summary["not_submitted"]
    info = page_info(page, per_page, total)
    table = cells([target], today)
    order = case({status: i for i, status in enumerate(NOT_SUBMITTED)}, value=table.c.status)
    rows = session.execute(select(table.c.code, table.c.name, table.c.status, table.c.errors, table.c.data_as_of)
                           .where(table.c.status.in_(NOT_SUBMITTED)).order_by(order, table.c.name, table.c.code)
                           .offset(max(0, info["first"] - 1)).limit(per_page)) if total else []
    return {"collection": {k: summary[k] for k in ("key", "title", "tab", "deadline")}, "expected": expected,
            "counts": {s: summary["counts"][s] for s in NOT_SUBMITTED}, "page": info,
            "schools": [{"school": r.code, "name": r.name, "status": r.status, "errors": r.errors,
                         "data_as_of": iso(r.data_as_of)} for r in rows]}


def unknown_list(session: Session, *, academic_year: str, now: datetime, collection: str | None = None,
                 limit: int = SYNC_ERRORS_LIMIT) -> dict:
    """The first ``limit`` schools (by code) with an ``unknown`` cell among the collections
    shown, and how many: ``{"schools": [{"school", "name", "collections"}], "total": n}``
    in the shape of ``report.unknown_schools``."""
    plan = plan_collections(session, academic_year)
    keys = {c.key: c for c in plan}
    shown = [keys[collection]] if collection in keys else plan
    table = cells(shown, now.date())
    schools = (select(table.c.code, table.c.name, func.count().label("collections")).where(table.c.status == UNKNOWN)
               .group_by(table.c.school_id, table.c.code, table.c.name).subquery("unknown"))
    total = session.scalar(select(func.count()).select_from(schools)) or 0
    rows = session.execute(select(schools).order_by(schools.c.code).limit(limit)) if total else []
    return {"schools": [{"school": r.code, "name": r.name, "collections": r.collections} for r in rows],
            "total": total}
