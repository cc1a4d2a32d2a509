"""The head's review of a submission end to end on real .xlsx workbooks: the admin page
records «Вернуть на доработку» and «Принять»; the real sync carries the comment into the
school's «Проверка», moves the review on when the school changes what was reviewed, and
every output says «принят» / «возвращён на доработку» / «изменено после принятия»."""
from __future__ import annotations

import re

import openpyxl
import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from sync_service import db as m
from sync_service.district.overview import overview
from sync_service.district.reminders import compose_reminders, read_district
from sync_service.district.report import build_report
from sync_service.forms.layout import CHECK_TAB, FIRST_DATA_ROW
from sync_service.sync.reviews import review_submission
from sync_service.sync.run import run_sync
from tests.factory import make_app, shipped_schema
from tests.google.conftest import emu, emulator  # noqa: F401  (fixtures)
from tests.integration import head_district
from tests.integration.district import CONSOLIDATED, GOOD, NOW, YEAR, build_district, fill

PASSWORD = "review horse battery"
HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
FUND = "Фонд"  # library_fund's tab


def token(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


@pytest.fixture
def district(tmp_path):
    district = build_district(tmp_path / "district", schools=2, admin_password_hash=HASH, secret_key="test",
                              head_email="head@omo.example")
    yield district
    district.svod.dispose()


@pytest.fixture
def client(district):
    client = make_app(district.svod).test_client()
    response = client.post("/admin/login", data={"password": PASSWORD, "csrf_token": token(client, "/admin/login")})
    assert response.status_code == 302
    return client


def act(client, code: str, collection: str, action: str, comment: str = "", about: str = ""):
    page = f"/admin/school/{code}"
    return client.post(f"{page}/review", data={"csrf_token": token(client, page), "collection": collection,
                                                "action": action, "comment": comment, "about": about},
                       follow_redirects=True)


def statuses(district) -> dict[tuple[str, str], str]:
    with district.svod.db.session() as session:
        report = build_report(session, academic_year=YEAR, now=NOW)
    return {(s["school"], s["collection"]): s["status"] for s in report["submissions"]}


def page_status(district, code: str, key: str) -> str:
    with district.svod.db.session() as session:
        page = overview(session, academic_year=YEAR, now=NOW, collection=key)
    return next(c["status"] for c in page["submissions"] if c["school"] == code)


def check_lines(district, code: str) -> list[str]:
    return [" | ".join(str(v) for v in row if v is not None) for row in district.values(code, "Проверка")]


def fund_cell(district, code: str) -> str:
    """The address of «Фонд всего» on the school's tab (a record form: the value beside the label)."""
    sheet = openpyxl.load_workbook(district.path(code))[FUND]
    return next(f"B{row[0].row}" for row in sheet.iter_rows() if row[0].value and "Фонд всего" in str(row[0].value))


def test_return_resubmit_accept_and_a_change_after_acceptance(district, client):
    fill(district, "sch01", "library_fund")
    assert run_sync(district.svod).status == "ok"
    assert statuses(district)[("sch01", "library_fund")] == "submitted"

    # nothing to accept where nothing was typed; a return needs a comment
    assert "ничего не сдала" in act(client, "sch02", "library_fund", "accept").get_data(as_text=True)
    assert "Напишите комментарий" in act(client, "sch01", "library_fund", "return").get_data(as_text=True)

    page = act(client, "sch01", "library_fund", "return", "Проверьте фонд: расходится с отчётом о работе",
               about="Фонд всего").get_data(as_text=True)
    assert "возвращён на доработку" in page
    assert statuses(district)[("sch01", "library_fund")] == "sent_back"
    assert page_status(district, "sch01", "library_fund") == "sent_back"
    with district.svod.db.session() as session:
        review = session.scalar(select(m.Review))
        assert (review.action, review.by, review.about, review.version) == (
            "return", "руководитель ОМО (head@omo.example)", "Фонд всего", 1)
        assert len(review.fingerprint) == 64

    # after a sync the comment is at the top of the school's «Проверка» and in the next reminder
    run_sync(district.svod)
    lines = check_lines(district, "sch01")
    top = lines.index("Проверка руководителя ОМО")
    assert top < lines.index("Что исправить")
    assert any("возвращён на доработку | Фонд всего: Проверьте фонд" in line for line in lines[top:top + 4])
    with district.svod.db.session() as session:
        letters = compose_reminders(read_district(session, YEAR), today=NOW.date(), days_before=3,
                                    public_url="http://svod.example")
    letter = next(x for x in letters if x.school == "sch01")
    assert any(key.kind == "review" and key.collection == "library_fund" for key in letter.keys)
    assert "Статус: возвращён руководителем ОМО на доработку" in letter.body
    assert "Комментарий руководителя ОМО: Фонд всего: Проверьте фонд" in letter.body

    # ticking «Готово» again without a change keeps it returned; a change and «Готово» submits it again
    district.edit("sch01", FUND, {"B2": "нет"})
    run_sync(district.svod)
    district.edit("sch01", FUND, {"B2": "да"})
    run_sync(district.svod)
    assert statuses(district)[("sch01", "library_fund")] == "sent_back"
    district.edit("sch01", FUND, {fund_cell(district, "sch01"): 12500})
    run_sync(district.svod)
    assert statuses(district)[("sch01", "library_fund")] == "submitted"

    act(client, "sch01", "library_fund", "accept", "Спасибо")
    assert statuses(district)[("sch01", "library_fund")] == "accepted"
    with district.svod.db.session() as session:
        counts = overview(session, academic_year=YEAR, now=NOW, collection="library_fund")["collections"][0]
    assert counts["counts"]["accepted"] == 1 and counts["reported"] == 1 and counts["on_time"] == 1
    run_sync(district.svod)
    assert statuses(district)[("sch01", "library_fund")] == "accepted"
    assert any("принят | Спасибо" in line for line in check_lines(district, "sch01"))
    status_tab = [row for row in openpyxl.load_workbook(district.folder / CONSOLIDATED)["Статус сдачи"]
                  .iter_rows(values_only=True)]
    assert any("sch01" in row and "принят" in row for row in status_tab)

    # the school changes a value: flagged, with the cell, before and after, until accepted again
    cell = fund_cell(district, "sch01")
    district.edit("sch01", FUND, {cell: 13000})
    run_sync(district.svod)
    assert statuses(district)[("sch01", "library_fund")] == "changed"
    assert page_status(district, "sch01", "library_fund") == "changed"
    lines = check_lines(district, "sch01")
    assert any("изменено после принятия" in line for line in lines)
    assert any(f"ячейка {cell}" in line and "было «12500»" in line and "стало «13000»" in line for line in lines)
    admin_page = client.get("/admin/school/sch01").get_data(as_text=True)
    assert "Изменено после принятия" in admin_page and "стало «13000»" in admin_page
    public = make_app(district.svod).test_client().get("/school/sch01").get_data(as_text=True)
    assert f"{cell} «Фонд всего" in public and "стало" not in public  # where, not what: the page is public
    # changing it back is what was accepted
    district.edit("sch01", FUND, {cell: 12500})
    run_sync(district.svod)
    assert statuses(district)[("sch01", "library_fund")] == "accepted"
    with district.svod.db.session() as session:
        assert [r.action for r in session.scalars(select(m.Review).order_by(m.Review.id))] == ["return", "accept"]


def test_totals_only_of_accepted_data(tmp_path):
    """SVOD_TOTALS_ACCEPTED_ONLY: «Свод»'s collection tab has the accepted version only."""
    district = build_district(tmp_path / "district", schools=2, totals_accepted_only=True)
    try:
        fill(district, "sch01", "library_fund")
        fill(district, "sch02", "library_fund")
        run_sync(district.svod)
        with district.svod.db.session() as session:
            review_submission(session, "sch01", "library_fund", "accept", comment="", about=None, by="test",
                              academic_year=YEAR, now=NOW)
        cell = fund_cell(district, "sch01")
        district.edit("sch01", FUND, {cell: 99999})
        run_sync(district.svod, force=True)
        rows = list(openpyxl.load_workbook(district.folder / CONSOLIDATED)[FUND].iter_rows(values_only=True))
        flat = [v for row in rows for v in row]
        assert 12000 in flat and 99999 not in flat
        assert not any("sch02" in row for row in rows)
    finally:
        district.svod.dispose()


@pytest.fixture(params=["xlsx", "google"])
def both(request, tmp_path):
    made = head_district.build(request.param, tmp_path, request.getfixturevalue("emu")
                               if request.param == "google" else None)
    yield made
    made.svod.dispose()


def test_the_review_reaches_the_schools_workbook_on_both_backends(both):
    """The comment and a change after acceptance (cell, before, after) in the school's own
    «Проверка», on .xlsx and on Google Sheets (the emulator)."""
    form = shipped_schema().forms["library_fund"]
    places = {c.key: f"B{FIRST_DATA_ROW + i}" for i, c in enumerate(form.columns)}
    both.type("sch01", form.tab, {"B2": True, **{places[k]: v for k, v in GOOD["library_fund"].items()}})
    run_sync(both.svod)

    def review(action: str, comment: str) -> None:
        with both.svod.db.session() as session:
            review_submission(session, "sch01", "library_fund", action, comment=comment, about=None,
                              by="руководитель ОМО", academic_year=YEAR, now=NOW)

    def check() -> list[str]:
        return [" | ".join(str(v) for v in row if v not in (None, "")) for row in both.tab("sch01", CHECK_TAB)]

    review("return", "Уточните число читателей")
    run_sync(both.svod)
    assert any("возвращён на доработку | Уточните число читателей" in line for line in check())
    both.type("sch01", form.tab, {places["readers"]: 610})
    run_sync(both.svod)
    review("accept", "")
    both.type("sch01", form.tab, {places["readers"]: 620})
    run_sync(both.svod)
    lines = check()
    assert any(line.endswith("Изменено после принятия (нужно новое принятие):") for line in lines)
    assert any(f"ячейка {places['readers']}" in line and "было «610», стало «620»" in line for line in lines)


def test_a_forged_collection_is_refused_in_russian_not_a_server_error(district, client):
    """Whatever the form posts as the collection (a newline, a header of its own) comes back
    as the page with the refusal, never a 500 from a redirect no header may carry."""
    run_sync(district.svod)
    page = "/admin/school/sch01"
    response = client.post(f"{page}/review", data={"csrf_token": token(client, page), "action": "accept",
                                                   "collection": "fund\r\nSet-Cookie: x=1", "comment": ""})
    assert response.status_code == 302 and "\n" not in response.headers["Location"]
    assert not any("x=1" in cookie for cookie in response.headers.getlist("Set-Cookie"))
    assert "проверять нечего" in client.get(response.headers["Location"]).get_data(as_text=True)
