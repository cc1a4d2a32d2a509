"""A whole sync on real .xlsx workbooks with the sample list imported: the school sees
the order's findings at their cells, the consolidated workbook gets the order's tabs."""
from __future__ import annotations

import openpyxl
from sqlalchemy import select

from sync_service import db as m
from sync_service.order import commands
from sync_service.sync.run import run_sync
from tests.integration.district import CONSOLIDATED, build_district, fill

# Код ФПУ, Авторы, Название, Класс, Издательство, Количество, Примечание
ORDER = [
    ["1.1.2.1.1.1", None, None, 5, None, 50, None],           # 5: Ладыженская, 5 кл.: fine (lookup note)
    ["1.1.2.1.1.1", None, None, 5, None, 8, None],            # 6: repeat: summed, warning
    ["9.9.9.9", None, "Математика Мерзляк", 5, None, 10, None],  # 7: unknown code
    ["1.1.2.1.1.2", None, None, 8, None, 20, None],           # 8: the 6th-grade book for grade 8
    ["1.1.2.3.2.1", None, None, 5, None, 45, None],           # 9: Мерзляк 5 кл. (ВЕНТАНА-ГРАФ)
]


def test_sync_with_the_order(tmp_path):
    district = build_district(tmp_path / "district", schools=2)
    commands.fpu_import(district.svod.db, commands.sample_fpu_path())
    fill(district, "sch01", "textbook_provision")                    # 50 students in grade 5
    fill(district, "sch01", "textbook_order", rows=ORDER)
    summary = run_sync(district.svod)
    assert summary.status == "ok"
    with district.svod.db.session() as session:
        found = sorted((f.row, f.column_key, f.code) for f in session.scalars(
            select(m.FindingRecord).where(m.FindingRecord.form == "textbook_order")))
    assert found == sorted([
        (5, "title", "fpu-lookup"), (6, "title", "fpu-lookup"), (6, "copies", "order-duplicate"),
        (5, "copies", "order-exceeds-students"),                      # 58 > 50 + 10 %
        (7, "fpu_code", "fpu-unknown-code"), (8, "grade", "fpu-grade"), (8, "title", "fpu-lookup"),
        (9, "title", "fpu-lookup"),
    ])
    check = [row for row in district.values("sch01", "Проверка") if row and any(
        isinstance(v, str) and "9.9.9.9" in v for v in row)]
    assert check, "the unknown code is on the school's «Проверка» tab"
    book = openpyxl.load_workbook(district.folder / CONSOLIDATED)
    assert {"Заказ", "Заказ по школам", "Спецификация — Просвещение", "Разнарядка — Просвещение",
            "Спецификация — ВЕНТАНА-ГРАФ", "Обеспеченность — итоги", "Обмен"} <= set(book.sheetnames)
    spec = [r for r in book["Спецификация — Просвещение"].iter_rows(values_only=True)]
    # sch01 ticked «Готово» with errors: returned, its valid rows still count; the head reads
    # that on «Заказ», the publisher's specification starts with its title
    head = [r for r in book["Заказ"].iter_rows(values_only=True)]
    assert head[0][0] == "⚠ Не сдали заказ (2): sch01 МБОУ СОШ №1 (возвращён); sch02 МБОУ СОШ №2 (не начат)"
    assert spec[0][0] == "Спецификация поставки учебников на 2027/2028 учебный год"
    assert not any("⚠" in str(v) for r in spec for v in r)
    assert next(r for r in spec if r[3] == "Итого")[5] == 58            # rows 5 + 6; rows 7 and 8 are out
    vent = [r for r in book["Спецификация — ВЕНТАНА-ГРАФ"].iter_rows(values_only=True)]
    assert next(r for r in vent if r[3] == "Итого")[5] == 45
    assert book["Спецификация — Просвещение"].print_title_rows == "$7:$7"
