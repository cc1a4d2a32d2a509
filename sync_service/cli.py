"""``python -m sync_service …`` (also installed as ``svod``), on click.

Each command declares its own options and only parses them: it gets a :class:`Svod` context
built from the environment, whose parts (forms, database, workbook store) are built when
the command first uses them, and calls the functions that do the work. So ``db-upgrade`` or
``status`` on the google backend never build the Google store nor need its credentials.

The failures a user can meet (a bad setting, no database, a busy port, Ctrl-C) end with a
Russian message and an exit code, never a traceback (:func:`failure_of`): 2 for a wrong
setting or usage, 1 for a failed command, 3 for a sync already running, 130 for Ctrl-C.
``python -m jobs`` (the clock process) is built from the same pieces (``jobs/__main__.py``).
"""
from __future__ import annotations

import errno
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

import click

from sync_service.config import ConfigError, Settings
from sync_service.context import Svod
from sync_service.district.status import STATUS_SYMBOLS, STATUS_TEXTS

# --- click in Russian ------------------------------------------------------------------------

HEADINGS = {"Usage:": "Использование:", "Options": "Параметры", "Commands": "Команды",
            "Arguments": "Аргументы"}
HELP_OPTION = "показать эту справку и выйти"


class RussianFormatter(click.HelpFormatter):
    """Click's help with Russian headings (click has no Russian catalogue of its own)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=f"{HEADINGS['Usage:']} " if prefix is None else prefix)

    def section(self, name: str):
        return super().section(HEADINGS.get(name, name))


class RussianContext(click.Context):
    formatter_class = RussianFormatter


class _Russian:
    context_class = RussianContext

    def get_help_option(self, ctx: click.Context):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION
        return option


class Command(_Russian, click.Command):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[ПАРАМЕТРЫ]")
        super().__init__(*args, **kwargs)


class Group(_Russian, click.Group):
    command_class = Command
    group_class = type  # subgroups (fpu, order) are Groups too

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[ПАРАМЕТРЫ]")
        kwargs.setdefault("subcommand_metavar", "КОМАНДА [АРГУМЕНТЫ]...")
        super().__init__(*args, **kwargs)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            ctx.fail(f"нет такой команды: {args[0]}")
        return super().resolve_command(ctx, args)


def usage_message(exc: click.UsageError) -> str:
    """Click's usage mistakes in Russian (the common ones; others as click words them)."""
    if isinstance(exc, click.NoSuchOption):
        maybe = f" (может быть, {', '.join(sorted(exc.possibilities))})" if exc.possibilities else ""
        return f"нет такого параметра: {exc.option_name}{maybe}"
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        return f"не задан обязательный параметр {exc.param.get_error_hint(exc.ctx)}"
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        kind = exc.param.type
        expected = ("целое число" if isinstance(kind, click.types.IntParamType) else
                    "дата ГГГГ-ММ-ДД" if isinstance(kind, click.DateTime) else
                    f"одно из: {', '.join(map(str, kind.choices))}" if isinstance(kind, click.Choice) else None)
        if expected:
            return f"неверное значение {exc.param.get_error_hint(exc.ctx)}: ожидается {expected}"
    return exc.format_message()


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# --- failures ----------------------------------------------------------------------------------

class Failure(click.ClickException):
    """An expected failure: its Russian message as it is (no traceback), and its exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(self.message, file=file, err=True)


def failure_of(exc: BaseException, settings: Settings | None) -> Failure | None:
    """The :class:`Failure` a user can meet behind ``exc``, or None for a defect of Svod:
    what really happened (a full disk is not a missing permission, sync_service/failures.py)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from sync_service.failures import database_failure, head_unavailable, os_failure
    from sync_service.stores.base import StoreError, WorkbookUnavailable

    if isinstance(exc, ConfigError):
        return Failure(f"Ошибка настройки: {exc}", 2)
    if isinstance(exc, DBAPIError):
        from sqlalchemy.engine import make_url

        # never the password: the URL is shown as SQLAlchemy masks it
        where = make_url(settings.database_url).render_as_string(hide_password=True) if settings else "DATABASE_URL"
        reason = database_failure(exc, where)
        if reason is not None:
            return Failure(f"{reason}.", 1)
        if isinstance(exc, OperationalError):
            return Failure(f"Ошибка базы данных {where}: {exc.orig}. Проверьте DATABASE_URL и что сервер базы "
                           "запущен.", 1)
        return None
    if isinstance(exc, WorkbookUnavailable):
        if settings and exc.workbook_id in (settings.head_workbook, settings.head_spreadsheet_id):
            return Failure(head_unavailable(exc.workbook_id, exc.reason, settings.backend) + ".", 1)
        return Failure(f"Книга «{exc.workbook_id}»: {exc.reason}.", 1)
    if isinstance(exc, StoreError):
        return Failure(f"{exc}.", 1)
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return Failure(f"Адрес уже занят: {exc.strerror}. Остановите другой процесс на этом порту или "
                       "задайте другой порт (PORT).", 1)
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f"«{exc.filename}»" if exc.filename else "диск"
        return Failure(f"Ошибка файла {where}: {os_failure(exc, where)}.", 1)
    if isinstance(exc, (KeyboardInterrupt, click.Abort)):
        return Failure("\nОстановлено.", 130)
    return None


def with_settings(command: Callable[..., int], build: Callable[[Settings], object]) -> Callable[..., int]:
    """``command`` given ``build(settings)`` (settings read from the environment now) as its
    first argument; the failures a user can meet become :class:`Failure`."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs) -> int:
        settings = None
        try:
            settings = Settings.from_env()
            return command(build(settings), *args, **kwargs)
        except (Exception, KeyboardInterrupt) as exc:
            failure = failure_of(exc, settings)
            if failure is None:
                raise
            if failure.exit_code != 130:  # the traceback for the log file (not on the console)
                logging.getLogger("svod.cli").info("%s", failure.message, exc_info=exc)
            else:
                quiet_teardown()
            raise failure from exc
    return wrapper


def quiet_teardown() -> None:
    """After Ctrl-C: what the interrupt left half-built (a ``ZipFile`` stopped inside its
    ``__init__``) complains when it is collected on the way out, as «Exception ignored in …»
    with a traceback; those go to the log file, not to the console of someone who pressed Ctrl-C."""
    log = logging.getLogger("svod.cli")
    sys.unraisablehook = lambda unraisable: log.debug("after Ctrl-C: %s %r", unraisable.err_msg or "ignored",
                                                       unraisable.object, exc_info=unraisable.exc_value)


def pass_svod(command: Callable[..., int]) -> Callable[..., int]:
    """Give ``command`` its :class:`Svod` context: every part but the settings is built when
    the command first uses it; ``svod --today ГГГГ-ММ-ДД …`` fixes its clock on that day."""
    def build(settings: Settings) -> Svod:
        context = click.get_current_context(silent=True)
        today = context.find_root().params.get("today") if context is not None else None
        if today is None:
            return Svod(settings)
        moment = datetime.combine(today.date(), datetime.min.time()).replace(hour=9)
        return Svod(settings, clock=lambda: moment)
    return with_settings(command, build)


def run_main(group: click.Group, argv: Sequence[str] | None, prog_name: str) -> int:
    """Run ``group`` on ``argv`` and return its exit code: a :class:`Failure` is told as it
    is, a usage mistake with the usage line and where to find help."""
    try:
        code = group.main(args=list(argv) if argv is not None else None, prog_name=prog_name,
                          standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        return exc.exit_code
    except click.UsageError as exc:
        if exc.ctx is not None:
            click.echo(exc.ctx.get_usage(), err=True)
        click.echo(f"Ошибка: {usage_message(exc)}", err=True)
        if exc.ctx is not None:
            click.echo(f"Справка: {exc.ctx.command_path} --help", err=True)
        return exc.exit_code
    except Failure as exc:
        exc.show()
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"Ошибка: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.Abort as exc:  # Ctrl-C outside a command's own handling (a password prompt)
        failure = failure_of(exc, None)
        failure.show()
        return failure.exit_code
    except Exception as exc:  # a defect of Svod: told in one line, its traceback kept in the log
        logging.getLogger("svod.cli").exception("the command failed")
        click.echo(f"Внутренняя ошибка Svod ({type(exc).__name__}: {exc}). Это сбой программы, а не ваших "
                   f"данных; подробности — в журнале ({log_place()}).", err=True)
        return 1
    return code or 0


# --- the log ------------------------------------------------------------------------------------

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_BYTES, LOG_BACKUPS = 1_000_000, 3  # the log file is bounded: 4 MB at most


class ConsoleFormat(logging.Formatter):
    """A record as one line: on the console a traceback is noise (the message already says
    what happened, in Russian); the log file keeps it. ``svod -v`` shows it too."""

    def __init__(self, tracebacks: bool):
        super().__init__(LOG_FORMAT)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks:
            return super().format(record)
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


class LogFile(RotatingFileHandler):
    """The log file: a full disk or a folder without rights must not break the command
    that wanted to say so (logging's default prints its own traceback then)."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def log_place() -> str:
    return os.environ.get("SVOD_LOG_FILE") or Settings.log_file


def configure_logging(verbose: bool) -> None:
    """The console (warnings, or everything with ``-v``) and the log file (SVOD_LOG_FILE, with
    tracebacks); called by every ``svod`` command, so it replaces what an earlier call set."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "svod", False)]:
        root.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler()
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(ConsoleFormat(tracebacks=verbose))
    handlers: list[logging.Handler] = [console]
    path = Path(log_place())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log_file = LogFile(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True)
    except OSError:
        pass  # no log file then: the console still says what happened
    else:
        log_file.setLevel(logging.INFO)
        log_file.setFormatter(logging.Formatter(LOG_FORMAT))
        handlers.append(log_file)
    for handler in handlers:
        handler.svod = True
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def progress_printer(label: str):
    """A progress line on stderr: redrawn in place on a terminal, a line every 10 % otherwise."""
    tty = sys.stderr.isatty()
    last = [-1]

    def show(done: int, total: int, name: str, outcome: str) -> None:
        percent = 100 * done // total if total else 100
        if tty:
            bar = "█" * (percent // 5) + "·" * (20 - percent // 5)
            sys.stderr.write(f"\r{label} [{bar}] {done}/{total} {name} {outcome}".ljust(78))
            if done == total:
                sys.stderr.write("\n")
        elif percent // 10 != last[0] or done == total:
            last[0] = percent // 10
            sys.stderr.write(f"{label}: {done}/{total} ({percent} %)\n")
        sys.stderr.flush()
    return show


# --- the commands ------------------------------------------------------------------------------

@click.group(cls=Group, context_settings=CONTEXT, help="Svod: сбор отчётов школьных библиотек.")
@click.option("-v", "--verbose", is_flag=True, help="подробный журнал")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), metavar="ГГГГ-ММ-ДД",
              help="считать сегодняшней эту дату (для проверки расписания и перехода на новый год)")
def cli(verbose: bool, today: datetime | None) -> None:
    configure_logging(verbose)


@cli.command("demo-data", help="Создать демо-район: книги школ и книгу руководителя.")
@click.option("--schools", type=int, default=24, metavar="N", help="число школ (по умолчанию 24)")
@click.option("--seed", type=int, default=1, metavar="S", help="зерно случайных данных")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="папка для книг (по умолчанию SVOD_WORKBOOKS_DIR)")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), metavar="ГГГГ-ММ-ДД",
              help="считать сегодняшней эту дату")
@pass_svod
def demo_data(svod: Svod, schools: int, seed: int, out: Path | None, today: datetime | None) -> int:
    from sync_service.demo.district import generate_demo
    from sync_service.stores.xlsx import XlsxStore

    store = svod.store if out is None else None
    if out is not None:
        if svod.settings.backend != "xlsx":
            click.echo("--out применим только к локальным книгам (SVOD_BACKEND=xlsx)", err=True)
            return 2
        out.mkdir(parents=True, exist_ok=True)
        store = XlsxStore(out)
    printer = progress_printer("Демо-район")
    district = generate_demo(store, svod.schema, schools=schools, seed=seed,
                             today=today.date() if today else svod.clock().date(),
                             progress=lambda done, total, name: printer(done, total, name, ""))
    load_sample_lists(svod)
    click.echo(f"Демо-район: школ {schools}, книги в {out or svod.settings.workbooks_dir}")
    click.echo(district.head_workbook_id)
    return 0


def load_sample_lists(svod: Svod) -> None:
    """The demo's orders use the shipped sample federal list (and prices): load them once."""
    from sync_service.order.commands import fpu_import
    from sync_service.order.fpu import sample_fpu_path, sample_prices_path
    from sync_service.order.models import current_fpu

    svod.db.upgrade()
    with svod.db.session() as session:
        loaded = current_fpu(session) is not None
    if not loaded:
        click.echo(fpu_import(svod.db, sample_fpu_path()))
        click.echo(fpu_import(svod.db, sample_prices_path(), prices=True))


@cli.command(help="Создать недостающие книги школ по списку «Школы».")
@pass_svod
def init(svod: Svod) -> int:
    from sync_service.provision.workbooks import create_missing_workbooks

    created, extended = create_missing_workbooks(svod)
    for name in created:
        click.echo(f"создана книга: {name}")
    for name, tabs in extended.items():
        click.echo(f"добавлены листы в «{name}»: {', '.join(tabs)}")
    if not created and not extended:
        click.echo("Все книги школ на месте.")
    return 0


@cli.command(help="Google Таблицы: создать недостающие таблицы школ и свода, открыть доступ.")
@click.option("--no-email", is_flag=True, help="открыть доступ без письма-уведомления")
@pass_svod
def provision(svod: Svod, no_email: bool) -> int:
    if svod.settings.backend != "google":
        click.echo("provision — для Google Таблиц (SVOD_BACKEND=google); для файлов .xlsx есть «init».", err=True)
        return 2
    from sync_service.provision.google import provision as provision_google

    svod.db.upgrade()
    report = provision_google(svod, notify=not no_email)
    for line in report.lines():
        click.echo(line)
    return 1 if report.problems else 0


@cli.command(help="Прочитать книги, проверить, записать «Проверку» и свод.")
@click.option("--force", is_flag=True, help="перечитать все книги")
@click.option("--quiet", is_flag=True, help="без строки прогресса")
@click.option("--confirm-removal", is_flag=True,
              help="применить изменение книги руководителя, которое прошлая синхронизация не применила "
                   "(ушла бы большая часть школ или сборов)")
@pass_svod
def sync(svod: Svod, force: bool, quiet: bool, confirm_removal: bool) -> int:
    from sync_service.sync import held
    from sync_service.sync.run import SyncBusy, describe, run_sync
    from web.publish import publish_status

    svod.db.upgrade()
    if confirm_removal:
        confirmed = held.confirm(svod.db)
        click.echo("Изменение книги руководителя подтверждено: эта синхронизация его применит."
                   if confirmed else "Нет изменения книги руководителя, ждущего подтверждения.")
    try:
        summary = run_sync(svod, trigger="cli", force=force, publish=publish_status,
                           progress=None if quiet else progress_printer("Синхронизация"))
    except SyncBusy:
        click.echo("Синхронизация уже идёт в другом процессе; попробуйте позже.", err=True)
        return 3
    click.echo(describe(summary))
    for code, reason in sorted(summary.failures.items()):
        click.echo(f"  {code}: {reason}")
    return 1 if summary.status == "failed" else 0


def academic_year_option(command: Callable) -> Callable:
    return click.option("--year", "year", metavar="ГГГГ/ГГГГ",
                        help="учебный год (по умолчанию текущий, например 2026/2027)")(command)


def chosen_year(svod: Svod, year: str | None) -> str:
    """``--year`` as given (2026/2027 or 2026-2027), or the year Svod tracks."""
    from sync_service.district.registry import is_academic_year

    if year is None:
        return svod.academic_year
    if not is_academic_year(year):
        raise Failure(f"Ошибка: --year {year}: учебный год пишется так: 2026/2027", 2)
    return year.strip().replace("-", "/")


@cli.command(help="Показать статус сдачи.")
@click.option("--json", "as_json", is_flag=True, help="вывести JSON")
@academic_year_option
@pass_svod
def status(svod: Svod, as_json: bool, year: str | None) -> int:
    from sync_service.district.report import build_report

    svod.db.upgrade()
    academic_year = chosen_year(svod, year)
    with svod.db.session() as session:
        report = build_report(session, academic_year=academic_year, now=svod.clock())
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render_status_table(report))
    return 0


def render_status_table(report: dict) -> str:
    """The status as a plain text table: a row per school, a column per collection."""
    symbols = STATUS_SYMBOLS
    collections = report["collections"]
    by_pair = {(s["school"], s["collection"]): s["status"] for s in report["submissions"]}
    width = max([len(s["code"]) for s in report["schools"]] + [5])
    lines = ["Сборы:"]
    for i, c in enumerate(collections, start=1):
        deadline = (f"срок {date.fromisoformat(c['deadline']):%d.%m.%Y}" if c.get("deadline") else "без срока")
        unknown = c["counts"].get("unknown", 0)
        lines.append(f"  {i:>2}. {c['title']} — {deadline}; сдали {c['reporting_rate']:.0f} %, "
                     f"вовремя {c['on_time_rate']:.0f} %" + (f"; нет данных: {unknown}" if unknown else ""))
    lines.append("")
    lines.append("школа".ljust(width) + " " + " ".join(f"{i:>3}" for i in range(1, len(collections) + 1)))
    for school in report["schools"]:
        cells = [symbols.get(by_pair.get((school["code"], c["key"]), ""), "?") for c in collections]
        line = school["code"].ljust(width) + " " + " ".join(f"{s:>3}" for s in cells)
        if school.get("sync_error"):
            line += f"  ошибка{' чтения' if school.get('sync_error_kind') != 'write' else ''}: {school['sync_error']}"
            if school.get("sync_error_kind") == "read":
                line += (f" (статусы по данным на {date.fromisoformat(school['data_as_of'][:10]):%d.%m.%Y})"
                         if school.get("data_as_of") else " (ни разу не прочитана: нет данных)")
        lines.append(line)
    lines.append("")
    unknown = sum(c["counts"].get("unknown", 0) for c in collections)
    if unknown:
        lines.append("«?» — нет данных: книга школы не читается, Svod не знает, сдан ли отчёт "
                     "(в долях сдавших считается несдавшим).")
    lines.append("Обозначения: " + "; ".join(f"{symbols[k]} {v}" for k, v in STATUS_TEXTS.items()))
    return "\n".join(lines)


def address_options(command: Callable) -> Callable:
    """``--host`` and ``--port`` of the page (by default SVOD_HOST and PORT)."""
    command = click.option("--port", type=int, metavar="P", help="порт (по умолчанию PORT)")(command)
    return click.option("--host", metavar="H", help="адрес (по умолчанию SVOD_HOST)")(command)


@cli.command(help="Запустить страницу статуса.")
@address_options
@pass_svod
def serve(svod: Svod, host: str | None, port: int | None) -> int:
    return serve_page(svod, host, port)


def serve_page(svod: Svod, host: str | None, port: int | None) -> int:
    """Serve the pages on ``host``:``port`` until Ctrl-C (werkzeug's threaded server)."""
    import socket

    from werkzeug.serving import make_server

    from web import create_app

    svod.db.upgrade()  # one process: no workers racing through the migrations
    app = create_app({"SVOD": svod})
    host, port = host or svod.settings.host, port or svod.settings.port
    # Bound here so that a busy port is an OSError told in Russian (werkzeug's own binding
    # prints its English message and exits).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family) as listening:
        server = make_server(host, port, app, threaded=True, fd=listening.fileno())
    try:
        click.echo(f"Svod: страница статуса на http://{host}:{port}")
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a served page ends
    return 0


@cli.command(help="Всё сразу: демо-район при первом запуске, синхронизация, страница статуса и процесс "
                  "расписания рядом.")
@address_options
@pass_svod
def run(svod: Svod, host: str | None, port: int | None) -> int:
    """`make run`: the embedded default end to end — demo district on first run, a sync, the page
    and the clock beside it as a process of its own."""
    from sync_service.demo.district import generate_demo
    from sync_service.sync.run import SyncBusy, describe, run_sync
    from web.publish import publish_status

    svod.db.upgrade()
    known = {w.id for w in svod.store.list_workbooks()}
    if svod.settings.backend == "xlsx" and svod.head_workbook_id not in known:
        count = svod.settings.demo_schools
        click.echo(f"Первый запуск: создаю демо-район из {count} школ в {svod.settings.workbooks_dir}")
        printer = progress_printer("Демо-район")
        generate_demo(svod.store, svod.schema, schools=count, seed=1, today=svod.clock().date(),
                      progress=lambda done, total, name: printer(done, total, name, ""))
        load_sample_lists(svod)
    try:
        click.echo(describe(run_sync(svod, trigger="run", progress=progress_printer("Синхронизация"),
                                     publish=publish_status)))
    except SyncBusy:
        click.echo("Синхронизация уже идёт в другом процессе; показываю последние данные.")
    from jobs.child import clock_process

    with clock_process():  # the schedule and «Обновить сейчас» run there, never in the server
        return serve_page(svod, host, port)


@cli.command("new-year", help="Перейти на новый учебный год: новые листы форм в книгах школ, прошлогодние — "
                              "только для чтения в конце книги, новый «План» руководителя.")
@click.argument("year", metavar="ГГГГ/ГГГГ")
@click.option("--dry-run", is_flag=True, help="только показать, что будет создано, переименовано и перенесено")
@pass_svod
def new_year(svod: Svod, year: str, dry_run: bool) -> int:
    from sync_service.sync.run import SyncBusy, describe, execute, sync_lock
    from sync_service.yearturn.run import TurnRefused, preview, turn_year

    svod.db.upgrade()
    to_year = chosen_year(svod, year)
    try:
        with sync_lock(svod.settings.lock_file, svod.settings.database_url):
            if dry_run:
                report = preview(svod, to_year)
            else:
                printer = progress_printer("Переход на новый год")
                report = turn_year(svod, to_year, by="cli",
                                   progress=lambda done, total, step: printer(done, total, step, ""))
    except SyncBusy:
        click.echo("Синхронизация или переход уже идут в другом процессе; попробуйте позже.", err=True)
        return 3
    except TurnRefused as exc:
        click.echo(str(exc), err=True)
        return 2
    for line in report.lines():
        click.echo(line)
    if not dry_run and report.status in ("done", "partial"):
        with sync_lock(svod.settings.lock_file, svod.settings.database_url):
            click.echo(describe(execute(svod, trigger="new-year", force=False, progress=None)))
    return 1 if report.failed else 0


@cli.command("annual-report", help="«Анализ работы ОМО ШБ за год»: документ .docx и те же цифры в .xlsx.")
@academic_year_option
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="папка для файлов")
@pass_svod
def annual_report(svod: Svod, year: str | None, out: Path) -> int:
    from sync_service.district.annual_docs import annual_documents, file_name

    svod.db.upgrade()
    academic_year = chosen_year(svod, year)
    out.mkdir(parents=True, exist_ok=True)
    for content, suffix in zip(annual_documents(svod, academic_year), ("docx", "xlsx")):
        path = out / file_name(academic_year, suffix)
        path.write_bytes(content)
        click.echo(f"записан: {path}")
    return 0


@cli.command("db-upgrade", help="Применить миграции базы данных.")
@pass_svod
def db_upgrade(svod: Svod) -> int:
    svod.db.upgrade()
    click.echo("База данных обновлена до последней версии схемы.")
    return 0


@cli.command(help="Разослать напоминания школам и сводку руководителю.")
@click.option("--dry-run", is_flag=True, help="только показать письма, не отправлять")
@pass_svod
def remind(svod: Svod, dry_run: bool) -> int:
    from sync_service.district.reminders import remind as send

    return send(svod, dry_run=dry_run)


@cli.command("create-admin", help="Задать пароль руководителя ОМО (печатает строку для окружения).")
@click.option("--password-stdin", is_flag=True, help="прочитать пароль из stdin")
def create_admin(password_stdin: bool) -> int:
    from web.auth import create_admin as ask_and_print

    return ask_and_print(password_stdin=password_stdin)


@cli.group(help="Федеральный перечень учебников.")
def fpu() -> None:
    pass


@fpu.command("import", help="Загрузить федеральный перечень учебников (или прайс-лист) из .xlsx/.csv.")
@click.argument("file", required=False, metavar="ФАЙЛ")
@click.option("--prices", is_flag=True, help="это прайс-лист издательства (код, цена)")
@click.option("--sample", is_flag=True, help="загрузить образец из поставки Svod")
@pass_svod
def fpu_import(svod: Svod, file: str | None, prices: bool, sample: bool) -> int:
    from sync_service.order.commands import OrderCommandError
    from sync_service.order.commands import fpu_import as load
    from sync_service.order.fpu import sample_fpu_path, sample_prices_path

    if not file and not sample:
        click.echo("Укажите файл перечня (.xlsx или .csv) или --sample", err=True)
        return 2
    svod.db.upgrade()
    path = file or (sample_prices_path() if prices else sample_fpu_path())
    try:
        click.echo(load(svod.db, path, prices=prices))
    except OrderCommandError as exc:
        click.echo(str(exc), err=True)
        return 1
    return 0


@cli.group(help="Сводный заказ учебников.")
def order() -> None:
    pass


@order.command("export", help="Выгрузить спецификации и разнарядки по издательствам в .xlsx.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="папка для файлов .xlsx")
@pass_svod
def order_export(svod: Svod, out: Path) -> int:
    from sync_service.order.commands import OrderCommandError
    from sync_service.order.commands import order_export as export

    svod.db.upgrade()
    try:
        paths = export(svod.db, out, academic_year=svod.academic_year, now=svod.clock(),
                       customer=svod.settings.customer)
    except OrderCommandError as exc:
        click.echo(str(exc), err=True)
        return 1
    for path in paths:
        click.echo(f"спецификация: {path}")
    if not paths:
        click.echo("В заказе пока нет ни одной проверенной строки: спецификаций нет.")
    return 0


@cli.group(help="Формы руководителя ОМО (лист «Формы» её книги).")
def forms() -> None:
    pass


@forms.command("export", help="Встроенные формы Svod в виде листов «Формы» и «Правила» (.xlsx): скопируйте "
                             "форму в свою книгу и поправьте.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("Формы Svod.xlsx"),
              metavar="ФАЙЛ", help="куда записать (по умолчанию «Формы Svod.xlsx»)")
@pass_svod
def forms_export(svod: Svod, out: Path) -> int:
    from sync_service.forms.sheet_export import export_tabs
    from sync_service.stores.xlsx.writer import new_workbook

    out.write_bytes(new_workbook(export_tabs(svod.schema)))
    click.echo(f"записано: {out} (форм: {len(svod.schema.forms)})")
    return 0


@forms.command("yaml", help="Формы руководителя (как их прочитала последняя синхронизация) — файлами YAML для "
                           "sheets_schema/forms/.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="папка для файлов <ключ>.yaml")
@pass_svod
def forms_yaml(svod: Svod, out: Path) -> int:
    from sync_service.forms.sheet_export import form_yaml
    from sync_service.sync.head_forms import definitions_by_key

    svod.db.upgrade()
    with svod.db.session() as session:
        definitions = definitions_by_key(session)
    if not definitions:
        click.echo("Своих форм пока нет: опишите форму на листе «Формы» книги руководителя и выполните svod sync.")
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for key, definition in definitions.items():
        path = out / f"{key}.yaml"
        path.write_text(form_yaml(definition), encoding="utf-8")
        click.echo(f"{definition['title']}: {path}")
    return 0


@cli.group(help="Аккаунт Google руководителя ОМО (вход через OAuth, docs/google.md).")
def google() -> None:
    pass


@google.command("login", help="Подключить свой аккаунт Google: напечатать адрес, принять адрес после «Разрешить».")
@pass_svod
def google_login(svod: Svod) -> int:
    from sync_service.stores.google_account import login_cli

    svod.db.upgrade()
    return login_cli(svod.settings, svod.db, ask=lambda prompt: click.prompt(prompt), say=click.echo)


@google.command("logout", help="Отключить аккаунт Google: Svod забывает ключ и просит Google его отозвать.")
@pass_svod
def google_logout(svod: Svod) -> int:
    from sync_service.stores.google_account import logout_cli

    svod.db.upgrade()
    return logout_cli(svod.settings, svod.db, say=click.echo)


@google.command("status", help="Какой аккаунт Google подключён (ключ не показывается).")
@pass_svod
def google_status(svod: Svod) -> int:
    from sync_service.stores.google_account import status_cli

    svod.db.upgrade()
    return status_cli(svod.settings, svod.db, say=click.echo)


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(cli, argv, prog_name="svod")
