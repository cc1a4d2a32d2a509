"""A whole sync on real .xlsx workbooks and SQLite: the core promises of issue #2."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from sync_service import db as m
from sync_service.district.overview import stored_district_part, summaries
from sync_service.district.report import build_report, plan_collections
from sync_service.sync.run import run_sync
from tests.integration.district import CONSOLIDATED, NOW, YEAR, build_district, fill

ROOT = Path(__file__).resolve().parents[2]


def report(district):
    with district.svod.db.session() as session:
        return build_report(session, academic_year=YEAR, now=NOW)


def statuses(district) -> dict[tuple[str, str], str]:
    return {(s["school"], s["collection"]): s["status"] for s in report(district)["submissions"]}


def check_tab(district, code) -> list[tuple]:
    return district.values(code, "Проверка")


def form_tabs_snapshot(district, code) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(district.path(code))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book if ws.title != "Проверка"}


@pytest.fixture
def district(tmp_path):
    return build_district(tmp_path / "district", schools=3)


def test_first_sync_stores_statuses_and_writes_back(district):
    fill(district, "sch01", "staffing")
    fill(district, "sch01", "library_fund")
    fill(district, "sch02", "staffing", rows=[["Петрова Ольга", "Педагог-библиотекарь", "полставки",
                                               "Высшее библиотечное", 10, 12, None, None, None, None, None]])
    summary = run_sync(district.svod)
    assert (summary.status, summary.total, summary.read, summary.failed) == ("ok", 3, 3, 0)
    got = statuses(district)
    # staffing's deadline (30.09.2026) has passed; library_fund's (30.11.2026) has not
    assert got[("sch01", "staffing")] == "submitted_late"
    assert got[("sch01", "library_fund")] == "submitted"
    assert got[("sch02", "staffing")] == "returned"
    assert got[("sch03", "staffing")] == "overdue"
    assert got[("sch03", "library_fund")] == "not_started"
    # the status page's district-wide part, kept by the sync for the pages, is what they would compute
    with district.svod.db.session() as session:
        kept = stored_district_part(session, academic_year=YEAR, today=NOW.date())
        assert kept is not None and kept["collections"] == summaries(
            session, plan_collections(session, YEAR), NOW.date(), kept["expected"]) and kept["expected"] == 3
    # sch02's «Проверка» names the sheet, the cell and the column of each mistake
    lines = [" | ".join(str(v) for v in row if v is not None) for row in check_tab(district, "sch02")]
    assert any("Кадры" in line and "C5" in line and "полставки" in line for line in lines)
    assert any("F5" in line and "Библиотечный стаж больше общего стажа" in line for line in lines)
    # the consolidated workbook has every school's rows and the status tab
    book = openpyxl.load_workbook(district.folder / CONSOLIDATED)
    assert "Статус сдачи" in book.sheetnames and "Фонд" in book.sheetnames
    fund = [r for r in book["Фонд"].iter_rows(values_only=True)]
    assert fund[1][:2] == ("sch01", "МБОУ СОШ №1") and 12000 in fund[1]


def test_a_fix_and_a_tick_change_the_status_and_nothing_typed(district):
    fill(district, "sch02", "staffing", rows=[["Петрова Ольга", "Педагог-библиотекарь", "полставки",
                                               "Высшее библиотечное", 10, 8, None, None, None, None, None]])
    run_sync(district.svod)
    assert statuses(district)[("sch02", "staffing")] == "returned"
    before_check = check_tab(district, "sch02")

    district.edit("sch02", "Кадры", {"C5": "0,5"})  # the librarian fixes the rate
    typed = form_tabs_snapshot(district, "sch02")
    summary = run_sync(district.svod)
    assert summary.read == 1 and summary.unchanged == 2
    assert statuses(district)[("sch02", "staffing")] == "submitted_late"
    after_check = check_tab(district, "sch02")
    assert after_check != before_check
    assert not any("полставки" in str(v) for row in after_check for v in row)
    assert form_tabs_snapshot(district, "sch02") == typed  # Svod changed nothing the librarian typed


def test_an_idle_sync_reads_and_writes_nothing(district):
    fill(district, "sch01", "staffing")
    run_sync(district.svod)
    mtimes = {p.name: p.stat().st_mtime_ns for p in district.folder.iterdir()}
    summary = run_sync(district.svod)
    assert (summary.read, summary.unchanged, summary.checks_written, summary.consolidated_written) == (0, 3, 0, False)
    assert {p.name: p.stat().st_mtime_ns for p in district.folder.iterdir()} == mtimes


def test_versions_are_kept(district):
    fill(district, "sch01", "library_fund")
    run_sync(district.svod)
    district.edit("sch01", "Фонд", {"B5": 12500})
    run_sync(district.svod)
    with district.svod.db.session() as session:
        versions = session.scalars(select(m.SubmissionVersion).order_by(m.SubmissionVersion.version)).all()
        fund = [v.table.column("fund_total")[0] for v in versions if len(v.table)]
    assert fund == [12000, 12500]


def test_a_broken_workbook_keeps_its_last_good_snapshot(district):
    fill(district, "sch01", "library_fund")
    fill(district, "sch02", "library_fund")
    run_sync(district.svod)
    district.path("sch01").write_bytes(b"this is not a zip file")
    summary = run_sync(district.svod)
    assert summary.status == "partial" and summary.failed == 1
    school = {s["code"]: s for s in report(district)["schools"]}
    assert school["sch01"]["sync_error"] and "xlsx" in school["sch01"]["sync_error"].lower()
    assert school["sch02"]["sync_error"] is None
    book = openpyxl.load_workbook(district.folder / CONSOLIDATED)
    codes = [r[0] for r in book["Фонд"].iter_rows(min_row=2, values_only=True)]
    assert "sch01" in codes and "sch02" in codes  # never blanked by a failed read
    status_rows = {r[0]: r for r in book["Статус сдачи"].iter_rows(values_only=True)}
    assert status_rows["sch01"][-1]  # the sync error is shown


def test_a_defect_while_processing_one_school_stops_only_that_school(district, monkeypatch):
    """Fault injection: nothing a librarian can type makes parsing raise (the fuzzing of
    tests/unit proves what it can), so a defect of Svod is simulated by making the parse of
    sch01's workbook raise. That school keeps its last stored snapshot and shows a Russian
    error; the others are read and consolidated; the next sync reads it again."""
    from sync_service.sync import schools

    fill(district, "sch01", "library_fund")
    fill(district, "sch02", "library_fund")
    run_sync(district.svod)
    district.edit("sch01", "Фонд", {"B5": 12500})
    district.edit("sch02", "Фонд", {"B5": 13500})
    real = schools.parse_workbook

    def parse_workbook(collections, workbook, **options):
        if workbook.id.startswith("sch01"):
            raise RuntimeError("a defect")
        return real(collections, workbook, **options)

    monkeypatch.setattr(schools, "parse_workbook", parse_workbook)
    summary = run_sync(district.svod)
    assert (summary.status, summary.read, summary.failed, summary.unchanged) == ("partial", 1, 1, 1)
    school = {s["code"]: s for s in report(district)["schools"]}
    assert "внутренняя ошибка" in school["sch01"]["sync_error"]
    with district.svod.db.session() as session:
        codes = session.scalars(select(m.FindingRecord.code).join(m.School, m.FindingRecord.school_id == m.School.id)
                                .where(m.School.code == "sch01")).all()
    assert "processing-error" in codes
    book = openpyxl.load_workbook(district.folder / CONSOLIDATED)
    funds = {r[0]: r[3] for r in book["Фонд"].iter_rows(min_row=2, values_only=True)}
    assert (funds["sch01"], funds["sch02"]) == (12000, 13500)  # sch01's last good snapshot

    monkeypatch.setattr(schools, "parse_workbook", real)
    assert run_sync(district.svod).read == 1  # the failed school is read again, and only it


def test_a_failed_check_write_stops_nothing_and_is_retried(district, monkeypatch):
    """Fault injection: writing sch01's «Проверка» raises something no store error covers.
    The run finishes (the other schools' «Проверка», the consolidated workbook) «с ошибками»,
    sch01 counted failed with a Russian reason; the next sync writes sch01's."""
    store = district.store
    real = store.write_tabs

    def write_tabs(workbook_id, tabs, **kwargs):
        if workbook_id.startswith("sch01"):
            raise RuntimeError("a defect")
        return real(workbook_id, tabs, **kwargs)

    monkeypatch.setattr(store, "write_tabs", write_tabs)
    summary = run_sync(district.svod)
    assert (summary.status, summary.read, summary.failed, summary.checks_written) == ("partial", 2, 1, 2)
    assert summary.failures == {"sch01": "лист «Проверка» не записан: внутренняя ошибка при записи "
                                         "(подробности в журнале сервиса)"}
    has_check = lambda code: "Проверка" in openpyxl.load_workbook(district.path(code)).sheetnames  # noqa: E731
    assert not has_check("sch01") and has_check("sch02") and has_check("sch03")
    assert (district.folder / CONSOLIDATED).exists()

    monkeypatch.setattr(store, "write_tabs", real)
    summary = run_sync(district.svod)
    assert (summary.status, summary.read, summary.unchanged, summary.checks_written) == ("ok", 0, 3, 1)
    assert has_check("sch01") and check_tab(district, "sch01")
    assert all(s["sync_error"] is None for s in report(district)["schools"])


def test_a_consolidated_workbook_that_cannot_be_written_waits_for_the_next_sync(district):
    """Something in the way of «Свод 2026-2027.xlsx» (here a folder of that name): the schools are
    read and stored, the run is «с ошибками» with a Russian reason, and the next sync
    writes the workbook once the way is clear."""
    import shutil

    fill(district, "sch01", "library_fund")
    (district.folder / CONSOLIDATED).mkdir()
    summary = run_sync(district.svod)
    assert (summary.status, summary.read, summary.failed, summary.consolidated_written) == ("partial", 3, 0, False)
    assert "Сводная книга не записана" in summary.error and "следующая синхронизация" in summary.error
    assert report(district)["last_sync"]["error"] == summary.error
    assert statuses(district)[("sch01", "library_fund")] == "submitted"
    from tests.factory import make_app
    page = make_app(district.svod).test_client().get("/")
    assert "Сводная книга не записана" in page.get_data(as_text=True)  # the head sees why, every morning

    shutil.rmtree(district.folder / CONSOLIDATED)
    summary = run_sync(district.svod)
    assert (summary.status, summary.consolidated_written) == ("ok", True)
    book = openpyxl.load_workbook(district.folder / CONSOLIDATED)
    assert "sch01" in [r[0] for r in book["Фонд"].iter_rows(min_row=2, values_only=True)]


def test_a_consolidated_workbook_the_writer_refuses_is_kept_aside_and_made_anew(district):
    """A «Свод 2026-2027.xlsx» the writer refuses (an older Svod wrote two tabs of one name, which
    Excel «repairs»): Svod owns it whole, so it is kept under another name — with a tab the
    head added — and a fresh one is written; the head is told where the old one is."""
    import re
    import zipfile

    fill(district, "sch01", "library_fund")
    assert run_sync(district.svod).consolidated_written
    path = district.folder / CONSOLIDATED
    book = openpyxl.load_workbook(path)
    book.create_sheet("Мои заметки")["A1"] = "позвонить в sch02"
    book.save(path)
    with zipfile.ZipFile(path) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    names = re.findall(rb'<sheet [^>]*name="([^"]+)"', parts["xl/workbook.xml"])
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="' + names[1] + b'"', b'name="' + names[0] + b'"')
    with zipfile.ZipFile(path, "w") as new:
        for name, content in parts.items():
            new.writestr(name, content)

    summary = run_sync(district.svod, force=True)
    assert (summary.status, summary.consolidated_written) == ("ok", True)
    kept = district.folder / f"Свод 2026-2027 (старая копия {NOW:%d.%m.%Y}).xlsx"
    assert f"«{kept.name}»" in summary.note and "создана заново" in summary.note
    assert openpyxl.load_workbook(kept)["Мои заметки"]["A1"].value == "позвонить в sch02"
    fresh = openpyxl.load_workbook(path)
    assert len(set(fresh.sheetnames)) == len(fresh.sheetnames)
    assert "sch01" in [r[0] for r in fresh["Фонд"].iter_rows(min_row=2, values_only=True)]
    assert run_sync(district.svod).note is None   # once: the next sync writes the fresh one


def test_problems_are_reported_in_russian_with_their_place(tmp_path):
    district = build_district(tmp_path / "district", schools=6)
    # sch01: a deleted tab
    book = openpyxl.load_workbook(district.path("sch01"))
    del book["Кадры"]
    book.save(district.path("sch01"))
    # sch02: a renamed header (a column the form requires is gone)
    fill(district, "sch02", "staffing")
    district.edit("sch02", "Кадры", {"C4": "Ставочка"})
    # sch03: merged cells over the grade column (valid) and text in a number column
    fill(district, "sch03", "textbook_provision", rows=[[5, "Математика", 50, 50], [None, "Русский язык", 50, "около 50"],
                                                       [None, "Литература", 50, 49]])
    book = openpyxl.load_workbook(district.path("sch03"))
    book["Обеспеченность"].merge_cells("A5:A7")
    book.save(district.path("sch03"))
    # sch04: a 10 000-row tab
    rows = [["Массовая работа", f"Книжная выставка №{n}", "5–9 классы", "Октябрь", None] for n in range(10_000)]
    fill(district, "sch04", "work_plan", rows=rows, ready=False)
    # sch05: not an .xlsx at all; sch06: a truncated zip
    district.path("sch05").write_text("Отчёт библиотеки", encoding="utf-8")
    data = district.path("sch06").read_bytes()
    district.path("sch06").write_bytes(data[: len(data) // 2])

    summary = run_sync(district.svod)
    assert summary.total == 6 and summary.failed == 2 and summary.read == 4
    with district.svod.db.session() as session:
        findings = session.execute(select(m.School.code, m.FindingRecord).join(
            m.FindingRecord, m.FindingRecord.school_id == m.School.id)).all()
    by_school: dict[str, list] = {}
    for code, finding in findings:
        by_school.setdefault(code, []).append(finding)
    assert any(f.code == "missing-tab" and f.sheet == "Кадры" for f in by_school["sch01"])
    missing = [f for f in by_school["sch02"] if f.code == "missing-column"]
    assert missing and missing[0].column == "Ставка" and "Ставка" in missing[0].message
    text = [f for f in by_school["sch03"] if f.code == "type"]
    assert [(f.address, f.column) for f in text] == [("D6", "Учебников в фонде, экз.")]
    assert "около 50" in text[0].message
    assert not any(f.code == "required" and f.column_key == "grade" for f in by_school["sch03"])  # merged
    assert {f.code for f in by_school["sch05"]} == {"unreadable-workbook"}
    assert {f.code for f in by_school["sch06"]} == {"unreadable-workbook"}
    for finding in by_school["sch05"] + by_school["sch06"]:
        assert "xlsx" in finding.message.lower() or "xlsx" in finding.hint.lower()
    assert not by_school.get("sch04")  # 10 000 clean rows: no findings
    with district.svod.db.session() as session:
        sizes = session.scalars(select(func.json_array_length(m.SubmissionVersion.rows, "$.rows")).join(m.Submission).join(
            m.School).where(m.School.code == "sch04")).all()
    assert 10_000 in sizes


def test_librarian_typed_formulas_stay_text_in_the_consolidated_workbook(district):
    fill(district, "sch01", "library_fund")
    district.edit("sch01", "Фонд", {"B15": "=HYPERLINK(\"http://evil\")"})  # last_inventory is a date column
    run_sync(district.svod)
    book = openpyxl.load_workbook(district.folder / CONSOLIDATED)
    for row in book["Статус сдачи"].iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_cli_demo_sync_status_json(tmp_path):
    env = {**os.environ, "SVOD_WORKBOOKS_DIR": str(tmp_path / "district"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'svod.db'}", "SVOD_LOCK_FILE": str(tmp_path / "lock"),
           "SVOD_ACADEMIC_YEAR": YEAR}
    def run(*args):
        return subprocess.run([sys.executable, "-m", "sync_service", *args], cwd=ROOT, env=env,
                                           capture_output=True, text=True, timeout=600)
    made = run("demo-data", "--schools", "30", "--seed", "7", "--today", "2026-11-22")
    assert made.returncode == 0, made.stderr
    synced = run("sync", "--quiet")
    assert synced.returncode == 0, synced.stderr + synced.stdout
    shown = run("status", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert len(data["schools"]) == 30
    keys = {c["key"] for c in data["collections"]}
    assert {"staffing", "textbook_order", "event_report.month", "textbook_exchange"} <= keys
    assert len(data["submissions"]) == 30 * len(keys)
    assert {s["status"] for s in data["submissions"]} == {
        "not_started", "in_progress", "submitted", "submitted_late", "returned", "overdue", "unknown"}
    (broken,) = [s["code"] for s in data["schools"] if s["sync_error"]]  # the demo's broken workbook
    assert {s["status"] for s in data["submissions"] if s["school"] == broken} == {"unknown"}  # never read
    for field in ("key", "form", "title", "deadline", "reporting_rate", "on_time_rate"):
        assert field in data["collections"][0]
    for field in ("school", "collection", "status", "errors", "submitted_at"):
        assert field in data["submissions"][0]


def test_the_head_workbook_is_read_again_only_when_it_changes(district):
    run_sync(district.svod)
    head = district.folder / "Настройки ОМО.xlsx"
    before = head.stat().st_mtime_ns
    run_sync(district.svod)
    assert head.stat().st_mtime_ns == before
    # the head retires a school: the next sync sees it
    book = openpyxl.load_workbook(head)
    book["Школы"]["F4"] = "нет"
    book.save(head)
    summary = run_sync(district.svod)
    assert summary.total == 2
    assert {s["code"] for s in report(district)["schools"]} == {"sch01", "sch02"}


def test_an_unreadable_head_workbook_does_not_hold_back_the_schools(district, tmp_path):
    """The head's workbook half-copied (or open with an error): the schools and the plan of
    the last sync apply, the run is «с ошибками» and says why; once the workbook is whole
    again it is read again. Without the workbook at all, or on a first run, there is nothing
    to go on: the run fails."""
    head = district.folder / "Настройки ОМО.xlsx"
    whole = head.read_bytes()
    run_sync(district.svod)
    head.write_bytes(whole[: len(whole) // 2])
    fill(district, "sch01", "library_fund")

    summary = run_sync(district.svod)
    assert (summary.status, summary.total, summary.read, summary.failed) == ("partial", 3, 1, 0)
    assert "книгу руководителя ОМО" in summary.error and "прошлой синхронизации" in summary.error
    assert statuses(district)[("sch01", "library_fund")] == "submitted"

    head.write_bytes(whole)
    summary = run_sync(district.svod)
    assert (summary.status, summary.error) == ("ok", None)

    head.unlink()  # gone altogether (a wrong folder?): the run does not go on without it
    summary = run_sync(district.svod)
    assert summary.status == "failed" and "книгу руководителя ОМО" in summary.error

    fresh = build_district(tmp_path / "other" / "district", schools=2)  # its own database
    (fresh.folder / "Настройки ОМО.xlsx").write_bytes(b"not a workbook")
    summary = run_sync(fresh.svod)
    assert summary.status == "failed" and "книгу руководителя ОМО" in summary.error


def test_the_federal_list_goes_to_the_head_workbook_once(district):
    from sync_service.order.commands import fpu_import
    from sync_service.order.consolidate import code_order
    from sync_service.order.fpu import sample_fpu_path
    from sync_service.order.fpu_tab import FPU_HEADER, FPU_TITLE

    fpu_import(district.svod.db, sample_fpu_path())
    run_sync(district.svod)
    head = district.folder / "Настройки ОМО.xlsx"
    rows = list(openpyxl.load_workbook(head)["ФПУ"].iter_rows(values_only=True))
    # the same reference tab as every school's: its title, help and source, then the list by code
    assert rows[0][0] == FPU_TITLE and rows[3] == FPU_HEADER and len(rows) > 250
    codes = [r[0] for r in rows[4:]]
    assert codes == sorted(codes, key=code_order)
    assert [c for c in openpyxl.load_workbook(head)["Школы"]["A"]][1].value == "sch01"  # the head's tabs intact
    written = head.stat().st_mtime_ns
    assert run_sync(district.svod).read == 0
    assert head.stat().st_mtime_ns == written


def test_init_creates_missing_workbooks_and_only_adds_missing_tabs(district):
    from sync_service.order.commands import fpu_import
    from sync_service.order.fpu import sample_fpu_path
    from sync_service.provision.workbooks import create_missing_workbooks

    fpu_import(district.svod.db, sample_fpu_path())
    fill(district, "sch01", "staffing")
    book = openpyxl.load_workbook(district.path("sch01"))
    del book["УМК"]
    book.save(district.path("sch01"))
    district.path("sch02").unlink()
    typed = form_tabs_snapshot(district, "sch01")

    created, extended = create_missing_workbooks(district.svod)
    assert created == ["sch02 МБОУ СОШ №2"]
    assert list(extended.values()) == [["УМК"]]
    after = form_tabs_snapshot(district, "sch01")
    service = {"УМК", "Списки"}  # the added tab, and Svod's hidden lists behind the dropdowns
    assert {k: v for k, v in after.items() if k not in service} == {k: v for k, v in typed.items() if k not in service}
    order = openpyxl.load_workbook(district.path("sch02"))["Заказ учебников"]
    lists = [v for v in order.data_validations.dataValidation if "A5" in str(v.sqref)]
    assert lists, "the «Код ФПУ» column gets a dropdown of the federal list"
    assert create_missing_workbooks(district.svod) == ([], {})


def test_the_heads_own_mistakes_stay_reported_while_the_head_is_unchanged(district):
    head = district.folder / "Настройки ОМО.xlsx"
    book = openpyxl.load_workbook(head)
    book["Школы"]["A5"] = "школа 4"  # not a valid code
    book["Школы"]["B5"] = "МБОУ СОШ №4"
    book.save(head)
    for _ in range(2):
        run_sync(district.svod)
        with district.svod.db.session() as session:
            last = session.scalar(select(m.SyncRun).order_by(m.SyncRun.id.desc()))
            assert [(f["code"], f["row"]) for f in last.head_findings] == [("pattern", 5)]


def test_the_head_workbook_gets_its_own_check_tab(district):
    """The status page sends the head to «Проверка» in her workbook: it lists what Svod took
    and the mistakes of «Школы» and «План» with their cells; it is rewritten only when that
    changes, and nothing she typed changes."""
    head = district.folder / "Настройки ОМО.xlsx"
    book = openpyxl.load_workbook(head)
    book["Школы"]["A5"] = "школа 4"  # not a valid code
    book["Школы"]["B5"] = "МБОУ СОШ №4"
    book.save(head)
    book = openpyxl.load_workbook(head)
    typed = {t: [tuple(r) for r in book[t].iter_rows(values_only=True)] for t in ("Школы", "План")}

    run_sync(district.svod)
    book = openpyxl.load_workbook(head)
    rows = [tuple(r) for r in book["Проверка"].iter_rows(values_only=True)]
    assert ("Школ в работе:", 3) in [r[:2] for r in rows]
    mistake = [r for r in rows if r[2] == "A5"]
    assert len(mistake) == 1 and mistake[0][0] == district.svod.schema.head["schools"].title
    assert mistake[0][1] == "Школы" and mistake[0][4]
    assert {t: [tuple(r) for r in book[t].iter_rows(values_only=True)] for t in ("Школы", "План")} == typed
    page = report(district)["last_sync"]
    assert page["head_findings"] == 1

    written = head.stat().st_mtime_ns
    run_sync(district.svod)
    assert head.stat().st_mtime_ns == written  # nothing new to say: not rewritten

    book["Школы"]["A5"] = "sch04"
    book.save(head)
    run_sync(district.svod)
    rows = [tuple(r) for r in openpyxl.load_workbook(head)["Проверка"].iter_rows(values_only=True)]
    assert [r[0] for r in rows].count("Замечаний нет.") == 1
    assert ("Школ в работе:", 4) in [r[:2] for r in rows]


def test_check_tabs_are_written_while_other_schools_are_still_read(tmp_path, monkeypatch):
    """A school's «Проверка» goes out as soon as its workbook is absorbed — on Google the writes
    then run under the write quota alongside the reads instead of after them. The read of the
    last school waits until another school's «Проверка» has been written."""
    import threading

    district = build_district(tmp_path / "district", schools=4)
    store = district.store
    written = threading.Event()
    saw_a_write_before_the_last_read = []
    real_read, real_write = store.read, store.write_tabs

    def read(workbook_id):
        if "sch04" in workbook_id:
            saw_a_write_before_the_last_read.append(written.wait(timeout=10))
        return real_read(workbook_id)

    def write_tabs(workbook_id, tabs, **kwargs):
        marker = real_write(workbook_id, tabs, **kwargs)
        if workbook_id.startswith("sch0") and "sch04" not in workbook_id:
            written.set()
        return marker

    monkeypatch.setattr(store, "read", read)
    monkeypatch.setattr(store, "write_tabs", write_tabs)
    summary = run_sync(district.svod)
    assert saw_a_write_before_the_last_read == [True]
    assert summary.read == 4 and summary.failed == 0
    assert summary.checks_written == 4
    assert all(check_tab(district, code) for code, _ in district.schools)
