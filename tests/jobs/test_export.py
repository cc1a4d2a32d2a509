"""The nightly export and its restore: SQLite backups and portable JSON lines, round trips."""
from __future__ import annotations

import json
import zipfile
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from jobs.export import RestoreError, export_database, exports, newest_export, prune, restore_database
from jobs.models import JobRun
from sync_service import db as m
from sync_service.model import FormResult

DAY = date(2026, 11, 22)


@pytest.fixture
def database(svod_factory, tmp_path):
    db = svod_factory(tmp_path).db
    with db.session() as session:
        school = m.School(code="sch01", name="МБОУ СОШ № 1", librarian="Петрова Анна", email="p@school1.example")
        collection = m.Collection(key="staffing", academic_year="2026/2027", form="staffing", tab="Кадры",
                                  title="Мониторинг кадров", deadline=date(2026, 9, 30))
        session.add_all([school, collection])
        session.flush()
        run = m.SyncRun(started_at=datetime(2026, 11, 22, 8), status="ok", head_findings=[{"code": "type"}])
        session.add(run)
        session.flush()
        submission = m.Submission(school_id=school.id, collection_id=collection.id, ready=True, has_data=True,
                                  first_submitted_at=datetime(2026, 9, 25, 10, 30), version=1)
        session.add(submission)
        session.flush()
        session.add(m.SubmissionVersion(submission_id=submission.id, version=1, data_hash="h",
                                        rows={"columns": {"full_name": ["Иванова"], "rate": [1.0]}, "rows": [5]},
                                        computed={}, run_id=run.id,
                                        created_at=datetime(2026, 9, 25, 10, 30)))
        session.add(JobRun(job="export", started_at=datetime(2026, 11, 21, 2, 30), outcome="ok", message=""))
    return db


def snapshot(db) -> dict:
    """Every table's rows as comparable tuples."""
    from jobs.export import tables

    out = {}
    with db.engine.connect() as connection:
        for table in tables():
            out[table.name] = sorted(tuple(row) for row in connection.execute(select(table)))
    return out


@pytest.mark.parametrize("fmt, suffix", [(None, ".sqlite3"), ("jsonl", ".jsonl.zip")])
def test_export_and_restore_into_an_empty_database_round_trip(database, tmp_path, fmt, suffix):
    path = export_database(database, tmp_path / "exports", DAY, fmt=fmt)
    assert path.name == f"svod-2026-11-22{suffix}"
    target = m.Database(f"sqlite:///{tmp_path / 'restored.db'}")
    counts = restore_database(target, path)
    assert counts["schools"] == 1 and counts["submission_versions"] == 1 and counts["job_runs"] == 1
    assert snapshot(target) == snapshot(database)
    # The restored database goes on working: new rows get new ids.
    with target.session() as session:
        session.add(m.School(code="sch02", name="МБОУ СОШ № 2"))
    with target.session() as session:
        assert session.scalar(select(func.max(m.School.id))) == 2
    target.dispose()


def test_the_jsonl_export_is_readable_lines_with_a_manifest(database, tmp_path):
    path = export_database(database, tmp_path, DAY, fmt="jsonl")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        schools = [json.loads(line) for line in archive.read("schools.jsonl").splitlines()]
        versions = [json.loads(line) for line in archive.read("submission_versions.jsonl").splitlines()]
    assert manifest["format"] == "svod-export" and manifest["revision"]
    assert manifest["tables"]["schools"] == 1
    assert schools[0]["name"] == "МБОУ СОШ № 1"
    assert versions[0]["rows"] == {"columns": {"full_name": ["Иванова"], "rate": [1.0]}, "rows": [5]}
    assert versions[0]["created_at"] == "2026-09-25T10:30:00"


def test_restore_refuses_a_database_with_data_unless_replacing(database, tmp_path):
    path = export_database(database, tmp_path, DAY)
    with database.session() as session:
        session.add(m.School(code="sch09", name="Добавлена после выгрузки"))
    with pytest.raises(RestoreError, match="База данных не пуста"):
        restore_database(database, path)
    restore_database(database, path, replace=True)
    with database.session() as session:
        assert session.scalars(select(m.School.code)).all() == ["sch01"]


def test_restore_refuses_what_is_not_an_export(database, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(RestoreError, match="Неизвестный формат"):
        restore_database(database, tmp_path / "notes.txt", replace=True)
    with pytest.raises(RestoreError, match="Нет файла"):
        restore_database(database, tmp_path / "missing.sqlite3")


def test_the_last_fourteen_exports_are_kept(database, tmp_path):
    folder = tmp_path / "exports"
    for offset in range(16):
        export_database(database, folder, DAY - timedelta(days=15 - offset))
    (folder / "notes.txt").write_text("not an export: left alone")
    kept = exports(folder)
    assert len(kept) == 14
    assert kept[0].name == "svod-2026-11-09.sqlite3" and newest_export(folder).name == "svod-2026-11-22.sqlite3"
    assert (folder / "notes.txt").exists()
    assert prune(folder, keep=2) == kept[:12]
    # Re-exporting today replaces today's file, leaving no partial file behind.
    export_database(database, folder, DAY)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "svod-2026-11-21.sqlite3", "svod-2026-11-22.sqlite3"]


def test_an_export_from_before_revision_0004_is_restored_with_rows_as_columns(database, tmp_path):
    """Versions exported as row dicts come back as columns with today's digest, as the
    migration rewrote the database's own."""
    from sync_service.forms.table import Table
    from sync_service.forms.validation import data_hash

    with database.session() as session:
        version = session.scalar(select(m.SubmissionVersion))
        version.rows, version.data_hash = [{"full_name": "Иванова", "rate": 1.0, "_row": 5}], "old"
    path = export_database(database, tmp_path / "exports", DAY, fmt="jsonl")
    target = m.Database(f"sqlite:///{tmp_path / 'restored.db'}")
    restore_database(target, path)
    with target.session() as session:
        restored = session.scalar(select(m.SubmissionVersion))
        assert restored.rows == {"columns": {"full_name": ["Иванова"], "rate": [1.0]}, "rows": [5]}
        result = FormResult(form="staffing", sheet="Кадры", ready=restored.ready,
                            table=Table({"full_name": ["Иванова"], "rate": [1.0]}, [5]))
        assert restored.data_hash == data_hash(result)
    target.dispose()
