"""The core promises on Google Sheets, end to end: a demo district of 40 schools made by
the demo generator through GoogleStore, provisioned, synced by the real sync; the API
calls counted by the emulator.

The tests of this module share one district and run in order: the full sync, the idle
sync, the status report, then a librarian's fix.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sync_service import db as m
from sync_service.demo.district import generate_demo
from sync_service.district.report import build_report
from sync_service.district.status import REVIEWED, STATUSES, UNKNOWN
from sync_service.forms.layout import CHECK_TAB
from sync_service.provision.google import provision
from sync_service.sync.run import run_sync
from tests.google.conftest import NOW, TODAY, YEAR, librarian, reset_stats, stats, store_for, svod_for

SCHOOLS = 40
STAFFING_ROW = ["Иванова Анна Петровна", "Педагог-библиотекарь", "1", "Высшее библиотечное", "20", "12", "Первая",
                "2024", "04.03.1975", "+7 912 345-67-89", "ivanova@example.ru"]


@pytest.fixture(scope="module")
def district(emulator, tmp_path_factory):
    """The demo district, provisioned (librarians can edit, the consolidated exists), then
    synced twice with a fresh Svod: the counts of both syncs are kept for the tests."""
    emulator.app.reset(state=True, stats=True)
    made = generate_demo(store_for(emulator), svod_for(emulator, tmp_path_factory.mktemp("demo")).schema,
                         schools=SCHOOLS, seed=7, today=TODAY)
    tmp = tmp_path_factory.mktemp("svod")
    consolidated = provision(svod_for(emulator, tmp, head_spreadsheet_id=made.head_workbook_id),
                             notify=False).consolidated_id
    svod = svod_for(emulator, tmp, head_spreadsheet_id=made.head_workbook_id,
                    consolidated_spreadsheet_id=consolidated)
    counts = []
    for _ in range(2):
        reset_stats(emulator)
        summary = run_sync(svod)
        counts.append((summary, stats(emulator)))
    return made, svod, counts


def report(svod):
    with svod.db.session() as session:
        return build_report(session, academic_year=YEAR, now=NOW)


def test_a_full_sync_reads_each_school_once(district):
    made, _, counts = district
    summary, calls = counts[0]
    active = sum(s.active for s in made.schools)
    assert (summary.status, summary.total, summary.read, summary.failed) == ("ok", active, active, 0)
    # one Drive listing, the head's spreadsheet and the consolidated one's layout (its tabs are
    # not guessed: a wrong guess costs a refused batch) besides the schools: nothing per tab
    assert calls["reads"] == SCHOOLS + 3, calls
    assert calls["endpoints"]["GET drive.files.list"] == 1
    assert calls["endpoints"]["GET spreadsheets.get"] == active + 2
    # one write per school's «Проверка», two for the consolidated spreadsheet (its 3 MB body in
    # batches under Google's 2 MB), one for the head's «Проверка»: no write is refused and made again
    assert summary.checks_written == active
    assert calls["writes"] == active + 3, calls


def test_an_idle_sync_costs_one_call(district):
    _, _, counts = district
    summary, calls = counts[1]
    assert (summary.read, summary.checks_written, summary.consolidated_written) == (0, 0, False)
    assert (calls["reads"], calls["writes"]) == (1, 0), calls


def test_the_status_report_has_every_school_collection_and_status(district):
    made, svod, _ = district
    data = report(svod)
    active = [s.code for s in made.schools if s.active]
    pairs = {(s["school"], s["collection"]) for s in data["submissions"]}
    assert pairs == {(code, c.key) for code in active for c in made.collections}
    # every workbook was read (nothing failed): nothing is unknown
    assert {s["status"] for s in data["submissions"]} == set(STATUSES) - {UNKNOWN, *REVIEWED}  # nothing reviewed
    expected = {"on_time": {"submitted"}, "late": {"submitted_late"}, "mistakes": {"returned"},
                "draft": {"in_progress", "overdue"}, "empty": {"not_started", "overdue"}, "deleted_tab": {"overdue"}}
    for item in data["submissions"]:
        assert item["status"] in expected[made.scenarios[(item["school"], item["collection"])]], item


def test_a_librarians_fix_changes_the_status_and_the_check_tab_and_nothing_typed(emulator, district):
    made, svod, _ = district
    school = next(s for s in made.schools if s.active and made.scenarios[(s.code, "staffing")] == "empty")
    assert _status(svod, school.code, "staffing") == "overdue"
    store = store_for(emulator)
    before_check = store.read(school.workbook_id).sheets[CHECK_TAB].rows

    book = librarian(emulator, school.email).open_by_key(school.workbook_id)
    staffing = book.worksheet("Кадры")
    staffing.update([STAFFING_ROW], "A5", value_input_option="USER_ENTERED")  # values.update
    staffing.update([[True]], "B2", value_input_option="RAW")                 # ticks «Готово»
    typed = {title: sheet.rows for title, sheet in store.read(school.workbook_id).sheets.items() if title != CHECK_TAB}

    reset_stats(emulator)
    summary = run_sync(svod)
    assert (summary.read, summary.failed, summary.checks_written) == (1, 0, 1)
    assert _status(svod, school.code, "staffing") == "submitted_late"  # the deadline was 30.09
    after = store.read(school.workbook_id).sheets
    assert after[CHECK_TAB].rows != before_check
    assert {title: sheet.rows for title, sheet in after.items() if title != CHECK_TAB} == typed
    # the next sync sees nothing new: Svod's own write does not look like the librarian's
    reset_stats(emulator)
    assert run_sync(svod).read == 0 and stats(emulator)["reads"] == 1


def test_half_an_emoji_or_a_nul_in_a_cell_is_stored_cleaned_and_stops_nobody(emulator, district):
    """Google's JSON can carry what UTF-8 and PostgreSQL cannot: a lone surrogate (half of
    a broken emoji, pasted from somewhere) and NUL. The school is read like any other; the
    text is stored with «�» for the broken half and without the NUL."""
    made, svod, _ = district
    school = next(s for s in made.schools if s.active and made.scenarios[(s.code, "work_plan")] == "empty")
    book = librarian(emulator, school.email).open_by_key(school.workbook_id)
    book.worksheet("План работы").update([["Информационная", "Обзор \ud83d новинок\x00", None, "Октябрь"]], "A5",
                                         value_input_option="RAW")

    summary = run_sync(svod)
    assert (summary.status, summary.read, summary.failed) == ("ok", 1, 0)
    with svod.db.session() as session:
        version = session.scalars(
            select(m.SubmissionVersion).join(m.Submission).join(m.School).join(m.Collection)
            .where(m.School.code == school.code, m.Collection.key == "work_plan")
            .order_by(m.SubmissionVersion.version.desc())).first()
        activities = version.table.column("activity")
    assert activities == ["Обзор \ufffd новинок"]


def _status(svod, code: str, collection: str) -> str:
    return next(s["status"] for s in report(svod)["submissions"] if s["school"] == code and s["collection"] == collection)


def test_the_consolidated_spreadsheet_is_a_table_people_can_work_with(emulator, district):
    """«Свод» on Google, read back through spreadsheets.get: every data tab has a filter over
    its rows (not its totals), frozen header rows and key columns (school code and name),
    statuses in the status page's colours, and titles that are unique and fit Google's limit."""
    from sync_service.district.status import STATUS_COLOURS, SUBMITTED
    from sync_service.stores.google_json import colour_json
    from tests.google.test_store import metadata

    _, svod, _ = district
    data = metadata(emulator, svod.settings.consolidated_spreadsheet_id,
                    "sheets(properties,basicFilter,protectedRanges,"
                    "data.rowData.values(formattedValue,userEnteredFormat.backgroundColor))")
    sheets = {s["properties"]["title"]: s for s in data["sheets"]}
    titles = list(sheets)
    assert len({t.casefold() for t in titles}) == len(titles) and all(len(t) <= 100 for t in titles)
    for title in ("Статус сдачи", "Кадры", "Фонд"):
        sheet = sheets[title]
        grid = sheet["properties"]["gridProperties"]
        assert grid["frozenColumnCount"] == 2 and grid["frozenRowCount"] >= 1, title
        rows = sheet["data"][0]["rowData"]
        header = grid["frozenRowCount"] - 1
        filter_range = sheet["basicFilter"]["range"]
        assert filter_range["startRowIndex"] == header and filter_range["startColumnIndex"] == 0, title
        # the filter ends at the last school's row: the totals (or rates) below stay put
        last = rows[filter_range["endRowIndex"] - 1]["values"][0].get("formattedValue", "")
        assert last.startswith("sch"), (title, last)
        assert sheet["protectedRanges"], title
    staffing = sheets["Кадры"]["data"][0]["rowData"]
    column = [v.get("formattedValue") for v in staffing[0]["values"]].index("Статус")
    done = next(r["values"][column] for r in staffing[1:] if r["values"][column].get("formattedValue") == "сдан")
    assert done["userEnteredFormat"]["backgroundColor"] == colour_json(STATUS_COLOURS[SUBMITTED][1])
