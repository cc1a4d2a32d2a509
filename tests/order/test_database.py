"""Versions of the list and prices in SQLite, the queries, the commands and the pages."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import inspect, select

from sync_service.order import commands
from sync_service.order.consolidate import derived_tabs
from sync_service.order.fpu import sample_fpu_path, sample_prices_path
from sync_service.order.models import FpuList, current_fpu, current_prices, fpu_versions, import_fpu, import_prices
from sync_service.order.queries import load_order


def test_migration_creates_the_tables(database):
    tables = set(inspect(database.engine).get_table_names())
    assert {"fpu_lists", "fpu_entries", "price_lists", "price_entries"} <= tables


def test_versions(database, env):
    with database.session() as session:
        assert current_fpu(session) is None
        assert import_fpu(session, env.ENTRIES, "a.xlsx") == 1
        assert import_fpu(session, list(reversed(env.ENTRIES)), "b.xlsx") == 1   # same content: no new version
        assert import_fpu(session, env.ENTRIES[:-1], "c.xlsx") == 2
    with database.session() as session:
        index = current_fpu(session)
        assert index.version == 2 and len(index) == len(env.ENTRIES) - 1
        assert index.get("1.1.2.3.1.1").grades == (7, 8, 9)
        assert index.get("1.1.2.3.1.1").valid_until == date(2028, 8, 31)
        assert [v.version for v in fpu_versions(session)] == [2, 1]
        assert session.scalar(select(FpuList).where(FpuList.active.is_(True))).source == "c.xlsx"


def test_prices_per_publisher(database):
    with database.session() as session:
        assert import_prices(session, {"1.1": Decimal("10.00"), "1.2": Decimal("20.50")}, "p.csv", publisher="A") == 1
        assert import_prices(session, {"2.1": Decimal("30.00")}, "q.csv", publisher="B") == 2
        assert import_prices(session, {"1.1": Decimal("11.00")}, "p2.csv", publisher="A") == 3   # replaces A's
        assert import_prices(session, {"1.1": Decimal("11.00")}, "p3.csv", publisher="A") == 3   # unchanged
    with database.session() as session:
        assert current_prices(session) == {"1.1": Decimal("11.00"), "2.1": Decimal("30.00")}


def test_fpu_import_command(database, tmp_path):
    message = commands.fpu_import(database, sample_fpu_path())
    assert "версия 1" in message and "ОБРАЗЕЦ" in message
    assert "не изменился" in commands.fpu_import(database, sample_fpu_path())
    prices = commands.fpu_import(database, sample_prices_path(), prices=True)
    assert prices.startswith("Прайс-лист загружен")
    with pytest.raises(commands.OrderCommandError, match="не найден"):
        commands.fpu_import(database, tmp_path / "nope.xlsx")
    (tmp_path / "junk.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(commands.OrderCommandError, match="строка заголовков"):
        commands.fpu_import(database, tmp_path / "junk.csv")
    (tmp_path / "list.doc").write_text("x")
    with pytest.raises(commands.OrderCommandError, match=".xlsx или .csv"):
        commands.fpu_import(database, tmp_path / "list.doc")


def order_row(n, code, grade, copies):
    return {"_row": n, "fpu_code": code, "authors": None, "title": None, "grade": grade, "publisher": None,
            "copies": copies, "notes": None}


SCHOOLS = [("sch01", "МБОУ СОШ №1"), ("sch02", "МБОУ СОШ №2"), ("sch03", "МБОУ СОШ №3"), ("sch04", "МБОУ Лицей №4")]


@pytest.fixture
def district(database, env):
    """sch01 submitted; sch02 returned (row 6 has an error); sch03 typing, not ticked; sch04 nothing."""
    forms = {
        "textbook_order": {
            "sch01": {"rows": [order_row(5, "1.1.2.1.1.1", 5, 50), order_row(6, "1.1.2.3.2.1", 5, 48)]},
            "sch02": {"rows": [order_row(5, "1.1.2.1.1.1", 5, 30), order_row(6, "9.9.9", 5, 7)], "blocked": [6]},
            "sch03": {"rows": [order_row(5, "1.1.2.1.1.1", 5, 1000)], "ready": False},
        },
        "textbook_exchange": {
            "sch01": {"rows": [{"_row": 5, "kind": "Излишек", "fpu_code": "1.1.2.1.1.1", "title": "Русский язык",
                                "grade": 5, "copies": 8}], "ready": False},
            "sch02": {"rows": [{"_row": 5, "kind": "Потребность", "fpu_code": "1.1.2.1.1.1", "title": "Русский язык",
                                "grade": 5, "copies": 5}], "ready": False},
        },
        "textbook_provision": {
            "sch03": {"rows": [{"_row": 5, "grade": 5, "subject": "Русский язык", "students": 40, "copies": 30}]},
        },
    }
    env.seed(database, forms, SCHOOLS)
    with database.session() as session:
        import_fpu(session, env.ENTRIES, "test.xlsx")
        import_prices(session, {"1.1.2.1.1.1": Decimal("600.00")}, "prices.csv")
    return database


def test_load_order(district, env):
    with district.session() as session:
        order = load_order(session, env.YEAR, now=env.NOW)
    assert [(line.school, line.code, line.copies) for line in order.lines] == [
        ("sch01", "1.1.2.1.1.1", 50), ("sch01", "1.1.2.3.2.1", 48), ("sch02", "1.1.2.1.1.1", 30)]
    assert [(m.code, m.status) for m in order.missing] == [("sch02", "возвращён"), ("sch03", "просрочен"),
                                                           ("sch04", "просрочен")]
    assert order.priced and order.publishers[0].items[0].price == Decimal("600.00")


def test_derived_tabs_for_the_sync(district, env):
    from sync_service.district.registry import default_collections
    from sync_service.forms.schema import load_schema

    collections = [c for c in default_collections(load_schema(), env.YEAR)
                   if c.form.key in ("textbook_order", "textbook_provision", "textbook_exchange")]
    statuses = {("sch01", "textbook_order"): "submitted", ("sch02", "textbook_order"): "returned",
                ("sch03", "textbook_order"): "in_progress", ("sch04", "textbook_order"): "not_started"}
    with district.session() as session:
        tabs = derived_tabs(session, academic_year=env.YEAR, statuses=statuses, collections=collections)
    titles = [t.title for t in tabs]
    assert titles[:2] == ["Заказ", "Заказ по школам"] and "Спецификация — Просвещение" in titles
    assert titles[-2:] == ["Обеспеченность — итоги", "Обмен"]
    assert tabs[0].rows[0][0].startswith("⚠ Не сдали заказ (3): sch02 МБОУ СОШ №2 (возвращён); sch03")
    exchange = tabs[-1]
    moved = [r for r in exchange.rows[exchange.frozen_rows:] if len(r) > 8 and r[1] == "sch01"]
    assert [(r[3], r[8]) for r in moved] == [("sch02", 5), ("sch03", 3)]   # request first, then the shortage


def test_order_export_command(district, env, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "Спецификация — Старое — 2027-2028.xlsx").write_bytes(b"")  # a stale export is removed
    paths = commands.order_export(district, out, academic_year=env.YEAR, now=env.NOW)
    assert sorted(p.name for p in paths) == ["Спецификация — ВЕНТАНА-ГРАФ — 2027-2028.xlsx",
                                             "Спецификация — Просвещение — 2027-2028.xlsx"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    book = openpyxl.load_workbook(out / "Спецификация — Просвещение — 2027-2028.xlsx")
    spec = [r for r in book["Спецификация — Просвещение"].iter_rows(values_only=True)]
    total = next(r for r in spec if r[3] == "Итого")
    assert total[5] == 80 and total[7] == pytest.approx(48000.0)
    assert [r[0] for r in spec[10:12]] == ["Всего по спецификации: 80 экземпляров на сумму 48\u202f000 руб. 00 коп.",
                                           "(Сорок восемь тысяч рублей 00 копеек)."]
    assert commands.order_export(district, out, academic_year=env.YEAR, now=env.NOW) == paths  # again: overwritten


def test_order_export_needs_the_list(database, env, tmp_path):
    with pytest.raises(commands.OrderCommandError, match="не загружен"):
        commands.order_export(database, tmp_path, academic_year=env.YEAR)


@pytest.fixture
def client(district, env, tmp_path):
    """The real app (create_app registers web.orders) over the seeded database."""
    from tests.factory import make_app, make_svod

    svod = make_svod(tmp_path, now=env.NOW, db=district, migrate=False, database_url=district.url,
                     workbooks_dir=tmp_path, academic_year=env.YEAR, customer=CUSTOMER)
    return make_app(svod).test_client()


CUSTOMER = "Управление образования администрации Энского района"


def test_the_downloaded_specification_is_the_document(client):
    response = client.get("/order/prosveshchenie.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    ws = book["Спецификация — Просвещение"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "Спецификация поставки учебников на 2027/2028 учебный год"
    assert rows[2][0] == f"Заказчик: {CUSTOMER}" and rows[4][0].endswith("Дата составления: 10.03.2027")
    assert not any("⚠" in str(v) or "sch03" in str(v) for r in rows for v in r)   # debtors stay on the page
    assert int(ws.page_setup.paperSize) == 9 and ws.print_title_rows == "$7:$7"
    assert (CUSTOMER, None, None, None, "АО «Издательство «Просвещение»") == rows[-4][:5]


def test_order_page(client):
    page = client.get("/order")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Муниципальный заказ учебников" in html and "<svg" in html and "Просвещение" in html
    assert "/order/prosveshchenie.xlsx" in html and "Не сдали заказ (3)" in html
    assert "sch04 МБОУ Лицей №4" in html
    for secret in ("Петрова Анна Сергеевна", "@example.ru"):
        assert secret not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")   # nothing from outside


def test_download(client):
    response = client.get("/order/prosveshchenie.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    import io

    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Спецификация — Просвещение", "Разнарядка — Просвещение"]
    assert client.get("/order/nobody.xlsx").status_code == 404


def test_exchange_page(client):
    html = client.get("/exchange").get_data(as_text=True)
    assert "Взаимообмен учебниками" in html and "sch01 МБОУ СОШ №1" in html and "мониторинг обеспеченности" in html
    assert "Петрова Анна Сергеевна" not in html
