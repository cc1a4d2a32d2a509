"""`svod provision` on Google: creates, extends and shares what is missing; a second run
changes nothing (zero write calls)."""
from __future__ import annotations

import json

import pytest

from sheets_emulator.client import service_account_info
from sync_service.district.registry import default_collections
from sync_service.forms.layout import CHECK_TAB, head_tab
from sync_service.provision.google import provision, spreadsheet_url
from sync_service.stores.base import TabSpec
from sync_service.stores.google import GoogleStore
from sync_service.sync.run import run_sync
from tests.google.conftest import YEAR, configure, librarian, reset_stats, stats, svod_for


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


# --- a service account: only in a shared drive; adopting what people made needs no drive ---------

SA = "svod@district-42.iam.gserviceaccount.com"
ADMIN = "admin@district.example"   # the district's Google Workspace administrator


def service_account_key(emu, tmp_path) -> str:
    """A real key file: google-auth signs its JWT and gets the token from the emulator."""
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(service_account_info(emu.url, SA)), encoding="utf-8")
    return str(path)


def as_person(emu, email) -> GoogleStore:
    return GoogleStore(librarian(emu, email).http_client, per_minute=0)


def hand_made_district(emu, svod_schema, *, with_schools: bool):
    """What the head made by hand in her own Drive and shared with the service account."""
    person = as_person(emu, ADMIN)
    schools, ids = [], {}
    for code, email in (("sch01", "ivanova@school.example"), ("sch02", "petrova@gmail.com")):
        wid = person.create_workbook(f"{code} школа", [TabSpec("Кадры", [["ФИО"]])]) if with_schools else ""
        if wid:
            person.share(wid, SA, "writer", notify=False)
            ids[code] = wid
        schools.append([code, f"МБОУ СОШ {code}", "Библиотекарь", email, wid, "да"])
    plan = [[c.form.key, "", YEAR, c.deadline, c.campaign.title if c.campaign else ""]
            for c in default_collections(svod_schema, YEAR)][:3]
    head = person.create_workbook("Настройки ОМО", [head_tab(svod_schema, "schools", schools),
                                                   head_tab(svod_schema, "plan", plan)])
    person.share(head, SA, "writer", notify=False)
    return head, ids


def test_a_service_account_without_a_shared_drive_stops_before_its_first_write(emu, tmp_path):
    key = service_account_key(emu, tmp_path)
    head, _ = hand_made_district(emu, svod_for(emu, tmp_path).schema, with_schools=False)
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head, google_credentials=key, google_api_url=emu.url)
    assert svod.store.service_account and svod.store.service_email == SA
    reset_stats(emu)
    report = provision(svod, notify=False)
    assert report.stopped and "SVOD_GOOGLE_DRIVE_ID" in report.stopped and "Подключить Google" in report.stopped
    assert report.lines()[0].startswith("Ничего не создано и не изменено")
    assert stats(emu)["writes"] == 0 and svod.store.api.backoff.sleep == []   # no retry: at once
    assert not [f for f in emu.state.files.values() if f.owner == SA]           # nothing half-created


def test_a_service_account_creates_everything_in_the_shared_drive_and_syncs(emu, tmp_path):
    key = service_account_key(emu, tmp_path)
    admin = librarian(emu, ADMIN).http_client.session
    drive = admin.post(f"{emu.url}/drive/v3/drives", params={"requestId": "svod"}, json={"name": "Svod"}).json()["id"]
    admin.post(f"{emu.url}/drive/v3/files/{drive}/permissions", params={"supportsAllDrives": "true"},
               json={"type": "user", "role": "fileOrganizer", "emailAddress": SA})
    head, _ = hand_made_district(emu, svod_for(emu, tmp_path).schema, with_schools=False)
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head, google_credentials=key, google_drive_id=drive)
    report = provision(svod, notify=False)
    assert not report.problems and not report.stopped, report.lines()
    made = [wid for _, wid in report.created] + [report.consolidated_id]
    assert len(made) == 3 and all(emu.state.files[wid].drive_id == drive for wid in made)
    assert librarian(emu, "ivanova@school.example").open_by_key(report.created[0][1]).worksheet("Кадры")
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head, google_credentials=key, google_drive_id=drive,
                    consolidated_spreadsheet_id=report.consolidated_id)
    summary = run_sync(svod)
    assert (summary.status, summary.read, summary.failed) == ("ok", 2, 0), summary


def test_a_service_account_adopts_spreadsheets_made_by_hand_without_creating_any(emu, tmp_path):
    key = service_account_key(emu, tmp_path)
    head, ids = hand_made_district(emu, svod_for(emu, tmp_path).schema, with_schools=True)
    consolidated = as_person(emu, ADMIN).create_workbook("Свод", [TabSpec("Статус", [["x"]])])
    as_person(emu, ADMIN).share(consolidated, SA, "writer", notify=False)
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head, google_credentials=key,
                    consolidated_spreadsheet_id=consolidated)
    report = provision(svod, notify=False)
    assert not report.stopped and not report.created and not report.problems, report.lines()
    assert set(report.extended) == {"sch01", "sch02"}
    assert not [f for f in emu.state.files.values() if f.owner == SA]
    summary = run_sync(svod)
    assert (summary.status, summary.read, summary.failed) == ("ok", 2, 0), summary


def test_no_email_needs_a_google_account_and_says_what_to_do(emu, district):
    svod, _ = district
    configure(emu, google_accounts=["@gmail.com", "@omo.example"])   # the schools' addresses are no Google accounts
    report = provision(svod, notify=False)
    problems = [p for p in report.problems if "аккаунта Google" in p]
    assert problems and all("без --no-email" in p for p in problems), report.problems
    assert not any(code == "sch01" for code, _ in report.shared)
