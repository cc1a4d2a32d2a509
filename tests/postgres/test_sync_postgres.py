"""A whole sync on .xlsx workbooks with its state in PostgreSQL, checked against the same
district synced on SQLite: the two databases must tell the same story."""
from __future__ import annotations

from datetime import date, datetime
from functools import cache

import pytest
from sqlalchemy import func, select

import tests.integration.district as district_module
from sync_service import db as m
from sync_service.district.report import build_report
from sync_service.forms.schema import load_schema
from sync_service.sync.run import run_sync
from tests.integration.district import NOW, YEAR, build_district, fill

STAFFING_WITH_A_MISTAKE = [["Петрова Ольга", "Педагог-библиотекарь", "полставки", "Высшее библиотечное", 10, 12,
                            None, None, None, None, None]]


def report(district) -> dict:
    with district.svod.db.session() as session:
        return build_report(session, academic_year=YEAR, now=NOW)


def librarians_edits(district) -> None:
    fill(district, "sch01", "staffing")
    district.edit("sch01", "Кадры", {"D2": date(2026, 9, 25)})  # a paper report dated before the deadline
    fill(district, "sch01", "library_fund")
    fill(district, "sch02", "staffing", rows=STAFFING_WITH_A_MISTAKE)
    fill(district, "sch02", "textbook_provision")


@pytest.fixture(autouse=True)
def forms_parsed_once(monkeypatch):
    """fill() parses the forms' YAML at every call; once is enough here."""
    monkeypatch.setattr(district_module, "load_schema", cache(load_schema))


@pytest.fixture
def districts(tmp_path, postgres_url):
    """The same district twice: on PostgreSQL and on SQLite."""
    on_postgres = build_district(tmp_path / "pg" / "district", schools=3, database_url=postgres_url)
    on_sqlite = build_district(tmp_path / "sqlite" / "district", schools=3)
    yield on_postgres, on_sqlite
    on_postgres.svod.db.dispose()
    on_sqlite.svod.db.dispose()


def test_a_sync_on_postgres_stores_what_sqlite_stores(districts):
    district, twin = districts
    assert district.svod.db.engine.dialect.name == "postgresql"
    for each in districts:
        librarians_edits(each)
    summary = run_sync(district.svod)
    assert (summary.status, summary.total, summary.read, summary.failed) == ("ok", 3, 3, 0)
    assert run_sync(twin.svod).status == "ok"

    got = report(district)
    assert got == report(twin)  # `status --json` says the same on both databases
    statuses = {(s["school"], s["collection"]): s["status"] for s in got["submissions"]}
    assert statuses[("sch01", "staffing")] == "submitted"  # on time by its «Дата сдачи»
    assert statuses[("sch01", "library_fund")] == "submitted"
    assert statuses[("sch02", "staffing")] == "returned"
    assert statuses[("sch02", "textbook_provision")] == "submitted_late"
    assert statuses[("sch03", "staffing")] == "overdue"
    assert statuses[("sch03", "library_fund")] == "not_started"
    assert got["last_sync"]["status"] == "ok" and got["last_sync"]["schools_read"] == 3

    with district.svod.db.session() as session:
        # dates come back as dates
        staffing = session.scalar(select(m.Submission).join(m.School).join(m.Collection)
                                  .where(m.School.code == "sch01", m.Collection.key == "staffing"))
        assert staffing.ready_date == date(2026, 9, 25)
        assert staffing.collection.deadline == date(2026, 9, 30)
        assert staffing.first_submitted_at == datetime(2026, 9, 25)  # the earlier of the two
        # JSON columns keep the rows as typed, dates as ISO strings
        version = session.scalar(select(m.SubmissionVersion).where(m.SubmissionVersion.submission_id == staffing.id))
        assert version.version == 1 and version.ready
        assert version.rows["columns"]["full_name"][0] == "Иванова Анна Петровна"
        assert "1975-03-04" in version.table.records()[0].values()
        sizes = dict(session.execute(
            select(m.School.code, func.json_array_length(m.SubmissionVersion.rows["rows"]))
            .join(m.Submission, m.Submission.id == m.SubmissionVersion.submission_id)
            .join(m.School).join(m.Collection).where(m.Collection.key == "textbook_provision")).all())
        assert sizes == {"sch02": 3}
        run = session.get(m.SyncRun, summary.run_id)
        assert isinstance(run.head_findings, list)
        # the findings, with their place
        findings = session.scalars(select(m.FindingRecord).join(m.School).where(m.School.code == "sch02")).all()
        assert any(f.sheet == "Кадры" and f.address == "C5" and "полставки" in f.message for f in findings)
        assert any(f.address == "F5" and "Библиотечный стаж больше общего стажа" in f.message for f in findings)
        # the Meta table remembers the head's marker and the consolidated workbook
        meta = dict(session.execute(select(m.Meta.key, m.Meta.value)).all())
        assert meta["head_year"] == YEAR and meta["head_marker"] and meta[f"consolidated_hash:{YEAR}"]

    # a second sync with nothing changed reads and writes nothing
    mtimes = {p.name: p.stat().st_mtime_ns for p in district.folder.iterdir()}
    idle = run_sync(district.svod)
    assert (idle.status, idle.read, idle.unchanged, idle.checks_written, idle.consolidated_written) == (
        "ok", 0, 3, 0, False)
    assert {p.name: p.stat().st_mtime_ns for p in district.folder.iterdir()} == mtimes


def test_a_change_is_a_new_version_and_a_fix_clears_the_findings(districts):
    district, twin = districts
    for each in districts:
        librarians_edits(each)
        run_sync(each.svod)
        each.edit("sch01", "Фонд", {"B5": 12500})
        each.edit("sch02", "Кадры", {"C5": "0,5", "F5": 8})
        summary = run_sync(each.svod)
        assert (summary.read, summary.unchanged) == (2, 1)
    assert report(district) == report(twin)
    with district.svod.db.session() as session:
        versions = session.scalars(select(m.SubmissionVersion).join(m.Submission).join(m.School).join(m.Collection)
                                   .where(m.School.code == "sch01", m.Collection.key == "library_fund")
                                   .order_by(m.SubmissionVersion.version)).all()
        assert [(v.version, v.table.column("fund_total")[0]) for v in versions] == [(1, 12000), (2, 12500)]
        assert not session.scalars(select(m.FindingRecord).join(m.School).where(
            m.School.code == "sch02", m.FindingRecord.severity == "error")).all()
    statuses = {(s["school"], s["collection"]): s["status"] for s in report(district)["submissions"]}
    assert statuses[("sch02", "staffing")] == "submitted_late"


def test_the_pages_sql_says_unknown_on_postgres_as_on_sqlite(districts):
    """``overview`` (the status page's SQL) on a district with a workbook never read: the
    same answer on both databases, and «нет данных» for that school."""
    from sync_service.district.overview import overview, unknown_list

    for each in districts:
        librarians_edits(each)
        each.path("sch03").write_bytes(b"not a workbook")
        assert run_sync(each.svod).status == "partial"
    pages = []
    for each in districts:
        with each.svod.db.session() as session:
            pages.append((overview(session, academic_year=YEAR, now=NOW),
                          unknown_list(session, academic_year=YEAR, now=NOW)))
    assert pages[0] == pages[1]
    page, unknown = pages[0]
    assert {c["status"] for c in page["submissions"] if c["school"] == "sch03"} == {"unknown"}
    assert unknown["total"] == 1 and page["collections"][0]["counts"]["unknown"] == 1
