"""«Обновить сейчас» as data: the web records a request, the clock process runs it.

No sync ever runs in a process that serves requests. The admin's button inserts a row in
``sync_requests``; the clock polls for waiting rows every few seconds
(:func:`jobs.scheduler.Runner.poll_requests`) and runs the sync; every run — whoever
started it — takes all the requests not yet done at its start and marks them done at its
end. Ten clicks are one sync, a click during a sync is taken by the next one, and a
request whose run was killed is taken again by the next run. The admin page reads the
request and the run's progress (:func:`progress`), which the run stores as it goes.

Only the database is used, so the web and the clock may be on different machines.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.db import Database

PENDING, RUNNING, DONE = "pending", "running", "done"
KEPT = 50  # requests done that are kept (the newest); older ones are deleted
# A request no run has taken after this long: the page says the clock seems not to run.
UNTAKEN_WARNING = timedelta(minutes=1)


def request_sync(db: Database, now: datetime, *, by: str = "web") -> tuple[int, bool]:
    """Ask for a sync; (the request's id, True when a new one was made — else one was waiting)."""
    with db.session() as session:
        waiting = session.scalar(select(m.SyncRequest.id).where(m.SyncRequest.status == PENDING)
                                 .order_by(m.SyncRequest.id).limit(1))
        if waiting is not None:
            return waiting, False
        request = m.SyncRequest(requested_at=now, requested_by=by, status=PENDING)
        session.add(request)
    return request.id, True


def waiting(db: Database) -> bool:
    """Is any request not done? (pending, or taken by a run that may have died)."""
    with db.session() as session:
        return session.scalar(select(m.SyncRequest.id).where(m.SyncRequest.status != DONE).limit(1)) is not None


def take(session: Session, run_id: int, now: datetime) -> int:
    """At a run's start (under the sync lock): take every request not done; returns how many.

    Requests «running» under another run were taken by one that died (the lock proves it)."""
    return session.execute(update(m.SyncRequest).where(m.SyncRequest.status != DONE)
                           .values(status=RUNNING, run_id=run_id, taken_at=now)).rowcount


def finish(session: Session, run_id: int, now: datetime) -> None:
    """At a run's end: its requests are done; only the newest :data:`KEPT` done ones stay."""
    session.execute(update(m.SyncRequest).where(m.SyncRequest.run_id == run_id, m.SyncRequest.status == RUNNING)
                    .values(status=DONE, finished_at=now))
    oldest_kept = session.scalar(select(m.SyncRequest.id).where(m.SyncRequest.status == DONE)
                                 .order_by(m.SyncRequest.id.desc()).offset(KEPT - 1).limit(1))
    if oldest_kept is not None:
        session.execute(delete(m.SyncRequest).where(m.SyncRequest.status == DONE, m.SyncRequest.id < oldest_kept))


def progress(session: Session, now: datetime) -> dict:
    """The newest request and the newest run, for the admin page and its JSON poll."""
    request = session.scalar(select(m.SyncRequest).order_by(m.SyncRequest.id.desc()).limit(1))
    run = session.scalar(select(m.SyncRun).order_by(m.SyncRun.id.desc()).limit(1))
    shown = None
    if request is not None:
        shown = {"id": request.id, "status": request.status, "requested_at": request.requested_at.isoformat(),
                 "run_id": request.run_id,
                 "untaken": request.status == PENDING and now - request.requested_at > UNTAKEN_WARNING}
    running = run is not None and run.status == "running"
    return {
        "request": shown,
        "run": None if run is None else {
            "id": run.id, "status": run.status, "trigger": run.trigger, "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "done": run.schools_done, "total": run.schools_total, "error": run.error},
        # something is under way: the page keeps asking
        "active": running or (shown is not None and shown["status"] != DONE),
    }
