"""Texts longer than anything a file system, a drive or the database keeps (issue 17).

A «Книга» no file system takes used to fail the whole sync (ENAMETOOLONG from the xlsx store);
a school's name longer than the database column would fail it on PostgreSQL; a header of a
thousand characters made a finding the database refused. Each is now one cell's finding, the
rest of the district synced, and what Svod knew of that school kept.
"""
from __future__ import annotations

import openpyxl
from sqlalchemy import select

from sync_service import db as m
from sync_service.findings import make_finding
from sync_service.sync.records import finding_row
from sync_service.sync.run import run_sync
from tests.integration.district import HEAD, build_district, fill

LONG_NAME = "Муниципальное бюджетное общеобразовательное учреждение " * 8   # 439 characters once stripped


def set_schools(district, changes: dict[tuple[int, int], str]) -> None:
    book = openpyxl.load_workbook(district.folder / HEAD)
    for (row, col), value in changes.items():
        book["Школы"].cell(row, col).value = value
    book.save(district.folder / HEAD)


def head_check(district) -> list[str]:
    book = openpyxl.load_workbook(district.folder / HEAD)
    return [" | ".join(str(v) for v in row if v is not None) for row in book["Проверка"].iter_rows(values_only=True)]


def stored_schools(district) -> dict[str, tuple[str, bool]]:
    with district.svod.db.session() as session:
        return {s.code: (s.name, s.in_registry) for s in session.scalars(select(m.School))}


def test_a_book_no_file_system_takes_is_that_schools_error_not_the_districts(tmp_path, database_url=None):
    district = build_district(tmp_path / "district", schools=3, **({"database_url": database_url} if database_url else {}))
    fill(district, "sch03", "staffing")
    set_schools(district, {(2, 5): "Очень длинное имя книги " * 18 + ".xlsx",          # 437 characters
                           (3, 5): "папка/" + "я" * 300 + "/sch02.xlsx"})             # a 300-character folder
    summary = run_sync(district.svod)
    assert summary.status == "partial" and summary.read == 1 and summary.failed == 2
    for code in ("sch01", "sch02"):
        reason = summary.failures[code]
        assert reason.startswith("нет книги «") and len(reason) < 120, reason
        assert "знаков)" in reason  # shortened, and says how long it was
    assert "sch03" not in summary.failures


def test_a_name_too_long_is_the_heads_finding_and_the_school_keeps_its_place(tmp_path, database_url=None):
    district = build_district(tmp_path / "district", schools=3, **({"database_url": database_url} if database_url else {}))
    assert run_sync(district.svod).status == "ok"
    set_schools(district, {(3, 2): LONG_NAME})            # sch02's «Название»
    summary = run_sync(district.svod)
    assert (summary.status, summary.total, summary.failed) == ("ok", 3, 0)  # sch02 still synced
    assert stored_schools(district)["sch02"] == ("МБОУ СОШ №2", True)
    lines = [line for line in head_check(district) if "Слишком длинный текст" in line]
    assert len(lines) == 1 and "B3" in lines[0] and f"{len(LONG_NAME.strip())} знаков" in lines[0] and "не больше 300 знаков" in lines[0]

    set_schools(district, {(3, 2): "МБОУ «Лицей №2»"})   # fixed: applied at the next sync
    assert run_sync(district.svod).status == "ok"
    assert stored_schools(district)["sch02"] == ("МБОУ «Лицей №2»", True)


def test_a_findings_texts_fit_the_database_columns():
    """A tab or header name as long as a workbook allows is shortened to its column, not refused."""
    finding = make_finding("missing-column", form="staffing", sheet="Л" * 250, column="Примечание " * 100,
                           address="C4")
    row = finding_row(1, None, finding)
    assert len(row["sheet"]) <= 200 and len(row["column"]) <= 300 and row["address"] == "C4"
    assert row["column"].startswith("Примечание Примечание") and "знаков)" in row["column"]
    assert len(finding.message) < 200  # the message quotes the names shortened too
