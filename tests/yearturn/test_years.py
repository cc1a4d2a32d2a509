"""Two and a half academic years of one district, on both backends: the clock turns the
first year by itself (the head planned the next one in «План»), the head turns the second
with ``svod --today … new-year``. After each turn every school has fresh tabs, last year's
rows are unchanged cell by cell under their year's name, each year's statuses are what
they were, carried-over data is where docs/architecture.md says, and a tenfold jump
against last year is reported while a normal change is not."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from jobs.scheduler import sync_job
from sync_service import ru
from sync_service.cli import main
from sync_service.district.report import build_report
from sync_service.forms.layout import FIRST_DATA_ROW, archive_title
from sync_service.stores.xlsx import XlsxStore
from sync_service.sync.run import run_sync
from tests.google.conftest import ACCOUNTS, google_settings
from tests.yearturn.district import STAFF, UMK, build

Y1, Y2, Y3 = "2026/2027", "2027/2028", "2028/2029"
FUND = {"fund_total": 15320, "fund_textbooks": 9000, "fund_fiction": 5000, "received": 600, "written_off": 250,
        "readers": 640, "students": 810}
ANNUAL = {"students": 810, "readers": 640, "readers_students": 600, "visits": 9000, "loans": 12000,
          "fund_total": 15400, "fund_textbooks": 9100}


def statuses(d, year: str, now: datetime) -> dict:
    with d.svod.db.session() as session:
        report = build_report(session, academic_year=year, now=now)
    return {"cells": {(s["school"], s["collection"]): s["status"] for s in report["submissions"]},
            "rates": {c["key"]: (c["reporting_rate"], c["on_time_rate"]) for c in report["collections"]}}


def page(d, year: str) -> dict:
    """The status page of ``year`` as the head sees it: each cell's status, each rate, the years to switch to."""
    import re

    from tests.factory import make_app

    response = make_app(d.svod, SVOD_PAGE_CACHE=False).test_client().get(f"/?year={year}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {"cells": re.findall(r'<td data-status="([a-z_]+)">', html),
            "rates": re.findall(r'<td class="rate"[^>]*>([^<]*)</td>', html),
            "year": re.findall(r'aria-current="true">([0-9/]+)', html)}


def findings(d, code: str, prefix: str) -> list:
    from sqlalchemy import select

    from sync_service import db as m
    with d.svod.db.session() as session:
        school = session.scalar(select(m.School).where(m.School.code == code))
        return [r for r in session.scalars(select(m.FindingRecord).where(m.FindingRecord.school_id == school.id))
                if r.code.startswith(prefix)]


def consolidated(d) -> dict[str, str]:
    """Each year's consolidated workbook («Свод 2026-2027»), as the syncs remember them."""
    from sqlalchemy import select

    from sync_service import db as m
    with d.svod.db.session() as session:
        return dict(session.execute(select(m.Meta.key, m.Meta.value).where(m.Meta.key.like("consolidated_id:%"))).all())


def cli(d, monkeypatch, *args) -> int:
    """``svod …`` as the head runs it, with the district's settings in the environment."""
    settings = d.svod.settings
    env = {"DATABASE_URL": settings.database_url, "SVOD_LOCK_FILE": str(settings.lock_file),
           "SVOD_WORKBOOKS_DIR": str(settings.workbooks_dir), "SVOD_BACKEND": settings.backend,
           "SVOD_ACADEMIC_YEAR": "", "SVOD_READ_WORKERS": "2"}
    if settings.backend == "google":
        env.update(SVOD_GOOGLE_API_URL=settings.google_api_url, SVOD_GOOGLE_QUOTA_PER_MINUTE="0",
                   SVOD_HEAD_SPREADSHEET_ID=settings.head_spreadsheet_id)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return main(list(args))


def check_turn(d, before: dict, old_year: str, new_tabs: set[str]) -> None:
    """Every school: last year's tabs unchanged under their year's name (every other tab as
    it was), and fresh tabs of the new year."""
    from sqlalchemy import select

    from sync_service import db as m
    with d.svod.db.session() as session:
        old_tabs = set(session.scalars(select(m.Collection.tab).where(m.Collection.academic_year == old_year,
                                                                      m.Collection.in_plan)))
    for code in d.codes:
        now = d.tabs(code)
        for title, rows in before[code].items():
            if title in old_tabs:
                assert now[archive_title(title, old_year)] == rows, (code, title)
            elif title != "Списки":
                assert now[title] == rows, (code, title)   # earlier years' tabs and people's own
        assert set(now) - set(before[code]) - {archive_title(t, old_year) for t in old_tabs} <= {"Списки"}
        for title in new_tabs:
            assert now[title][0][0].endswith(d.svod.academic_year), (code, title)


def two_and_a_half_years(d, monkeypatch, capsys) -> None:
    d.at(datetime(2026, 9, 15, 9))
    assert run_sync(d.svod).status == "ok" and d.svod.academic_year == Y1
    d.fill_table("sch01", "Кадры", STAFF)
    d.fill_table("sch01", "УМК", UMK)
    d.fill_record("sch01", "library_fund", FUND)
    d.fill_record("sch01", "annual_report", ANNUAL)
    d.fill_record("sch02", "library_fund", {**FUND, "fund_total": 12000})
    d.at(datetime(2027, 6, 30, 9))
    run_sync(d.svod)
    # August: the head plans the next year in «План»; the clock turns it on 1 September.
    plan = d.svod.schema.head["plan"]
    head_rows = len(d.store.read(d.head_id).sheets[plan.tab].rows)
    d.type(d.head_id, plan.tab, {(head_rows + 1, 1): "staffing", (head_rows + 1, 3): Y2,
                                 (head_rows + 1, 4): date(2027, 9, 30),
                                 (head_rows + 2, 1): "library_fund", (head_rows + 2, 3): Y2,
                                 (head_rows + 2, 4): date(2027, 11, 30),
                                 (head_rows + 3, 1): "umk", (head_rows + 3, 3): Y2})
    d.at(datetime(2027, 8, 20, 9))
    run_sync(d.svod)
    year1 = statuses(d, Y1, datetime(2027, 9, 1, 9))   # the page on 1 September, before the turn
    d.at(datetime(2027, 9, 1, 9))
    page1 = page(d, Y1)
    before1 = {code: d.tabs(code) for code in d.codes}
    head1 = d.tabs(d.head_id)
    assert d.svod.academic_year == Y1   # 1 September has not come
    d.at(datetime(2027, 9, 1, 9))
    outcome, _message = sync_job(d.svod)
    assert outcome == "ok" and d.svod.academic_year == Y2
    check_turn(d, before1, Y1, {"Кадры", "Фонд", "УМК"})
    assert statuses(d, Y1, datetime(2027, 9, 1, 9)) == year1
    assert page(d, Y1)["cells"] == page1["cells"] and page(d, Y1)["rates"] == page1["rates"]
    assert page(d, Y1)["year"] == [Y1] and page(d, Y2)["year"] == [Y2]
    books = consolidated(d)   # a «Свод» of its own for the new year; last year's is no longer written
    assert set(books) == {f"consolidated_id:{y}" for y in (Y1, Y2)} and len(set(books.values())) == 2
    svod1 = d.tabs(books[f"consolidated_id:{Y1}"])
    head = d.tabs(d.head_id)
    assert head["План 2026-2027"] == head1["План"]
    # typed by their old keys, written for the new year by their titles, as the dropdown offers them
    assert [r[0] for r in head["План"][1:]] == [d.svod.schema.forms[k].title for k in ("staffing", "library_fund", "umk")]
    # carried over: the staff list, the УМК, the fund at the start = last year's end (the annual report's)
    school = d.tabs("sch01")
    assert [r[:6] for r in school["Кадры"][FIRST_DATA_ROW - 1:]] == [r[:6] for r in STAFF]
    assert school["УМК"][FIRST_DATA_ROW - 1:] == UMK
    form = d.svod.schema.forms["library_fund"]
    start_row = FIRST_DATA_ROW - 1 + [c.key for c in form.columns].index("fund_start")
    assert school["Фонд"][start_row][1] == ANNUAL["fund_total"]
    assert d.tabs("sch02")["Фонд"][start_row][1] == 12000   # no annual report: last year's fund
    # year 2: a tenfold jump is reported with last year's value, a normal change is not
    d.fill_record("sch01", "library_fund", {**FUND, "fund_total": 153200})
    d.fill_record("sch02", "library_fund", {**FUND, "fund_total": 13100, "readers": 700})
    d.at(datetime(2027, 10, 10, 9))
    run_sync(d.svod)
    jumps = findings(d, "sch01", "year-")
    assert [(f.code, f.column_key) for f in jumps] == [("year-jump", "fund_total")]
    assert ru.number(15320, 0) in jumps[0].message and "Фонд 2026-2027" in jumps[0].hint
    assert findings(d, "sch02", "year-") == []
    d.at(datetime(2028, 6, 30, 9))
    run_sync(d.svod)
    year2 = statuses(d, Y2, datetime(2028, 9, 3, 9))
    d.at(datetime(2028, 9, 3, 9))
    page2 = page(d, Y2)
    before2 = {code: d.tabs(code) for code in d.codes}
    head2 = d.tabs(d.head_id)
    # the second turn by the head: a dry run first changes nothing
    capsys.readouterr()
    assert cli(d, monkeypatch, "--today", "2028-09-03", "new-year", "--dry-run", Y3) == 0
    shown = capsys.readouterr().out
    assert "переименовать «Кадры» → «Кадры 2027-2028»" in shown and "sch03" in shown
    assert {code: d.tabs(code) for code in d.codes} == before2
    assert cli(d, monkeypatch, "--today", "2028-09-03", "new-year", Y3) == 0
    d.at(datetime(2028, 9, 3, 9))
    assert d.svod.academic_year == Y3
    check_turn(d, before2, Y2, {"Кадры", "Фонд", "УМК"})
    assert {k: page(d, Y2)[k] for k in ("cells", "rates")} == {k: page2[k] for k in ("cells", "rates")}
    head = d.tabs(d.head_id)
    assert head["План 2027-2028"] == head2["План"] and head["План 2026-2027"] == head1["План"]
    assert [(r[2], (r + [None] * 5)[3]) for r in head["План"][1:]] == [(Y3, date(2028, 9, 30)), (Y3, date(2028, 11, 30)),
                                                        (Y3, None)]
    # half of the third year: every year's statuses are what they were
    d.fill_table("sch02", "Кадры", STAFF[:1])
    d.at(datetime(2029, 1, 15, 9))
    assert run_sync(d.svod).status == "ok"
    assert statuses(d, Y1, datetime(2029, 1, 15, 9)) == year1
    assert statuses(d, Y2, datetime(2029, 1, 15, 9)) == year2
    assert statuses(d, Y3, datetime(2029, 1, 15, 9))["cells"][("sch02", "staffing")] == "submitted_late"
    assert len(set(consolidated(d).values())) == 3 and d.tabs(books[f"consolidated_id:{Y1}"]) == svod1


def test_two_and_a_half_years_on_xlsx(tmp_path, monkeypatch, capsys):
    d = build(tmp_path, Y1, now=datetime(2026, 9, 15, 9))
    assert isinstance(d.store, XlsxStore)
    two_and_a_half_years(d, monkeypatch, capsys)


@pytest.fixture(scope="module")
def emulator():
    from sheets_emulator import run_emulator

    with run_emulator(read_quota=0, write_quota=0, google_accounts=ACCOUNTS) as emu:
        yield emu


def test_two_and_a_half_years_on_google(tmp_path, monkeypatch, capsys, emulator):
    from sync_service.context import make_store
    from tests.factory import svod_settings

    settings = svod_settings(tmp_path, **google_settings(emulator))
    d = build(tmp_path, Y1, schools=3, store=make_store(settings), now=datetime(2026, 9, 15, 9),
              **{k: v for k, v in google_settings(emulator).items() if k not in ("academic_year", "read_workers")})
    two_and_a_half_years(d, monkeypatch, capsys)
