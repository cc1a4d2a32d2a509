"""No personal data on any page or in the API.

The district of conftest.py plants librarians' names and e-mails (School rows), staffing
rows with names, phones, e-mails and birth dates (SubmissionVersion rows), findings whose
messages quote a name or an e-mail, and a head finding quoting an e-mail.
"""
import json

import pytest

from sync_service import db as m
from sync_service.district.report import public_finding
from sync_service.findings import Finding, make_finding
from sync_service.forms.schema import load_schema

SCHOOLS = ["sch01", "sch02", "sch03", "sch04", "sch09", "sch10", "nope"]
COLLECTIONS = ["staffing", "textbook_provision", "event_report.month", "library_fund", "textbook_exchange", "nope"]
URLS = (["/", "/api/status", "/healthz", "/debtors.txt", "/plan", "/api/plan", "/api/rates", "/?status=returned",
         "/debtors.txt?collection=staffing"]
        + [f"/school/{code}" for code in SCHOOLS] + [f"/api/school/{code}" for code in SCHOOLS]
        + [f"/collection/{key}" for key in COLLECTIONS] + [f"/api/collection/{key}" for key in COLLECTIONS]
        + [f"{prefix}/school/sch03/findings?collection=staffing&column={column}&finding={code}"
           for prefix in ("", "/api") for column, code in (("email", "type"), ("full_name", "pattern"), ("", "duplicate-row"))])


def seen(response) -> str:
    if response.mimetype == "application/json":
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def test_the_district_really_holds_personal_data(app, personal):
    with app.extensions["svod"].db.session() as session:
        stored = json.dumps([
            [s.librarian, s.email] for s in session.query(m.School)] + [
            v.rows for v in session.query(m.SubmissionVersion)] + [
            f.message for f in session.query(m.FindingRecord)] + [
            r.head_findings for r in session.query(m.SyncRun)], ensure_ascii=False)
    assert [value for value in personal if value not in stored] == ["17.05.1980"]  # stored as 1980-05-17


@pytest.mark.parametrize("url", URLS)
def test_no_personal_data(client, personal, url):
    body = seen(client.get(url))
    assert [value for value in personal if value in body] == []


STAFFING = load_schema().forms["staffing"]


def record(finding) -> m.FindingRecord:
    return m.FindingRecord(code=finding.code, severity=finding.severity, form=finding.form, sheet=finding.sheet,
                           row=finding.row, column=finding.column, column_key=finding.column_key,
                           address=finding.address, message=finding.message, hint=finding.hint)


# code, column key, params -> is the message replaced?
@pytest.mark.parametrize("code, column_key, params, hidden", [
    ("type", "email", {"value": "x@", "expected": "адрес"}, True),
    ("pattern", "full_name", {"value": "Имя1", "pattern_message": "буквами"}, True),
    ("choice", "full_name", {"value": "Имя"}, True),
    ("required", "phone", {}, False),           # says nothing typed
    ("missing-column", "email", {}, False),
    ("range", "rate", {"value": 3, "bounds": "до 2"}, False),  # not a personal column
    ("duplicate-row", None, {"keys": "Иванова", "first_row": 5}, True),  # ФИО is the staffing key
])
def test_public_finding_hides_quoted_personal_values(code, column_key, params, hidden):
    column = STAFFING.column(column_key).label if column_key else None
    finding = make_finding(code, form="staffing", sheet="Кадры", row=5, column=column, column_key=column_key,
                           address="B5" if column_key else None, **params)
    shown = public_finding(record(finding), STAFFING)
    if hidden:
        assert "персональные данные здесь не показываются" in shown["message"]
    else:
        assert shown["message"] == finding.message
    assert (shown["address"], shown["column_key"], shown["hint"]) == (finding.address, finding.column_key,
                                                                      finding.hint)


def test_an_unknown_code_on_a_personal_column_hides_message_and_hint():
    finding = Finding(code="some-future-check", message="«+7 900» плохой", hint="«+7 900» исправьте",
                      column="Телефон", column_key="phone", address="J5", form="staffing", sheet="Кадры")
    shown = public_finding(record(finding), STAFFING)
    assert (shown["message"], shown["hint"]) == (
        "Значение в столбце «Телефон» заполнено неверно (персональные данные здесь не показываются)",
        "Исправьте значение (ячейка J5) в книге школы.")


def test_a_repeated_row_of_a_personal_key_is_called_a_repeat_not_a_wrong_value():
    """As the sync records it: on the key's column (ФИО), with the key quoted in the message."""
    finding = make_finding("duplicate-row", form="staffing", sheet="Кадры", row=9, column="ФИО",
                           column_key="full_name", address="A9", keys="ФИО: Иванова Анна", first_row=7)
    shown = public_finding(record(finding), STAFFING)
    assert shown["message"] == "Повторяется строка 9 — уже есть в строке 7 (персональные данные здесь не показываются)"
    assert "Иванова" not in shown["message"] + shown["hint"] and "заполнено неверно" not in shown["message"]
