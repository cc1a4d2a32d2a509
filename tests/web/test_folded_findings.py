"""The pages show findings summed up at the source well (issue 17): a school whose order
tab had 100 000 unknown codes stores 20 findings and one «more-findings» standing for
99 980; its page counts 100 000, groups them as one, and the group's page ends with the
line that sums up the rest."""
from __future__ import annotations

import re

from sync_service import db as m
from sync_service.forms.validation import parse_form
from sync_service.order.fpu import FpuIndex
from sync_service.sync.records import finding_record
from tests.order.conftest import ENTRIES
from tests.order.test_checks import FORM, sheet
from tests.web.conftest import YEAR


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", html.replace("\u202f", " ").replace("\u00a0", " "))


def test_a_school_with_a_hundred_thousand_unknown_codes(make_app):
    app = make_app(data=False)
    result = parse_form(FORM, sheet(*[[f"9.9.9.{i}", "", "Учебник", 5, "", 10] for i in range(100_000)]),
                        tab=FORM.tab, context={"academic_year": YEAR, "fpu": FpuIndex(ENTRIES, version=1, source="t")})
    with app.extensions["svod"].db.session() as session:
        school = m.School(code="sch01", name="МБОУ СОШ № 1")
        order = m.Collection(key="textbook_order", form="textbook_order", tab=FORM.tab, title="Заказ учебников",
                             position=0, academic_year=YEAR)
        session.add_all([school, order])
        session.flush()
        session.add(m.Submission(school_id=school.id, collection_id=order.id, ready=True, has_data=True,
                                 errors=result.errors, warnings=result.warnings))
        session.add_all([finding_record(school.id, order.id, f) for f in result.findings])
    client = app.test_client()
    with app.extensions["svod"].db.session() as session:
        assert session.query(m.FindingRecord).count() == 21
    html = plain(client.get("/school/sch01").get_data(as_text=True))
    assert "Ошибок: 100 000, предупреждений: 0." in html
    assert "и ещё 99 995 таких же в столбце «Код ФПУ»" in html
    api = client.get("/api/school/sch01").get_json()
    (group,) = api["findings"][0]["groups"]
    assert (group["code"], group["total"], group["more"]) == ("fpu-unknown-code", 100_000, 99_995)
    url = "/school/sch01/findings?collection=textbook_order&column=fpu_code&finding=fpu-unknown-code"
    page = plain(client.get(url).get_data(as_text=True))
    assert "Все такие замечания в столбце «Код ФПУ»: 100 000" in page
    assert "И ещё 99 980 таких же в столбце «Код ФПУ»: столбец A, строки 25–100 004" in page
    listed = client.get("/api" + url).get_json()["findings"]
    assert len(listed) == 21 and listed[-1]["address"] == "A25:A100004"
