"""A «Проверка» that could not be written is that school's visible error, retried by every
sync until it is written — on a real .xlsx file the system refuses to replace.

The file is made immutable (``chattr +i``): reading it works, replacing it fails with EPERM
even for root (the tests run as root, so permissions would not stop the write)."""
from __future__ import annotations

import json
import subprocess
from contextlib import contextmanager

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sync_service import db as m
from sync_service.cli import cli
from sync_service.district.reminders import compose_reminders, read_district
from sync_service.sync.run import describe, run_sync
from tests.factory import make_app
from tests.integration.district import NOW, YEAR, build_district, fill


@contextmanager
def immutable(path):
    """``path`` cannot be replaced, renamed or written while inside (by anyone, root too)."""
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"this file system has no immutable flag: {made.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def status_json(district) -> dict:
    settings = district.svod.settings
    env = {"SVOD_WORKBOOKS_DIR": str(settings.workbooks_dir), "DATABASE_URL": settings.database_url,
           "SVOD_LOCK_FILE": str(settings.lock_file), "SVOD_ACADEMIC_YEAR": YEAR}
    result = CliRunner().invoke(cli, ["status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    return {s["code"]: s for s in json.loads(result.output)["schools"]}


def digest(district) -> str:
    with district.svod.db.session() as session:
        messages = compose_reminders(read_district(session, YEAR), today=NOW.date(), days_before=3,
                                     public_url="http://svod.example", head_email="head@example.ru")
    return next(m.body for m in messages if not m.school)


def has_check(district, code) -> bool:
    return "Проверка" in openpyxl.load_workbook(district.path(code)).sheetnames


def test_a_check_the_system_refuses_is_the_schools_error_until_it_is_written(tmp_path):
    district = build_district(tmp_path / "district", schools=3)
    fill(district, "sch02", "library_fund")
    web = make_app(district.svod, SVOD_PAGE_CACHE=False).test_client()
    with immutable(district.path("sch02")):
        summary = run_sync(district.svod)
        assert (summary.status, summary.read, summary.failed, summary.checks_written) == ("partial", 2, 1, 2)
        reason = summary.failures["sch02"]
        assert reason.startswith("лист «Проверка» не записан: не удалось записать файл")
        assert "с ошибкой 1" in describe(summary) and not has_check(district, "sch02")

        # the workbook was read: its data counts, only the «Проверка» is missing
        school = status_json(district)["sch02"]
        assert (school["sync_error"], school["sync_error_kind"]) == (reason, "write")
        assert school["sync_error_at"] == NOW.isoformat()
        page = web.get("/").get_data(as_text=True)
        assert "⚠ «Проверка» не записана" in page and reason in page
        page = web.get("/school/sch02").get_data(as_text=True)
        assert "Svod не смог записать лист «Проверка» в книгу школы" in page
        assert f"• МБОУ СОШ №2 (sch02): {reason}" in digest(district)
        with district.svod.db.session() as session:
            run = session.scalars(select(m.SyncRun)).one()
            outcome = session.scalars(select(m.SyncOutcome).join(m.School).where(m.School.code == "sch02")).one()
            assert (run.status, run.schools_failed, outcome.outcome, outcome.error) == ("partial", 1, "failed", reason)
            fund = session.scalars(select(m.Submission).join(m.School).where(m.School.code == "sch02")
                                   .join(m.Collection).where(m.Collection.key == "library_fund")).one()
            assert fund.ready and fund.version == 1

        # nothing changed in the workbook: the next sync tries again (and says so again)
        summary = run_sync(district.svod)
        assert (summary.status, summary.read, summary.unchanged, summary.failed) == ("partial", 0, 2, 1)
        assert summary.failures == {"sch02": reason}

    summary = run_sync(district.svod)  # the way is clear: written, and the error is gone
    assert (summary.status, summary.unchanged, summary.failed, summary.checks_written) == ("ok", 3, 0, 1)
    assert has_check(district, "sch02")
    assert status_json(district)["sch02"]["sync_error"] is None
    assert "не записан" not in digest(district)
    assert run_sync(district.svod).checks_written == 0  # written once: not again
