"""The sign-in limit, kept in the database so that every web worker shares it.

One row per client (an IPv4 address, or the /64 network of an IPv6 one, which one
household gets as a whole): its attempts in the current window and, once blocked, until
when. An attempt takes its place in the count *before* the password is checked, inside
one transaction that holds the row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the
write lock the upsert takes serialises the whole transaction), so parallel guesses from
any number of workers count exactly, while their hashes are still being computed.

The rule:

- The :data:`MAX_FAILURES`-th attempt within :data:`WINDOW` blocks the client for
  :data:`COOL_DOWN` from that attempt, unless it proves to be the right password.
- While blocked, every attempt is refused before the password is even checked — the right
  one too, or the block would tell a guesser when they had found it (and checking costs
  a hash: a blocked guesser cannot make the server compute them) — and a refused attempt
  changes nothing, so it does not prolong the block.
- After the cool-down the right password signs in at once; a wrong one starts a fresh
  count. The right password always forgets the client's attempts.

Rows of clients whose window and block are over are deleted as new attempts come, so the
table holds only the last quarter of an hour's clients.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from sync_service.db import Base, Database

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
COOL_DOWN = timedelta(minutes=15)
_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


class SignInLimit(Base):
    """A client's sign-in attempts since its window began (or its last block ended)."""

    __tablename__ = "sign_in_limits"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def client_key(address: str | None) -> str:
    """The client an attempt counts for: the IPv4 address, or the IPv6 /64 network."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class Attempt:
    """An attempt let through to the password check (``blocked_until`` None), or refused."""
    blocked_until: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.blocked_until is None


class LoginLimiter:
    """The rule of the module docstring over the ``sign_in_limits`` table of ``db``;
    ``clock`` is the association's local time (``Svod.clock``), as every stored time."""

    def __init__(self, db: Database, clock: Callable[[], datetime], *, max_failures: int = MAX_FAILURES,
                 window: timedelta = WINDOW, cool_down: timedelta = COOL_DOWN):
        self.db, self.clock = db, clock
        self.max_failures, self.window, self.cool_down = max_failures, window, cool_down

    def attempt(self, client: str) -> Attempt:
        """Count an attempt of ``client`` before its password is checked, or refuse it."""
        now = self.clock()
        with self.db.session() as session:
            row = self._locked_row(session, client, now)
            if row.blocked_until is not None and now < row.blocked_until:
                return Attempt(row.blocked_until)
            if row.blocked_until is not None or row.window_start <= now - self.window:
                row.attempts, row.window_start, row.blocked_until = 0, now, None  # a fresh count
            row.attempts += 1
            if row.attempts >= self.max_failures:
                row.blocked_until = now + self.cool_down  # lifted if this one is the right password
            self._forget_stale(session, client, now)
        return Attempt()

    def succeeded(self, client: str) -> None:
        """The right password: the client's attempts are forgotten (and any block lifted)."""
        with self.db.session() as session:
            session.execute(delete(SignInLimit).where(SignInLimit.client == client))

    def blocked_until(self, client: str) -> datetime | None:
        """Until when ``client`` is blocked, if it is now (nothing is recorded)."""
        with self.db.session() as session:
            until = session.scalar(select(SignInLimit.blocked_until).where(SignInLimit.client == client))
        return until if until is not None and self.clock() < until else None

    def _locked_row(self, session: Session, client: str, now: datetime) -> SignInLimit:
        """The client's row, created if missing, held until the transaction ends."""
        insert = _INSERTS.get(session.get_bind().dialect.name)
        if insert is None:
            raise RuntimeError("the sign-in limit needs SQLite or PostgreSQL")
        session.execute(insert(SignInLimit).values(client=client, attempts=0, window_start=now)
                        .on_conflict_do_nothing(index_elements=["client"]))
        return session.scalars(select(SignInLimit).where(SignInLimit.client == client)
                               .with_for_update().execution_options(populate_existing=True)).one()

    def _forget_stale(self, session: Session, client: str, now: datetime) -> None:
        session.execute(delete(SignInLimit).where(SignInLimit.client != client, or_(
            and_(SignInLimit.blocked_until.is_(None), SignInLimit.window_start <= now - self.window),
            SignInLimit.blocked_until <= now)))
