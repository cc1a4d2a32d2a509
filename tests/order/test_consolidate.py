"""The municipal order: every specification's totals against an independent sum of the
valid school lines (pandas), nothing invalid in a specification, the tabs and the files."""
from __future__ import annotations

import random
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from sync_service.order.common import MissingSchool, SchoolRows
from sync_service.order.consolidate import (
    build_order,
    distribution_tab,
    export_publishers,
    order_lines_tab,
    order_tab,
    order_tabs,
    short_publisher,
    slugify,
    spec_tab,
    stale_exports,
)
from sync_service.order.fpu import order_year_start
from sync_service.stores.xlsx import XlsxStore

YEAR = "2026/2027"


def totals(tab):
    """The «Итого» row of a specification or a distribution list (a TabSpec or rows)."""
    rows = tab.rows if hasattr(tab, "rows") else tab
    return next(r for r in rows if "Итого" in r[2:4])


def row(n, code, grade, copies, **extra):
    return {"_row": n, "fpu_code": code, "grade": grade, "copies": copies, **extra}


@pytest.fixture
def literal(small_fpu):
    orders = [
        SchoolRows("sch01", "МБОУ СОШ №1", [row(5, "1.1.2.1.1.1", 5, 50), row(6, "1.1.2.3.2.1", 5, 48),
                                            row(7, "1.1.2.1.1.1", 5, 2)]),          # repeat: 52 in all
        SchoolRows("sch02", "МБОУ СОШ №2", [row(5, "1.1.2.1.1.1", 5, 30), row(6, "1.1.2.3.1.1", 8, 25),
                                            row(7, "1.1.2.5.1.1", 7, 20),           # expired: out
                                            row(8, "9.9.9", 5, 5),                  # unknown: out
                                            row(9, "1.1.2.1.1.2", 7, 5),            # wrong grade: out
                                            row(10, "1.1.2.6.1.1", 5, None)]),      # no copies: out
    ]
    prices = {"1.1.2.1.1.1": Decimal("650.00"), "1.1.2.3.2.1": Decimal("700.50"), "1.1.2.3.1.1": Decimal("512.40")}
    return build_order(orders, small_fpu, academic_year=YEAR, prices=prices,
                       missing=[MissingSchool("sch03", "МБОУ СОШ №3", "просрочен")])


def test_literal_order(literal, env):
    assert literal.order_year == "2027/2028"
    assert [(p.short, p.slug, p.copies) for p in literal.publishers] == [
        ("Просвещение", "prosveshchenie", 107), ("ВЕНТАНА-ГРАФ", "ventana-graf", 48)]
    pros = literal.publishers[0]
    assert [(i.number, i.entry.code, i.grade, i.copies, i.by_school) for i in pros.items] == [
        (1, "1.1.2.1.1.1", 5, 82, {"sch01": 52, "sch02": 30}), (2, "1.1.2.3.1.1", 8, 25, {"sch02": 25})]
    assert pros.amount == Decimal("650.00") * 82 + Decimal("512.40") * 25
    assert sorted((r.row, r.reason) for r in literal.rejected) == [
        (7, "fpu-expired"), (8, "fpu-unknown-code"), (9, "fpu-grade"), (10, "range")]
    merged = [line for line in literal.lines if line.school == "sch01" and line.code == "1.1.2.1.1.1"]
    assert len(merged) == 1 and merged[0].copies == 52 and merged[0].rows == (5, 7)
    assert literal.totals_by_code() == {"1.1.2.1.1.1": 82, "1.1.2.3.2.1": 48, "1.1.2.3.1.1": 25}


def test_literal_tabs(literal):
    spec = spec_tab(literal, literal.publishers[0])
    assert spec.title == "Спецификация — Просвещение"
    assert spec.rows[0][0] == "Спецификация поставки учебников на 2027/2028 учебный год"
    assert not any("⚠" in str(v) for r in spec.rows for v in r)   # the head's notes are on «Заказ»
    header = spec.rows[spec.frozen_rows - 1]
    assert header == ["№ п/п", "Код ФПУ", "Авторы", "Наименование", "Класс", "Количество, экз.", "Цена за экз., руб.",
                      "Сумма, руб."]
    total = totals(spec)
    assert total[3] == "Итого" and total[5] == 107
    assert total[7] == pytest.approx(650 * 82 + 512.4 * 25)
    dist = distribution_tab(literal, literal.publishers[0])
    assert dist.title == "Разнарядка — Просвещение"
    assert dist.rows[dist.frozen_rows - 1][5:] == ["sch01 МБОУ СОШ №1", "sch02 МБОУ СОШ №2"]
    assert dist.rows[dist.frozen_rows][2:] == ["Русский язык (в 2 частях)", 5, 82, 52, 30]
    assert totals(dist)[4:] == [107, 52, 55]
    whole = order_tab(literal)
    assert whole.rows[0][0].startswith("⚠ Не сдали заказ (1): sch03 МБОУ СОШ №3 (просрочен)")
    assert "Не вошли в заказ строки с ошибками: 4" in whole.rows[1][0]
    assert whole.title == "Заказ" and whole.rows[-1][1] == "Итого по району" and whole.rows[-1][7] == 155
    lines = order_lines_tab(literal)
    assert lines.rows[-1][6] == 155 and len(lines.rows) == lines.frozen_rows + 4 + 1


@pytest.mark.parametrize("name, short", [
    ("АО «Издательство «Просвещение»", "Просвещение"), ("ООО «ДРОФА»", "ДРОФА"),
    ("ООО «Русское слово — учебник»", "Русское слово"), ("ООО «БИНОМ. Лаборатория знаний»", "БИНОМ"),
    ("ООО «Издательский центр ВЕНТАНА-ГРАФ»", "ВЕНТАНА-ГРАФ"), ("ООО «Издательство «Экзамен»»", "Экзамен"),
    ("ООО «Издательство «Академкнига/Учебник»»", "Академкнига"),
    ("ООО «Издательство «Ассоциация XXI век»»", "Ассоциация XXI"), ("Издательство Мнемозина", "Мнемозина"),
])
def test_short_publisher(name, short):
    assert short_publisher(name) == short and len(short) <= 16
    assert slugify(short).isascii()


def random_orders(fpu, schools=40, lines=60, seed=7):
    """Valid and invalid lines mixed: unknown codes, wrong grades, expired, bad copies, repeats."""
    rnd = random.Random(seed)
    entries = list(fpu)
    orders = []
    for s in range(schools):
        rows = []
        for n in range(lines):
            entry = rnd.choice(entries)
            grade = rnd.choice(entry.grades)
            kind = rnd.random()
            if kind < 0.05:
                rows.append(row(n + 5, f"9.{rnd.randint(1, 99)}.1", grade, 3))
            elif kind < 0.1:
                rows.append(row(n + 5, entry.code, 12 - grade if 12 - grade not in entry.grades else None, 3))
            elif kind < 0.13:
                rows.append(row(n + 5, entry.code, grade, rnd.choice([0, -2, None, 1.5, True])))
            else:
                rows.append(row(n + 5, entry.code, grade, rnd.randint(1, 60)))
        orders.append(SchoolRows(f"sch{s:03d}", f"Школа №{s}", rows))
    return orders


def independent_valid(orders, fpu):
    """The valid lines, decided here without the code under test."""
    start = order_year_start(YEAR)
    records = []
    for school in orders:
        for r in school.rows:
            entry = fpu.get(r["fpu_code"])
            copies = r["copies"]
            if entry is None or r["grade"] not in entry.grades or (entry.valid_until and entry.valid_until < start):
                continue
            if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
                continue
            records.append({"school": school.code, "publisher": entry.publisher, "code": entry.code,
                            "grade": r["grade"], "copies": copies})
    return pd.DataFrame(records)


def test_every_specification_matches_an_independent_sum(sample_fpu):
    orders = random_orders(sample_fpu)
    order = build_order(orders, sample_fpu, academic_year=YEAR)
    frame = independent_valid(orders, sample_fpu)
    by_item = frame.groupby(["publisher", "code", "grade"])["copies"].sum().to_dict()
    by_school = frame.groupby(["publisher", "code", "grade", "school"])["copies"].sum().to_dict()
    by_publisher = frame.groupby("publisher")["copies"].sum().to_dict()
    assert {p.publisher for p in order.publishers} == set(by_publisher)
    seen = {}
    for pub in order.publishers:
        assert pub.copies == by_publisher[pub.publisher]
        spec = spec_tab(order, pub)
        body = spec.rows[spec.frozen_rows:spec.rows.index(totals(spec))]
        assert sum(r[5] for r in body) == totals(spec)[5] == by_publisher[pub.publisher]
        for r in body:
            seen[(pub.publisher, r[1], r[4])] = r[5]
        for item in pub.items:
            for school, copies in item.by_school.items():
                assert copies == by_school[(pub.publisher, item.entry.code, item.grade, school)]
        dist = distribution_tab(order, pub)
        assert totals(dist)[4] == by_publisher[pub.publisher]
        assert sum(v or 0 for v in totals(dist)[5:]) == by_publisher[pub.publisher]
    assert seen == by_item
    # nothing invalid: every specification line is in force for its grade
    start = order_year_start(YEAR)
    for pub in order.publishers:
        for item in pub.items:
            assert item.grade in item.entry.grades and item.entry.usable_on(start)
    assert order.copies == frame["copies"].sum()


def test_tab_names(sample_fpu):
    order = build_order(random_orders(sample_fpu, schools=10, lines=100), sample_fpu, academic_year=YEAR)
    titles = [t.title for t in order_tabs(order)]
    assert len(titles) == len(set(titles)) == 2 + 2 * len(order.publishers)
    for title in titles:
        assert len(title) <= 31 and not set(title) & set("[]:*?/\\")


def test_export_files(tmp_path, sample_fpu):
    orders = random_orders(sample_fpu, schools=12, lines=40, seed=3)
    order = build_order(orders, sample_fpu, academic_year=YEAR,
                        missing=[MissingSchool("sch099", "Школа №99", "не начат")])
    store = XlsxStore(tmp_path)
    ids = export_publishers(order, store)
    assert sorted(ids) == sorted(f"Спецификация — {p.short} — 2027-2028.xlsx" for p in order.publishers)
    frame = independent_valid(orders, sample_fpu)
    expected = frame.groupby("publisher")["copies"].sum().to_dict()
    for pub, workbook_id in zip(order.publishers, ids):
        book = openpyxl.load_workbook(tmp_path / workbook_id)
        assert book.sheetnames == [f"Спецификация — {pub.short}", f"Разнарядка — {pub.short}"]
        spec = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        assert spec[0][0].startswith("Спецификация поставки учебников")
        assert not any("sch099" in str(v) for r in spec for v in r)   # the debtors are the head's business
        assert totals(spec)[3] == "Итого" and totals(spec)[5] == expected[pub.publisher]
        dist = [list(r) for r in book.worksheets[1].iter_rows(values_only=True)]
        assert totals(dist)[4] == expected[pub.publisher]
    # again: the same files are rewritten, not duplicated
    assert sorted(export_publishers(order, store)) == sorted(ids)
    assert len(list(tmp_path.glob("*.xlsx"))) == len(ids)
    # a publisher gone from the order leaves a stale file, which stale_exports names
    smaller = build_order(orders[:1], sample_fpu, academic_year=YEAR)
    gone = {f"Спецификация — {p.short} — 2027-2028.xlsx" for p in order.publishers} - \
        {f"Спецификация — {p.short} — 2027-2028.xlsx" for p in smaller.publishers}
    assert set(stale_exports(smaller, store)) == gone


def test_an_empty_order(small_fpu):
    order = build_order([SchoolRows("sch01", "Школа", [])], small_fpu, academic_year=YEAR)
    assert order.publishers == [] and order.copies == 0
    assert order_tab(order).rows[-1][7] == 0
