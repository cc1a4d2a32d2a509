"""The «ФПУ» tab the order's instruction promises («Код — из листа «ФПУ»»), on real .xlsx
workbooks: written beside «Проверка» once the list is imported, protected, in code order,
rewritten only when the list changes, never over a librarian's own tab of that name."""
from __future__ import annotations

import openpyxl
import pytest

from sync_service.order import commands
from sync_service.order.consolidate import code_order
from sync_service.order.fpu_tab import FPU_HEADER, FPU_TAB, FPU_TITLE
from sync_service.sync.run import run_sync
from tests.integration.district import build_district


def fpu_rows(district, code):
    book = openpyxl.load_workbook(district.path(code))
    return book[FPU_TAB], [[c.value for c in row] for row in book[FPU_TAB].iter_rows()]


@pytest.fixture
def district(tmp_path):
    district = build_district(tmp_path / "district", schools=3)
    book = openpyxl.load_workbook(district.path("sch03"))
    book.create_sheet(FPU_TAB)["A1"] = "мой список учебников"      # the librarian's own «ФПУ»
    book.save(district.path("sch03"))
    commands.fpu_import(district.svod.db, commands.sample_fpu_path())
    return district


def test_every_school_gets_the_list_in_force_as_a_protected_tab(district):
    assert run_sync(district.svod).failed == 0
    sheet, rows = fpu_rows(district, "sch01")
    assert rows[0][0] == FPU_TITLE and tuple(rows[3]) == FPU_HEADER
    codes = [row[0] for row in rows[4:]]
    assert len(codes) == len(set(codes)) > 200 and codes == sorted(codes, key=code_order)
    assert sheet.protection.sheet and sheet.freeze_panes == "A5"
    # the instruction it keeps
    order = openpyxl.load_workbook(district.path("sch01"))["Заказ учебников"]
    assert "из листа «ФПУ» этой книги" in order["A3"].value


def test_the_tab_is_rewritten_only_when_the_list_changes(district, tmp_path):
    run_sync(district.svod)
    before, (_, first) = district.path("sch01").stat().st_mtime_ns, fpu_rows(district, "sch01")
    summary = run_sync(district.svod)
    assert summary.checks_written == 0 and district.path("sch01").stat().st_mtime_ns == before
    # a new list: one textbook fewer
    lines = commands.sample_fpu_path().read_text(encoding="utf-8").splitlines()
    shorter = tmp_path / "fpu.csv"
    shorter.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    commands.fpu_import(district.svod.db, shorter)
    summary = run_sync(district.svod)
    assert summary.checks_written == 2   # sch01 and sch02, nothing else changed in them
    _, rows = fpu_rows(district, "sch01")
    assert len(rows) == len(first) - 1 and rows[4:] == [r for r in first[4:] if r[0] != lines[-1].split(";")[0]]


def test_a_librarians_own_tab_of_that_name_is_never_written_over(district):
    run_sync(district.svod)
    _, rows = fpu_rows(district, "sch03")
    assert rows == [["мой список учебников"]]
