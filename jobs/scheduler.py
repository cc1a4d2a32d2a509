"""The clock: APScheduler's BlockingScheduler in the association's time zone.

Three jobs, each run recorded in ``job_runs``, and the head's requests:

| job | when | what |
|---|---|---|
| ``sync`` | every ``SVOD_SYNC_INTERVAL_MINUTES``, and once at start | :func:`sync_service.sync.run.run_sync` under the cross-process lock; a busy lock is logged and the run «skipped» |
| ``requests`` | every :data:`REQUEST_POLL_SECONDS` | when «Обновить сейчас» left a request (:mod:`sync_service.sync.requests`) and no sync runs, the ``sync`` job at once (recorded as such); an idle poll is two small queries and records nothing; a preview of the year's turn the head asked for (``year_preview``) is made the same way |
| ``reminders`` | daily at ``SVOD_REMINDER_HOUR``:00 | :func:`sync_service.district.reminders.send_reminders` |
| ``export`` | nightly at 02:30 | :func:`jobs.export.export_database` into ``SVOD_EXPORT_DIR``, keeping the last 14 |

Every job coalesces missed runs into one, never runs twice at once, and is still run
when the clock was down at its time for less than its grace period.

Shutdown (SIGTERM, SIGINT): no new runs start; a running sync stops at the next school
boundary (what it stored so far is committed school by school; the run is then marked
«interrupted», as the next sync would do); other jobs get :data:`SHUTDOWN_GRACE_SECONDS`
to finish, after which the process leaves anyway — every write is a transaction, so the
database stays consistent.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from sync_service import db as m
from sync_service.context import Svod
from sync_service.sync import requests
from sync_service.sync.run import SyncBusy, describe, run_sync, sync_lock
from web.publish import publish_status

from .models import FAILED, INTERRUPTED, OK, RUNNING, SKIPPED, JobRun

log = logging.getLogger("svod.jobs")

EXPORT_HOUR, EXPORT_MINUTE = 2, 30
# How often the clock looks for «Обновить сейчас»: the head waits at most this long.
REQUEST_POLL_SECONDS = 3
SHUTDOWN_GRACE_SECONDS = 20
JOB_TITLES = {"sync": "синхронизация", "reminders": "напоминания", "export": "выгрузка базы данных",
              "requests": "запросы «Обновить сейчас»"}

Outcome = tuple[str, str]  # (outcome, Russian message)


class ShutdownRequested(BaseException):
    """Raised inside a sync at a school boundary when the process is asked to stop.

    A BaseException on purpose: the sync's own ``except Exception`` would record it as an
    internal failure; this way it leaves the run exactly as a killed process would, and
    the clock marks it «interrupted»."""


# --- the jobs ----------------------------------------------------------------------------------

def sync_job(svod: Svod, stop: threading.Event | None = None, trigger: str = "clock") -> Outcome:
    def check_stop(_done: int, _total: int, _code: str, _outcome: str) -> None:
        if stop is not None and stop.is_set():
            raise ShutdownRequested()

    ask_for_due_turn(svod)
    try:
        summary = run_sync(svod, trigger=trigger, progress=check_stop, publish=publish_status)
    except SyncBusy:
        log.info("sync skipped: another sync holds the lock")
        return SKIPPED, "Синхронизация уже идёт в другом процессе; этот запуск пропущен."
    except ShutdownRequested:
        mark_interrupted_syncs(svod)
        return INTERRUPTED, "Синхронизация остановлена при завершении процесса; продолжится при следующем запуске."
    outcome = FAILED if summary.status == "failed" else OK
    return outcome, describe(summary)


def ask_for_due_turn(svod: Svod) -> str | None:
    """On and after 1 September, when the head's «План» has rows for the year that began,
    ask for the turn to it; the sync that follows runs it first (sync_service/yearturn/)."""
    from sync_service.yearturn.run import due_year, request_turn

    now = svod.clock()
    year = due_year(svod, now.date())
    if year is not None:
        log.info("the head's plan has rows for %s, which has begun: turning the year", year)
        request_turn(svod.db, year, svod.academic_year, now, by="clock")
    return year


def mark_interrupted_syncs(svod: Svod) -> int:
    """Mark runs left «running» as interrupted, if no sync holds the lock (else it will do so)."""
    try:
        with sync_lock(svod.settings.lock_file, svod.settings.database_url), svod.db.session() as session:
            stale = list(session.scalars(select(m.SyncRun).where(m.SyncRun.status == "running")))
            for run in stale:
                run.status, run.finished_at = "interrupted", svod.clock()
                run.error = "Синхронизация остановлена при завершении процесса; сохранённое до остановки сохранено."
            return len(stale)
    except SyncBusy:
        return 0


def reminders_job(svod: Svod, stop: threading.Event | None = None) -> Outcome:
    from sync_service.district.reminders import send_reminders

    result = send_reminders(svod)
    return (FAILED if result.failed else OK), result.describe()


def export_job(svod: Svod, stop: threading.Event | None = None) -> Outcome:
    from .export import export_database

    path = export_database(svod.db, svod.settings.export_dir, svod.clock().date())
    return OK, f"Выгрузка базы данных: {path.name} ({path.stat().st_size // 1024} КБ)"


def lock_free(svod: Svod) -> bool:
    """No sync holds the lock right now (in this process or any other)."""
    try:
        with sync_lock(svod.settings.lock_file, svod.settings.database_url):
            return True
    except SyncBusy:
        return False


def year_preview_job(svod: Svod, stop: threading.Event | None = None) -> Outcome:
    """«Показать, что изменится»: the dry run of the year's turn the head asked for."""
    from sync_service.yearturn.run import make_preview

    try:
        with sync_lock(svod.settings.lock_file, svod.settings.database_url):
            made = make_preview(svod)
    except SyncBusy:
        return SKIPPED, "Синхронизация идёт: предпросмотр перехода будет сделан после неё."
    return OK, "Предпросмотр перехода на новый учебный год готов." if made else "Предпросмотра никто не просил."


JOBS: dict[str, Callable[..., Outcome]] = {
    "sync": sync_job, "reminders": reminders_job, "export": export_job, "year_preview": year_preview_job}


# --- recording runs ------------------------------------------------------------------------------

class Runner:
    """Runs jobs by name, records each run in ``job_runs``, and knows which are running."""

    def __init__(self, svod: Svod, stop: threading.Event | None = None):
        self.svod = svod
        self.stop = stop or threading.Event()
        self._active: dict[int, str] = {}
        self._changed = threading.Condition()

    def run(self, job: str, **options) -> JobRun:
        with self.svod.db.session() as session:
            row = JobRun(job=job, started_at=self.svod.clock(), outcome=RUNNING, message="")
            session.add(row)
        with self._changed:
            self._active[row.id] = job
        try:
            outcome, message = JOBS[job](self.svod, self.stop, **options)
        except Exception as exc:  # a job's failure is recorded, never kills the clock
            log.exception("job %s failed", job)
            outcome, message = FAILED, f"Ошибка: {exc}"
        except BaseException:
            self._finish(row.id, INTERRUPTED, "Прервано при завершении процесса.")
            raise
        self._finish(row.id, outcome, message)
        log.info("job %s: %s — %s", job, outcome, message.splitlines()[0] if message else "")
        row.outcome, row.message = outcome, message
        return row

    def poll_requests(self) -> JobRun | None:
        """The ``requests`` job: run a sync now if the head asked for one and none runs.

        Nothing is recorded when there is nothing to do (every few seconds), nor while a sync
        runs here or elsewhere (the request waits for it to end, then is taken by the next)."""
        from sync_service.yearturn.run import preview_waiting

        if self.stop.is_set() or self.running("sync") or self.running("year_preview"):
            return None
        preview = preview_waiting(self.svod)   # «Показать, что изменится» of the year's turn
        if not preview and not requests.waiting(self.svod.db) or not lock_free(self.svod):
            return None
        return self.run("year_preview") if preview else self.run("sync", trigger="web")

    def running(self, job: str) -> bool:
        with self._changed:
            return job in self._active.values()

    def _finish(self, run_id: int, outcome: str, message: str) -> None:
        with self.svod.db.session() as session:
            row = session.get(JobRun, run_id)
            row.outcome, row.message, row.finished_at = outcome, message, self.svod.clock()
        with self._changed:
            self._active.pop(run_id, None)
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs; False if some still run after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._active:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def abandon(self) -> None:
        """Record the runs still going as interrupted (the process is about to leave)."""
        with self._changed:
            active = dict(self._active)
        for run_id in active:
            self._finish(run_id, INTERRUPTED, "Прервано при завершении процесса: не успело завершиться.")


# --- the scheduler ---------------------------------------------------------------------------------

def build_scheduler(svod: Svod, runner: Runner | None = None, *,
                    scheduler_class: type[BaseScheduler] = BlockingScheduler, sync_at_start: bool = True) -> BaseScheduler:
    """The scheduler with the three jobs and the requests' poll registered (not started)."""
    settings = svod.settings
    zone = ZoneInfo(settings.timezone)
    runner = runner or Runner(svod)
    interval = max(1, settings.sync_interval_minutes)
    scheduler = scheduler_class(timezone=zone, job_defaults={"coalesce": True, "max_instances": 1})
    # (next_run_time=None would pause the job: leave it out to let the trigger decide)
    first = {"next_run_time": datetime.now(zone)} if sync_at_start else {}
    scheduler.add_job(runner.run, IntervalTrigger(minutes=interval, timezone=zone), args=["sync"], id="sync",
                      name=JOB_TITLES["sync"], misfire_grace_time=max(60, interval * 30), **first)
    # Two instances: one may be running a requested sync; the next polls find it running and
    # return at once (with one, APScheduler would log a warning for each skipped poll).
    scheduler.add_job(runner.poll_requests, IntervalTrigger(seconds=REQUEST_POLL_SECONDS, timezone=zone),
                      id="requests", name=JOB_TITLES["requests"], max_instances=2,
                      misfire_grace_time=REQUEST_POLL_SECONDS)
    scheduler.add_job(runner.run, CronTrigger(hour=settings.reminder_hour, minute=0, timezone=zone),
                      args=["reminders"], id="reminders", name=JOB_TITLES["reminders"], misfire_grace_time=3 * 3600)
    scheduler.add_job(runner.run, CronTrigger(hour=EXPORT_HOUR, minute=EXPORT_MINUTE, timezone=zone),
                      args=["export"], id="export", name=JOB_TITLES["export"], misfire_grace_time=6 * 3600)
    return scheduler


def run_clock(svod: Svod, *, grace: float = SHUTDOWN_GRACE_SECONDS, sync_at_start: bool = True) -> int:
    """The clock process: migrate, schedule, block until SIGTERM/SIGINT, leave cleanly."""
    svod.db.upgrade()
    runner = Runner(svod)
    scheduler = build_scheduler(svod, runner, sync_at_start=sync_at_start)

    def on_signal(signum, _frame) -> None:
        log.info("received %s: stopping the clock", signal.Signals(signum).name)
        runner.stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("clock started: sync every %s min and on request, reminders at %s:00, export at %02d:%02d (%s)",
             svod.settings.sync_interval_minutes, svod.settings.reminder_hour, EXPORT_HOUR, EXPORT_MINUTE,
             svod.settings.timezone)
    scheduler.start()  # blocks until on_signal shuts it down
    if runner.wait_idle(grace):
        log.info("clock stopped")
        svod.db.dispose()
        return 0
    log.warning("jobs still running after %s s; leaving them (each write is a transaction)", grace)
    runner.abandon()
    logging.shutdown()
    os._exit(0)  # the job threads are not daemons: do not wait for them
