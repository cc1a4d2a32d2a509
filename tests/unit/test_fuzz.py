"""Nothing a librarian (or a broken file, or Google's JSON) puts in a cell makes Svod raise.

Seeded random tabs of every collection: the tabs Svod creates with odd values dropped
anywhere (the flags and the header included), random lines below, empty lines and merged
ranges, every value of every class a store can hand over. Each must parse, hash, store as
JSON in UTF-8 (what SQLite and PostgreSQL take) and consolidate; each finding must read
as a finished Russian sentence with its sheet.
"""
import json
import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sync_service.district.consolidate import SchoolLine, Snapshot, consolidated_tabs
from sync_service.district.registry import default_collections
from sync_service.forms.layout import form_tab
from sync_service.forms.schema import load_schema
from sync_service.forms.table import Table
from sync_service.forms.validation import data_hash, parse_form
from sync_service.stores.base import Sheet

COLLECTIONS = default_collections(load_schema(), "2026/2027")
ODD = [None, "", " ", "\x00", "\ud83d", "a\udfffb", "a" * 5000, "#REF!", "=SUM(A1)", 0, -0.0, 1e308, -1e308,
       float("inf"), float("-inf"), float("nan"), 10 ** 30, -10 ** 30, True, False, date(1, 1, 1), date(9999, 12, 31),
       datetime(2024, 1, 1, tzinfo=UTC), time(10, 30), timedelta(days=3), "1e400", "1" * 400, "٣", "½", "Ⅻ",
       "1 234,5", "12,5 %", "%", "—", "31.02.2024", "0.0.0", "http://", "@", "+7", "x@y", "\n", "\t\t", "да", "нет",
       "1.1.1", "99.99.9999", "-5", "5А", "32 мая 2024", "00.00.00", 45536, -45536, 1e-320, "{column}", "{}"]


@pytest.mark.parametrize("seed", range(6))
def test_no_cell_makes_a_tab_raise(seed):
    rng = random.Random(seed)
    for _ in range(120):
        collection = rng.choice(COLLECTIONS)
        rows = [list(line) for line in form_tab(collection).rows]
        for line in rows:
            for i in range(len(line)):
                if rng.random() < 0.1:
                    line[i] = rng.choice(ODD)
        rows += [[rng.choice(ODD) for _ in range(rng.randint(0, 15))] for _ in range(rng.randint(0, 30))]
        if rng.random() < 0.2:
            rows.insert(rng.randint(0, len(rows)), [])
        merges = []
        for _ in range(rng.choice([0, 0, 1, 3])):
            row, col = rng.randint(1, len(rows)), rng.randint(1, 8)
            merges.append((row, col, row + rng.randint(0, 5), col + rng.randint(0, 3)))
        sheet = Sheet(title=collection.tab, rows=rows, merges=tuple(merges))

        result = parse_form(collection.form, sheet, tab=collection.tab)

        assert len(data_hash(result)) == 64
        stored = json.dumps(result.table.to_json(), ensure_ascii=False).encode("utf-8")
        assert Table.from_json(json.loads(stored)).numbers == result.table.numbers
        assert "\x00" not in stored.decode("utf-8")
        for finding in result.findings:
            assert finding.sheet == collection.tab
            for text in (finding.message, finding.hint):
                text.encode("utf-8")
                assert "{" not in text.replace("{column}", "").replace("{}", ""), text
            # short whatever the cell held (1e308, 400 digits, 5 000 letters): issue 17
            assert len(finding.message) <= 200 and len(finding.hint) <= 600, finding.message
        tabs = consolidated_tabs([collection], [SchoolLine("sch01", "Школа №1")],
                                 {("sch01", collection.key): Snapshot(result.table, result.computed)},
                                 {("sch01", collection.key): "submitted"})
        assert len(tabs) == 2
