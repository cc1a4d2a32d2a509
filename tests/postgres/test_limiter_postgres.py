"""The sign-in limit on PostgreSQL: two web workers (two engines) share it, and parallel
guesses are counted exactly under PostgreSQL's row locks (``web/limiter.py``)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sync_service.db import Database
from tests.web.test_security import parallel_attempts
from web.limiter import COOL_DOWN, LoginLimiter

NOW = datetime(2026, 11, 22, 9, 0)


def test_parallel_guesses_from_two_workers_are_counted_exactly(postgres_url):
    workers = [Database(postgres_url), Database(postgres_url)]
    workers[0].upgrade()
    limiters = [LoginLimiter(db, lambda: NOW) for db in workers]
    results = parallel_attempts(limiters, 12)
    try:
        assert results == [False] * 7 + [True] * 5
        assert limiters[1].blocked_until("203.0.113.7") == NOW + COOL_DOWN
        # After the cool-down the right password (attempt, then success) signs in and forgets.
        later = LoginLimiter(workers[1], lambda: NOW + COOL_DOWN + timedelta(seconds=1))
        assert later.attempt("203.0.113.7").allowed
        later.succeeded("203.0.113.7")
        assert later.blocked_until("203.0.113.7") is None
    finally:
        for db in workers:
            db.dispose()
