"""The core benchmark compares Svod with frictionless on an equivalent schema: on the same
generated district both must flag the same rows of every form (the places differ in
wording, not in where they are)."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import core_bench  # noqa: E402

from sync_service.findings import ORDER_CODES  # noqa: E402
from sync_service.forms.schema import load_schema  # noqa: E402
from sync_service.forms.validation import parse_form  # noqa: E402

SCHOOLS = 12
FIRST_DATA_ROW = 5  # a generated table's data start below its header (row 4)


@pytest.fixture(scope="module")
def district():
    return core_bench.generate(load_schema(), SCHOOLS, seed=3)


def svod_rows(collection, district) -> set[tuple[str, int]]:
    """The rows Svod flags by the form's schema. The order's lookup in the federal list
    (its named check ``fpu_order``) is beyond any schema: without the list it only notes
    that the list is not loaded, on neither side, and its findings are left out here."""
    flagged = set()
    for code, _name, sheets in district:
        for finding in parse_form(collection.form, sheets[collection.key], tab=collection.tab).findings:
            if finding.code not in ORDER_CODES:
                flagged.add((code, 0 if collection.form.shape == "record" else finding.row))
    return flagged


def frictionless_rows(collection, district) -> set[tuple[str, int]]:
    places = []  # (school, sheet row) of each data row, in the order the data has them
    for code, _name, sheets in district:
        if collection.form.shape == "record":
            places.append((code, 0))
        else:
            places += [(code, FIRST_DATA_ROW + i) for i in range(len(sheets[collection.key].rows) - 4)]
    data = core_bench.frictionless_data(collection, district)
    report = core_bench.validate_with_frictionless(collection, data)
    return {places[error.row_number - 2] for error in report.tasks[0].errors}  # row 1 is the header


def test_both_sides_flag_the_same_rows_of_every_form(district):
    collections, schools = district
    flagged_somewhere = 0
    for collection in collections:
        svod, frictionless = svod_rows(collection, schools), frictionless_rows(collection, schools)
        assert svod == frictionless, collection.key
        flagged_somewhere += bool(svod)
    assert flagged_somewhere >= len(collections) // 2  # the district has mistakes to find


def test_the_equivalent_schema_checks_keys_and_rules(district):
    """What the reduced schema left out: a repeated key within a school and a broken rule."""
    collections, schools = district
    by_key = {c.key: c for c in collections}
    school = copy.deepcopy(schools[0])
    rows = school[2]["staffing"].rows
    rows.append(list(rows[4]))  # the first employee once more
    record = school[2]["annual_report"].rows
    labels = {line[0]: line for line in record}
    labels[by_key["annual_report"].form.column("students").label][1] = 100
    labels[by_key["annual_report"].form.column("readers_students").label][1] = 101  # in range, but > students

    def codes(key: str) -> set[str]:
        return {f.code for f in parse_form(by_key[key].form, school[2][key], tab=by_key[key].tab).findings}

    def errors(key: str, full: bool) -> set[str]:
        data = core_bench.frictionless_data(by_key[key], [school], full=full)
        return {e.type for e in core_bench.validate_with_frictionless(by_key[key], data, full=full).tasks[0].errors}

    assert "duplicate-row" in codes("staffing") and "primary-key" in errors("staffing", full=True)
    assert "rule" in codes("annual_report") and "row-constraint" in errors("annual_report", full=True)
    assert not {"primary-key", "row-constraint"} & (errors("staffing", full=False) | errors("annual_report", full=False))
