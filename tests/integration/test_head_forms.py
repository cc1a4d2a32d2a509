"""The head's own forms, end to end on both backends (.xlsx files, and Google Sheets through
the emulator): she writes a form in «Формы» and names it in «План»; after one sync every
school has its tab, a librarian's mistake gets a finding at its cell, submissions are
counted and «Свод» has the form's tab; then she renames a column and what was typed
stays. A definition full of mistakes reaches nobody."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from sync_service import db as m
from sync_service.district.report import build_report
from sync_service.forms.layout import CHECK_TAB
from sync_service.sync.run import run_sync
from tests.factory import make_app
from tests.google.conftest import emu, emulator  # noqa: F401  (fixtures)
from tests.integration.head_district import FORMS_HEADER, RULES_HEADER, YEAR, build, dropdown

NOW = datetime(2026, 11, 22, 9, 0)
TITLE, TAB = "Дарение книг", "Дарение"


def forms_rows(count_label: str = "Экземпляров") -> list[list]:
    return [
        FORMS_HEADER,
        [TITLE, TAB, "Таблица", None, None, None, None, None, None, "Книги, подаренные школе в акции."],
        [TITLE, None, None, "Класс", "Класс", "да", None, None],
        [TITLE, None, None, "Название книги", "Текст", "да"],
        [TITLE, None, None, "Жанр", "Выбор из списка", None, None, None, "Проза; Поэзия; Другое"],
        [TITLE, None, None, count_label, "Целое число", "да", 0, 1000],
        [TITLE, None, None, "Из них учебников", "Целое число", None, 0, 1000],
    ]


RULES = [RULES_HEADER, [TITLE, "Из них учебников ≤ Экземпляров", "Учебников больше, чем книг", "Ошибка"]]


@pytest.fixture(params=["xlsx", "google"])
def district(request, tmp_path):
    made = build(request.param, tmp_path, request.getfixturevalue("emu") if request.param == "google" else None)
    yield made
    made.svod.dispose()


def report(district) -> dict:
    with district.svod.db.session() as session:
        return build_report(session, academic_year=YEAR, now=NOW)


def statuses(district, key: str) -> dict[str, str]:
    return {s["school"]: s["status"] for s in report(district)["submissions"] if s["collection"] == key}


def form_key(district) -> str:
    with district.svod.db.session() as session:
        return session.scalar(select(m.HeadForm.key).where(m.HeadForm.title == TITLE))


def test_a_form_of_the_heads_workbook_reaches_every_school_and_follows_a_rename(district):
    district.put_tab(district.head, "Формы", forms_rows())
    district.put_tab(district.head, "Правила", RULES)
    district.add_to_plan([TITLE, "", YEAR, date(2026, 12, 20), ""])
    summary = run_sync(district.svod)
    assert summary.status == "ok", summary
    key = form_key(district)
    for code in ("sch01", "sch02", "sch03"):
        rows = district.tab(code, TAB)
        assert rows is not None, code
        assert [str(v) for v in rows[3][:5]] == ["Класс", "Название книги", "Жанр", "Экземпляров", "Из них учебников"]
        assert rows[1][0] == "Готово"
    assert set(statuses(district, key).values()) == {"not_started"}

    district.type("sch01", TAB, {"A5": 5, "B5": "Денискины рассказы", "C5": "Проза", "D5": 3, "E5": 0,
                                 "A6": 7, "B6": "Алгебра", "C6": "Другое", "D6": 2, "E6": 2, "B2": True})
    district.type("sch02", TAB, {"A5": 6, "B5": "Стихи", "C5": "Поэзия", "D5": 2, "E5": 5,
                                 "A6": 6, "B6": "Сказки", "C6": "Роман", "D6": "много", "B2": True})
    run_sync(district.svod)
    got = statuses(district, key)
    assert got == {"sch01": "submitted", "sch02": "returned", "sch03": "not_started"}
    with district.svod.db.session() as session:
        sch02 = session.scalar(select(m.School.id).where(m.School.code == "sch02"))
        found = {(f.code, f.address) for f in session.scalars(select(m.FindingRecord).where(
            m.FindingRecord.school_id == sch02, m.FindingRecord.form == key))}
    assert found == {("rule", "E5"), ("choice", "C6"), ("type", "D6")}
    check = [" | ".join(str(v) for v in row if v not in (None, "")) for row in district.tab("sch02", CHECK_TAB)]
    assert any("E5" in line and "Учебников больше, чем книг" in line for line in check)
    rates = {c["key"]: c for c in report(district)["collections"]}[key]
    assert (rates["expected"], rates["reported"]) == (3, 1)
    consolidated = district.read(district.svod.consolidated_workbook_id or _consolidated(district)).sheet(TAB)
    assert consolidated is not None
    assert [r[:2] for r in consolidated.rows[1:3]] == [["sch01", "МБОУ СОШ №1"]] * 2
    client = make_app(district.svod).test_client()
    page = client.get(f"/collection/{key}").get_data(as_text=True)
    assert TITLE in page and "сдан" in page
    page = client.get("/school/sch02").get_data(as_text=True)
    assert "Учебников больше, чем книг" in page and "E5" in page

    # She renames «Экземпляров»: the schools' values stay where they were typed, under the same key.
    district.put_tab(district.head, "Формы", forms_rows("Экземпляров, шт."))
    summary = run_sync(district.svod)
    assert summary.status == "ok", summary
    assert statuses(district, key)["sch01"] == "submitted"
    consolidated = district.read(district.svod.consolidated_workbook_id or _consolidated(district)).sheet(TAB)
    header = [str(v) for v in consolidated.rows[0]]
    column = header.index("Экземпляров, шт.")
    assert sorted(int(r[column]) for r in consolidated.rows[1:3]) == [2, 3]
    assert district.tab("sch01", TAB)[4][3] in (3, "3")  # nothing typed was touched


def _consolidated(district) -> str:
    with district.svod.db.session() as session:
        return session.get(m.Meta, "consolidated_id").value


def test_a_definition_with_every_kind_of_mistake_gets_one_finding_each_and_reaches_no_school(district):
    district.put_tab(district.head, "Формы", [
        FORMS_HEADER,
        ["Опрос", "Опрос", "Таблица", None, None],
        ["Опрос", None, None, "Число книг", "Нмбер"],                                   # unknown type
        ["Опрос", None, None, "Читатели", "Целое число", None, 100, 10],               # min > max
        ["Опрос", None, None, "Предмет", "Выбор из списка", None, None, None, "Нет такого"],  # no such list
        ["Опрос", None, None, "Читатели", "Целое число"],                               # a column twice
        ["Опрос", None, None, "Учебники", "Целое число"],
    ])
    district.put_tab(district.head, "Правила", [RULES_HEADER, ["Опрос", "Учебники ≤ Фонд всего"]])  # unknown column
    district.add_to_plan(["Опрос", "", YEAR, date(2026, 12, 20), ""])
    run_sync(district.svod)
    with district.svod.db.session() as session:
        findings = session.get(m.SyncRun, session.scalar(select(m.SyncRun.id).order_by(m.SyncRun.id.desc()))
                               ).head_findings
    mine = sorted((f["code"], f["address"]) for f in findings if f["form"] in ("forms", "form_rules"))
    assert mine == [("choice", "E3"), ("form-duplicate-column", "D6"), ("form-min-max", "G4"),
                    ("form-unknown-list", "I5"), ("rule-unknown-column", "B2")]
    check = [" | ".join(str(v) for v in row if v not in (None, "")) for row in district.tab(district.head, CHECK_TAB)]
    for address in ("E3", "D6", "G4", "I5", "B2"):
        assert any(address in line for line in check), address
    assert any("Опрос" in line and "не опубликована" in line for line in check)
    for code in ("sch01", "sch02", "sch03"):
        assert district.tab(code, "Опрос") is None


def test_the_years_turn_rolls_a_heads_form_as_it_rolls_the_shipped_ones(tmp_path):
    from sync_service.forms.layout import archive_title
    from sync_service.sync.lock import sync_lock
    from sync_service.yearturn.run import turn_year

    district = build("xlsx", tmp_path, academic_year="")
    try:
        district.put_tab(district.head, "Формы", forms_rows())
        district.put_tab(district.head, "Правила", RULES)
        district.add_to_plan([TITLE, "", YEAR, date(2026, 12, 20), ""])
        assert run_sync(district.svod).status == "ok"
        district.type("sch01", TAB, {"A5": 5, "B5": "Денискины рассказы", "C5": "Проза", "D5": 3, "B2": True})
        run_sync(district.svod)
        typed = district.tab("sch01", TAB)
        district.svod.clock = lambda: datetime(2027, 9, 2, 9, 0)
        with sync_lock(district.svod.settings.lock_file, district.svod.settings.database_url):
            report = turn_year(district.svod, "2027/2028")
        assert report.status == "done", report.lines()
        archived = archive_title(TAB, YEAR)
        for code in ("sch01", "sch02", "sch03"):
            assert district.tab(code, archived) is not None, code
            fresh = district.tab(code, TAB)
            assert fresh is not None and fresh[0][0].endswith("2027/2028"), code
            assert all(v in (None, "") for row in fresh[4:] for v in row), code
        assert district.tab("sch01", archived)[4:5] == typed[4:5]   # what was typed, under its year's name
        plan = [r for r in district.tab(district.head, "План") if r and r[0] == TITLE]
        assert [str(r[2]) for r in plan] == ["2027/2028"]
        offered = dropdown(district.head, "A", folder=district.folder)   # the new «План» offers her form too
        assert TITLE in offered and "Мониторинг основных УМК" in offered
        assert run_sync(district.svod).status == "ok"
        with district.svod.db.session() as session:
            years = set(session.scalars(select(m.Collection.academic_year).where(
                m.Collection.form == form_key(district), m.Collection.in_plan)))
        assert "2027/2028" in years
    finally:
        district.svod.dispose()
