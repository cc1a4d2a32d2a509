"""The clock's jobs: registered with the configured times, each run recorded in job_runs.
The job functions are run directly: no test waits for the clock."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from jobs import scheduler as clock
from jobs.models import JobRun
from sync_service import db as m
from sync_service.sync.run import sync_lock
from tests.integration.district import build_district

NOW = datetime(2026, 11, 22, 9, 0)


@pytest.fixture
def svod(svod_factory, tmp_path):
    return svod_factory(tmp_path, now=NOW, academic_year="2026/2027", sync_interval_minutes=7, reminder_hour=6,
                        timezone="Asia/Yekaterinburg")


def job_runs(svod) -> list[tuple[str, str]]:
    with svod.db.session() as session:
        return [(r.job, r.outcome) for r in session.scalars(select(JobRun).order_by(JobRun.id))]


@pytest.fixture
def started():
    """Build the clock's scheduler and start it paused (a background one: the clock's blocks)."""
    made = []

    def factory(svod, **options):
        scheduler = clock.build_scheduler(svod, scheduler_class=BackgroundScheduler, **options)
        scheduler.start(paused=True)
        made.append(scheduler)
        return {job.id: job for job in scheduler.get_jobs()}
    yield factory
    for scheduler in made:
        scheduler.shutdown(wait=False)


def test_the_clock_is_a_blocking_scheduler_in_the_associations_time_zone(svod):
    scheduler = clock.build_scheduler(svod)
    assert isinstance(scheduler, BlockingScheduler)
    assert str(scheduler.timezone) == "Asia/Yekaterinburg"


def test_jobs_are_registered_with_the_configured_times(svod, started):
    jobs = started(svod)
    assert set(jobs) == {"sync", "reminders", "export", "requests"}
    sync = jobs["sync"]
    assert isinstance(sync.trigger, IntervalTrigger) and sync.trigger.interval == timedelta(minutes=7)
    assert sync.args == ("sync",)
    reminders, export = jobs["reminders"].trigger, jobs["export"].trigger
    assert isinstance(reminders, CronTrigger) and isinstance(export, CronTrigger)
    fields = {f.name: str(f) for f in reminders.fields}
    assert (fields["hour"], fields["minute"]) == ("6", "0")
    fields = {f.name: str(f) for f in export.fields}
    assert (fields["hour"], fields["minute"]) == (str(clock.EXPORT_HOUR), str(clock.EXPORT_MINUTE))
    for job in (jobs["sync"], jobs["reminders"], jobs["export"]):
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 60
        assert str(job.next_run_time.tzinfo) == "Asia/Yekaterinburg"
    assert jobs["reminders"].next_run_time.hour == 6


def test_the_first_sync_runs_at_start_unless_asked_not_to(svod, started):
    now = datetime.now(ZoneInfo("Asia/Yekaterinburg"))
    assert started(svod)["sync"].next_run_time - now < timedelta(seconds=30)
    assert started(svod, sync_at_start=False)["sync"].next_run_time - now > timedelta(minutes=6)


def test_export_job_is_recorded(svod):
    row = clock.Runner(svod).run("export")
    assert (row.outcome, row.message.split(" (")[0]) == ("ok", "Выгрузка базы данных: svod-2026-11-22.sqlite3")
    assert (svod.settings.export_dir / "svod-2026-11-22.sqlite3").is_file()
    assert job_runs(svod) == [("export", "ok")]
    with svod.db.session() as session:
        run = session.scalars(select(JobRun)).one()
        assert run.started_at == NOW and run.finished_at == NOW


def test_a_busy_lock_skips_the_sync_and_says_so(svod):
    with sync_lock(svod.settings.lock_file):
        row = clock.Runner(svod).run("sync")
    assert row.outcome == "skipped"
    assert row.message == "Синхронизация уже идёт в другом процессе; этот запуск пропущен."
    with svod.db.session() as session:
        assert session.scalars(select(m.SyncRun)).all() == []


def test_a_failing_job_is_recorded_and_the_clock_goes_on(svod, monkeypatch):
    def broken(_svod, _stop):
        raise RuntimeError("диск заполнен")

    monkeypatch.setitem(clock.JOBS, "export", broken)
    row = clock.Runner(svod).run("export")
    assert (row.outcome, row.message) == ("failed", "Ошибка: диск заполнен")


def test_a_sync_that_cannot_read_the_head_workbook_is_a_failed_run(svod):
    row = clock.Runner(svod).run("sync")
    assert row.outcome == "failed"
    assert "Не удалось прочитать книгу руководителя ОМО" in row.message


def test_reminders_job_without_smtp_is_a_dry_run(svod, capsys):
    row = clock.Runner(svod).run("reminders")
    assert (row.outcome, row.message) == ("ok", "Пробный режим: писем подготовлено 0, ничего не отправлено.")


def test_a_sync_asked_to_stop_stops_at_a_school_boundary(tmp_path):
    district = build_district(tmp_path / "books", schools=3)
    runner = clock.Runner(district.svod, stop=threading.Event())
    runner.stop.set()
    row = runner.run("sync")
    assert row.outcome == "interrupted"
    with district.svod.db.session() as session:
        run = session.scalars(select(m.SyncRun)).one()
        assert run.status == "interrupted" and run.finished_at is not None
        assert len(session.scalars(select(m.SyncOutcome)).all()) == 1  # stopped after the first school
    assert runner.wait_idle(0)
    district.svod.db.dispose()
