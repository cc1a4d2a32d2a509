"""``python -m jobs`` by hand: an export and its restore, one job now, and its usage mistakes."""
from pathlib import Path

import pytest

from jobs.__main__ import main


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'svod.db'}")
    monkeypatch.setenv("SVOD_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("SVOD_WORKBOOKS_DIR", str(tmp_path / "district"))
    monkeypatch.setenv("SVOD_LOCK_FILE", str(tmp_path / "sync.lock"))
    return tmp_path


def test_an_export_restored_into_another_database(env, monkeypatch, capsys):
    assert main(["export", "--format", "jsonl", "--out", str(env / "out")]) == 0
    path = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert path.parent == env / "out" and path.name.endswith(".jsonl.zip")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{env / 'restored.db'}")
    assert main(["restore", str(path)]) == 0
    assert "Восстановлено строк:" in capsys.readouterr().out
    assert main(["restore", str(env / "missing.sqlite3")]) == 1
    assert "Не восстановлено" in capsys.readouterr().err


def test_one_job_now_is_recorded(env, capsys):
    assert main(["run", "export"]) == 0
    assert capsys.readouterr().out.startswith("export: ok")
    assert len(list((env / "exports").iterdir())) == 1


@pytest.mark.parametrize("argv, words", [
    (["run", "nope"], "ожидается одно из: sync, reminders, export"),
    (["export", "--format", "csv"], "ожидается одно из: sqlite, jsonl"),
])
def test_usage_mistakes(env, capsys, argv, words):
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_a_bad_setting_names_the_variable(env, monkeypatch, capsys):
    monkeypatch.setenv("SVOD_READ_WORKERS", "many")
    assert main(["export"]) == 2
    assert "Ошибка настройки: SVOD_READ_WORKERS" in capsys.readouterr().err
