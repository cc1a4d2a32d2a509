"""The sync's steps one by one: each is a function of values, called here without a run."""
from __future__ import annotations

from sync_service.model import SchoolEntry
from sync_service.stores.base import WorkbookInfo
from sync_service.sync.schools import Known, locate_workbooks, triage


def entry(code: str, workbook: str = "") -> SchoolEntry:
    return SchoolEntry(code, f"Школа {code}", "", "", workbook, True)


LISTING = {info.id: info for info in [
    WorkbookInfo("sch01 МБОУ СОШ №1.xlsx", "sch01 МБОУ СОШ №1", "m1"),
    WorkbookInfo("sch02.xlsx", "sch02", "m2"),
    WorkbookInfo("sch03 a.xlsx", "sch03 a", "m3"), WorkbookInfo("sch03 b.xlsx", "sch03 b", "m3b"),
    WorkbookInfo("sch010 другая.xlsx", "sch010 другая", "m10"),
    WorkbookInfo("книга пятой.xlsx", "книга пятой", "m5"),
]}


def test_a_workbook_is_named_in_the_registry_or_found_by_the_school_code():
    entries = [entry("sch01"), entry("SCH02"), entry("sch03"), entry("sch04"), entry("sch05", "книга пятой")]
    targets = locate_workbooks(entries, LISTING, workbook_id_for=lambda name: f"{name}.xlsx")
    assert targets == {
        "sch01": "sch01 МБОУ СОШ №1.xlsx",  # the code, then a space: not sch010's
        "SCH02": "sch02.xlsx",              # case does not matter
        "sch03": None,                      # two workbooks could be sch03's: neither is taken
        "sch04": None,
        "sch05": "книга пятой.xlsx",        # the «Книга» column wins
    }


def test_only_moved_failed_or_new_workbooks_are_read():
    entries = [entry(code) for code in ("a", "b", "c", "d", "e")]
    targets = {"a": "sch01 МБОУ СОШ №1.xlsx", "b": "sch02.xlsx", "c": "sch03 a.xlsx", "d": "gone.xlsx", "e": None}
    known = {"a": Known(1, "m1"), "b": Known(2, "old"), "c": Known(3, "m3", failed=True), "d": Known(4, "x")}
    chosen = triage(entries, targets, LISTING, known, force=False)
    assert [e.code for e in chosen.unchanged] == ["a"]
    assert [(e.code, wid) for e, wid in chosen.to_read] == [("b", "sch02.xlsx"), ("c", "sch03 a.xlsx")]
    assert [(e.code, wid) for e, wid in chosen.missing] == [("d", "gone.xlsx"), ("e", "")]
    forced = triage(entries, targets, LISTING, known, force=True)
    assert [e.code for e, _ in forced.to_read] == ["a", "b", "c"] and not forced.unchanged
    fresh = triage(entries[:1], targets, LISTING, {}, force=False)  # never seen: read
    assert [e.code for e, _ in fresh.to_read] == ["a"]
