"""``python -m sync_service …`` (also installed as ``svod``): parses options, builds the
Svod context from the environment, and calls the functions that do the work."""
from __future__ import annotations

import argparse
import errno
import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sync_service.config import ConfigError, Settings
from sync_service.context import Svod
from sync_service.district.status import STATUS_LABELS

Command = Callable[[argparse.Namespace, Svod], int]


def _progress_printer(label: str):
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


# --- commands ----------------------------------------------------------------------------

def cmd_demo_data(args: argparse.Namespace, svod: Svod) -> int:
    from sync_service.demo.district import generate_demo
    from sync_service.stores.xlsx import XlsxStore

    store = svod.store
    if args.out:
        if svod.settings.backend != "xlsx":
            print("--out применим только к локальным книгам (SVOD_BACKEND=xlsx)", file=sys.stderr)
            return 2
        Path(args.out).mkdir(parents=True, exist_ok=True)
        store = XlsxStore(Path(args.out))
    today = date.fromisoformat(args.today) if args.today else svod.clock().date()
    printer = _progress_printer("Демо-район")
    district = generate_demo(store, svod.schema, schools=args.schools, seed=args.seed, today=today,
                             progress=lambda done, total, name: printer(done, total, name, ""))
    load_sample_lists(svod)
    print(f"Демо-район: школ {args.schools}, книги в {args.out or svod.settings.workbooks_dir}")
    print(district.head_workbook_id)
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
        print(fpu_import(svod.db, sample_fpu_path()))
        print(fpu_import(svod.db, sample_prices_path(), prices=True))


def cmd_init(args: argparse.Namespace, svod: Svod) -> int:
    from sync_service.provision.workbooks import create_missing_workbooks

    created, extended = create_missing_workbooks(svod)
    for name in created:
        print(f"создана книга: {name}")
    for name, tabs in extended.items():
        print(f"добавлены листы в «{name}»: {', '.join(tabs)}")
    if not created and not extended:
        print("Все книги школ на месте.")
    return 0


def cmd_provision(args: argparse.Namespace, svod: Svod) -> int:
    if svod.settings.backend != "google":
        print("provision — для Google Таблиц (SVOD_BACKEND=google); для файлов .xlsx есть «init».",
              file=sys.stderr)
        return 2
    from sync_service.provision.google import provision

    svod.db.upgrade()
    report = provision(svod, notify=not args.no_email)
    for line in report.lines():
        print(line)
    return 1 if report.problems else 0


def cmd_sync(args: argparse.Namespace, svod: Svod) -> int:
    from sync_service.sync.run import SyncBusy, describe, run_sync

    svod.db.upgrade()
    try:
        summary = run_sync(svod, trigger="cli", force=args.force,
                           progress=None if args.quiet else _progress_printer("Синхронизация"))
    except SyncBusy:
        print("Синхронизация уже идёт в другом процессе; попробуйте позже.", file=sys.stderr)
        return 3
    print(describe(summary))
    for code, reason in sorted(summary.failures.items()):
        print(f"  {code}: {reason}")
    return 1 if summary.status == "failed" else 0


def cmd_status(args: argparse.Namespace, svod: Svod) -> int:
    from sync_service.district.report import build_report

    svod.db.upgrade()
    with svod.db.session() as session:
        report = build_report(session, academic_year=svod.academic_year, now=svod.clock())
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return 0
    print(render_status_table(report))
    return 0


def render_status_table(report: dict) -> str:
    """The status as a plain text table: a row per school, a column per collection."""
    symbols = {"not_started": "·", "in_progress": "…", "submitted": "✓", "submitted_late": "✓!",
               "returned": "✗", "overdue": "!"}
    collections = report["collections"]
    by_pair = {(s["school"], s["collection"]): s["status"] for s in report["submissions"]}
    width = max([len(s["code"]) for s in report["schools"]] + [5])
    lines = ["Сборы:"]
    for i, c in enumerate(collections, start=1):
        deadline = (f"срок {date.fromisoformat(c['deadline']):%d.%m.%Y}" if c.get("deadline") else "без срока")
        lines.append(f"  {i:>2}. {c['title']} — {deadline}; сдали {c['reporting_rate']:.0f} %, "
                     f"вовремя {c['on_time_rate']:.0f} %")
    lines.append("")
    lines.append("школа".ljust(width) + " " + " ".join(f"{i:>3}" for i in range(1, len(collections) + 1)))
    for school in report["schools"]:
        cells = [symbols.get(by_pair.get((school["code"], c["key"]), ""), "?") for c in collections]
        line = school["code"].ljust(width) + " " + " ".join(f"{s:>3}" for s in cells)
        if school.get("sync_error"):
            line += f"  ошибка чтения: {school['sync_error']}"
        lines.append(line)
    lines.append("")
    lines.append("Обозначения: " + "; ".join(f"{symbols[k]} {v}" for k, v in STATUS_LABELS.items()))
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace, svod: Svod) -> int:
    from web import create_app

    svod.db.upgrade()  # one process: no workers racing through the migrations
    app = create_app({"SVOD": svod})
    host, port = args.host or svod.settings.host, args.port or svod.settings.port
    print(f"Svod: страница статуса на http://{host}:{port}", flush=True)
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)
    return 0


def cmd_run(args: argparse.Namespace, svod: Svod) -> int:
    """`make run`: the embedded default end to end — demo district on first run, a sync, the page."""
    from sync_service.demo.district import generate_demo
    from sync_service.sync.run import SyncBusy, describe, run_sync

    svod.db.upgrade()
    known = {w.id for w in svod.store.list_workbooks()}
    if svod.settings.backend == "xlsx" and svod.head_workbook_id not in known:
        count = svod.settings.demo_schools
        print(f"Первый запуск: создаю демо-район из {count} школ в {svod.settings.workbooks_dir}")
        printer = _progress_printer("Демо-район")
        generate_demo(svod.store, svod.schema, schools=count, seed=1, today=svod.clock().date(),
                      progress=lambda done, total, name: printer(done, total, name, ""))
        load_sample_lists(svod)
    try:
        print(describe(run_sync(svod, trigger="run", progress=_progress_printer("Синхронизация"))))
    except SyncBusy:
        print("Синхронизация уже идёт в другом процессе; показываю последние данные.")
    return cmd_serve(args, svod)


def cmd_fpu_import(args: argparse.Namespace, svod: Svod) -> int:
    from sync_service.order.commands import OrderCommandError, fpu_import
    from sync_service.order.fpu import sample_fpu_path, sample_prices_path

    if not args.file and not args.sample:
        print("Укажите файл перечня (.xlsx или .csv) или --sample", file=sys.stderr)
        return 2
    svod.db.upgrade()
    path = args.file or (sample_prices_path() if args.prices else sample_fpu_path())
    try:
        print(fpu_import(svod.db, path, prices=args.prices))
    except OrderCommandError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_order_export(args: argparse.Namespace, svod: Svod) -> int:
    from sync_service.order.commands import OrderCommandError, order_export

    svod.db.upgrade()
    try:
        paths = order_export(svod.db, Path(args.out), academic_year=svod.academic_year, now=svod.clock())
    except OrderCommandError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in paths:
        print(f"спецификация: {path}")
    if not paths:
        print("В заказе пока нет ни одной проверенной строки: спецификаций нет.")
    return 0


def cmd_remind(args: argparse.Namespace, svod: Svod) -> int:
    from sync_service.district.reminders import cmd_remind as remind

    return remind(args, svod)


def cmd_create_admin(args: argparse.Namespace, svod: Svod) -> int:
    from web.auth import cmd_create_admin as create_admin

    return create_admin(args, svod)


def cmd_db_upgrade(args: argparse.Namespace, svod: Svod) -> int:
    svod.db.upgrade()
    print("База данных обновлена до последней версии схемы.")
    return 0


COMMANDS: dict[str, tuple[Command, str]] = {
    "demo-data": (cmd_demo_data, "создать демо-район: книги школ и книгу руководителя"),
    "init": (cmd_init, "создать недостающие книги школ по списку «Школы»"),
    "provision": (cmd_provision, "Google Таблицы: создать недостающие таблицы школ и свода, открыть доступ"),
    "sync": (cmd_sync, "прочитать книги, проверить, записать «Проверку» и свод"),
    "status": (cmd_status, "показать статус сдачи"),
    "serve": (cmd_serve, "запустить страницу статуса"),
    "run": (cmd_run, "всё сразу: демо-район при первом запуске, синхронизация, страница статуса"),
    "db-upgrade": (cmd_db_upgrade, "применить миграции базы данных"),
    "remind": (cmd_remind, "разослать напоминания школам и сводку руководителю"),
    "create-admin": (cmd_create_admin, "задать пароль руководителя ОМО (печатает строку для окружения)"),
    "fpu import": (cmd_fpu_import, "загрузить федеральный перечень учебников (или прайс-лист) из .xlsx/.csv"),
    "order export": (cmd_order_export, "выгрузить спецификации и разнарядки по издательствам в .xlsx"),
}
# Commands of two words («fpu import») are grouped under their first word.
GROUPS = {"fpu": "федеральный перечень учебников", "order": "сводный заказ учебников"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="svod", description="Svod: сбор отчётов школьных библиотек.")
    parser.add_argument("-v", "--verbose", action="store_true", help="подробный журнал")
    sub = parser.add_subparsers(dest="group", required=True, metavar="КОМАНДА")
    groups: dict[str, argparse._SubParsersAction] = {}
    for name, (_fn, help_text) in COMMANDS.items():
        first, _, action = name.partition(" ")
        if action and first not in groups:
            groups[first] = sub.add_parser(first, help=GROUPS[first], description=GROUPS[first]).add_subparsers(
                dest="action", required=True, metavar="ДЕЙСТВИЕ")
        parent = groups[first] if action else sub
        command = parent.add_parser(action or name, help=help_text, description=help_text)
        command.set_defaults(command=name)
        if name == "demo-data":
            command.add_argument("--schools", type=int, default=24, help="число школ (по умолчанию 24)")
            command.add_argument("--seed", type=int, default=1, help="зерно случайных данных")
            command.add_argument("--out", help="папка для книг (по умолчанию SVOD_WORKBOOKS_DIR)")
            command.add_argument("--today", help="считать сегодняшней эту дату (ГГГГ-ММ-ДД)")
        elif name == "provision":
            command.add_argument("--no-email", action="store_true", help="открыть доступ без письма-уведомления")
        elif name == "sync":
            command.add_argument("--force", action="store_true", help="перечитать все книги")
            command.add_argument("--quiet", action="store_true", help="без строки прогресса")
        elif name == "status":
            command.add_argument("--json", action="store_true", help="вывести JSON")
        elif name == "remind":
            command.add_argument("--dry-run", action="store_true", help="только показать письма, не отправлять")
        elif name == "create-admin":
            command.add_argument("--password-stdin", action="store_true", help="прочитать пароль из stdin")
        elif name == "fpu import":
            command.add_argument("file", nargs="?", help="файл .xlsx или .csv")
            command.add_argument("--prices", action="store_true", help="это прайс-лист издательства (код, цена)")
            command.add_argument("--sample", action="store_true", help="загрузить образец из поставки Svod")
        elif name == "order export":
            command.add_argument("--out", required=True, help="папка для файлов .xlsx")
        elif name in ("serve", "run"):
            command.add_argument("--host")
            command.add_argument("--port", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        svod = Svod.from_settings(Settings.from_env())
    except ConfigError as exc:
        print(f"Ошибка настройки: {exc}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command][0](args, svod)
    except ConfigError as exc:  # a part built on first use (the Google store) found a setting wrong
        print(f"Ошибка настройки: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        # never the password: the URL is shown as SQLAlchemy masks it
        where = make_url(svod.settings.database_url).render_as_string(hide_password=True)
        print(f"Нет связи с базой данных {where}: {exc.orig}. Проверьте DATABASE_URL и что сервер базы "
              "запущен.", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"Адрес уже занят: {exc.strerror}. Остановите другой процесс на этом порту или задайте "
                  "другой порт (PORT).", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        print("\nОстановлено.", file=sys.stderr)
        return 130
