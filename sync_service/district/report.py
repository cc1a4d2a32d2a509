"""The status report: what the head reads every morning, built from the database alone.

Statuses are computed now, from the stored facts and the clock (``status.status_of``),
so a page opened days after the last sync is still right. Every active school ×
every collection of the plan is in the report, even before its first sync.

Everything here is JSON-safe (dates and times as ISO strings): ``build_report`` is the
contract of ``svod status --json`` and ``/api/status``. Nothing personal ever leaves
this module: no librarian names, e-mails or phones, no values of personal columns
(``Column.personal``), not even quoted inside a finding's message.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service import ru
from sync_service.district.check_tab import not_written
from sync_service.district.status import (
    NOT_SUBMITTED,
    NOT_SUBMITTED_FILTER,
    OVERDUE,
    OWING,
    RETURNED,
    SENT_BACK,
    STATUS_TEXTS,
    STATUSES,
    UNKNOWN,
    facts_of,
    filter_statuses,
    rates,
    status_of,
)
from sync_service.findings import CODES
from sync_service.forms.schema import Form

# Codes whose Russian message never quotes what was typed: safe even on a personal column.
_VALUE_FREE_CODES = frozenset(code for code, (_severity, message, _hint) in CODES.items()
                              if "{value}" not in message and "{keys}" not in message)
PERSONAL_MESSAGE = "Значение в столбце «{column}» заполнено неверно (персональные данные здесь не показываются)"
PERSONAL_DUPLICATE = "Повторяется строка {row} — уже есть {first} (персональные данные здесь не показываются)"
_FIRST_ROW = re.compile(r"уже есть в строке (\d+)")
PERSONAL_HINT = "Исправьте значение ({place}) в книге школы."


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- reading the tables ------------------------------------------------------------------

def active_schools(session: Session) -> list[m.School]:
    return list(session.scalars(select(m.School).where(m.School.active.is_(True), m.School.in_registry.is_(True))
                                .order_by(m.School.code)))


def plan_collections(session: Session, academic_year: str) -> list[m.Collection]:
    return list(session.scalars(select(m.Collection).where(m.Collection.academic_year == academic_year,
                                                           m.Collection.in_plan.is_(True))
                                .order_by(m.Collection.position, m.Collection.id)))


# The facts a status needs, read as plain rows: ORM objects cost ~10× more for the
# 6 500 cells of a 500-school district (measured with bench/web_bench.py).
_SUBMISSION_FACTS = (m.Submission.id, m.Submission.school_id, m.Submission.collection_id, m.Submission.ready,
                     m.Submission.errors, m.Submission.warnings, m.Submission.has_data,
                     m.Submission.first_submitted_at, m.Submission.version, m.Submission.changed_at,
                     m.Submission.review, m.Submission.review_version)


def submission_facts(session: Session, school_ids: Iterable[int], collection_ids: Iterable[int]) -> dict[tuple[int, int], Any]:
    """(school id, collection id) -> a row with the submission's facts (attributes as on ``Submission``)."""
    school_ids, collection_ids = list(school_ids), list(collection_ids)
    if not school_ids or not collection_ids:
        return {}
    query = select(*_SUBMISSION_FACTS).where(m.Submission.school_id.in_(school_ids),
                                              m.Submission.collection_id.in_(collection_ids))
    return {(s.school_id, s.collection_id): s for s in session.execute(query)}


def _sync_errors(session: Session) -> dict[int, m.WorkbookState]:
    return {s.school_id: s for s in session.scalars(select(m.WorkbookState).where(
        m.WorkbookState.error.is_not(None) | m.WorkbookState.check_error.is_not(None)))}


def unreadable(state: m.WorkbookState | None) -> bool:
    """The school's workbook could not be read by the last sync that tried."""
    return bool(state and state.error)


def cell_dict(school: m.School, collection: m.Collection, submission, today: date, *,
              unreadable: bool = False) -> dict:
    """One school × collection: its status today and the facts behind it (``unreadable``:
    the school's workbook cannot be read now, see ``status.facts_of``)."""
    status = status_of(facts_of(submission, unreadable=unreadable), collection.deadline, today)
    return {
        "school": school.code,
        "collection": collection.key,
        "status": status,
        "errors": submission.errors if submission else 0,
        "warnings": submission.warnings if submission else 0,
        "submitted_at": iso(submission.first_submitted_at) if submission else None,
        "changed_at": iso(submission.changed_at) if submission else None,
    }


def _collection_summary(collection: m.Collection, statuses: list[str]) -> dict:
    counted = rates(statuses)
    counts = Counter(statuses)
    return {
        "key": collection.key,
        "form": collection.form,
        "title": collection.title,
        "tab": collection.tab,
        "campaign": collection.campaign,
        "deadline": iso(collection.deadline),
        "expected": counted.expected,
        "reported": counted.reported,
        "on_time": counted.on_time,
        "reporting_rate": counted.reporting_rate,
        "on_time_rate": counted.on_time_rate,
        "counts": {status: counts.get(status, 0) for status in STATUSES},
        "not_submitted": sum(counts.get(status, 0) for status in NOT_SUBMITTED),
    }


# Runs that went through to the end: «partial» read what it could, which keeps the page fresh.
COMPLETED_RUNS = ("ok", "partial")


def last_sync(session: Session) -> dict | None:
    """The newest sync run, how long it took, and the schools it could not read (codes only)."""
    run = session.scalar(select(m.SyncRun).order_by(m.SyncRun.id.desc()).limit(1))
    if run is None:
        return None
    success = run if run.status in COMPLETED_RUNS else session.scalar(
        select(m.SyncRun).where(m.SyncRun.status.in_(COMPLETED_RUNS)).order_by(m.SyncRun.id.desc()).limit(1))
    failed = session.scalars(select(m.School.code).join(m.SyncOutcome, m.SyncOutcome.school_id == m.School.id)
                             .where(m.SyncOutcome.run_id == run.id, m.SyncOutcome.outcome == "failed")
                             .order_by(m.School.code))
    return {
        "id": run.id,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "duration_seconds": (round((run.finished_at - run.started_at).total_seconds())
                             if run.finished_at and run.started_at else None),
        "status": run.status,
        "trigger": run.trigger,
        "schools_total": run.schools_total,
        "schools_read": run.schools_read,
        "schools_unchanged": run.schools_unchanged,
        "schools_failed": run.schools_failed,
        "failed_schools": list(failed),
        "error": run.error,
        # The head's «Школы» tab holds names and e-mails: only how many findings it has.
        "head_findings": len(run.head_findings or []),
        # The newest run that went through (ok or partial): how fresh the page is.
        "last_success_at": iso(success.finished_at or success.started_at) if success else None,
        # A change of the head's workbook held back (sync_service/district/changes.py): why, since when
        "held_change": _public_held(session),
    }


def _public_held(session: Session) -> dict | None:
    from sync_service.sync.held import held_change

    change = held_change(session)
    return None if change is None else {key: change[key] for key in ("message", "since", "confirmable", "confirmed")}


def _marker_query():
    from sync_service.sync.held import CONFIRMED
    from sync_service.sync.records import YEAR_KEYS

    newest = select(m.SyncRun).order_by(m.SyncRun.id.desc()).limit(1).subquery()
    return select(select(func.max(m.SyncOutcome.id)).scalar_subquery(),
                  select(func.max(m.RateSnapshot.id)).scalar_subquery(),
                  select(newest.c.id).scalar_subquery(), select(newest.c.status).scalar_subquery(),
                  select(newest.c.finished_at).scalar_subquery(),
                  # what the head does between syncs: a review (a status), a confirmed change,
                  # a turn of the year (`svod new-year`: the year Svod tracks)
                  select(func.max(m.Review.id)).scalar_subquery(),
                  select(m.Meta.value).where(m.Meta.key == CONFIRMED).scalar_subquery(),
                  *(select(m.Meta.value).where(m.Meta.key == key).scalar_subquery() for key in YEAR_KEYS))


MARKER_QUERY = _marker_query()  # built once: it is asked for on every page view


def data_marker(session: Session) -> tuple:
    """A value that changes whenever a sync writes what the report reads: a new run, each
    school's outcome (stored with its submissions and findings), new rate snapshots, the
    end of a run — and whenever the head reviews a submission, confirms a held change of
    her workbook or turns the year between syncs. Caches of built reports are keyed by it (one cheap query)."""
    return tuple(session.execute(MARKER_QUERY).one())


# --- the report -----------------------------------------------------------------------------

def build_report(session: Session, *, academic_year: str, now: datetime) -> dict:
    """Every active school × every collection of ``academic_year`` with its status at ``now``."""
    today = now.date()
    schools = active_schools(session)
    collections = plan_collections(session, academic_year)
    submissions = submission_facts(session, (s.id for s in schools), (c.id for c in collections))
    errors = _sync_errors(session)
    cells, overdue, summaries = [], [], []
    for collection in collections:
        statuses = []
        for school in schools:
            cell = cell_dict(school, collection, submissions.get((school.id, collection.id)), today,
                             unreadable=unreadable(errors.get(school.id)))
            cells.append(cell)
            statuses.append(cell["status"])
            if cell["status"] == OVERDUE:
                overdue.append({"school": school.code, "school_name": school.name, "collection": collection.key,
                                "collection_title": collection.title, "deadline": iso(collection.deadline),
                                "days_overdue": (today - collection.deadline).days})
        summaries.append(_collection_summary(collection, statuses))
    overdue.sort(key=lambda item: (-item["days_overdue"], item["school"], item["collection"]))
    order = {c.key: i for i, c in enumerate(collections)}
    cells.sort(key=lambda cell: (cell["school"], order[cell["collection"]]))
    return {
        "academic_year": academic_year,
        "generated_at": iso(now),
        "schools": [school_dict(school, errors.get(school.id)) for school in schools],
        "collections": summaries,
        "submissions": cells,
        "overdue": overdue,
        "last_sync": last_sync(session),
    }


def school_dict(school: m.School, state: m.WorkbookState | None) -> dict:
    """``sync_error``: the school's error — its workbook not read (``sync_error_kind`` «read»:
    the data shown is the last good read, made at ``data_as_of``; ``None`` when it was never
    read, and then its statuses are ``unknown``), or its «Проверка» not written («write»:
    the data is current, the librarian does not see Svod's findings yet)."""
    read = unreadable(state)
    written = not read and bool(state and state.check_error)
    error = state.error if read else not_written(state.check_error) if written else None
    return {"code": school.code, "name": school.name,
            "sync_error": error,
            "sync_error_at": iso(state.error_at if read else state.check_error_at) if error else None,
            "sync_error_kind": "read" if read else "write" if written else None,
            "data_as_of": iso(state.last_ok_at) if read else None}


# --- findings as the pages show them ----------------------------------------------------------

def public_finding(record: m.FindingRecord, form: Form | None) -> dict:
    """A finding as pages show it: a message that quotes a personal column's value is replaced.

    Findings carry no personal data by design, but ``type``/``pattern``/``choice``
    messages quote the typed value (for ФИО, phone, e-mail too), and ``duplicate-row``
    quotes the key columns (ФИО of the staffing form).
    """
    message, hint = record.message, record.hint
    personal = form.personal_keys if form else frozenset()
    quotes_personal = (record.column_key in personal and record.code not in _VALUE_FREE_CODES) or (
        record.code == "duplicate-row" and bool(personal & set(form.key_columns if form else ())))
    if quotes_personal:
        place = f"ячейка {record.address}" if record.address else f"строка {record.row}" if record.row else "лист формы"
        first = _FIRST_ROW.search(record.message or "")
        fill = {"column": record.column or "", "place": place, "row": record.row or "",
                "first": f"в строке {first.group(1)}" if first else "выше"}
        repeat = record.code == "duplicate-row" or not record.column
        message = (PERSONAL_DUPLICATE if repeat else PERSONAL_MESSAGE).format_map(fill)
        if record.code not in CODES or "{value}" in CODES[record.code][2]:
            hint = PERSONAL_HINT.format_map(fill)
    return {"code": record.code, "severity": record.severity, "sheet": record.sheet, "row": record.row,
            "address": record.address, "column": record.column, "column_key": record.column_key,
            "message": message, "hint": hint}


# --- the rates over time ----------------------------------------------------------------------

def rate_snapshots(session: Session, collection_ids: list[int]) -> dict[int, list[dict]]:
    """Collection id -> its rate snapshots, the last of each day, oldest first (one query).

    A sync every 15 minutes that changes the rates leaves up to 96 snapshots a day; the
    charts' axis is days, so one a day draws the same steps, and the answer stays bounded
    by the days of the year (at most 366 a collection)."""
    if not collection_ids:
        return {}
    last_of_day = (select(func.max(m.RateSnapshot.id)).where(m.RateSnapshot.collection_id.in_(collection_ids))
                   .group_by(m.RateSnapshot.collection_id, func.date(m.RateSnapshot.at)))
    # Plain rows, not ORM objects: a year of snapshots is thousands of them on every page view.
    snapshot = m.RateSnapshot
    query = (select(snapshot.collection_id, snapshot.at, snapshot.expected, snapshot.reporting_rate,
                    snapshot.on_time_rate).where(snapshot.id.in_(last_of_day)).order_by(snapshot.at, snapshot.id))
    history: dict[int, list[dict]] = {}
    for row in session.execute(query):
        history.setdefault(row.collection_id, []).append({
            "at": iso(row.at), "expected": row.expected, "reporting_rate": row.reporting_rate,
            "on_time_rate": row.on_time_rate})
    return history


def rate_history(session: Session, *, academic_year: str, now: datetime) -> dict[str, list[dict]]:
    """Collection key -> its reporting and on-time rates after the last sync of each day
    that changed them (``RateSnapshot``), for every collection of the plan, oldest first.
    ``now`` is unused but keeps the signature of the other report functions."""
    collections = plan_collections(session, academic_year)
    history = rate_snapshots(session, [c.id for c in collections])
    return {c.key: history.get(c.id, []) for c in collections}


# --- the plan as a calendar -----------------------------------------------------------------------

MONTHS = ("Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь",
          "Ноябрь", "Декабрь")


def plan_calendar(session: Session, *, academic_year: str, now: datetime) -> dict:
    """The association's plan for ``academic_year``: its meetings, seminars and campaigns
    (``PlanEvent``) and the deadlines of its collections, month by month."""
    events = session.scalars(select(m.PlanEvent).where(m.PlanEvent.academic_year == academic_year)
                             .order_by(m.PlanEvent.date, m.PlanEvent.id))
    items = [{"kind": "event", "date": iso(e.date), "title": e.title, "campaign": e.campaign or None,
              "collection": None} for e in events]
    items += [{"kind": "deadline", "date": iso(c.deadline), "title": c.title, "campaign": c.campaign,
               "collection": c.key} for c in plan_collections(session, academic_year)]
    return calendar_months(academic_year, items, now.date())


def calendar_months(academic_year: str, items: list[dict], today: date) -> dict:
    """Twelve months, September to August, each with its dated items in order and, in the
    current month, a ``today`` item where today falls; undated items apart. Pure."""
    first_year = int(academic_year.split("/")[0])
    months = []
    for i in range(12):
        year, month = first_year + (8 + i) // 12, (8 + i) % 12 + 1
        months.append({"year": year, "month": month, "title": f"{MONTHS[month - 1]} {year}",
                       "current": (year, month) == (today.year, today.month),
                       "past": (year, month) < (today.year, today.month), "entries": []})
    index = {(entry["year"], entry["month"]): entry for entry in months}
    undated, outside = [], []
    for item in sorted(items, key=lambda item: (item["date"] or "", item["kind"] != "event", item["title"])):
        if item["date"] is None:
            undated.append(item)
            continue
        day = date.fromisoformat(item["date"])
        entry = index.get((day.year, day.month))
        (entry["entries"] if entry else outside).append({**item, "past": day < today})
    current = index.get((today.year, today.month))
    if current is not None:
        position = sum(1 for item in current["entries"] if item["past"])
        current["entries"].insert(position, {"kind": "today", "date": iso(today), "title": "Сегодня",
                                           "campaign": None, "collection": None, "past": False})
    return {"academic_year": academic_year, "today": iso(today), "months": months, "undated": undated,
            "outside": outside}


# --- filters and the list of debtors --------------------------------------------------------------

def filter_report(report: dict, *, collection: str | None = None, status: str | None = None) -> dict:
    """The report narrowed to one collection and/or the schools with a cell of ``status``
    (among the collections shown; ``not_submitted``: of any status not submitted). The rates
    stay the collection's own, over every school. Unknown values narrow nothing. Pure."""
    keys = [c["key"] for c in report["collections"]]
    if collection in keys:
        keys = [collection]
    wanted = filter_statuses(status)
    if wanted is None:
        status = None
    shown = set(keys)
    cells = [cell for cell in report["submissions"] if cell["collection"] in shown]
    if status:
        matching = {cell["school"] for cell in cells if cell["status"] in wanted}
    else:
        matching = {school["code"] for school in report["schools"]}
    return {
        **report,
        "schools": [school for school in report["schools"] if school["code"] in matching],
        "collections": [c for c in report["collections"] if c["key"] in shown],
        "submissions": [cell for cell in cells if cell["school"] in matching],
        "overdue": [o for o in report["overdue"] if o["collection"] in shown and o["school"] in matching
                    and status in (None, OVERDUE, NOT_SUBMITTED_FILTER)],
    }


def debtors(report: dict) -> list[dict]:
    """The schools owing something: overdue and returned cells, grouped by school, the
    longest overdue first (``data_as_of``: the school's workbook cannot be read now, its
    statuses are of the last read then). Names of schools and collections only, nothing
    personal. Pure."""
    names = {school["code"]: school["name"] for school in report["schools"]}
    as_of = {school["code"]: school.get("data_as_of") for school in report["schools"]}
    collections = {c["key"]: c for c in report["collections"]}
    days = {(o["school"], o["collection"]): o["days_overdue"] for o in report["overdue"]}
    owing: dict[str, list[dict]] = {}
    for cell in report["submissions"]:
        if cell["status"] not in OWING or cell["school"] not in names:
            continue
        collection = collections[cell["collection"]]
        owing.setdefault(cell["school"], []).append({
            "collection": collection["key"], "title": collection["title"], "deadline": collection["deadline"],
            "status": cell["status"], "days_overdue": days.get((cell["school"], cell["collection"])),
            "errors": cell["errors"]})
    result = [{"school": code, "name": names[code], "data_as_of": as_of[code], "items": sorted(
        items, key=lambda item: (-(item["days_overdue"] or 0), item["deadline"] or ""))}
        for code, items in owing.items()]
    result.sort(key=lambda entry: (-(entry["items"][0]["days_overdue"] or 0), entry["name"], entry["school"]))
    return result


def unknown_schools(report: dict) -> list[dict]:
    """The schools with an ``unknown`` cell: their workbook cannot be read and Svod does not
    know what they have submitted; by code, each with how many collections. Pure."""
    names = {school["code"]: school["name"] for school in report["schools"]}
    counts = Counter(cell["school"] for cell in report["submissions"]
                     if cell["status"] == UNKNOWN and cell["school"] in names)
    return [{"school": code, "name": names[code], "collections": counts[code]} for code in sorted(counts)]


def not_submitted(report: dict, collection: str) -> list[dict]:
    """The schools that have not submitted ``collection`` (any status of
    ``status.NOT_SUBMITTED``): the ones to fix first, then the late, the typing, the not
    begun and those Svod knows nothing about; by name within each. Pure."""
    names = {school["code"]: school["name"] for school in report["schools"]}
    as_of = {school["code"]: school.get("data_as_of") for school in report["schools"]}
    order = {status: i for i, status in enumerate(NOT_SUBMITTED)}
    found = [{"school": cell["school"], "name": names[cell["school"]], "status": cell["status"],
              "errors": cell["errors"], "data_as_of": as_of[cell["school"]]}
             for cell in report["submissions"]
             if cell["collection"] == collection and cell["status"] in order and cell["school"] in names]
    return sorted(found, key=lambda s: (order[s["status"]], s["name"], s["school"]))


def format_not_submitted(page: dict, today: date) -> str:
    """One collection's «не сдали» list as the messenger text: a line per school, each
    marked with its status (``page`` in the shape of ``overview.not_submitted_page``). Pure."""
    c, info = page["collection"], page["page"]
    deadline = f"срок {ru.date_text(c['deadline'])}" if c["deadline"] else "без срока"
    if not info["total"]:
        return f"«{c['title']}» ({deadline}): на {ru.date_text(today)} сдали все школы."
    count = f"{ru.number(info['total'])} {ru.plural(info['total'], 'школа', 'школы', 'школ')}"
    lines = [f"Не сдали «{c['title']}» ({deadline}) на {ru.date_text(today)}: {count} из {ru.number(page['expected'])}:"]
    for school in page["schools"]:
        mark = STATUS_TEXTS[school["status"]]
        if school["status"] == OVERDUE:
            days = (today - date.fromisoformat(c["deadline"])).days
            mark += f" {days} {ru.plural(days, 'день', 'дня', 'дней')}"
        elif school["status"] == RETURNED and school["errors"]:
            mark += f", ошибок: {school['errors']}"
        if school.get("data_as_of") and school["status"] != UNKNOWN:
            mark += f" (по данным на {ru.date_text(school['data_as_of'])})"
        lines.append(f"— {school['name']} — {mark}")
    return "\n".join(lines)


def debtors_text(report: dict, today: date) -> str:
    """The debtors as plain text for a messenger: a line per school × collection, a
    school's lines together; then the schools Svod knows nothing about. Pure."""
    unknown = unknown_schools(report)
    return format_debtors(debtors(report), today, unknown=unknown, unknown_total=len(unknown))


def format_debtors(owing: list[dict], today: date, *, unknown: list[dict] = (), unknown_total: int = 0) -> str:
    """Debtors in the shape of :func:`debtors` as the messenger text, and the first of the
    ``unknown_total`` schools of :func:`unknown_schools` — not debtors: Svod cannot read
    their workbook. Pure."""
    when = ru.date_text(today)
    lines = [f"Должники на {when}:"] if owing else [f"Должников на {when} нет."]
    for entry in owing:
        stale = f"; по данным на {ru.date_text(entry['data_as_of'])}" if entry.get("data_as_of") else ""
        for item in entry["items"]:
            if item["status"] == OVERDUE:
                why = f"срок {ru.date_text(item['deadline'])}, просрочено {item['days_overdue']} дн."
            elif item["status"] == SENT_BACK:
                why = STATUS_TEXTS[SENT_BACK]
            else:
                why = "возвращён на исправление" + (f", ошибок: {item['errors']}" if item["errors"] else "")
            lines.append(f"— {entry['name']}: {item['title']} ({why}{stale})")
    if unknown:
        lines += ["", "Нет данных: Svod не может прочитать книги этих школ и не знает, что в них сдано "
                      "(это не долг — проверьте книгу):"]
        lines += [f"— {entry['name']}" for entry in unknown]
        if unknown_total > len(unknown):
            lines.append(f"— и ещё {ru.number(unknown_total - len(unknown))}")
    return "\n".join(lines)
