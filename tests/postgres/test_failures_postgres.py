"""PostgreSQL's failures told as what they are (issue 17): a database switched to read only
(SQLSTATE 25006) and a tablespace on a full disk (53100 disk_full, a small tmpfs mounted by
the test where the machine allows it) — never «no connection»."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sync_service.cli import main
from sync_service.sync.run import run_sync
from tests.integration.district import build_district, fill
from tests.integration.test_honest_failures import can_mount, point_cli_at


def test_a_read_only_database_says_so(tmp_path, postgres_server, postgres_url, monkeypatch, capsys):
    district = build_district(tmp_path / "district", schools=1, database_url=postgres_url)
    assert run_sync(district.svod).status == "ok"
    district.svod.dispose()
    name = postgres_url.rsplit("/", 1)[1]
    postgres_server.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    point_cli_at(monkeypatch, district, tmp_path / "svod.log")
    assert main(["sync", "--quiet", "--force"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("База данных открыта только для чтения (PostgreSQL: read_only_sql_transaction)"), err
    assert "Нет связи" not in err and "Traceback" not in err


def test_a_full_disk_under_the_database_says_so(tmp_path, postgres_server, postgres_url, monkeypatch, capsys):
    if not can_mount():
        pytest.skip("no tmpfs can be mounted here (needs root or CAP_SYS_ADMIN)")
    disk = Path(postgres_server.folder) / f"small-{tmp_path.name}"
    space = "small_" + "".join(ch for ch in tmp_path.name if ch.isalnum())
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(disk)], check=True)
    try:
        shutil.chown(disk, "postgres", "postgres")
        district = build_district(tmp_path / "district", schools=1, database_url=postgres_url)
        assert run_sync(district.svod).status == "ok"
        postgres_server.execute(f"CREATE TABLESPACE {space} LOCATION '{disk}'")
        with district.svod.db.engine.begin() as connection:  # the growing tables onto the small disk
            for table in ("submission_versions", "findings", "sync_outcomes"):
                connection.execute(text(f"ALTER TABLE {table} SET TABLESPACE {space}"))
            connection.execute(text(f"CREATE TABLE filler (x text) TABLESPACE {space}"))
        with pytest.raises(Exception) as full:  # fill the disk to the last page, a committed batch at a time
            for _ in range(10_000):
                with district.svod.db.engine.begin() as connection:
                    connection.execute(text("INSERT INTO filler SELECT md5(g::text) FROM generate_series(1, 500) g"))
        assert getattr(full.value.orig, "sqlstate", None) == "53100"
        district.svod.dispose()
        rows = [["Иванова Анна", "Педагог-библиотекарь", 1, "Высшее", 20, 12, None, None, None, None, None]] * 200
        fill(district, "sch01", "staffing", rows=rows)
        point_cli_at(monkeypatch, district, tmp_path / "svod.log")
        code = main(["sync", "--quiet"])
        out, err = capsys.readouterr()
        said = out + err
        assert "На диске сервера базы данных нет места (PostgreSQL: disk_full)" in said, said
        assert code == 1 and "Нет связи" not in said and "Traceback" not in said
    finally:  # everything back on the server's own disk, so that the database and the tablespace can go
        engine = create_engine(postgres_url)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS filler"))
            for table in ("submission_versions", "findings", "sync_outcomes"):
                connection.execute(text(f"ALTER TABLE IF EXISTS {table} SET TABLESPACE pg_default"))
        engine.dispose()
        postgres_server.execute(f"DROP TABLESPACE IF EXISTS {space}")
        subprocess.run(["umount", "-l", str(disk)], check=False)
