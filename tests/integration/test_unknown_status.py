"""A school whose workbook cannot be read is not a late school (issue 15).

On real .xlsx files and SQLite: sch03's workbook is corrupt from the start (never read),
sch02's was read once and then broke. Every output says what Svod knows: sch03 «нет
данных» (``unknown``) — never «просрочен» — and sch02 its statuses of the last good read
with that read's date: ``status --json`` and the CLI's table, «Статус сдачи» in the
consolidated workbook (through openpyxl), the status, school and collection pages, the
debtors' text, the head's digest and the librarians' letters.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

import openpyxl
import pytest
from click.testing import CliRunner

from sync_service.cli import cli
from sync_service.district.reminders import compose_reminders, read_district
from sync_service.sync.run import run_sync
from tests.factory import make_app
from tests.integration.district import CONSOLIDATED, NOW, YEAR, build_district, fill

LAST_GOOD = datetime(2026, 11, 20, 9, 0)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    district = build_district(tmp_path_factory.mktemp("unknown") / "district", schools=3)
    fill(district, "sch01", "staffing")
    fill(district, "sch02", "library_fund")
    district.path("sch03").write_bytes(b"not a workbook at all")
    district.svod.clock = lambda: LAST_GOOD
    run_sync(district.svod)
    district.path("sch02").write_bytes(b"broken after its first good read")
    district.svod.clock = lambda: NOW
    summary = run_sync(district.svod)
    assert (summary.status, summary.failed) == ("partial", 2)
    yield district
    district.svod.dispose()


def cli_output(district, *args) -> str:
    settings = district.svod.settings
    env = {"SVOD_WORKBOOKS_DIR": str(settings.workbooks_dir), "DATABASE_URL": settings.database_url,
           "SVOD_LOCK_FILE": str(settings.lock_file), "SVOD_ACADEMIC_YEAR": YEAR}
    result = CliRunner().invoke(cli, ["status", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def report(district):
    return json.loads(cli_output(district, "--json"))


def statuses(report, code) -> dict[str, str]:
    return {s["collection"]: s["status"] for s in report["submissions"] if s["school"] == code}


def test_status_json_says_unknown_for_a_workbook_never_read(report):
    never = statuses(report, "sch03")
    assert set(never.values()) == {"unknown"}  # before: «overdue» on every past deadline
    school = {s["code"]: s for s in report["schools"]}
    assert school["sch03"]["sync_error_kind"] == "read" and school["sch03"]["data_as_of"] is None
    # sch02: the last good read stands, with its date
    assert school["sch02"]["data_as_of"] == LAST_GOOD.isoformat()
    stale = statuses(report, "sch02")
    assert stale["library_fund"] == "submitted" and stale["staffing"] == "overdue"
    staffing = next(c for c in report["collections"] if c["key"] == "staffing")
    # rates count «нет данных» as not submitted, and say how many there are
    assert staffing["counts"]["unknown"] == 1 and staffing["counts"]["overdue"] == 1
    assert (staffing["expected"], staffing["reported"]) == (3, 1)


def test_the_cli_table_marks_unknown(district):
    table = cli_output(district)
    line = next(row for row in table.splitlines() if row.startswith("sch03"))
    assert "!" not in line.split("ошибка")[0] and line.split()[1] == "?"
    assert "(ни разу не прочитана: нет данных)" in line
    assert "(статусы по данным на 20.11.2026)" in next(row for row in table.splitlines() if row.startswith("sch02"))
    assert "? нет данных: книга не читается" in table and "нет данных: 1" in table


def test_the_consolidated_status_tab(district):
    book = openpyxl.load_workbook(district.folder / CONSOLIDATED)
    rows = {row[0]: row for row in book["Статус сдачи"].iter_rows(values_only=True)}
    header = list(rows["Код школы"])
    staffing = header.index("Кадры")
    assert rows["sch03"][staffing] == "нет данных" and "просрочен" not in rows["sch03"]
    assert rows["sch03"][-1].endswith("(книга ни разу не прочитана: нет данных)")
    assert rows["sch02"][staffing] == "просрочен" and rows["sch02"][header.index("Фонд")] == "сдан"
    assert rows["sch02"][-1].endswith("(статусы по данным на 20.11.2026)")


def test_the_pages(district):
    client = make_app(district.svod, SVOD_PAGE_CACHE=False).test_client()
    index = client.get("/").get_data(as_text=True)
    row = re.search(r'<th scope="row" class="school-col"><a href="/school/sch03">.*?</tr>', index, re.S).group(0)
    assert 'data-status="overdue"' not in row and row.count('data-status="unknown"') == 13
    assert "⚠ книга не читается, нет данных" in row
    assert "⚠ книга не читается, данные на 20.11.2026" in index
    assert "«Нет данных» — школы, чьи книги Svod не может прочитать" in index
    debtors = client.get("/debtors.txt").get_data(as_text=True)
    assert "МБОУ СОШ №3:" not in debtors  # not a debtor
    assert debtors.rstrip().endswith("проверьте книгу):\n— МБОУ СОШ №3")
    school = client.get("/school/sch03").get_data(as_text=True)
    assert "данные последнего успешного чтения" not in school
    assert "Книга ещё ни разу не была прочитана" in school and "st-overdue" not in school
    stale = client.get("/school/sch02").get_data(as_text=True)
    assert "данные последнего успешного чтения, <strong>20.11.2026 09:00</strong>" in stale
    assert "по данным на 20.11.2026" in stale
    collection = client.get("/collection/staffing").get_data(as_text=True)
    assert "Нет данных о 1 школе" in collection
    api = client.get("/api/status").get_json()
    assert {s["status"] for s in api["submissions"] if s["school"] == "sch03"} == {"unknown"}


def test_letters_and_the_digest(district):
    with district.svod.db.session() as session:
        messages = compose_reminders(read_district(session, YEAR), today=NOW.date(), days_before=3,
                                     public_url="http://svod.example", head_email="head@example.ru")
    letters = {m.school: m for m in messages}
    never = letters["sch03"]
    assert never.subject == "Svod не может прочитать книгу школы «МБОУ СОШ №3»"
    assert "просрочен" not in never.body and "Статус: нет данных: книга не читается." in never.body
    assert {key.kind for key in never.keys} == {"unknown"}
    stale = letters["sch02"].body
    assert "Статус: просрочен (по данным на 20.11.2026)." in stale
    digest = letters[""].body
    assert "нет данных 1 (книга не читается)" in digest
    assert "МБОУ СОШ №3 (sch03) — «" not in digest  # not in the overdue list
    assert "(ни разу не прочитана: нет данных)" in digest and "(статусы по данным на 20.11.2026)" in digest
