"""An order tab of 100 000 lines with the federal list loaded: the findings are bounded at
the source (issue 17), and no line that has a blocking finding reaches the order — those
summed up past the first twenty neither."""
from __future__ import annotations

from sqlalchemy import func, select

from sync_service import db as m
from sync_service.forms.validation import parse_form
from sync_service.order import commands
from sync_service.order.queries import load_order
from sync_service.sync.run import run_sync
from tests.integration.district import YEAR, build_district, fill
from tests.order.test_checks import FORM, sheet


def test_a_hundred_thousand_unknown_codes_are_twenty_findings_and_one_more(small_fpu):
    lines = [[f"9.9.9.{i}", "", "Учебник", 5, "", 10] for i in range(100_000)]
    result = parse_form(FORM, sheet(*lines), tab=FORM.tab,
                        context={"academic_year": YEAR, "fpu": small_fpu, "students_by_grade": {}})
    assert [f.code for f in result.findings] == ["fpu-unknown-code"] * 20 + ["more-findings"]
    assert [f.address for f in result.findings[:2]] == ["A5", "A6"]
    more = result.findings[-1]
    assert (more.severity, more.row, more.address, more.column_key) == ("error", 25, "A25:A100004", "fpu_code")
    assert more.message == "И ещё 99\u202f980 таких же в столбце «Код ФПУ»: столбец A, строки 25–100\u202f004"
    assert "ячейке A24" in more.hint
    # what they stand for is all there: every error counted, every row kept out of the order
    assert result.errors == 100_000 and result.warnings == 0
    assert result.blocked_rows == frozenset(range(5, 100_005))


def test_rows_past_the_first_twenty_stay_out_of_the_order(tmp_path):
    district = build_district(tmp_path / "district", schools=1)
    commands.fpu_import(district.svod.db, commands.sample_fpu_path())
    good = [["1.1.2.1.1.1", None, None, 5, None, 7, None]]
    broken = [["1.1.2.1.1.1", None, None, 5, None, "много", None] for _ in range(30)]  # copies: not a number
    fill(district, "sch01", "textbook_order", rows=good + broken)
    assert run_sync(district.svod).status == "ok"
    with district.svod.db.session() as session:
        kinds = session.execute(select(m.FindingRecord.code, func.count()).where(
            m.FindingRecord.form == "textbook_order", m.FindingRecord.column_key == "copies")
            .group_by(m.FindingRecord.code)).all()
        submission = session.scalar(select(m.Submission).join(m.Collection).where(
            m.Collection.key == "textbook_order"))
        order = load_order(session, YEAR, now=district.svod.clock())
    # 20 of each kind (the type errors; the repeats, a warning), then one for the rest of it
    assert dict(kinds) == {"type": 20, "order-duplicate": 20, "more-findings": 2}
    assert submission.errors == 30 and submission.blocked() == set(range(6, 36))
    assert [(line.entry.code, line.copies, line.rows) for line in order.lines] == [("1.1.2.1.1.1", 7, (5,))]
