"""A slip in the head's spreadsheet on Google (issue 17), through the emulator: the
«Школы» tab deleted is held like on .xlsx files — the last known schools stay, the run is
partial and says so, the service tabs keep being written — and applied once confirmed;
two rows with one code keep both schools."""
from __future__ import annotations

from sqlalchemy import select

from sheets_emulator.client import gspread_client
from sync_service import db as m
from sync_service.demo.district import generate_demo
from sync_service.forms.layout import CHECK_TAB
from sync_service.stores.google import EMULATOR_TOKEN
from sync_service.sync import held
from sync_service.sync.run import run_sync
from tests.google.conftest import TODAY, store_for, svod_for


def active(svod) -> list[str]:
    with svod.db.session() as session:
        return sorted(session.scalars(select(m.School.code).where(m.School.in_registry, m.School.active)))


def test_the_schools_tab_deleted_on_google_is_held(emu, tmp_path):
    made = generate_demo(store_for(emu), svod_for(emu, tmp_path / "demo").schema, schools=4, seed=3, today=TODAY)
    svod = svod_for(emu, tmp_path / "svod", head_spreadsheet_id=made.head_workbook_id)
    assert run_sync(svod).status == "ok"
    codes = active(svod)
    head = gspread_client(emu.url, token=EMULATOR_TOKEN).open_by_key(made.head_workbook_id)
    head.del_worksheet(head.worksheet("Школы"))

    summary = run_sync(svod)
    assert (summary.status, summary.total) == ("partial", len(codes))
    assert "нет листа «Школы»" in summary.error and active(svod) == codes
    check = svod.store.read(made.head_workbook_id).sheets[CHECK_TAB].rows
    assert any(row and row[0] == "⚠ Внимание:" and "нет листа «Школы»" in row[1] for row in check)

    assert held.confirm(svod.db) is not None
    assert (run_sync(svod).status, active(svod)) == ("ok", [])


def test_a_repeated_code_on_google_keeps_both_schools(emu, tmp_path):
    made = generate_demo(store_for(emu), svod_for(emu, tmp_path / "demo").schema, schools=4, seed=3, today=TODAY)
    svod = svod_for(emu, tmp_path / "svod", head_spreadsheet_id=made.head_workbook_id)
    run_sync(svod)
    codes = active(svod)
    head = gspread_client(emu.url, token=EMULATOR_TOKEN).open_by_key(made.head_workbook_id)
    head.worksheet("Школы").update([[f" {codes[1].upper()} "]], "A2", value_input_option="RAW")

    summary = run_sync(svod)
    assert summary.status == "partial" and f"Код школы «{codes[1]}» повторяется" in summary.error
    assert active(svod) == codes
