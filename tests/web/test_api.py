"""/api/status is the contract of `svod status --json`: its keys, every school × every
collection, statuses and rates computed at the fixed now from the stored facts."""
from datetime import datetime

import pytest

from sync_service.district.status import STATUSES

COLLECTIONS = ["staffing", "textbook_provision", "event_report.month", "library_fund", "textbook_exchange"]

# school: statuses in plan order, at 22.11.2026 09:00 (the district of conftest.py)
STATUS_TABLE = {
    "sch01": ["submitted", "submitted", "submitted_late", "submitted", "in_progress"],
    "sch02": ["submitted_late", "overdue", "overdue", "in_progress", "submitted"],
    "sch03": ["returned", "overdue", "overdue", "not_started", "not_started"],
    "sch04": ["overdue", "submitted", "overdue", "returned", "not_started"],
}

# collection: deadline, expected, reporting rate, on-time rate
RATES_TABLE = [
    ("staffing", "2026-09-30", 4, 50.0, 25.0),
    ("textbook_provision", "2026-09-30", 4, 50.0, 50.0),
    ("event_report.month", "2026-10-31", 4, 25.0, 0.0),
    ("library_fund", "2026-11-30", 4, 25.0, 25.0),
    ("textbook_exchange", None, 4, 25.0, 25.0),
]

# school, collection, deadline, days overdue: longest first
OVERDUE_TABLE = [
    ["sch02", "textbook_provision", "2026-09-30", 53],
    ["sch03", "textbook_provision", "2026-09-30", 53],
    ["sch04", "staffing", "2026-09-30", 53],
    ["sch02", "event_report.month", "2026-10-31", 22],
    ["sch03", "event_report.month", "2026-10-31", 22],
    ["sch04", "event_report.month", "2026-10-31", 22],
]


@pytest.fixture(scope="module")
def report(client):
    response = client.get("/api/status")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_documented_keys_are_there(report):
    assert {"schools", "collections", "submissions", "academic_year", "generated_at", "overdue",
            "last_sync"} <= set(report)
    assert set(report["schools"][0]) >= {"code", "name", "sync_error"}
    assert set(report["collections"][0]) >= {"key", "form", "title", "deadline", "reporting_rate", "on_time_rate",
                                             "expected", "counts"}
    assert set(report["submissions"][0]) >= {"school", "collection", "status", "errors", "submitted_at", "warnings"}
    assert report["academic_year"] == "2026/2027"
    assert report["generated_at"] == "2026-11-22T09:00:00"


def test_only_active_schools_and_plan_collections_in_plan_order(report):
    assert [s["code"] for s in report["schools"]] == ["sch01", "sch02", "sch03", "sch04"]
    assert [c["key"] for c in report["collections"]] == COLLECTIONS


def test_every_school_times_every_collection_once(report):
    pairs = [(s["school"], s["collection"]) for s in report["submissions"]]
    assert sorted(pairs) == sorted((school, key) for school in STATUS_TABLE for key in COLLECTIONS)


def test_statuses_follow_the_table_of_facts(report):
    got = {school: [None] * len(COLLECTIONS) for school in STATUS_TABLE}
    for s in report["submissions"]:
        got[s["school"]][COLLECTIONS.index(s["collection"])] = s["status"]
    assert got == STATUS_TABLE


def test_rates_and_deadlines(report):
    got = [(c["key"], c["deadline"], c["expected"], c["reporting_rate"], c["on_time_rate"])
           for c in report["collections"]]
    assert got == RATES_TABLE


def test_counts_per_status(report):
    staffing = report["collections"][0]
    assert list(staffing["counts"]) == list(STATUSES)
    assert staffing["counts"] == {"not_started": 0, "in_progress": 0, "submitted": 1, "submitted_late": 1,
                                  "returned": 1, "overdue": 1, "unknown": 0, "accepted": 0, "accepted_late": 0,
                                  "changed": 0, "sent_back": 0}


def test_overdue_list(report):
    assert [[o["school"], o["collection"], o["deadline"], o["days_overdue"]] for o in report["overdue"]] == OVERDUE_TABLE


def test_submission_facts(report):
    cell = {(s["school"], s["collection"]): s for s in report["submissions"]}
    assert cell[("sch01", "staffing")]["submitted_at"] == "2026-09-25T12:00:00"
    assert cell[("sch03", "staffing")]["errors"] == 3
    assert cell[("sch01", "library_fund")]["warnings"] == 1
    assert cell[("sch04", "staffing")] == {"school": "sch04", "collection": "staffing", "status": "overdue",
                                           "errors": 0, "warnings": 0, "submitted_at": None, "changed_at": None}


def test_sync_error_and_last_sync(report):
    errors = {s["code"]: s["sync_error"] for s in report["schools"]}
    assert errors == {"sch01": None, "sch02": None, "sch03": "нет книги «sch03.xlsx»", "sch04": None}
    last = report["last_sync"]
    assert (last["status"], last["started_at"], last["finished_at"]) == ("partial", "2026-11-22T08:30:00",
                                                                         "2026-11-22T08:31:00")
    assert (last["schools_failed"], last["failed_schools"], last["head_findings"]) == (1, ["sch03"], 1)


def test_school_and_collection_json(client):
    assert client.get("/api/school/sch03").get_json()["school"]["code"] == "sch03"
    assert client.get("/api/collection/library_fund").get_json()["collection"]["key"] == "library_fund"
    for url in ("/api/school/nope", "/api/collection/nope", "/api/nothing"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.get_json() == {"error": "not_found", "message": "Не найдено"}


def test_healthz(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok", "database": "ok"})


def test_healthz_without_a_database(make_app, tmp_path):
    # A folder is not a database file: SQLite cannot open it.
    app = make_app(database_url=f"sqlite:///{tmp_path}")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (503, {"status": "error", "database": "unavailable"})


def test_statuses_are_computed_now_not_at_sync_time(make_app):
    early = make_app(now=datetime(2026, 9, 15, 9, 0)).test_client().get("/api/status").get_json()
    assert early["overdue"] == []
    cell = {(s["school"], s["collection"]): s["status"] for s in early["submissions"]}
    assert (cell[("sch04", "staffing")], cell[("sch02", "textbook_provision")]) == ("not_started", "in_progress")


def test_another_academic_year(make_app):
    report = make_app(academic_year="2025/2026").test_client().get("/api/status").get_json()
    assert [c["key"] for c in report["collections"]] == ["annual_report"]
    assert len(report["submissions"]) == 4


def test_an_empty_database(make_app):
    report = make_app(data=False).test_client().get("/api/status").get_json()
    assert (report["schools"], report["collections"], report["submissions"], report["overdue"],
            report["last_sync"]) == ([], [], [], [], None)
