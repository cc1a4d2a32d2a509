"""`svod provision` on Google: creates, extends and shares what is missing; a second run
changes nothing (zero write calls)."""
from __future__ import annotations

import pytest

from sync_service.district.registry import default_collections
from sync_service.forms.layout import CHECK_TAB, head_tab
from sync_service.provision.google import provision, spreadsheet_url
from sync_service.stores.base import TabSpec
from tests.google.conftest import YEAR, librarian, reset_stats, stats, svod_for


def plan_rows(svod):
    return [[c.form.key, "", YEAR, c.deadline, c.campaign.title if c.campaign else ""]
            for c in default_collections(svod.schema, YEAR)]


@pytest.fixture
def district(emu, tmp_path):
    """A head with four schools: sch01 with nothing, sch02 with a spreadsheet found by its
    title, sch03 with its id typed and a tab missing, sch04 with a «Книга» nobody can open."""
    svod = svod_for(emu, tmp_path)
    store = svod.store
    by_title = store.create_workbook("sch02 Гимназия №2", [TabSpec("Кадры", [["ФИО"], ["Петрова"]])])
    typed = store.create_workbook("Книга школы 3", [TabSpec("Фонд", [["Показатель", "Значение"]])])
    schools = [["sch01", "МБОУ СОШ №1", "Иванова И. И.", "ivanova@school.example", "", "да"],
               ["sch02", "Гимназия №2", "Петрова П. П.", "petrova@school.example", "", "да"],
               ["sch03", "МБОУ СОШ №3", "Сидорова С. С.", "", typed, "да"],
               ["sch04", "МБОУ СОШ №4", "Орлова О. О.", "orlova@school.example", "1NotSharedWithSvod0000000000", "да"],
               ["sch05", "МБОУ СОШ №5", "Закрыта", "x@school.example", "", "нет"]]
    head = store.create_workbook("Настройки ОМО", [head_tab(svod.schema, "schools", schools),
                                                  head_tab(svod.schema, "plan", plan_rows(svod))])
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head, head_email="head@omo.example")
    return svod, {"by_title": by_title, "typed": typed, "head": head}


def titles(store, workbook_id):
    return list(store.read(workbook_id).sheets)


def test_first_run_creates_extends_shares_and_links(emu, district):
    svod, ids = district
    report = provision(svod, notify=False)
    [(code, created)] = report.created
    assert code == "sch01"
    assert report.extended["sch02"] and report.extended["sch03"]  # only the tabs they lacked
    assert sorted(report.shared) == [("sch01", "ivanova@school.example"), ("sch02", "petrova@school.example")]
    assert report.linked == ["sch01", "sch02"]
    assert any("sch03" in p and "e-mail" in p for p in report.problems)
    assert any("sch04" in p for p in report.problems)
    assert report.consolidated_id and report.lines()[-1] == report.consolidated_id

    store = svod.store
    forms = {c.tab for c in default_collections(svod.schema, YEAR)}
    assert forms | {CHECK_TAB} <= set(titles(store, created))
    assert store.read(ids["by_title"]).sheets["Кадры"].rows == [["ФИО"], ["Петрова"]]  # data untouched
    assert store.permissions(created)["ivanova@school.example"] == "writer"
    schools = store.read(ids["head"]).sheets["Школы"].rows
    assert schools[1][4] == spreadsheet_url(created)
    assert schools[2][4] == spreadsheet_url(ids["by_title"])
    assert schools[3][4] == ids["typed"] and schools[4][4] == "1NotSharedWithSvod0000000000"  # typed: kept
    assert store.permissions(report.consolidated_id)["head@omo.example"] == "writer"
    # the librarian can open and fill their sheet
    assert librarian(emu, "ivanova@school.example").open_by_key(created).worksheet("Кадры")


def test_second_run_writes_nothing(emu, district, tmp_path):
    svod, _ = district
    first = provision(svod, notify=False)
    assert first.changed  # the first run created and shared what was missing
    # the consolidated spreadsheet's id is remembered in the database, as the sync does
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=svod.settings.head_spreadsheet_id,
                    head_email="head@omo.example")
    reset_stats(emu)
    second = provision(svod, notify=False)
    assert stats(emu)["writes"] == 0
    assert not second.changed and second.consolidated_id is None
    assert "ничего не изменено" in second.lines()[-1]
