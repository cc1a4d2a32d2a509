"""The demo district: deterministic, complete, and showing every status on the first sync.

Statuses are computed here with the pure modules (validation and status) on what the
store reads back, so the test does not depend on the sync orchestration.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime

import pytest

from sync_service.demo.district import MISTAKES, SCENARIOS, build_plan, generate_demo
from sync_service.district.registry import read_registry
from sync_service.district.status import REVIEWED, STATUSES, UNKNOWN, Facts, first_submission, status_of
from sync_service.forms.schema import load_schema
from sync_service.forms.validation import parse_form
from sync_service.stores.base import WorkbookUnavailable
from sync_service.stores.xlsx import XlsxStore

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def schema():
    return load_schema()


@pytest.fixture(scope="module")
def district(tmp_path_factory, schema):
    folder = tmp_path_factory.mktemp("district")
    store = XlsxStore(folder)
    calls = []
    made = generate_demo(store, schema, schools=24, seed=7, today=TODAY, progress=lambda *a: calls.append(a))
    return made, store, calls


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_other_district(tmp_path, schema):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        (tmp_path / name).mkdir()
        generate_demo(XlsxStore(tmp_path / name), schema, schools=12, seed=seed, today=TODAY)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_schools_and_head_workbook(district, schema):
    made, store, calls = district
    assert made.head_workbook_id == "Настройки ОМО.xlsx"
    # 24 active schools and one closed school still listed in the registry
    assert made.school_codes == [f"sch{n:02d}" for n in range(1, 26)]
    assert len({s.name for s in made.schools}) == 25
    assert [s.code for s in made.schools if not s.active] == ["sch25"]
    assert {w.id for w in store.list_workbooks()} == {made.head_workbook_id} | {s.workbook_id for s in made.schools}
    assert calls[-1] == (26, 26, "Настройки ОМО") and len(calls) == 26
    registry = read_registry(store.read(made.head_workbook_id), schema, academic_year="2026/2027")
    assert not [f for f in registry.findings if f.blocking]
    assert [s.code for s in registry.schools] == made.school_codes
    assert [s.workbook for s in registry.schools] == [s.workbook_id for s in made.schools]
    assert registry.schools[0].librarian.count(" ") == 2 and "@" in registry.schools[0].email
    assert {c.key for c in registry.collections} == {c.key for c in made.collections}
    titles = {form.title for form in schema.forms.values()}   # «План» names forms in Russian, keys stay inside
    named = {row[0] for row in store.read(made.head_workbook_id).sheet("План").rows[1:] if row[0]}
    assert named and named <= titles
    assert len(registry.events) >= 3
    assert any("Месячника" in e.title for e in registry.events)


def test_plan_deadlines_on_both_sides_of_today(district, schema):
    made, _, _ = district
    deadlines = {c.key: c.deadline for c in made.collections}
    assert deadlines["staffing"] == date(2026, 9, 30)
    assert deadlines["event_report.month"] == date(2026, 10, 31)
    assert deadlines["library_fund"] == date(2026, 11, 30)
    assert deadlines["textbook_order"] == date(2027, 2, 28)
    assert deadlines["annual_report"] == date(2027, 6, 30)
    assert deadlines["textbook_exchange"] is None
    assert {c.key for c in made.collections} >= {f"event_report.{c.code}" for c in schema.campaigns}


@pytest.mark.parametrize("today", [date(2026, 9, 2), date(2027, 8, 30), date(2027, 1, 15)])
def test_any_day_has_deadlines_before_and_after(schema, today):
    year, collections, _ = build_plan(schema, today)
    dated = [c.deadline for c in collections if c.deadline]
    assert min(dated) < today <= max(dated)
    assert year == (f"{today.year}/{today.year + 1}" if today.month >= 9 else f"{today.year - 1}/{today.year}")


def test_every_scenario_and_mistake_is_used(district):
    made, _, _ = district
    assert set(made.scenarios.values()) == set(SCENARIOS)
    shown = Counter(q for quirks in made.quirks.values() for q in quirks)
    assert set(MISTAKES) <= set(shown)
    assert {"alias_header", "extra_column", "blank_rows", "merged_grade", "short_date", "spaced_number"} <= set(shown)


def test_the_broken_workbook(district):
    made, store, _ = district
    [code] = made.corrupt
    workbook_id = next(s.workbook_id for s in made.schools if s.code == code)
    with pytest.raises(WorkbookUnavailable):
        store.read(workbook_id)


def test_first_sync_shows_every_status(district, schema):
    made, store, _ = district
    now = datetime.combine(TODAY, datetime.min.time()).replace(hour=9)
    statuses = Counter()
    expected = {"on_time": {"submitted"}, "late": {"submitted_late"}, "mistakes": {"returned"},
                "draft": {"in_progress", "overdue"}, "empty": {"not_started", "overdue"}, "deleted_tab": {"overdue"}}
    for school in made.schools:
        if not school.active or school.code in made.corrupt:
            continue
        workbook = store.read(school.workbook_id)
        for collection in made.collections:
            result = parse_form(collection.form, workbook.sheet(collection.tab), tab=collection.tab, context={})
            submitted = first_submission(None, ready=result.ready, errors=result.errors, has_data=result.has_data,
                                         ready_date=result.ready_date, now=now)
            status = status_of(Facts(result.ready, result.errors, result.has_data, submitted), collection.deadline,
                               TODAY)
            scenario = made.scenarios[(school.code, collection.key)]
            assert status in expected[scenario], (school.code, collection.key, scenario, result.findings)
            statuses[status] += 1
    assert set(statuses) == set(STATUSES) - {UNKNOWN, *REVIEWED}  # every workbook read here: nothing unknown
