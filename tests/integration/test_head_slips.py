"""One slip in the head's workbook never empties the district (issue 17).

A change of «Школы» or «План» that would drop most of the district at once — the tab
deleted or emptied, most rows cut, the plan losing most collections — is held: the last
known registry and plan stay, the run is partial and says what looks wrong (status page,
admin page, the head's «Проверка», the CLI), and a deliberate change is applied once
confirmed (the admin page, or ``svod sync --confirm-removal``). Two rows with one school
code are held too, both reported, the previous assignment kept until one is fixed. Codes
are normalised the same way everywhere (« SCH05 » is sch05).
"""
from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import select

from sync_service import db as m
from sync_service.cli import main
from sync_service.sync import held
from sync_service.sync.requests import waiting
from sync_service.sync.run import describe, run_sync
from tests.factory import make_app
from tests.integration.district import CONSOLIDATED, HEAD, build_district, fill
from tests.web.test_security import HEAD as HEAD_LOGIN
from tests.web.test_security import sign_in


def head_book(district):
    return openpyxl.load_workbook(district.folder / HEAD)


def save(district, book) -> None:
    book.save(district.folder / HEAD)


def active_codes(district) -> list[str]:
    with district.svod.db.session() as session:
        return sorted(session.scalars(select(m.School.code).where(m.School.in_registry, m.School.active)))


def plan_keys(district) -> list[str]:
    with district.svod.db.session() as session:
        return sorted(session.scalars(select(m.Collection.key).where(m.Collection.in_plan)))


def head_check(district) -> list[str]:
    return [" | ".join(str(v) for v in row if v is not None) for row in head_book(district)["Проверка"].iter_rows(
        values_only=True)]


def consolidated_codes(district, tab="Фонд") -> list:
    book = openpyxl.load_workbook(district.folder / CONSOLIDATED)
    return [row[0] for row in book[tab].iter_rows(min_row=2, values_only=True) if row[0]]


@pytest.fixture
def district(tmp_path):
    made = build_district(tmp_path / "district", schools=6, **HEAD_LOGIN)  # the head can sign in
    for code in ("sch01", "sch02"):
        fill(made, code, "library_fund")
    assert run_sync(made.svod).status == "ok"
    return made


def test_a_deleted_schools_tab_is_held_not_applied(district, monkeypatch, capsys):
    before = consolidated_codes(district)
    book = head_book(district)
    del book["Школы"]
    save(district, book)

    summary = run_sync(district.svod)
    assert (summary.status, summary.total) == ("partial", 6)
    assert "нет листа «Школы»" in summary.error and "--confirm-removal" in summary.error
    assert active_codes(district) == [f"sch0{n}" for n in range(1, 7)]
    assert consolidated_codes(district) == before  # «Свод» keeps every school's rows
    assert any(line.startswith("⚠ Внимание: | Изменение книги руководителя ОМО не применено. В книге нет листа «Школы»")
               for line in head_check(district))
    assert "не применено" in describe(summary)
    # the next sync reads the head's workbook again and holds it again: the banner stays
    assert run_sync(district.svod).status == "partial"

    # the head meant it: confirmed once on the command line, then applied
    settings = district.svod.settings
    for variable, value in {"SVOD_WORKBOOKS_DIR": settings.workbooks_dir, "DATABASE_URL": settings.database_url,
                            "SVOD_LOCK_FILE": settings.lock_file, "SVOD_ACADEMIC_YEAR": settings.academic_year}.items():
        monkeypatch.setenv(variable, str(value))
    assert main(["sync", "--quiet", "--confirm-removal"]) == 0
    out = capsys.readouterr().out
    assert "подтверждено" in out and "школ 0" in out
    assert active_codes(district) == []
    with district.svod.db.session() as session:
        assert held.held_change(session) is None


def test_most_schools_cut_are_held_a_few_are_applied(district):
    book = head_book(district)
    book["Школы"].delete_rows(3, 4)  # sch02 … sch05: four of six
    save(district, book)
    summary = run_sync(district.svod)
    assert summary.status == "partial" and summary.total == 6
    assert "Из 6 школ в работе осталось бы 2, ушли бы 4: sch02, sch03, sch04, sch05." in summary.error

    book = head_book(district)
    book["Школы"].insert_rows(3, 3)  # back but for one: sch03, sch04, sch05 restored, sch02 stays out
    for row, code in zip((3, 4, 5), ("sch03", "sch04", "sch05")):
        for col, value in enumerate([code, f"МБОУ СОШ №{code[-1]}", "Библиотекарь", f"{code}@example.ru", "", "да"],
                                    start=1):
            book["Школы"].cell(row, col, value)
    save(district, book)
    summary = run_sync(district.svod)
    assert summary.status == "ok" and summary.error is None  # one of six: a deliberate change
    assert active_codes(district) == ["sch01", "sch03", "sch04", "sch05", "sch06"]
    with district.svod.db.session() as session:
        assert held.held_change(session) is None


def test_unticking_every_school_is_held(district):
    book = head_book(district)
    for row in range(2, 8):
        book["Школы"].cell(row, 6, "нет")
    save(district, book)
    summary = run_sync(district.svod)
    assert summary.status == "partial" and "не осталось ни одной активной школы" in summary.error
    assert len(active_codes(district)) == 6


def test_a_plan_deleted_or_emptied_is_held(district):
    keys = plan_keys(district)
    book = head_book(district)
    del book["План"]
    save(district, book)
    summary = run_sync(district.svod)
    assert summary.status == "partial"
    assert "календарь по умолчанию" in summary.error and "прежний план" in summary.error
    assert plan_keys(district) == keys

    book = head_book(district)
    plan = book.create_sheet("План")
    plan.append(["Сбор", "Название", "Учебный год", "Срок сдачи", "Кампания"])
    plan.append(["library_fund", "", "2026/2027", None, ""])  # one collection of thirteen
    save(district, book)
    summary = run_sync(district.svod)
    assert summary.status == "partial" and "Из 13 сборов плана осталось бы 1, ушли бы 12" in summary.error
    assert plan_keys(district) == keys


def test_confirmed_on_the_admin_page_and_applied_by_the_next_sync(district):
    book = head_book(district)
    del book["Школы"]
    save(district, book)
    run_sync(district.svod)
    client = make_app(district.svod).test_client()
    status = client.get("/").get_data(as_text=True)
    assert "Изменение книги руководителя ОМО не применено" in status and 'role="alert"' in status
    sign_in(client)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Подтвердить изменение" in page
    with district.svod.db.session() as session:
        fingerprint = held.held_change(session)["fingerprint"]
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    stale = client.post("/admin/head-change/confirm", data={"csrf_token": token, "fingerprint": "x" * 32})
    assert stale.status_code == 302
    with district.svod.db.session() as session:
        assert not held.held_change(session)["confirmed"]
    assert not waiting(district.svod.db)
    client.post("/admin/head-change/confirm", data={"csrf_token": token, "fingerprint": fingerprint})
    with district.svod.db.session() as session:
        assert held.held_change(session)["confirmed"]
    assert waiting(district.svod.db)  # the clock syncs within seconds
    assert "Подтверждено" in client.get("/admin/").get_data(as_text=True)
    summary = run_sync(district.svod, trigger="clock")
    assert (summary.status, summary.total) == ("ok", 0)
    assert "не применено" not in client.get("/").get_data(as_text=True)


def test_a_confirmation_is_for_the_change_seen(district):
    book = head_book(district)
    del book["Школы"]
    save(district, book)
    run_sync(district.svod)
    assert held.confirm(district.svod.db) is not None
    # meanwhile the head restores the tab but with two schools only: another change
    book = head_book(district)
    sheet = book.create_sheet("Школы", 0)
    sheet.append(["Код", "Название", "Библиотекарь", "E-mail", "Книга", "Активна"])
    sheet.append(["sch01", "МБОУ СОШ №1", "", "", "", "да"])
    save(district, book)
    summary = run_sync(district.svod)
    assert summary.status == "partial" and "ушли бы 5" in summary.error
    assert len(active_codes(district)) == 6
    with district.svod.db.session() as session:
        assert not held.held_change(session)["confirmed"]


def test_the_limit_is_a_setting(tmp_path):
    district = build_district(tmp_path / "district", schools=3, max_schools_drop=100)  # the check off
    run_sync(district.svod)
    book = head_book(district)
    del book["Школы"]
    save(district, book)
    assert (run_sync(district.svod).status, active_codes(district)) == ("ok", [])


def test_a_changed_code_that_repeats_another_keeps_both_schools(district):
    fill(district, "sch04", "library_fund")
    run_sync(district.svod)
    with district.svod.db.session() as session:
        before = {s.code: (s.id, s.name) for s in session.scalars(select(m.School))}
    book = head_book(district)
    book["Школы"]["A5"] = " SCH05 "  # sch04's row now says sch05
    save(district, book)

    summary = run_sync(district.svod)
    assert summary.status == "partial"
    assert "Код школы «sch05» повторяется на листе «Школы» (строки 5, 6)" in summary.error
    assert "--confirm-removal" not in summary.error  # to be fixed, not confirmed
    with district.svod.db.session() as session:
        after = {s.code: (s.id, s.name) for s in session.scalars(select(m.School))}
        assert held.confirm(district.svod.db) is None
    assert after == before and active_codes(district) == [f"sch0{n}" for n in range(1, 7)]
    lines = head_check(district)
    both = [line for line in lines if "Код школы «sch05» повторяется: он же" in line]
    assert len(both) == 2 and any("A5" in line and "A6" in line for line in both)
    assert not any("Удалите повтор" in line for line in lines)  # nobody is told to delete the right row
    assert consolidated_codes(district).count("sch04") == 1  # sch04's data still under sch04

    book = head_book(district)
    book["Школы"]["A5"] = "sch04"
    save(district, book)
    assert run_sync(district.svod).status == "ok"
    with district.svod.db.session() as session:
        assert held.held_change(session) is None


def test_codes_are_normalised_everywhere(tmp_path):
    district = build_district(tmp_path / "district", schools=2)
    book = head_book(district)
    book["Школы"]["A3"] = "  SCH02 "
    save(district, book)
    fill(district, "sch02", "library_fund")
    assert run_sync(district.svod).status == "ok"
    assert active_codes(district) == ["sch01", "sch02"]        # the database
    with district.svod.db.session() as session:
        state = session.scalar(select(m.WorkbookState).join(m.School).where(m.School.code == "sch02"))
    assert state.workbook_id.startswith("sch02 ")              # the workbook found by its title
    client = make_app(district.svod).test_client()
    assert client.get("/school/SCH02").status_code == 200      # URLs
    assert client.get("/school/sch02").status_code == 200


def test_a_repeated_code_in_a_first_read_takes_the_others(tmp_path):
    """Nothing was applied before: the schools whose code is theirs alone are taken, neither
    of the two rows with one code."""
    district = build_district(tmp_path / "district", schools=4)
    book = head_book(district)
    book["Школы"]["A3"] = "SCH03"  # sch02's row says sch03
    save(district, book)
    summary = run_sync(district.svod)
    assert summary.status == "partial" and summary.total == 2
    assert active_codes(district) == ["sch01", "sch04"]
    assert "ни одна школа не уходит из работы" in summary.error
