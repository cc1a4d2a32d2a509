"""What the CLI's order commands do; the CLI only parses options and prints the result.

    svod fpu import <file> [--prices]   -> fpu_import(svod.db, path, prices=…)
    svod fpu import --sample             -> fpu_import(svod.db, sample_fpu_path())
    svod order export <folder>           -> order_export(svod.db, folder, academic_year=svod.academic_year,
                                                         now=svod.clock(), customer=…)

Both take explicit arguments (a Database, paths, the year) rather than the Svod context,
so that they are tested without one. A problem with the file or the data raises
:class:`OrderCommandError` with a Russian message (the CLI prints it and exits with 1);
anything else is a failure of the program.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sync_service.db import Database
from sync_service.findings import Finding
from sync_service.order.consolidate import export_publishers, stale_exports
from sync_service.order.fpu import UnsupportedFile, read_fpu_file, read_price_file, sample_fpu_path, sample_prices_path
from sync_service.order.models import current_fpu, import_fpu, import_prices
from sync_service.order.queries import load_order

SAMPLE_MARK = " (ОБРАЗЕЦ, не официальный перечень)"
SHOWN_FINDINGS = 10


class OrderCommandError(Exception):
    """The command could not do its work because of the input: ``str(error)`` is Russian."""


def _source(path: Path) -> str:
    sample = path.resolve() in (sample_fpu_path().resolve(), sample_prices_path().resolve())
    return path.name + (SAMPLE_MARK if sample else "")


def _report(findings: list[Finding]) -> str:
    if not findings:
        return ""
    lines = [f"  — {f.message}" for f in findings[:SHOWN_FINDINGS]]
    if len(findings) > SHOWN_FINDINGS:
        lines.append(f"  … и ещё {len(findings) - SHOWN_FINDINGS}")
    return "\nПропущено строк: {}\n{}".format(len(findings), "\n".join(lines))


def fpu_import(db: Database, path: str | Path, *, prices: bool = False) -> str:
    """Import the federal list (or, with ``prices``, a publisher's price list) from an .xlsx
    or .csv file; returns what was done, in Russian. A list with the same content as the
    active one is not stored again."""
    path = Path(path)
    if not path.is_file():
        raise OrderCommandError(f"Файл не найден: {path}")
    try:
        read = read_price_file(path) if prices else read_fpu_file(path)
    except UnsupportedFile as exc:
        raise OrderCommandError(str(exc)) from None
    blocking = [f for f in read.findings if f.blocking]
    if blocking:
        raise OrderCommandError("\n".join(f"{f.message}. {f.hint}" for f in blocking))
    source = _source(path)
    with db.session() as session:
        if prices:
            fpu = current_fpu(session)
            publishers = {fpu.get(code).publisher for code in read.prices if fpu is not None and fpu.get(code)}
            publisher = publishers.pop() if len(publishers) == 1 else ""
            version = import_prices(session, read.prices, source, publisher=publisher)
            whom = f" издательства {publisher}" if publisher else ""
            done = f"Прайс-лист{whom} загружен: версия {version}, цен: {len(read.prices)} ({source})."
        else:
            before = current_fpu(session)
            version = import_fpu(session, read.entries, source)
            same = before is not None and before.version == version
            done = (f"Федеральный перечень не изменился: действует версия {version} ({len(read.entries)} учебников)."
                    if same else
                    f"Федеральный перечень загружен: версия {version}, учебников: {len(read.entries)} ({source}).")
    return done + _report(read.findings)


def order_export(db: Database, out_dir: str | Path, *, academic_year: str,
                 now: datetime | None = None, customer: str = "") -> list[Path]:
    """Write one .xlsx per publisher (specification and distribution list) into ``out_dir``
    for the orders collected in ``academic_year``; returns the files written. Earlier exports
    of the same year are overwritten, those of publishers no longer in the order removed."""
    from sync_service.stores.xlsx import XlsxStore

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with db.session() as session:
        if current_fpu(session) is None:
            raise OrderCommandError("Федеральный перечень не загружен: выполните «svod fpu import <файл>».")
        order = load_order(session, academic_year, now=now or datetime.now(), customer=customer)
    if order is None:
        raise OrderCommandError(f"В плане на {academic_year} нет сбора заказа учебников (textbook_order).")
    if not order.publishers:
        raise OrderCommandError("В сданных заказах нет ни одной верной строки: выгружать нечего.")
    store = XlsxStore(out)
    for stale in stale_exports(order, store):
        (out / stale).unlink(missing_ok=True)
    return [out / workbook_id for workbook_id in export_publishers(order, store)]
