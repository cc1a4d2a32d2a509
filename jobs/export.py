"""The nightly database export and its restore.

Two formats, one file per night in ``SVOD_EXPORT_DIR``, named by the date; the newest
:data:`KEEP` files are kept:

- ``svod-YYYY-MM-DD.sqlite3``: a copy of a SQLite database made with sqlite3's online
  backup API (consistent while a sync writes). The default for SQLite.
- ``svod-YYYY-MM-DD.jsonl.zip``: every table as JSON lines (``<table>.jsonl``, one row a
  line) plus ``manifest.json`` (schema revision, row counts), read in one transaction.
  The default for PostgreSQL, and the portable way from SQLite to PostgreSQL.

:func:`restore_database` loads either file into a database migrated to the newest
revision, which must be empty unless ``replace`` is given (then every row is deleted
first, in one transaction with the load). ``python -m jobs restore FILE`` calls it.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Table, create_engine, delete, func, inspect, select, text
from sqlalchemy.engine import Connection

from sync_service.db import MIGRATIONS_DIR, Base, Database

log = logging.getLogger("svod.export")

KEEP = 14
SQLITE, JSONL = "sqlite", "jsonl"
SUFFIXES = {SQLITE: ".sqlite3", JSONL: ".jsonl.zip"}
_NAME = re.compile(r"^svod-(\d{4}-\d{2}-\d{2})\.(sqlite3|jsonl\.zip)$")
_BATCH = 1000


class RestoreError(Exception):
    """The file cannot be restored into this database; the message says why (in Russian)."""


def tables() -> list[Table]:
    """Every table of every module, parents before children."""
    import sync_service.models_registry  # noqa: F401  (declares every module's tables)

    return list(Base.metadata.sorted_tables)


def is_sqlite(db: Database) -> bool:
    return db.engine.dialect.name == "sqlite"


# --- export ------------------------------------------------------------------------------------

def export_database(db: Database, folder: Path, today: date, *, fmt: str | None = None, keep: int = KEEP) -> Path:
    """Write today's export into ``folder`` (replacing one made earlier today) and prune old ones."""
    fmt = fmt or (SQLITE if is_sqlite(db) else JSONL)
    if fmt == SQLITE and not is_sqlite(db):
        raise ValueError("the sqlite backup format needs a SQLite database; use jsonl")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"svod-{today.isoformat()}{SUFFIXES[fmt]}"
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        if fmt == SQLITE:
            _sqlite_backup(db, partial)
        else:
            _jsonl_export(db, partial)
        os.replace(partial, target)  # never a half-written file under the real name
    finally:
        partial.unlink(missing_ok=True)
    prune(folder, keep)
    log.info("exported the database to %s", target)
    return target


def _sqlite_backup(db: Database, target: Path) -> None:
    with db.engine.connect() as connection, closing(sqlite3.connect(target)) as copy:
        connection.connection.driver_connection.backup(copy)


def _jsonl_export(db: Database, target: Path) -> None:
    with db.engine.connect() as connection, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        if connection.dialect.name == "postgresql":  # one consistent snapshot of every table
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        counts = {}
        for table in tables():
            if not inspect(connection).has_table(table.name):
                continue
            count = 0
            with archive.open(f"{table.name}.jsonl", "w") as out:
                for row in connection.execute(select(table).order_by(*table.primary_key.columns)).mappings():
                    out.write(json.dumps(dict(row), default=_json_value, ensure_ascii=False).encode() + b"\n")
                    count += 1
            counts[table.name] = count
        manifest = {"format": "svod-export", "version": 1, "revision": _revision(connection),
                    "created_at": datetime.now().isoformat(timespec="seconds"), "tables": counts}
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def exports(folder: Path) -> list[Path]:
    """The export files in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if _NAME.match(p.name)), key=lambda p: (_NAME.match(p.name)[1], p.name))


def newest_export(folder: Path) -> Path | None:
    found = exports(folder)
    return found[-1] if found else None


def prune(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest ``keep`` exports; returns what was deleted."""
    old = exports(folder)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old


# --- restore -----------------------------------------------------------------------------------

def restore_database(db: Database, path: Path, *, replace: bool = False) -> dict[str, int]:
    """Load an export into ``db`` (migrated to the newest revision first); returns rows per table."""
    if not path.is_file():
        raise RestoreError(f"Нет файла {path}")
    db.upgrade()
    known = tables()
    with db.engine.begin() as connection:
        filled = [t.name for t in known if connection.execute(select(func.count()).select_from(t)).scalar()]
        if filled and not replace:
            raise RestoreError("База данных не пуста (таблицы: " + ", ".join(filled) + "). "
                               "Восстановите в пустую базу или укажите --replace, чтобы заменить данные.")
        for table in reversed(known):
            connection.execute(delete(table))
        counts = {}
        for table, rows in _source_rows(path, known):
            counts[table.name] = _insert(connection, table, rows)
        _columnar_versions(connection)  # an export made before revision 0004 holds row dicts
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, known)
    return counts


def _columnar_versions(connection: Connection) -> int:
    """Versions restored from an export made before revision 0004 are rewritten as that
    revision rewrote the database's own (rows as columns, today's digest)."""
    spec = importlib.util.spec_from_file_location("svod_migration_0004",
                                                  MIGRATIONS_DIR / "versions" / "0004_columnar_rows.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration.to_columns(connection)


def _source_rows(path: Path, known: list[Table]) -> Iterator[tuple[Table, Iterable[dict]]]:
    if path.name.endswith(SUFFIXES[JSONL]):
        yield from _jsonl_rows(path, known)
    elif path.suffix in (".sqlite3", ".sqlite", ".db"):
        yield from _sqlite_rows(path, known)
    else:
        raise RestoreError(f"Неизвестный формат выгрузки: {path.name} (ожидается .sqlite3 или .jsonl.zip)")


def _jsonl_rows(path: Path, known: list[Table]) -> Iterator[tuple[Table, Iterable[dict]]]:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "manifest.json" not in names:
            raise RestoreError(f"{path.name}: нет manifest.json — это не выгрузка Svod")
        for table in known:
            member = f"{table.name}.jsonl"
            if member in names:
                with archive.open(member) as lines:
                    yield table, (_from_json(table, json.loads(line)) for line in lines if line.strip())


def _from_json(table: Table, row: dict) -> dict:
    """JSON's strings back to dates and times, by the column types; unknown columns dropped."""
    out = {}
    for name, value in row.items():
        column = table.columns.get(name)
        if column is None:
            continue
        if isinstance(value, str) and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        out[name] = value
    return out


def _sqlite_rows(path: Path, known: list[Table]) -> Iterator[tuple[Table, Iterable[dict]]]:
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")  # read-only: never touch the backup
    try:
        with engine.connect() as source:
            present = inspect(source)
            for table in known:
                if not present.has_table(table.name):
                    continue
                # Only the columns both schemas have: an older backup lacks newer columns.
                columns = [table.c[c["name"]] for c in present.get_columns(table.name) if c["name"] in table.c]
                yield table, (dict(row) for row in source.execute(select(*columns)).mappings())
    finally:
        engine.dispose()


def _insert(connection: Connection, table: Table, rows: Iterable[dict]) -> int:
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            connection.execute(table.insert(), batch)
            count, batch = count + len(batch), []
    if batch:
        connection.execute(table.insert(), batch)
        count += len(batch)
    return count


def _reset_sequences(connection: Connection, known: list[Table]) -> None:
    """After explicit ids, PostgreSQL's sequences must continue past the largest one."""
    for table in known:
        if "id" in table.c and table.c.id.autoincrement in (True, "auto") and table.c.id.primary_key:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 1), "
                f"(SELECT MAX(id) FROM {table.name}) IS NOT NULL)"))
