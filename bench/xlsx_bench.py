"""Svod's .xlsx reader beside openpyxl's read-only mode, on the same files, and what an
openpyxl load-and-save would do to them.

Two sets of files, held in memory: the school workbooks of a generated demo district (the
forms Svod creates, filled in as librarians do) and the readable files of the corpus
(tests/corpus/: Excel, LibreOffice, WPS, … as they were published). Each side reads every
file of a set — Svod's ``read_sheets`` (values as shown, dates, percentages, merges) and
what a competent user writes with openpyxl (``load_workbook(read_only=True,
data_only=True)`` and every worksheet's ``iter_rows(values_only=True)``, no merges) —
``--runs`` times in turns; prints the CPU time of the best and the median run of each.

Then the intactness: each corpus file loaded by openpyxl (as a workbook to edit), a tab
added and saved, as a writer built on openpyxl would do; printed are the parts that are no
longer the same bytes and the cells Svod reads differently afterwards (cached values of
formulas lost, for one), beside Svod's own writer, which keeps every other part as it was.

    python bench/xlsx_bench.py [--schools 40] [--runs 7]
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import warnings
import zipfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402

from sync_service.demo.district import generate_demo  # noqa: E402
from sync_service.forms.schema import load_schema  # noqa: E402
from sync_service.stores.base import TabSpec  # noqa: E402
from sync_service.stores.xlsx import FileRefused, XlsxStore, read_sheets, write_tabs  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
CHECK = TabSpec("Проверка", [["Сбор", "Статус"], ["Фонд", "сдан"]], bold_rows=(1,))


def school_workbooks(schools: int) -> list[bytes]:
    with tempfile.TemporaryDirectory() as folder:
        store = XlsxStore(folder)
        generate_demo(store, load_schema(), schools=schools, seed=1, today=date(2026, 11, 22))
        found = []
        for path in sorted(Path(folder).glob("sch*.xlsx")):
            try:
                read_sheets(path.read_bytes())
            except FileRefused:   # the demo breaks one workbook on purpose
                continue
            found.append(path.read_bytes())
        return found


def corpus_files() -> dict[str, bytes]:
    found = {}
    for path in sorted(CORPUS.glob("*/*.xls[xm]")):
        data = path.read_bytes()
        try:
            read_sheets(data)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).close()
        except Exception:  # noqa: BLE001 - a file either side refuses is not a fair lap
            continue
        found[f"{path.parent.name}/{path.name}"] = data
    return found


def svod(files: list[bytes]) -> None:
    for data in files:
        read_sheets(data)


def with_openpyxl(files: list[bytes]) -> None:
    for data in files:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for sheet in book.worksheets:
            for _row in sheet.iter_rows(values_only=True):
                pass
        book.close()


def timed(files: list[bytes], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"svod": [], "openpyxl": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # openpyxl warns about what it does not model
        for _ in range(runs):
            for name, read in (("svod", svod), ("openpyxl", with_openpyxl)):
                started = time.process_time()
                read(files)
                times[name].append(time.process_time() - started)
    return times


def report(title: str, files: list[bytes], times: dict[str, list[float]]) -> None:
    size = sum(len(d) for d in files) / 1e6
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"{title}: {len(files)} files, {size:.1f} MB")
    for side in ("svod", "openpyxl"):
        print(f"  {side:9} best {best[side] * 1000:8.1f} ms   median {median[side] * 1000:8.1f} ms CPU")
    print(f"  openpyxl read-only / Svod: {best['openpyxl'] / best['svod']:.1f}× (best), "
          f"{median['openpyxl'] / median['svod']:.1f}× (medians)")


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def changed_cells(before: dict, after: dict, formulas: set) -> tuple[int, int]:
    """Cells of ``before`` read differently in ``after``, and how many of them hold a formula."""
    count = lost = 0
    for title, sheet in before.items():
        other = after.get(title)
        rows = other.rows if other else []
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is not None and (r >= len(rows) or c >= len(rows[r]) or rows[r][c] != value):
                    count += 1
                    lost += (title, r + 1, c + 1) in formulas
    return count, lost


def formula_cells(book) -> set:
    return {(sheet.title, cell.row, cell.column) for sheet in book.worksheets for cell in sheet._cells.values()
            if cell.data_type == "f"}


def intactness(files: dict[str, bytes]) -> None:
    """What adding a tab does to the rest of each file: openpyxl load-and-save against Svod."""
    # files changed elsewhere, other parts changed, cells read differently, of them formulas
    totals = {"openpyxl": [0, 0, 0, 0], "svod": [0, 0, 0, 0]}
    for name, data in files.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                book = openpyxl.load_workbook(io.BytesIO(data), keep_vba=name.endswith(".xlsm"))
                formulas = formula_cells(book)
                book.create_sheet("Проверка")["A1"] = "сдан"
                out = io.BytesIO()
                book.save(out)
                resaved = out.getvalue()
            except Exception:  # noqa: BLE001 - openpyxl cannot round-trip it: counted as touched
                resaved, formulas = None, set()
        try:
            ours = write_tabs(data, [CHECK])
        except FileRefused:
            continue
        before, sheets = parts(data), read_sheets(data)
        for side, written in (("openpyxl", resaved), ("svod", ours)):
            if written is None:
                totals[side][0] += 1
                continue
            after = parts(written)
            own = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml",
                   "xl/calcChain.xml"}
            moved = [p for p in before if p not in own and after.get(p) != before[p]]
            cells, lost = changed_cells(sheets, {t: s for t, s in read_sheets(written).items() if t != "Проверка"},
                                        formulas)
            totals[side][0] += bool(moved or cells)
            totals[side][1] += len(moved)
            totals[side][2] += cells
            totals[side][3] += lost
    print(f"adding a tab to each of {len(files)} corpus files:")
    for side, (touched, moved, cells, lost) in totals.items():
        print(f"  {side:9} {touched:3} files changed elsewhere, {moved:4} other parts not the same bytes, "
              f"{cells:6} cells read differently ({lost} formulas without their values)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    schools = school_workbooks(args.schools)
    report("demo school workbooks", schools, timed(schools, args.runs))
    corpus = corpus_files()
    report("corpus files", list(corpus.values()), timed(list(corpus.values()), args.runs))
    intactness(corpus)


if __name__ == "__main__":
    main()
