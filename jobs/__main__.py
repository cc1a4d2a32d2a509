"""``python -m jobs``: the clock process (the Procfile's ``clock:``), and its jobs by hand.

    python -m jobs                      # run the clock until SIGTERM/SIGINT (also: python -m jobs clock)
    python -m jobs clock --no-sync-at-start    # the same, first sync at the first interval
    python -m jobs run sync|reminders|export   # one job now, recorded in job_runs
    python -m jobs export [--format sqlite|jsonl] [--out DIR]
    python -m jobs restore FILE [--replace]    # load an export into DATABASE_URL

On click like ``svod`` (``sync_service.cli``): the same Russian help, messages and exit codes.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from sync_service.cli import CONTEXT, Group, pass_svod, run_main
from sync_service.context import Svod


@click.group(cls=Group, context_settings=CONTEXT, invoke_without_command=True, no_args_is_help=False,
             help="Svod: процесс расписания (clock).")
@click.pass_context
def jobs(ctx: click.Context) -> int | None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if ctx.invoked_subcommand is None:
        return ctx.invoke(clock)
    return None


@jobs.command(help="Запустить расписание (по умолчанию).")
@click.option("--no-sync-at-start", is_flag=True,
              help="не синхронизировать при запуске (первая синхронизация — через интервал)")
@pass_svod
def clock(svod: Svod, no_sync_at_start: bool = False) -> int:
    from .scheduler import run_clock

    return run_clock(svod, sync_at_start=not no_sync_at_start)


@jobs.command("run", help="Выполнить одно задание сейчас.")
@click.argument("job", type=click.Choice(["sync", "reminders", "export"]), metavar="ЗАДАНИЕ")
@pass_svod
def run_job(svod: Svod, job: str) -> int:
    from .scheduler import Runner

    svod.db.upgrade()
    row = Runner(svod).run(job)
    click.echo(f"{row.job}: {row.outcome}\n{row.message}")
    return 0 if row.outcome in ("ok", "skipped") else 1


@jobs.command(help="Выгрузить базу данных сейчас.")
@click.option("--format", "fmt", type=click.Choice(["sqlite", "jsonl"]),
              help="формат (по умолчанию sqlite для SQLite, jsonl для PostgreSQL)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="папка (по умолчанию SVOD_EXPORT_DIR)")
@pass_svod
def export(svod: Svod, fmt: str | None, out: Path | None) -> int:
    from .export import export_database

    svod.db.upgrade()
    click.echo(export_database(svod.db, out or svod.settings.export_dir, svod.clock().date(), fmt=fmt))
    return 0


@jobs.command(help="Загрузить выгрузку в базу данных DATABASE_URL.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="ФАЙЛ")
@click.option("--replace", is_flag=True, help="удалить данные, уже лежащие в базе")
@pass_svod
def restore(svod: Svod, file: Path, replace: bool) -> int:
    from .export import RestoreError, restore_database

    try:
        counts = restore_database(svod.db, file, replace=replace)
    except RestoreError as exc:
        click.echo(f"Не восстановлено: {exc}", err=True)
        return 1
    click.echo(f"Восстановлено строк: {sum(counts.values())} в {len(counts)} таблицах.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(jobs, argv, prog_name="python -m jobs")


if __name__ == "__main__":
    sys.exit(main())
