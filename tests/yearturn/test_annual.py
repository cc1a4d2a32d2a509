"""The head's annual analysis: a valid .docx and .xlsx (read back with python-docx and
openpyxl) whose figures equal a computation written here from what the schools typed."""
from __future__ import annotations

import io
from datetime import datetime

import docx
import openpyxl
import pytest

from sync_service import ru
from sync_service.cli import main
from sync_service.district.annual_docs import annual_documents, file_name
from sync_service.sync.run import run_sync, sync_lock
from sync_service.yearturn.run import turn_year
from tests.yearturn.district import STAFF, build

Y1, Y2 = "2026/2027", "2027/2028"
# (fund_total, textbooks, received, written_off) per school and year; provision rows (grade, students, copies)
FUNDS = {Y1: {"sch01": (15320, 9000, 600, 250), "sch02": (12000, 7000, 400, 100)},
         Y2: {"sch01": (15800, 9300, 700, 220), "sch02": (12500, 7100, 650, 150), "sch03": (9000, 5000, 300, 90)}}
PROVISION = {Y1: {"sch01": [(5, 50, 48), (6, 45, 45)]},
             Y2: {"sch01": [(5, 52, 50), (6, 47, 40)], "sch02": [(5, 30, 30)]}}
ANNUAL = {Y2: {"sch01": {"students": 810, "readers": 640, "readers_students": 600, "visits": 9000, "loans": 12000,
                         "fund_total": 15800, "fund_textbooks": 9300},
               "sch02": {"students": 500, "readers": 420, "readers_students": 400, "visits": 5000, "loans": 7000,
                         "fund_total": 12500, "fund_textbooks": 7100}}}


def fill_year(d, year: str) -> None:
    for code, (total, textbooks, received, written_off) in FUNDS[year].items():
        d.fill_record(code, "library_fund", {"fund_total": total, "fund_textbooks": textbooks, "fund_fiction": 3000,
                                             "received": received, "written_off": written_off, "readers": 500,
                                             "students": 700})
    for code, rows in PROVISION[year].items():
        d.fill_table(code, "Обеспеченность", [[g, "Математика", s, c, None] for g, s, c in rows])
    for code, values in ANNUAL.get(year, {}).items():
        d.fill_record(code, "annual_report", values)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    d = build(tmp_path_factory.mktemp("annual"), Y1, now=datetime(2026, 9, 15, 9))
    run_sync(d.svod)
    fill_year(d, Y1)
    d.fill_table("sch01", "Кадры", STAFF)
    d.at(datetime(2027, 6, 1, 9))
    run_sync(d.svod)
    d.at(datetime(2027, 9, 1, 9))
    with sync_lock(d.svod.settings.lock_file, d.svod.settings.database_url):
        turn_year(d.svod, Y2)
    run_sync(d.svod)
    fill_year(d, Y2)
    d.at(datetime(2028, 6, 20, 9))
    run_sync(d.svod)
    return d


def expected_figures() -> dict[str, tuple]:
    """The figures computed from what was typed, by hand."""
    def fund_total(year, index):
        return sum(v[index] for v in FUNDS[year].values())

    def provision(year):
        rows = [r for rows in PROVISION[year].values() for r in rows]
        return sum(c for _, _, c in rows) / sum(s for _, s, _ in rows) * 100

    readers = sum(v["readers"] for v in ANNUAL[Y2].values())
    loans = sum(v["loans"] for v in ANNUAL[Y2].values())
    return {"Фонд всего, экз.": (fund_total(Y2, 0), fund_total(Y1, 0)),
            "Учебники, экз.": (fund_total(Y2, 1), fund_total(Y1, 1)),
            "Поступило за год, экз.": (fund_total(Y2, 2), fund_total(Y1, 2)),
            "Выбыло за год, экз.": (fund_total(Y2, 3), fund_total(Y1, 3)),
            "Обеспеченность учебниками, %": (provision(Y2), provision(Y1)),
            "Читаемость (книговыдача ÷ читатели)": (loans / readers, None),
            "Работников библиотек": (len(STAFF), len(STAFF))}


def test_the_documents_read_back_with_the_figures_computed_here(district):
    word, excel = annual_documents(district.svod, Y2)
    document = docx.Document(io.BytesIO(word))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Содержание", "1. Исполнительская дисциплина", "2. Библиотечный фонд"]
    assert "Анализ работы ОМО школьных библиотекарей за 2027/2028 учебный год" in document.paragraphs[0].text
    assert len(document.inline_shapes) >= 2   # the charts
    summary = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in document.tables[-1].rows[1:]}
    book = openpyxl.load_workbook(io.BytesIO(excel))
    sheet = book.worksheets[-1]
    figures = {row[0]: row[1:3] for row in sheet.iter_rows(values_only=True) if row and row[0] in expected_figures()}
    for name, (now, before) in expected_figures().items():
        assert figures[name][0] == pytest.approx(now, abs=0.01), name
        assert (figures[name][1] is None) if before is None else figures[name][1] == pytest.approx(before, abs=0.01)
        shown = ru.number(now, 1) if "%" in name or "÷" in name else ru.number(now, 0)
        assert summary[name][0] == shown, name


def test_reporting_discipline_counts_every_school(district):
    _word, excel = annual_documents(district.svod, Y2)
    sheet = openpyxl.load_workbook(io.BytesIO(excel)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    fund_row = next(r for r in rows if r and r[0] == "Мониторинг библиотечного фонда")
    # expected 3, all three ticked «Готово» in time (deadline 30.11.2027, sync before it? no: in June: late)
    assert fund_row[2] == 3 and fund_row[3] + fund_row[4] == 3 and fund_row[7] == pytest.approx(100.0)


def test_the_command_writes_both_files(district, tmp_path, monkeypatch):
    settings = district.svod.settings
    for key, value in {"DATABASE_URL": settings.database_url, "SVOD_WORKBOOKS_DIR": str(settings.workbooks_dir),
                       "SVOD_ACADEMIC_YEAR": ""}.items():
        monkeypatch.setenv(key, value)
    assert main(["--today", "2028-06-25", "annual-report", "--year", Y2, "--out", str(tmp_path)]) == 0
    assert (tmp_path / file_name(Y2, "docx")).stat().st_size > 10_000
    assert openpyxl.load_workbook(tmp_path / file_name(Y2, "xlsx")).sheetnames[0].startswith("1 ")
