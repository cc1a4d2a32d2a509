"""The paged status report (``overview``, SQL) against the one that walks every cell in
Python (``build_report`` + ``filter_report`` + ``debtors``, the reference ``svod status
--json`` uses): random districts with every kind of fact — missing submissions, the head's
reviews, ready
with and without errors or data, first submitted before, on and after the deadline, no
deadline, inactive schools, schools gone from the registry — at dates before, on and
after the deadlines, every filter, every page."""
from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert

from sync_service import db as m
from sync_service.district.overview import (
    OVERDUE_LIMIT,
    PAGE_DEBTORS,
    debtor_page,
    district_lists,
    first_debtors,
    not_submitted_page,
    overview,
    page_info,
    store_district_part,
    stored_district_part,
    unknown_list,
)
from sync_service.district.report import build_report, debtors, filter_report, not_submitted, unknown_schools
from sync_service.district.status import FILTERS
from tests.factory import make_svod

YEAR = "2026/2027"
DEADLINES = [date(2026, 9, 30), date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 30), None]


def random_district(session, rng: random.Random, schools: int) -> None:
    rows = [m.School(code=f"s{i:03d}", name=f"Школа {rng.randint(1, schools // 3)} № {i}",
                     active=rng.random() > 0.05, in_registry=rng.random() > 0.05) for i in range(schools)]
    collections = [m.Collection(key=f"c{i}", form="staffing", tab=f"Т{i}", title=f"Сбор {i}", deadline=deadline,
                                position=i, academic_year=YEAR) for i, deadline in enumerate(DEADLINES)]
    session.add_all(rows + collections)
    session.flush()
    facts, states = [], []
    for school in rows:
        # a workbook that cannot be read now: never read (no rows: «нет данных»), or read
        # before (its rows stand, with their date); or only its «Проверка» not written
        trouble = rng.choice(["none"] * 7 + ["never", "stale", "write"])
        if trouble != "none":
            states.append(dict(school_id=school.id, workbook_id=f"{school.code}.xlsx",
                               error=None if trouble == "write" else "файл повреждён",
                               check_error="только чтение" if trouble == "write" else None,
                               last_ok_at=None if trouble == "never" else datetime(2026, 9, 1)))
        if trouble == "never":
            continue
        for collection in collections:
            if rng.random() < 0.2:
                continue  # never read, or a collection added after the last read: no submission row
            ready, has_data = rng.random() < 0.6, rng.random() < 0.8
            due = collection.deadline or date(2026, 10, 15)
            first = (datetime.combine(due, datetime.min.time()) + timedelta(days=rng.choice([-3, 0, 0, 1, 5]),
                                                                           hours=rng.choice([0, 12, 23])))
            facts.append(dict(school_id=school.id, collection_id=collection.id, ready=ready, has_data=has_data,
                              errors=rng.choice([0, 0, 0, 2]), warnings=rng.choice([0, 1]),
                              first_submitted_at=first if ready and rng.random() < 0.8 else None, version=0,
                              # the head's review as it stands (accepted, changed since, returned)
                              review=rng.choice([None] * 7 + ["accepted", "changed", "returned"])))
    session.execute(insert(m.Submission), facts)
    session.execute(insert(m.WorkbookState), states)


@pytest.fixture(scope="module", params=[1, 2])
def district(request, tmp_path_factory):
    svod = make_svod(tmp_path_factory.mktemp(f"district{request.param}"))
    with svod.db.session() as session:
        random_district(session, random.Random(request.param), schools=90)
    yield svod
    svod.dispose()


def all_pages(fetch, per_page: int) -> list[dict]:
    pages, number = [], 1
    while True:
        result = fetch(page=number, per_page=per_page)
        pages.append(result)
        if number >= result["page"]["pages"]:
            return pages
        number += 1


@pytest.mark.parametrize("today", [date(2026, 9, 30), date(2026, 10, 1), date(2026, 12, 1)])
@pytest.mark.parametrize("collection, status", [(None, None), ("c0", None), ("c2", "overdue"), (None, "returned"),
                                                (None, "submitted_late"), ("nope", "nope"), ("c4", "in_progress"),
                                                (None, "unknown"), ("c3", "unknown"), (None, "not_submitted"),
                                                ("c3", "not_submitted"), (None, "accepted"), ("c2", "accepted_late"),
                                                (None, "sent_back"), ("c1", "changed")])
def test_every_page_together_is_the_report(district, today, collection, status):
    now = datetime.combine(today, datetime.min.time()).replace(hour=9)
    with district.db.session() as session:
        full = build_report(session, academic_year=YEAR, now=now)
        reference = filter_report(full, collection=collection, status=status)
        pages = all_pages(lambda **kw: overview(session, academic_year=YEAR, now=now, collection=collection,
                                                status=status, **kw), per_page=7)
        owing = all_pages(lambda **kw: debtor_page(session, academic_year=YEAR, now=now, collection=collection,
                                                   status=status, **kw), per_page=6)
        firsts = [first_debtors(session, academic_year=YEAR, now=now, collection=collection, status=status,
                                limit=limit) for limit in (1, 10, 200)]
        unknown_sql = unknown_list(session, academic_year=YEAR, now=now, collection=collection, limit=500)
        missing = {c["key"]: all_pages(lambda key=c["key"], **kw: not_submitted_page(
                                     session, academic_year=YEAR, now=now, collection=key, **kw), per_page=8)
                   for c in full["collections"]}
    first = pages[0]
    assert [s for p in pages for s in p["schools"]] == reference["schools"]
    assert [c for p in pages for c in p["submissions"]] == reference["submissions"]
    assert all(len(p["schools"]) <= 7 for p in pages)
    assert first["collections"] == reference["collections"]
    assert first["overdue"] == reference["overdue"][:OVERDUE_LIMIT]
    assert first["overdue_total"] == len(reference["overdue"])
    assert first["expected"] == len(build_report_schools(district, now))
    assert first["filters"] == {"collection": collection if collection != "nope" else None,
                                "status": status if status in FILTERS else None}
    # The debtors keep their days overdue under any status filter (filter_report drops the
    # overdue list for a status other than «просрочен», which left the old list «None дн.»).
    overdue = filter_report(full, collection=collection)["overdue"]
    expected = debtors({**reference, "overdue": overdue})
    assert [d for p in owing for d in p["debtors"]] == expected
    assert [(f["debtors"], f["more"]) for f in firsts] == [(expected[:n], len(expected) > n) for n in (1, 10, 200)]
    # Svod does not know: somewhere «нет данных», never counted overdue, the same in SQL
    unknown = unknown_schools(filter_report(full, collection=collection))
    assert unknown_sql == {"schools": unknown, "total": len(unknown)}
    assert sum(c["counts"]["unknown"] for c in full["collections"]) > 0
    # every collection's «не сдали», page by page, is the Python list
    for key, pages_ in missing.items():
        assert [s for p in pages_ for s in p["schools"]] == not_submitted(full, key)
        assert pages_[0]["page"]["total"] == next(c["not_submitted"] for c in full["collections"] if c["key"] == key)


def build_report_schools(district, now):
    with district.db.session() as session:
        return build_report(session, academic_year=YEAR, now=now)["schools"]


def test_the_overdue_list_is_cut_and_counted(tmp_path):
    svod = make_svod(tmp_path)
    with svod.db.session() as session:
        session.add_all([m.School(code=f"s{i:03d}", name=f"Школа {i}") for i in range(130)])
        session.add(m.Collection(key="c", form="staffing", tab="Т", title="Сбор", deadline=date(2026, 9, 30),
                                 academic_year=YEAR))
    with svod.db.session() as session:
        report = overview(session, academic_year=YEAR, now=datetime(2026, 11, 22, 9))
    assert (len(report["overdue"]), report["overdue_total"]) == (OVERDUE_LIMIT, 130)
    assert report["overdue"][0]["school"] == "s000" and report["overdue"][-1]["school"] == "s099"
    svod.dispose()


@pytest.mark.parametrize("asked, expected", [
    (1, (1, 1, 7)), ("2", (2, 8, 14)), (3, (3, 15, 20)), (99, (3, 15, 20)), ("x", (1, 1, 7)), (-4, (1, 1, 7))])
def test_page_info(asked, expected):
    info = page_info(asked, 7, 20)
    assert (info["number"], info["first"], info["last"]) == expected and info["pages"] == 3


def test_page_info_of_nothing():
    assert page_info(5, 7, 0) == {"number": 1, "per_page": 7, "pages": 1, "total": 0, "first": 0, "last": 0}


@pytest.mark.parametrize("today", [date(2026, 9, 30), date(2026, 12, 1)])
def test_the_district_part_the_sync_keeps_is_what_the_page_would_compute(tmp_path, today):
    """The unfiltered page's district-wide part (counts, rates, the first overdue and
    debtors, the unreadable workbooks) is kept by the sync and read back while it holds:
    the same day and nothing written since; else the page computes it."""
    now = datetime.combine(today, datetime.min.time()).replace(hour=9)
    svod = make_svod(tmp_path)
    try:
        with svod.db.session() as session:
            random_district(session, random.Random(7), schools=90)
        with svod.db.session() as session:
            live = [overview(session, academic_year=YEAR, now=now, page=n, status=s, per_page=20)
                    for n in (1, 3) for s in (None, "overdue", "returned")]
            lists = district_lists(session, academic_year=YEAR, now=now)
            assert lists == {"debtors": first_debtors(session, academic_year=YEAR, now=now, limit=PAGE_DEBTORS),
                             "unknown": unknown_list(session, academic_year=YEAR, now=now)}
            assert len(lists["debtors"]["debtors"]) == PAGE_DEBTORS and lists["debtors"]["more"]
            assert stored_district_part(session, academic_year=YEAR, today=today) is None
        with svod.db.session() as session:
            store_district_part(session, academic_year=YEAR, now=now)
        with svod.db.session() as session:
            assert stored_district_part(session, academic_year=YEAR, today=today) is not None
            assert [overview(session, academic_year=YEAR, now=now, page=n, status=s, per_page=20)
                    for n in (1, 3) for s in (None, "overdue", "returned")] == live
            assert district_lists(session, academic_year=YEAR, now=now) == lists
            # read back, not computed again: what is kept is what the page shows
            row = session.get(m.Meta, f"status_overview:{YEAR}")
            kept = json.loads(row.value)
            kept["part"]["expected"] = 12345
            row.value = json.dumps(kept)
        with svod.db.session() as session:
            assert overview(session, academic_year=YEAR, now=now)["expected"] == 12345
            assert overview(session, academic_year=YEAR, now=now, collection="c0")["expected"] != 12345
            # the next day (statuses turn overdue at midnight) the page computes it
            assert stored_district_part(session, academic_year=YEAR, today=today + timedelta(days=1)) is None
            assert stored_district_part(session, academic_year=YEAR + "x", today=today) is None
            # and so it does once a sync has written since
            session.add(m.SyncRun(started_at=now, status="running", trigger="clock"))
        with svod.db.session() as session:
            assert stored_district_part(session, academic_year=YEAR, today=today) is None
            assert overview(session, academic_year=YEAR, now=now)["expected"] != 12345
    finally:
        svod.dispose()
