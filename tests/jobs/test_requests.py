"""«Обновить сейчас» end to end: the head clicks in the web app (the Flask test client), the
clock's poll job runs the sync (called here as the scheduler would call it), the page
follows its progress. Real .xlsx workbooks, SQLite, and real processes for kill -9."""
from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from jobs import scheduler as clock
from jobs.models import JobRun
from sync_service import db as m
from sync_service.context import Svod
from sync_service.sync.run import run_sync
from tests.factory import make_app
from tests.integration.district import build_district, fill
from tests.jobs.test_robustness import ROOT, count, environment, wait_for

PASSWORD = "correct horse battery"


@pytest.fixture
def district(request, tmp_path):
    district = build_district(tmp_path / "books", schools=getattr(request, "param", 6))
    fill(district, "sch01", "library_fund")
    yield district
    district.svod.db.dispose()


@pytest.fixture
def head(district):
    """The head's browser, signed in to the web app of ``district`` (a web context: no store)."""
    settings = dataclasses.replace(district.svod.settings, secret_key="test-secret",
                                   admin_password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    web = Svod(settings, schema=district.svod.schema, db=district.svod.db, clock=district.svod.clock)
    client = make_app(web, SVOD_PAGE_CACHE=False).test_client()
    client.post("/admin/login", data={"password": PASSWORD, "csrf_token": csrf(client, "/admin/login")})
    assert not web.built("store")
    return client


def csrf(client, path: str = "/admin/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def click(client) -> str:
    return client.post("/admin/sync", data={"csrf_token": csrf(client)}, follow_redirects=True).get_data(as_text=True)


def runs(district) -> list[tuple[str, str, int, int]]:
    with district.svod.db.session() as session:
        return [(r.trigger, r.status, r.schools_done, r.schools_total)
                for r in session.scalars(select(m.SyncRun).order_by(m.SyncRun.id))]


def request_states(district) -> list[tuple[str, int | None]]:
    with district.svod.db.session() as session:
        return [(r.status, r.run_id) for r in session.scalars(select(m.SyncRequest).order_by(m.SyncRequest.id))]


def test_the_clock_runs_what_the_button_asked_for_once(district, head):
    for _ in range(10):
        click(head)
    assert runs(district) == []  # the web ran nothing
    assert head.get("/admin/sync/progress").get_json()["active"] is True

    runner = clock.Runner(district.svod)
    job = runner.poll_requests()
    assert (job.job, job.outcome) == ("sync", "ok")
    assert runs(district) == [("web", "ok", 6, 6)]  # the progress, stored as it went
    assert request_states(district) == [("done", 1)]
    progress = head.get("/admin/sync/progress").get_json()
    assert progress["active"] is False and progress["run"]["done"] == progress["run"]["total"] == 6
    page = head.get("/admin/").get_data(as_text=True)
    assert "кнопка «Обновить сейчас»" in page

    assert runner.poll_requests() is None  # nothing asked: nothing run, nothing recorded
    with district.svod.db.session() as session:
        assert len(session.scalars(select(JobRun)).all()) == 1


def test_a_click_during_a_sync_is_taken_by_the_next_one(district, head):
    """A scheduled sync is running; the head clicks: the page says a new one follows; the
    poll leaves it while the sync runs (nothing recorded), and runs it once it has ended."""
    started, proceed, results = threading.Event(), threading.Event(), []

    def hold(done, _total, _code, _outcome):
        if done == 2:
            started.set()
            proceed.wait(30)

    scheduled = threading.Thread(target=lambda: results.append(run_sync(district.svod, trigger="clock",
                                                                        progress=hold)))
    scheduled.start()
    runner = clock.Runner(district.svod)
    try:
        assert started.wait(30)
        assert "Синхронизация уже идёт: новая начнётся сразу после неё." in click(head)
        progress = head.get("/admin/sync/progress").get_json()
        assert progress["run"]["status"] == "running" and progress["request"]["status"] == "pending"
        assert "Ещё одна запрошена" in progress["text"]
        assert runner.poll_requests() is None  # busy elsewhere: the request waits
    finally:
        proceed.set()
        scheduled.join(60)
    assert results[0].status == "ok"
    assert request_states(district) == [("pending", None)]  # not taken by the run it came during

    assert runner.poll_requests().outcome == "ok"
    assert [trigger for trigger, *_ in runs(district)] == ["clock", "web"]
    assert request_states(district) == [("done", 2)]


@pytest.mark.parametrize("district", [16], indirect=True)  # long enough to be killed mid-way
def test_a_request_whose_sync_was_killed_is_run_again(district, head):
    """The clock is killed (-9) in the middle of the requested sync: the request is not done;
    the restarted clock's poll runs it to the end."""
    click(head)
    process = subprocess.Popen([sys.executable, "-m", "jobs", "clock", "--no-sync-at-start"], cwd=ROOT,
                               env=environment(district), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: count(district, "SELECT COUNT(*) FROM sync_outcomes") >= 2, 60, "the requested sync", process)
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    assert count(district, "SELECT COUNT(*) FROM sync_outcomes") < 16, "finished before the kill: make it longer"
    assert request_states(district) == [("running", 1)]
    assert runs(district)[0][:2] == ("web", "running")

    assert clock.Runner(district.svod).poll_requests().outcome == "ok"
    assert request_states(district) == [("done", 2)]
    assert [status for _, status, *_ in runs(district)] == ["interrupted", "ok"]


def test_the_poll_is_registered_every_few_seconds(district):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = clock.build_scheduler(district.svod, scheduler_class=BackgroundScheduler)
    poll = scheduler.get_job("requests")
    assert poll.trigger.interval.total_seconds() == clock.REQUEST_POLL_SECONDS
    assert poll.max_instances == 2  # one may be syncing; the next returns at once
