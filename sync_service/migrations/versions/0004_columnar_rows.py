"""submission versions keep their rows as columns

Versions stored before this revision hold a list of row dicts (each with ``_row``); from
now on they hold ``{"columns": {key: [value, ...]}, "rows": [sheet row, ...]}`` (see
``sync_service/forms/table.py``) and their digest is taken over the columns. Each old version
is rewritten with the digest a sync now computes for the same tab, so that the first
sync after the upgrade does not take unchanged tabs for changed ones.

Revision ID: 0004_columnar_rows
Revises: 0003_fpu
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0004_columnar_rows"
down_revision = "0003_fpu"
branch_labels = None
depends_on = None

ROW = "_row"
versions = sa.table("submission_versions", sa.column("id", sa.Integer), sa.column("rows", sa.JSON),
                    sa.column("ready", sa.Boolean), sa.column("data_hash", sa.String))


def _digest(content: dict, ready: bool) -> str:
    # The digest of this revision's format (sync_service.forms.validation.data_hash at 0004).
    payload = json.dumps({"ready": bool(ready), **content}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _columnar(rows: list) -> dict:
    keys = list(dict.fromkeys(key for row in rows for key in row if key != ROW))
    return {"columns": {key: [row.get(key) for row in rows] for key in keys}, "rows": [row.get(ROW) for row in rows]}


def _rows(table: dict) -> list:
    columns, numbers = table["columns"], table["rows"]
    rows = []
    for i, number in enumerate(numbers):
        row = {key: values[i] for key, values in columns.items()}
        if number is not None:
            row[ROW] = number
        rows.append(row)
    return rows


def _rewrite(connection, convert, old_format: type) -> int:
    done = 0
    for version_id, rows, ready in connection.execute(
            sa.select(versions.c.id, versions.c.rows, versions.c.ready)).all():
        if isinstance(rows, old_format):
            stored, content = convert(rows, ready)
            connection.execute(versions.update().where(versions.c.id == version_id).values(
                rows=stored, data_hash=content))
            done += 1
    return done


def _to_columns(rows: list, ready: bool):
    table = _columnar(rows)
    return table, _digest({"columns": table["columns"] if rows else {}}, ready)


def _to_rows(table: dict, ready: bool):
    rows = _rows(table)
    return rows, _digest({"rows": [{k: v for k, v in row.items() if k != ROW} for row in rows]}, ready)


def to_columns(connection) -> int:
    """Rewrite the versions still stored as row dicts; returns how many. Also used after
    restoring an export made before this revision (jobs/export.py)."""
    return _rewrite(connection, _to_columns, list)


def upgrade() -> None:
    to_columns(op.get_bind())


def downgrade() -> None:
    _rewrite(op.get_bind(), _to_rows, dict)
