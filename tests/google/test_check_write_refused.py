"""A school's spreadsheet shared with Svod as «Читатель» only: Svod reads it, Google refuses
the «Проверка» (403). That is the school's visible error, retried by every sync, gone once
the librarian gives Svod the editor's right."""
from __future__ import annotations

from datetime import date

from sync_service.district.registry import default_collections
from sync_service.district.report import build_report
from sync_service.forms.layout import head_tab, school_tabs
from sync_service.stores.google import EMULATOR_TOKEN
from sync_service.sync.run import run_sync
from tests.google.conftest import NOW, YEAR, librarian, svod_for

SVOD = f"{EMULATOR_TOKEN}@emulator.invalid"  # the account Svod calls the emulator as
LIBRARIAN = "petrova@school.example"


def cell(value):
    return value.strftime("%d.%m.%Y") if isinstance(value, date) else "" if value is None else value


def test_a_spreadsheet_svod_may_only_read_gets_a_visible_error_until_shared_for_editing(emu, tmp_path):
    svod = svod_for(emu, tmp_path)
    collections = default_collections(svod.schema, YEAR)
    tabs = school_tabs(collections)
    ours = svod.store.create_workbook("sch01 МБОУ СОШ №1", tabs)
    # The librarian made sch02's spreadsheet herself and shared it with Svod to read only.
    theirs = librarian(emu, LIBRARIAN).create("sch02 МБОУ СОШ №2")
    for tab in tabs:
        sheet = theirs.add_worksheet(tab.title, rows=max(20, len(tab.rows)), cols=12)
        sheet.update([[cell(v) for v in row] for row in tab.rows], "A1")
    theirs.del_worksheet(theirs.sheet1)
    theirs.share(SVOD, perm_type="user", role="reader", notify=True)
    rows = [["sch01", "МБОУ СОШ №1", "Иванова", "a@school.example", ours, "да"],
            ["sch02", "МБОУ СОШ №2", "Петрова", LIBRARIAN, theirs.id, "да"]]
    plan = [[c.form.key, "", YEAR, c.deadline, c.campaign.title if c.campaign else ""] for c in collections]
    head = svod.store.create_workbook("Настройки ОМО", [head_tab(svod.schema, "schools", rows),
                                                       head_tab(svod.schema, "plan", plan)])
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head)

    for _ in range(2):  # the second sync, nothing changed, tries again
        summary = run_sync(svod)
        assert (summary.status, summary.failed, summary.checks_written) == ("partial", 1, 0 if _ else 1)
        assert summary.failures["sch02"].startswith("лист «Проверка» не записан: нет доступа к таблице")
        assert "с правом редактора" in summary.failures["sch02"]
    with svod.db.session() as session:
        school = {s["code"]: s for s in build_report(session, academic_year=YEAR, now=NOW)["schools"]}
    assert school["sch02"]["sync_error_kind"] == "write" and school["sch01"]["sync_error"] is None

    theirs.share(SVOD, perm_type="user", role="writer", notify=True)  # «Редактор» now
    summary = run_sync(svod)
    assert (summary.status, summary.failed, summary.checks_written) == ("ok", 0, 1)
    assert "Проверка" in {w.title for w in theirs.worksheets()}
