"""``python -m jobs``: the clock process (the Procfile's ``clock:``), and its jobs by hand.

    python -m jobs                      # run the clock until SIGTERM/SIGINT
    python -m jobs run sync|reminders|export   # one job now, recorded in job_runs
    python -m jobs export [--format sqlite|jsonl] [--out DIR]
    python -m jobs restore FILE [--replace]    # load an export into DATABASE_URL
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Sequence

from sync_service.config import ConfigError, Settings
from sync_service.context import Svod, local_clock


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jobs", description="Svod: процесс расписания (clock).")
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА")
    sub.add_parser("clock", help="запустить расписание (по умолчанию)")
    run = sub.add_parser("run", help="выполнить одно задание сейчас")
    run.add_argument("job", choices=["sync", "reminders", "export"])
    export = sub.add_parser("export", help="выгрузить базу данных сейчас")
    export.add_argument("--format", choices=["sqlite", "jsonl"], help="формат (по умолчанию sqlite для SQLite, "
                                                                       "jsonl для PostgreSQL)")
    export.add_argument("--out", help="папка (по умолчанию SVOD_EXPORT_DIR)")
    restore = sub.add_parser("restore", help="загрузить выгрузку в базу данных DATABASE_URL")
    restore.add_argument("file", help="файл svod-ГГГГ-ММ-ДД.sqlite3 или .jsonl.zip")
    restore.add_argument("--replace", action="store_true", help="удалить данные, уже лежащие в базе")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"Ошибка настройки: {exc}", file=sys.stderr)
        return 2
    if args.command == "export":
        from sync_service.db import Database

        from .export import export_database

        db = Database(settings.database_url)
        db.upgrade()
        today = local_clock(settings.timezone)().date()
        path = export_database(db, Path(args.out) if args.out else settings.export_dir, today, fmt=args.format)
        print(path)
        return 0
    if args.command == "restore":
        from sync_service.db import Database

        from .export import RestoreError, restore_database

        try:
            counts = restore_database(Database(settings.database_url), Path(args.file), replace=args.replace)
        except RestoreError as exc:
            print(f"Не восстановлено: {exc}", file=sys.stderr)
            return 1
        print(f"Восстановлено строк: {sum(counts.values())} в {len(counts)} таблицах.")
        return 0
    from .scheduler import Runner, run_clock

    if args.command == "run":
        svod = Svod.from_settings(settings)
        svod.db.upgrade()
        row = Runner(svod).run(args.job)
        print(f"{row.job}: {row.outcome}\n{row.message}")
        return 0 if row.outcome in ("ok", "skipped") else 1
    return run_clock(Svod.from_settings(settings))


if __name__ == "__main__":
    sys.exit(main())
