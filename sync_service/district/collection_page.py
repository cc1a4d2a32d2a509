"""One collection as its page and ``/api/collection/<key>`` show it, bounded.

Its rates and counts per status over every school come from SQL (``overview.cells``);
the schools' list is a page of :data:`PER_PAGE` schools by code; the history is bounded
by days (snapshots: the last of each day; schools submitted: per day). The district's
figures (:func:`collection_figures`) read every school's latest snapshot — their answer
is bounded by the form's columns, their cost by the data — so the web keeps them until
a sync writes.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.consolidate import _as_date
from sync_service.district.overview import active, cells, page_info, row_cell, summaries
from sync_service.district.report import iso, rate_snapshots
from sync_service.district.status import NOT_SUBMITTED
from sync_service.forms.aggregate import AGGREGATE_LABELS, aggregate
from sync_service.forms.schema import Form, Schema
from sync_service.forms.table import Table

PER_PAGE = 100  # schools per page of a collection


def find_collection(session: Session, key: str, academic_year: str) -> m.Collection | None:
    return session.scalar(select(m.Collection).where(m.Collection.key == key,
                                                     m.Collection.academic_year == academic_year,
                                                     m.Collection.in_plan.is_(True)))


def collection_detail(session: Session, key: str, *, academic_year: str, now: datetime, schema: Schema,
                      page: Any = 1, per_page: int = PER_PAGE, figures: bool = True) -> dict | None:
    """One collection of ``academic_year``: its rates, page ``page`` of the schools with
    their statuses, the district's figures (unless ``figures`` is false: the web reads them
    apart, cached) and the history for the charts. ``None`` when the plan has no such collection."""
    collection = find_collection(session, key, academic_year)
    if collection is None:
        return None
    table = cells([collection], now.date())
    expected = session.scalar(select(func.count()).select_from(m.School).where(active())) or 0
    summary = summaries(session, [collection], now.date(), expected)[0]
    info = page_info(page, per_page, expected)
    rows = session.execute(select(table).order_by(table.c.code)
                           .offset(max(0, info["first"] - 1)).limit(per_page)).all()
    versions = latest_versions(session, [r.submission_id for r in rows if r.version])
    form = schema.forms.get(collection.form)
    moments = session.scalars(select(m.Submission.first_submitted_at).join(m.School).where(
        m.Submission.collection_id == collection.id, m.Submission.first_submitted_at.is_not(None), active()))
    return {
        "academic_year": academic_year,
        "generated_at": iso(now),
        "collection": {**summary, "shape": form.shape if form else None},
        "schools": [{**row_cell(r), "name": r.name, "data_as_of": iso(r.data_as_of),
                     "rows": len(versions[r.submission_id].table) if r.submission_id in versions else 0}
                    for r in rows],
        "schools_page": info,
        "figures": collection_figures(session, collection, schema, now) if figures else None,
        "history": {
            "rates": rate_snapshots(session, [collection.id]).get(collection.id, []),
            "submitted_by_day": submitted_by_day(moments),
        },
    }


def collection_figures(session: Session, collection: m.Collection, schema: Schema, now: datetime) -> dict | None:
    """The district's figures of ``collection`` from the latest snapshot of every active
    school that has submitted it (on ``now``): what is being typed, returned or overdue is
    not in the totals, as in the «Свод»."""
    form = schema.forms.get(collection.form)
    if form is None:
        return None
    table = cells([collection], now.date())
    ids = session.scalars(select(table.c.submission_id).where(table.c.version > 0,
                                                              table.c.status.not_in(NOT_SUBMITTED)))
    expected = session.scalar(select(func.count()).select_from(m.School).where(active())) or 0
    snapshots = ((v.table, v.computed) for v in latest_versions(session, list(ids)).values())
    return {**consolidated_figures(form, (s for s in snapshots if len(s[0]))), "expected": expected}


def district_figures(session: Session, key: str, *, academic_year: str, now: datetime, schema: Schema) -> dict | None:
    """:func:`collection_figures` of the collection ``key`` (``None`` if not in the plan)."""
    collection = find_collection(session, key, academic_year)
    return collection_figures(session, collection, schema, now) if collection is not None else None


def latest_versions(session: Session, submission_ids: list[int]) -> dict[int, m.SubmissionVersion]:
    """Submission id -> its newest stored version."""
    if not submission_ids:
        return {}
    query = (select(m.SubmissionVersion)
             .join(m.Submission, (m.SubmissionVersion.submission_id == m.Submission.id)
                   & (m.SubmissionVersion.version == m.Submission.version))
             .where(m.Submission.id.in_(submission_ids)))
    return {v.submission_id: v for v in session.scalars(query)}


def consolidated_figures(form: Form, snapshots: Iterable[tuple[Table, Any]]) -> dict:
    """The district's totals of a form's non-personal columns over the schools' snapshots,
    each by its ``aggregate`` (a sum, a mean, …; years and grades none: see
    :mod:`sync_service.forms.aggregate`), and the form's computed values taken from the
    district's sums (Σloans ÷ Σreaders, never an average of the schools' ratios). Pure."""
    columns = [c for c in form.totalled if not c.personal]
    numeric = set(form.numeric_keys) | {name for c in form.computed for name in c.expr.names}
    gathered: dict[str, list] = {k: [] for k in {c.key for c in columns} | numeric}
    schools = rows = 0
    for table, _computed in snapshots:
        schools += 1
        rows += len(table)
        for k, values in gathered.items():
            values += table.column(k)
    for c in columns:
        if c.type == "date":   # stored as ISO text in JSON; the total goes back as ISO text
            gathered[c.key] = [_as_date(v) for v in gathered[c.key]]
    sums = {k: aggregate("sum", gathered[k]) for k in numeric}
    present = {k: v for k, v in sums.items() if v is not None}
    return {
        "shape": form.shape,
        "schools": schools,
        "rows": rows,
        "columns": [{"key": c.key, "label": c.label, "total": _plain(aggregate(c.aggregation, gathered[c.key])),
                     "date": c.type == "date", "how": c.aggregation, "how_label": AGGREGATE_LABELS[c.aggregation],
                     "filled": sum(1 for v in gathered[c.key] if v not in (None, ""))} for c in columns],
        "computed": [{"key": c.key, "label": c.label, "value": c.value(present), "percent": c.percent}
                     for c in form.computed if all(name in present for name in c.expr.names)],
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def submitted_by_day(moments: Iterable[datetime]) -> list[dict]:
    """How many schools had first submitted by the end of each day that saw a submission."""
    per_day = Counter(moment.date() for moment in moments)
    total, series = 0, []
    for day in sorted(per_day):
        total += per_day[day]
        series.append({"date": day.isoformat(), "count": per_day[day], "total": total})
    return series
