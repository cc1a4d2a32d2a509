"""One school as the pages show it: its collections and its findings, bounded.

A hostile or broken workbook can hold 200 000 findings (100 000 order lines, two findings
each); listing them all made ``/school/<code>`` 138 MB. Here the findings are grouped in
SQL by tab (collection), column and code — the same mistake in the same column is one
group — and the page shows, for each group, its first :data:`PREVIEW` findings with their
cells and «и ещё N таких же в столбце «…»»; :data:`GROUPS_PER_PAGE` groups a page (the
workbook-wide ones first, then the forms in plan order, then the groups in sheet order).
The rest of a group is read :data:`GROUP_PER_PAGE` findings at a time
(:func:`finding_group`). Totals (errors, warnings) are counted in SQL over all.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.overview import page_info
from sync_service.district.report import (
    cell_dict,
    iso,
    plan_collections,
    public_finding,
    school_dict,
    submission_facts,
    unreadable,
)
from sync_service.district.status import REVIEW_CHANGED
from sync_service.forms.schema import Schema
from sync_service.model import school_code
from sync_service.sync.reviews import review_changes, version_rows

PREVIEW = 5             # findings shown of each group on the school page
GROUPS_PER_PAGE = 40    # groups of findings per page of the school page
GROUP_PER_PAGE = 100    # findings per page of one group
WORKBOOK = ""           # the collection parameter of the findings about the whole workbook

F = m.FindingRecord
# A «more-findings» (past the first 20 of a kind, sync_service/forms/found.py) belongs to
# the group of the findings it stands for, and counts as that many.
KIND = func.coalesce(F.folded_code, F.code)
STANDS_FOR = func.coalesce(F.folded, 1)


def _school(session: Session, code: str) -> m.School | None:
    return session.scalar(select(m.School).where(m.School.code == school_code(code), m.School.active.is_(True),
                                                 m.School.in_registry.is_(True)))


def _in_plan(collections: list[m.Collection]):
    """Findings about the whole workbook or a collection of this year's plan."""
    return or_(F.collection_id.is_(None), F.collection_id.in_([c.id for c in collections]))


def school_detail(session: Session, code: str, *, academic_year: str, now: datetime, schema: Schema,
                  page: Any = 1) -> dict | None:
    """One active school: its collections with statuses and page ``page`` of its findings,
    grouped. ``None`` when no active school has ``code``."""
    school = _school(session, code)
    if school is None:
        return None
    today = now.date()
    collections = plan_collections(session, academic_year)
    submissions = submission_facts(session, [school.id], (c.id for c in collections))
    state = session.get(m.WorkbookState, school.id)
    lines = [{**cell_dict(school, c, submissions.get((school.id, c.id)), today, unreadable=unreadable(state)),
              "title": c.title, "tab": c.tab,
              "form": c.form, "deadline": iso(c.deadline)} for c in collections]
    changed = {c.key: _changed_cells(session, submissions.get((school.id, c.id)), schema.forms.get(c.form))
               for c in collections}
    groups, errors, warnings = _groups(session, school.id, collections)
    info = page_info(page, GROUPS_PER_PAGE, len(groups))
    shown = groups[info["first"] - 1:info["last"]] if groups else []
    forms = {c.id: schema.forms.get(c.form) for c in collections}
    sections: list[dict] = []
    for group in shown:
        if not sections or sections[-1]["collection"] != group["collection"]:
            sections.append({"collection": group["collection"], "title": group["title"], "groups": []})
        sections[-1]["groups"].append(_preview(session, school.id, group, forms, schema))
    return {
        "academic_year": academic_year,
        "generated_at": iso(now),
        "school": school_dict(school, state),
        "last_read_at": iso(state.last_ok_at) if state else None,
        "collections": lines,
        "changed": [{"title": c.title, **changed[c.key]} for c in collections if changed[c.key]],
        "findings": sections,
        "errors": errors,
        "warnings": warnings,
        "groups_page": info,
    }


def _changed_cells(session: Session, submission, form) -> dict | None:
    """Where a submission changed since the head accepted it (cells and columns, no values:
    the page is public), bounded; None when it did not."""
    if submission is None or submission.review != REVIEW_CHANGED:
        return None
    found, total = review_changes(session, submission.id, submission.review_version,
                                  version_rows(session, submission.id, submission.version))
    labels = {c.key: c.label for c in form.columns} if form else {}
    return {"cells": [" ".join(part for part in (change.address or (f"строка {change.row}" if change.row else ""),
                                                 f"«{labels.get(change.key, change.key)}»") if part)
                      for change in found], "total": total}


def _column_ref(column_key: str | None, column: str | None) -> str:
    """A group's column as a page parameter: its key, else its label, else ``""``."""
    return column_key or column or ""


def _groups(session: Session, school_id: int, collections: list[m.Collection]) -> tuple[list[dict], int, int]:
    """Every group of the school's findings (tab × column × code) with its size, in page
    order, and the errors and warnings counted over all. One GROUP BY that the index
    ``ix_findings_groups`` answers without reading the findings."""
    position = {c.id: i for i, c in enumerate(collections)}
    by_id = {c.id: c for c in collections}
    query = (select(F.collection_id, KIND.label("code"), F.column_key, F.column, F.severity,
                    func.sum(STANDS_FOR).label("total"), func.min(F.id).label("first"))
             .where(F.school_id == school_id, _in_plan(collections))
             .group_by(F.collection_id, KIND, F.column_key, F.column, F.severity))
    groups: dict[tuple, dict] = {}
    errors = warnings = 0
    for r in session.execute(query):
        if r.severity == "error":
            errors += r.total
        else:
            warnings += r.total
        key = (r.collection_id, r.code, _column_ref(r.column_key, r.column))
        collection = by_id.get(r.collection_id)
        group = groups.setdefault(key, {
            "collection": collection.key if collection else None,
            "title": collection.title if collection else "Книга школы",
            "collection_id": r.collection_id, "code": r.code, "column_ref": key[2], "total": 0, "first": r.first,
            "pairs": set()})
        group["total"] += r.total
        group["first"] = min(group["first"], r.first)
        group["pairs"].add((r.column_key, r.column))
    ordered = sorted(groups.values(), key=lambda g: (
        -1 if g["collection_id"] is None else position[g["collection_id"]], g["first"]))
    return ordered, errors, warnings


def _group_where(school_id: int, collection_id: int | None, code: str, pairs):
    """The findings of one group: its (column key, column) pairs, each an index range."""
    return and_(F.school_id == school_id, F.collection_id == collection_id, KIND == code,
                or_(*(and_(F.column_key == key, F.column == label) for key, label in pairs)))


def _preview(session: Session, school_id: int, group: dict, forms: dict, schema: Schema) -> dict:
    """A group as the page shows it: its first findings (sheet order) and how many more."""
    records = session.scalars(select(F).where(_group_where(school_id, group["collection_id"], group["code"],
                                                           group["pairs"]))
                              .order_by(F.id).limit(PREVIEW)).all()
    form = forms.get(group["collection_id"])
    if form is None and records:
        form = schema.forms.get(records[0].form or "")
    return {"code": group["code"], "column": records[0].column if records else None,
            "column_ref": group["column_ref"], "severity": records[0].severity if records else None,
            "total": group["total"], "more": group["total"] - len(records),
            "findings": [public_finding(record, form) for record in records]}


def finding_group(session: Session, code: str, *, academic_year: str, now: datetime, schema: Schema,
                  collection: str, column: str, finding_code: str, page: Any = 1) -> dict | None:
    """All the findings of one group of a school (``collection`` key or ``""`` for the
    workbook, ``column`` key or label or ``""``, ``finding_code``), a page at a time, in
    sheet order. ``None`` when the school or the collection is unknown."""
    school = _school(session, code)
    if school is None:
        return None
    collections = plan_collections(session, academic_year)
    target = next((c for c in collections if c.key == collection), None)
    if collection != WORKBOOK and target is None:
        return None
    collection_id = target.id if target else None
    pairs = [(k, c) for k, c in session.execute(
        select(F.column_key, F.column).where(F.school_id == school.id, F.collection_id == collection_id,
                                             KIND == finding_code).distinct())
        if _column_ref(k, c) == column]
    where = _group_where(school.id, collection_id, finding_code, pairs) if pairs else false()
    total = session.scalar(select(func.count()).where(where)) or 0
    stands_for = session.scalar(select(func.sum(STANDS_FOR)).where(where)) or 0
    info = page_info(page, GROUP_PER_PAGE, total)
    records = session.scalars(select(F).where(where).order_by(F.id).offset(max(0, info["first"] - 1))
                              .limit(GROUP_PER_PAGE)).all()
    form = schema.forms.get(target.form) if target else None
    findings = [public_finding(record, form or schema.forms.get(record.form or "")) for record in records]
    return {
        "academic_year": academic_year,
        "generated_at": iso(now),
        "school": {"code": school.code, "name": school.name},
        "collection": {"key": target.key, "title": target.title} if target else None,
        "column": findings[0]["column"] if findings else None,
        "column_ref": column,
        "code": finding_code,
        "total": stands_for,  # with those a «more-findings» stands for
        "page": info,
        "findings": findings,
    }
