"""The command line: every documented command and option exists (and nothing undocumented),
help is Russian, and mistakes get clear messages and the documented exit codes."""
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import click
import openpyxl
import pytest

from sync_service.cli import cli, main
from tests.factory import default_sigint

ROOT = Path(__file__).resolve().parents[2]


def commands_of(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    """Every command under ``group`` by its full name («fpu import»), groups left out."""
    found = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(commands_of(command, f"{prefix}{name} "))
        else:
            found[prefix + name] = command
    return found


def options_of(command: click.Command) -> set[str]:
    return {opt for param in command.params if isinstance(param, click.Option) for opt in param.opts
            if opt.startswith("--")}


def documented_commands() -> dict[str, set[str]]:
    """The README's table of commands: command name -> the options its row names."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Команды", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, set[str]] = {}
    for row in re.findall(r"^\| (.+?) \|", section, flags=re.MULTILINE):
        for usage in re.findall(r"`([^`]+)`", row):
            words = []
            for word in usage.split():
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            documented.setdefault(" ".join(words), set()).update(re.findall(r"--[a-z][a-z-]*", usage))
    return documented


def test_the_readme_documents_every_command_with_every_option():
    documented = documented_commands()
    actual = {name: options_of(command) for name, command in commands_of(cli).items()}
    assert documented == actual


def test_the_readme_names_the_global_option():
    assert "--verbose" in options_of(cli)
    assert "`svod -v КОМАНДА`" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(commands_of(cli)))
def test_every_command_has_russian_help(name, capsys):
    assert main([*name.split(), "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Использование: svod {name}") and "Параметры" in text
    assert "показать эту справку и выйти" in text
    command = commands_of(cli)[name]
    for help_text in [command.help] + [p.help for p in command.params if isinstance(p, click.Option)]:
        assert help_text and re.search("[а-яё]", help_text, re.IGNORECASE), (name, help_text)


def test_the_jobs_module_documents_its_commands():
    from jobs.__main__ import __doc__ as usage
    from jobs.__main__ import jobs

    actual = {name: options_of(command) for name, command in commands_of(jobs).items()}
    documented = {}
    for line in re.findall(r"^ +python -m jobs(.*)$", usage, flags=re.MULTILINE):
        words = re.findall(r"[a-z]+", line.split("#")[0].split("--")[0])
        documented.setdefault(words[0] if words else "clock", set()).update(re.findall(r"--[a-z-]+", line))
    assert documented == actual


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SVOD_WORKBOOKS_DIR", str(tmp_path / "district"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'svod.db'}")
    monkeypatch.setenv("SVOD_LOCK_FILE", str(tmp_path / "sync.lock"))
    monkeypatch.setenv("SVOD_ACADEMIC_YEAR", "2026/2027")
    return tmp_path


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


@pytest.mark.parametrize("argv, words", [
    (["sync", "--nope"], "Справка: svod sync --help"),
    (["order", "export"], "--out"),
    (["no-such-command"], "нет такой команды: no-such-command"),
    (["demo-data", "--schools", "x"], "неверное значение '--schools': ожидается целое число"),
])
def test_a_usage_mistake_is_exit_2_with_where_to_find_help(env, capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("Использование: svod") and "Ошибка:" in err and words in err


def test_no_command_shows_the_commands(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "Команды" in err and "db-upgrade" in err


def test_a_busy_port_is_a_clear_message(env, capsys):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert "Адрес уже занят" in err and "PORT" in err


def _svod_process(env: Path, *argv: str) -> subprocess.Popen:
    variables = {**os.environ, "SVOD_WORKBOOKS_DIR": str(env / "district"),
                 "DATABASE_URL": f"sqlite:///{env / 'svod.db'}", "SVOD_LOCK_FILE": str(env / "sync.lock"),
                 "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sync_service", *argv], cwd=ROOT, env=variables,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)


def test_ctrl_c_stops_a_command_without_a_traceback(env):
    process = _svod_process(env, "demo-data", "--schools", "2000", "--today", "2026-11-22")
    for line in process.stderr:  # interrupted once it is under way
        if "Демо-район" in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "Остановлено." in err and "Traceback" not in err


def test_ctrl_c_stops_the_page(env):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    process = _svod_process(env, "serve", "--port", str(port))
    assert process.stdout.readline().startswith(f"Svod: страница статуса на http://127.0.0.1:{port}")
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and "Traceback" not in err


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


def test_forms_export_a_copy_in_the_heads_workbook_and_forms_yaml(env, capsys):
    """The head downloads the shipped forms, copies one into her «Формы» under a name of her
    own, names it in «План»; after a sync `forms yaml` writes it as a form file that loads."""
    from sync_service.forms.schema import load_schema

    main(["demo-data", "--schools", "3", "--today", "2026-11-22"])
    assert main(["forms", "yaml", "--out", str(env / "yaml")]) == 1
    assert "Своих форм пока нет" in capsys.readouterr().out
    assert main(["forms", "export", "--out", str(env / "forms.xlsx")]) == 0
    exported = openpyxl.load_workbook(env / "forms.xlsx")
    rows = [list(r) for r in exported["Формы"].iter_rows(values_only=True)]
    mine = [rows[0]] + [["Мой фонд", "Мой фонд" if r[1] else None, *r[2:]] for r in rows[1:]
                        if r[0] == "Мониторинг библиотечного фонда"]
    rules = [list(r) for r in exported["Правила"].iter_rows(values_only=True)]
    mine_rules = [rules[0]] + [["Мой фонд", *r[1:]] for r in rules[1:] if r[0] == "Мониторинг библиотечного фонда"]
    head = env / "district" / "Настройки ОМО.xlsx"
    book = openpyxl.load_workbook(head)
    for title, lines in (("Формы", mine), ("Правила", mine_rules)):
        sheet = book[title] if title in book.sheetnames else book.create_sheet(title)
        for line in lines:
            sheet.append(line)
    book["План"].append(["Мой фонд", None, "2026/2027", None, None])
    book.save(head)
    assert main(["sync", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["forms", "yaml", "--out", str(env / "yaml")]) == 0
    assert "Мой фонд" in capsys.readouterr().out
    folder = env / "schema"
    import shutil

    from sheets_schema import SCHEMA_DIR
    shutil.copytree(SCHEMA_DIR, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for path in (env / "yaml").glob("*.yaml"):
        shutil.copy(path, folder / "forms" / path.name)
    form = load_schema(folder).forms["moy_fond"]
    assert [c.key for c in form.columns] == [c.key for c in load_schema().forms["library_fund"].columns]
    assert len(form.rules) == 2
    school = openpyxl.load_workbook(next((env / "district").glob("sch01*.xlsx")))
    assert "Мой фонд" in school.sheetnames


def test_after_ctrl_c_what_was_left_half_built_does_not_print_a_traceback():
    """A ZipFile interrupted inside its __init__ complains when collected («Exception ignored
    in … Traceback»); after Ctrl-C that goes to the log, not to the console."""
    script = ("import sys\nfrom sync_service.cli import quiet_teardown\n"
              "class HalfBuilt:\n    def __del__(self):\n        raise AttributeError('_writing')\n"
              "if sys.argv[1] == 'quiet':\n    quiet_teardown()\nHalfBuilt()\n")
    runs = {mode: subprocess.run([sys.executable, "-c", script, mode], cwd=ROOT, capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)}) for mode in ("loud", "quiet")}
    assert "Traceback" in runs["loud"].stderr and "Exception ignored" in runs["loud"].stderr
    assert runs["quiet"].stderr == "" and runs["quiet"].returncode == 0
