"""The publisher's specification on the Google backend, through the emulator: the same
document as the .xlsx (title at A1, no note of the head's, the sum in words, the
signatures) with its title rows merged. Print settings are not in the Sheets API: the
person sets them in «Файл → Печать» (docs/orders.md)."""
from __future__ import annotations

from sync_service.order.consolidate import export_publishers
from tests.google.conftest import store_for
from tests.google.test_store import cells, metadata
from tests.order.test_documents import CUSTOMER, PRICES, the_order


def test_the_specification_on_google_is_the_same_document(emu):
    store = store_for(emu)
    order = the_order(PRICES)
    ids = export_publishers(order, store)
    titles = {info.id: info.title for info in store.list_workbooks()}
    workbook_id = next(i for i in ids if titles[i] == "Спецификация — Просвещение — 2027-2028")
    rows = cells(emu, workbook_id, "'Спецификация — Просвещение'!A1:H30", render="UNFORMATTED_VALUE")
    assert rows[0][0] == "Спецификация поставки учебников на 2027/2028 учебный год"
    assert rows[2][0] == f"Заказчик: {CUSTOMER}"
    flat = " ".join(str(v) for r in rows for v in r)
    assert "⚠" not in flat and "sch03" not in flat and "Не сдали" not in flat
    assert [r[1] for r in rows[7:11]] == ["1.1.2.1.1.1", "1.1.2.1.1.3.1", "1.1.2.1.1.10.1", "1.1.2.3.1.1"]
    assert rows[14][0] == "(Восемьдесят шесть тысяч двести пятьдесят семь рублей 30 копеек)."
    assert (rows[16][0], rows[16][4]) == ("Заказчик:", "Поставщик:") and rows[20][0] == "М.П."
    sheets = {s["properties"]["title"]: s for s in metadata(emu, workbook_id)["sheets"]}
    merges = {(m["startRowIndex"], m["startColumnIndex"], m["endRowIndex"], m["endColumnIndex"])
              for m in sheets["Спецификация — Просвещение"].get("merges", [])}
    assert {(0, 0, 1, 8), (4, 0, 5, 8), (13, 0, 14, 8), (14, 0, 15, 8), (16, 0, 17, 4), (16, 4, 17, 8)} <= merges
    assert sheets["Спецификация — Просвещение"]["properties"]["gridProperties"]["frozenRowCount"] == 7
    # the header and the authors' and titles' cells wrap their text
    grid = metadata(emu, workbook_id, "sheets(properties(title),data(rowData(values(userEnteredFormat(wrapStrategy)))))")
    data = next(s for s in grid["sheets"] if s["properties"]["title"] == "Спецификация — Просвещение")["data"][0]
    wraps = [[(v.get("userEnteredFormat") or {}).get("wrapStrategy") for v in r.get("values", [])]
             for r in data["rowData"]]
    assert wraps[6][:8] == ["WRAP"] * 8 and wraps[7][2:4] == ["WRAP", "WRAP"] and wraps[7][5] != "WRAP"
    # exported again: rewritten in place, the merges not doubled
    export_publishers(order, store)
    again = {s["properties"]["title"]: s for s in metadata(emu, workbook_id)["sheets"]}
    assert len(again["Спецификация — Просвещение"]["merges"]) == len(sheets["Спецификация — Просвещение"]["merges"])


def test_the_specifications_table_is_ruled_on_google_too(emu):
    store = store_for(emu)
    ids = export_publishers(the_order(PRICES), store)
    titles = {info.id: info.title for info in store.list_workbooks()}
    workbook_id = next(i for i in ids if titles[i] == "Спецификация — Просвещение — 2027-2028")
    grid = metadata(emu, workbook_id, "sheets(properties(title),data(rowData(values(userEnteredFormat(borders)))))")
    data = next(s for s in grid["sheets"] if s["properties"]["title"] == "Спецификация — Просвещение")["data"][0]
    ruled = [[set((v.get("userEnteredFormat") or {}).get("borders") or {}) for v in r.get("values", [])]
             for r in data["rowData"]]
    sides = {"top", "bottom", "left", "right"}
    table = ruled[6:12]   # the header (row 7) to «Итого» (row 12)
    assert all(len(row) >= 8 and all(cell == sides for cell in row[:8]) for row in table)
    assert not any(cell for row in ruled[:6] + ruled[12:] for cell in row)
