"""The head's «План» names forms in Russian, on both backends (.xlsx files, and Google Sheets
through the emulator): «Сбор» has a dropdown of the forms' titles (and «Кампания» one of
the campaigns), a title is read as its collection, an older workbook's English key still
is, and a name that matches nothing gets a finding on her «Проверка» at its cell with the
list of valid names. Keys stay inside Svod."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sync_service import db as m
from sync_service.district.registry import default_collections
from sync_service.forms.layout import CHECK_TAB
from sync_service.sync.run import run_sync
from tests.google.conftest import emu, emulator  # noqa: F401  (fixtures)
from tests.integration.head_district import YEAR, build, dropdown

STAFFING = "Мониторинг кадрового обеспечения школьной библиотеки"


@pytest.fixture(params=["xlsx", "google"])
def district(request, tmp_path):
    google = request.getfixturevalue("emu") if request.param == "google" else None
    made = build(request.param, tmp_path, google)
    made.emu = google
    yield made
    made.svod.dispose()


def offered(district, column: str) -> list[str]:
    return dropdown(district.head, column, folder=district.folder, emulator=district.emu)


def last_run_findings(svod) -> list[dict]:
    with svod.db.session() as session:
        return list(session.scalar(select(m.SyncRun).order_by(m.SyncRun.id.desc())).head_findings)


def planned(district) -> list[str]:
    with district.svod.db.session() as session:
        return sorted(session.scalars(select(m.Collection.key).where(m.Collection.in_plan,
                                                                     m.Collection.academic_year == YEAR)))


def test_plan_offers_the_forms_by_title_and_reads_them(district):
    schema = district.svod.schema
    titles = [form.title for form in schema.forms.values()]
    assert STAFFING in titles and "staffing" not in titles
    assert offered(district, "A") == titles
    assert offered(district, "E") == [c.title for c in schema.campaigns]
    written = [row[0] for row in district.tab(district.head, "План")[1:] if row and row[0]]
    assert written and set(written) <= set(titles)   # no key in the head's workbook
    assert run_sync(district.svod).status == "ok"
    assert not [f for f in last_run_findings(district.svod) if f["code"] == "unknown-form"]
    assert planned(district) == sorted(c.key for c in default_collections(schema, YEAR))


def test_an_old_key_still_reads_and_a_name_that_matches_nothing_is_pointed_at(district):
    rows = [row for row in district.plan if row[0] != STAFFING]
    header = [c.label for c in district.svod.schema.head["plan"].columns]
    district.plan = [["staffing", "", YEAR, date(2026, 9, 30), ""], *rows]   # as an older workbook has it
    district.add_to_plan(["  мониторинг   кадрового обеспечения школьной библиотеки ", "", YEAR, None, ""],
                         ["Мониторинг кадров", "", YEAR, date(2026, 12, 1), ""])
    bad_row = len(district.plan) + 1   # the header is row 1
    assert district.tab(district.head, "План")[0] == header
    run_sync(district.svod)
    assert "staffing" in planned(district)
    [finding] = [f for f in last_run_findings(district.svod) if f["code"] == "unknown-form"]
    assert finding["address"] == f"A{bad_row}" and finding["sheet"] == "План"
    assert "«Мониторинг кадров»" in finding["message"]
    assert f"«{STAFFING}»" in finding["hint"] and "staffing" not in finding["hint"]
    check = [" | ".join(str(v) for v in row if v not in (None, "")) for row in district.tab(district.head, CHECK_TAB)]
    [line] = [line for line in check if "Мониторинг кадров»" in line]
    assert f"A{bad_row}" in line and f"«{STAFFING}»" in line


def test_a_head_workbook_svod_makes_names_the_forms_in_russian(emu, tmp_path):  # noqa: F811
    """`svod provision` for a head who has no workbook yet (Google); the demo's is in
    tests/store/test_demo.py."""
    from sync_service.provision.google import provision
    from tests.google.conftest import svod_for

    svod = svod_for(emu, tmp_path, head_spreadsheet_id="")
    try:
        report = provision(svod, notify=False)
        titles = [form.title for form in svod.schema.forms.values()]
        assert dropdown(report.head_id, "A", emulator=emu) == titles
        plan = svod.store.read(report.head_id).sheet("План").rows
        assert [row[0] for row in plan[1:]] == [c.form.title for c in default_collections(svod.schema, YEAR)]
        svod = svod_for(emu, tmp_path, head_spreadsheet_id=report.head_id)
        assert run_sync(svod).status == "ok"
        assert not [f for f in last_run_findings(svod) if f["code"] == "unknown-form"]
    finally:
        svod.dispose()
