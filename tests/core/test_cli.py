"""The command line: every command exists and is documented, and mistakes get clear messages."""
import io
import json
from pathlib import Path

import openpyxl
import pytest

from sync_service.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SVOD_WORKBOOKS_DIR", str(tmp_path / "district"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'svod.db'}")
    monkeypatch.setenv("SVOD_LOCK_FILE", str(tmp_path / "sync.lock"))
    monkeypatch.setenv("SVOD_ACADEMIC_YEAR", "2026/2027")
    return tmp_path


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme_and_parses(name):
    assert f"`{name}" in (ROOT / "README.md").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*name.split(), "--help"])
    assert done.value.code == 0


def test_demo_sync_status_and_order_export(env, capsys):
    assert main(["demo-data", "--schools", "12", "--seed", "1", "--today", "2026-11-22"]) == 0
    out = capsys.readouterr().out
    assert "ОБРАЗЕЦ" in out  # the sample federal list is loaded, and says it is a sample
    assert out.strip().splitlines()[-1] == "Настройки ОМО.xlsx"
    assert main(["sync", "--quiet"]) == 0
    assert "Синхронизация успешно: школ 12" in capsys.readouterr().out
    assert main(["status"]) == 0
    table = capsys.readouterr().out
    assert "sch12" in table and "Обозначения" in table
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["schools"]) == 12
    assert main(["order", "export", "--out", str(env / "orders")]) == 0
    files = sorted((env / "orders").glob("*.xlsx"))
    assert files and all("Спецификация" in f.name for f in files)
    book = openpyxl.load_workbook(files[0])
    assert any("Спецификация" in title for title in book.sheetnames)


def test_a_second_sync_is_idle(env, capsys):
    main(["demo-data", "--schools", "8", "--today", "2026-11-22"])
    main(["sync", "--quiet"])
    capsys.readouterr()
    assert main(["sync", "--quiet"]) == 0
    assert "прочитано 0, без изменений 8" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["fpu", "import", "/nonexistent/fpu.xlsx"], "Файл не найден"),
    (["fpu", "import"], "Укажите файл"),
])
def test_fpu_import_mistakes(env, capsys, argv, words):
    assert main(argv) in (1, 2)
    assert words in capsys.readouterr().err


def test_sync_without_a_head_workbook_says_so(env, capsys):
    (env / "district").mkdir()
    assert main(["sync", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "Не удалось прочитать книгу руководителя ОМО" in out and "Настройки ОМО.xlsx" in out


def test_a_bad_setting_names_the_variable(env, monkeypatch, capsys):
    monkeypatch.setenv("SVOD_BACKEND", "dropbox")
    assert main(["status"]) == 2
    assert "SVOD_BACKEND" in capsys.readouterr().err


def test_an_unreachable_database_is_a_clear_message_without_the_password(env, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://svod:secretpw@127.0.0.1:1/svod")
    assert main(["status"]) == 1
    err = capsys.readouterr().err
    assert "Нет связи с базой данных" in err and "DATABASE_URL" in err
    assert "secretpw" not in err


@pytest.fixture
def google_without_credentials(env, monkeypatch):
    """The release step's environment on the google backend: no key, no API URL."""
    monkeypatch.setenv("SVOD_BACKEND", "google")
    monkeypatch.setenv("SVOD_HEAD_SPREADSHEET_ID", "head-id")
    for variable in ("GOOGLE_APPLICATION_CREDENTIALS", "SVOD_GOOGLE_API_URL"):
        monkeypatch.delenv(variable, raising=False)
    return env


@pytest.mark.parametrize("argv, words", [
    (["db-upgrade"], "База данных обновлена"),
    (["status"], "Обозначения"),
    (["fpu", "import", "--sample"], "ОБРАЗЕЦ"),
])
def test_commands_without_the_store_need_no_google_credentials(google_without_credentials, capsys, argv, words):
    assert main(argv) == 0
    assert words in capsys.readouterr().out


def test_create_admin_needs_no_google_credentials(google_without_credentials, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert main(["create-admin", "--password-stdin"]) == 0
    assert capsys.readouterr().out.startswith("SVOD_ADMIN_PASSWORD_HASH=")


def test_a_command_that_needs_the_store_names_the_missing_key(google_without_credentials, capsys):
    assert main(["sync", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Ошибка настройки" in err and "GOOGLE_APPLICATION_CREDENTIALS" in err
