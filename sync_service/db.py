"""Svod's state in SQL: SQLite by default, PostgreSQL by DATABASE_URL.

The tables keep what the workbooks said (every version of every submission, never
overwritten), the current findings, and every sync run with its per-school outcome.
The schema is migrated with Alembic (``sync_service/migrations``); ``upgrade()`` brings
a database to the newest revision and is what ``svod db upgrade`` and the Procfile's
``release:`` run.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from sync_service.forms.table import Table

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    librarian: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(300), default="")
    workbook: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    in_registry: Mapped[bool] = mapped_column(Boolean, default=True)


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("key", "academic_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    academic_year: Mapped[str] = mapped_column(String(9))
    form: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    tab: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    campaign: Mapped[str | None] = mapped_column(String(100), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    in_plan: Mapped[bool] = mapped_column(Boolean, default=True)


class PlanEvent(Base):
    __tablename__ = "plan_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[str] = mapped_column(String(9))
    title: Mapped[str] = mapped_column(Text)
    date: Mapped[date | None] = mapped_column(Date, nullable=True)
    campaign: Mapped[str] = mapped_column(String(300), default="")


class WorkbookState(Base):
    """What the last sync saw of a school's workbook."""

    __tablename__ = "workbook_states"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    workbook_id: Mapped[str] = mapped_column(String(500), default="")
    marker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    check_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # why the school's «Проверка» could not be written (the workbook was read: its data is
    # current); cleared once it is written, retried by every sync until then
    check_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    check_error_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Submission(Base):
    """One school's answer to one collection: the facts statuses are computed from."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("school_id", "collection_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    ready_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    has_data: Mapped[bool] = mapped_column(Boolean, default=False)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The sheet rows with a blocking finding, as [first, last] runs: the findings stored are
    # bounded (past 20 of a kind, one sums up the rest), these rows are all of them.
    # None: stored before revision 0009 — every finding is stored, row by row.
    blocked_rows: Mapped[Any] = mapped_column(JSON, nullable=True)
    # The head's review as it stands (sync_service/district/review.py): accepted / changed /
    # returned, or None; the fingerprint and version of the data she reviewed, her comment.
    # Every action is kept in ``reviews``; these are its latest, moved on by the sync.
    review: Mapped[str | None] = mapped_column(String(20), nullable=True)
    review_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    review_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    school: Mapped[School] = relationship()
    collection: Mapped[Collection] = relationship()

    def blocked(self) -> set[int] | None:
        """The rows of :attr:`blocked_rows` (None when not stored)."""
        if self.blocked_rows is None:
            return None
        return {row for first, last in self.blocked_rows for row in range(first, last + 1)}


class SubmissionVersion(Base):
    """A snapshot of what a school's tab said; a new version never overwrites the last."""

    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    data_hash: Mapped[str] = mapped_column(String(64))
    # the tab's rows as columns (see sync_service.forms.table); versions before revision 0004 held
    # a list of row dicts, which Table.from_json still reads
    rows: Mapped[Any] = mapped_column(JSON)
    computed: Mapped[Any] = mapped_column(JSON)
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"), nullable=True)

    @property
    def table(self) -> Table:
        """The stored rows as a :class:`Table`."""
        return Table.from_json(self.rows)


class Review(Base):
    """One action of the head's review of a submission: who (the signed-in head), when, what
    («accept» or «return»), her comment (and the cell or finding it is about, if she named
    one), and the data it was given on: the version and its fingerprint."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_submission", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    about: Mapped[str | None] = mapped_column(String(300), nullable=True)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))


class FindingRecord(Base):
    """A current finding (replaced whenever its school is read again)."""

    __tablename__ = "findings"
    # The pages group a school's findings by tab, code and column (sync_service/district/
    # school_page.py): this index answers the grouping and each group's first findings.
    __table_args__ = (Index("ix_findings_groups", "school_id", "collection_id", "code", "column_key", "column",
                            "severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), nullable=True)
    code: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(10))
    form: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sheet: Mapped[str | None] = mapped_column(String(200), nullable=True)
    row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    column: Mapped[str | None] = mapped_column(String(300), nullable=True)
    column_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    address: Mapped[str | None] = mapped_column(String(20), nullable=True)
    message: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    # A «more-findings» stands for ``folded`` findings of code ``folded_code`` (forms/found.py)
    folded: Mapped[int | None] = mapped_column(Integer, nullable=True)
    folded_code: Mapped[str | None] = mapped_column(String(60), nullable=True)


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # running / ok / partial (some schools failed) / failed (the run itself failed)
    status: Mapped[str] = mapped_column(String(20), default="running")
    trigger: Mapped[str] = mapped_column(String(40), default="cli")
    schools_total: Mapped[int] = mapped_column(Integer, default=0)
    schools_read: Mapped[int] = mapped_column(Integer, default=0)
    schools_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    schools_failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # findings about the head's own workbook («Школы», «План»), as Finding.as_dict()
    head_findings: Mapped[Any] = mapped_column(JSON, default=list)
    consolidated_written: Mapped[bool] = mapped_column(Boolean, default=False)
    # schools settled so far (read, unchanged or failed) of schools_total: the admin's progress
    schools_done: Mapped[int] = mapped_column(Integer, default=0)

    outcomes: Mapped[list[SyncOutcome]] = relationship(back_populates="run", cascade="all, delete-orphan")


class SyncRequest(Base):
    """A sync the head asked for («Обновить сейчас»), run by the clock process within seconds.

    ``pending`` until a run takes it (``running``, with ``run_id``), ``done`` when that run
    ends. Every run takes all requests not yet done, so ten clicks make one sync and a
    request made during a sync is taken by the next; a request whose run was killed is
    taken again by the next run."""

    __tablename__ = "sync_requests"
    __table_args__ = (Index("ix_sync_requests_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    requested_by: Mapped[str] = mapped_column(String(40), default="web")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"), nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class YearTurn(Base):
    """The turn to the academic year ``to_year`` (sync_service/yearturn/): asked for by the
    head (``preview`` or ``requested``: the clock runs it), begun (``running``), ``partial``
    (the year turned, some schools' workbooks still to do) or ``done``."""

    __tablename__ = "year_turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_year: Mapped[str] = mapped_column(String(9))
    to_year: Mapped[str] = mapped_column(String(9), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    requested_by: Mapped[str] = mapped_column(String(40), default="cli")
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the dry run the head confirms: {"lines": [...], "made_at": iso}, bounded
    preview: Mapped[Any] = mapped_column(JSON, nullable=True)


class YearTurnStep(Base):
    """One step of a turn, recorded when done: ``sync``, ``school:<code>``, ``head``, ``year``."""

    __tablename__ = "year_turn_steps"
    __table_args__ = (UniqueConstraint("turn_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("year_turns.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    detail: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SyncOutcome(Base):
    __tablename__ = "sync_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    # read / unchanged / failed
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    run: Mapped[SyncRun] = relationship(back_populates="outcomes")
    school: Mapped[School] = relationship()


class RateSnapshot(Base):
    """Each collection's rates after each successful run: the history behind the charts."""

    __tablename__ = "rate_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expected: Mapped[int] = mapped_column(Integer)
    reporting_rate: Mapped[float] = mapped_column(Float)
    on_time_rate: Mapped[float] = mapped_column(Float)


class HeadForm(Base):
    """A form the head defines in her workbook («Формы», sync_service/forms/sheet_forms.py).

    ``definition`` is its last good definition — the mapping a form file of
    ``sheets_schema/forms/`` holds — or None while it never held; ``errors`` counts the
    mistakes of the definition last read (then the last good one still applies);
    ``memory`` the keys Svod gave it and its columns (``forms.form_keys.FormMemory``);
    ``active``: in «Формы» as last read."""

    __tablename__ = "head_forms"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    tab: Mapped[str] = mapped_column(String(100))
    definition: Mapped[Any] = mapped_column(JSON, nullable=True)
    memory: Mapped[Any] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class FormTab(Base):
    """What a school's tab of a head's form looks like (``forms.sheet_forms.layouts``), and
    the tab its earlier version was put aside as, with the columns it kept there."""

    __tablename__ = "form_tabs"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    layout: Mapped[str] = mapped_column(String(64))
    structure: Mapped[str] = mapped_column(String(64))
    aside: Mapped[str | None] = mapped_column(String(100), nullable=True)
    aside_columns: Mapped[Any] = mapped_column(JSON, nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class PublishedPage(Base):
    """A page of the status page as the clock published it (web/publish.py): the encoded
    HTML before and after the part drawn on every view, each also as raw deflate blocks."""

    __tablename__ = "published_pages"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head: Mapped[bytes] = mapped_column(LargeBinary)
    head_deflated: Mapped[bytes] = mapped_column(LargeBinary)
    tail: Mapped[bytes] = mapped_column(LargeBinary)
    tail_deflated: Mapped[bytes] = mapped_column(LargeBinary)


class Meta(Base):
    """Small facts Svod keeps between runs, e.g. the hash of the consolidated workbook."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- engine and sessions --------------------------------------------------------------

def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so that the web keeps
    reading while a sync writes."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a file-based SQLite database."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url[len(prefix):] not in ("", ":memory:"):
        Path(url[len(prefix):]).expanduser().parent.mkdir(parents=True, exist_ok=True)


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema revision."""
    from alembic import command

    ensure_sqlite_folder(url)
    command.upgrade(alembic_config(url), "head")


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str):
        self.url = url
        ensure_sqlite_folder(url)
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        upgrade(self.url)

    def shown_url(self) -> str:
        """The URL as a person may see it: without its password."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def is_current(self) -> bool:
        """Whether the database is at the newest revision (nothing left for ``upgrade``)."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        heads = set(ScriptDirectory.from_config(alembic_config(self.url)).get_heads())
        with self.engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads()) == heads

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on failure."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def row_runs(rows: set[int] | frozenset[int]) -> list[list[int]]:
    """{5, 6, 7, 9} -> [[5, 7], [9, 9]]: rows as the runs :attr:`Submission.blocked_rows` keeps."""
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and runs[-1][1] == row - 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return runs


def json_safe(value: Any) -> Any:
    """Values as JSON can hold them: dates become ISO strings."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
