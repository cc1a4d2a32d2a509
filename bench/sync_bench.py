"""A first full sync of a demo district on the xlsx backend beside its floor.

    python bench/sync_bench.py [--schools 500] [--big 3000] [--runs 3] [--big-runs 1] [--work DIR]

**Svod**: ``run_sync`` on a fresh copy of the district and of its database (the federal
list loaded, nothing synced yet): every school read, parsed, validated and stored, its
«Проверка» written, the head's tabs and the consolidated workbook written.

**Floor**: what a competent user would write to move the same bytes with the same
library and nothing else — Svod's own xlsx store (``XlsxStore.read`` / ``write_tabs`` /
``create_workbook``), the same number of threads, the same workbooks read, and exactly
the tabs the sync wrote (recorded from one sync beforehand) written to the same
workbooks: no parsing, validation, database or rendering.

Each run is a fresh process (so its peak RSS is its own, read with ``wait4``), the two
sides in turns; the time is the work alone (imports and copying the files are left out).
Printed: best and median of each side, their ratio, and peak RSS at two district sizes —
the sync's should not grow with the number of schools past what the read pool holds and
what the written workbooks themselves weigh (see bench/README.md).
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TODAY = "2026-11-22"
YEAR = "2026/2027"
WORKERS = 4  # SVOD_READ_WORKERS' default, on both sides


def environment(folder: Path, database: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "SVOD_WORKBOOKS_DIR": str(folder),
            "DATABASE_URL": f"sqlite:///{database}", "SVOD_LOCK_FILE": str(database.parent / "sync.lock"),
            "SVOD_ACADEMIC_YEAR": YEAR, "SVOD_READ_WORKERS": str(WORKERS), "SVOD_EXPORT_DIR": str(database.parent)}


# --- the children: each side in a process of its own ------------------------------------------------

class Recording:
    """Wraps a store: records what is written (workbook id, tabs), in order."""

    def __init__(self, store):
        self.store, self.writes = store, []

    def __getattr__(self, name):
        return getattr(self.store, name)

    def write_tabs(self, workbook_id, tabs, **options):
        tabs = list(tabs)
        self.writes.append(("write", workbook_id, held(tabs)))
        return self.store.write_tabs(workbook_id, tabs, **options)

    def create_workbook(self, title, tabs):
        self.writes.append(("create", title, held(tabs)))
        return self.store.create_workbook(title, tabs)


def held(tabs) -> list:
    """The tabs with their rows as lists: the sync's spooled rows (stores/rows.py) go with
    their temporary files when the sync is done; the floor writes these lists."""
    return [replace(tab, rows=list(tab.rows)) for tab in tabs]


def child_svod(record: Path | None) -> dict:
    from sync_service.config import Settings
    from sync_service.context import Svod
    from sync_service.stores.xlsx import XlsxStore
    from sync_service.sync.run import run_sync

    settings = Settings.from_env()
    store = XlsxStore(settings.workbooks_dir)
    if record is not None:
        store = Recording(store)
    svod = Svod(settings, store=store)
    _ = svod.schema  # loading the forms is start-up, not the sync
    started = time.perf_counter()
    summary = run_sync(svod, trigger="bench")
    seconds = time.perf_counter() - started
    if record is not None:
        with open(record, "wb") as out:
            pickle.dump([w for w in store.writes], out)
    return {"seconds": seconds, "read": summary.read, "failed": summary.failed, "status": summary.status}


def child_floor(record: Path) -> dict:
    from sync_service.config import Settings
    from sync_service.stores.base import StoreError
    from sync_service.stores.xlsx import XlsxStore

    with open(record, "rb") as source:
        writes = pickle.load(source)
    store = XlsxStore(Settings.from_env().workbooks_dir)
    per_workbook = {wid: tabs for kind, wid, tabs in writes if kind == "write"}
    created = [(title, tabs) for kind, title, tabs in writes if kind == "create"]
    started = time.perf_counter()

    def one(workbook_id: str) -> None:
        try:
            store.read(workbook_id)
        except StoreError:
            return  # the demo's broken workbook: the sync cannot read it either
        if workbook_id in per_workbook:
            store.write_tabs(workbook_id, per_workbook[workbook_id])

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, [w.id for w in store.list_workbooks()]))
    for title, tabs in created:
        store.create_workbook(title, tabs)
    return {"seconds": time.perf_counter() - started}


# --- the parent --------------------------------------------------------------------------------------

def run_child(side: str, folder: Path, database: Path, record: Path) -> dict:
    """One side in a fresh process on the given copies; its result and peak RSS (MB)."""
    command = [sys.executable, __file__, "--child", side, "--record", str(record)]
    process = subprocess.Popen(command, env=environment(folder, database), stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    result = json.loads(output.strip().splitlines()[-1]) if not process.returncode else {}
    if process.returncode or result.get("status") == "failed":
        raise SystemExit(f"{side} failed:\n{output}")
    return {**result, "rss": usage.ru_maxrss / 1024}


def district(work: Path, schools: int) -> tuple[Path, Path]:
    """The demo district of ``schools`` and its database (federal list loaded), made once."""
    folder, database = work / f"district-{schools}", work / f"district-{schools}.db"
    if not (folder / "Настройки ОМО.xlsx").exists():
        shutil.rmtree(folder, ignore_errors=True)
        database.unlink(missing_ok=True)
        print(f"generating {schools} schools in {folder} …", flush=True)
        env = environment(folder, database)
        subprocess.run([sys.executable, "-m", "sync_service", "demo-data", "--schools", str(schools), "--out",
                        str(folder), "--today", TODAY], env=env, check=True, stdout=subprocess.DEVNULL)
    # a district kept from an earlier run gets the revisions added since
    subprocess.run([sys.executable, "-m", "sync_service", "db-upgrade"], env=environment(folder, database), check=True,
                   stdout=subprocess.DEVNULL)
    return folder, database


def fresh_copy(folder: Path, database: Path, scratch: Path) -> tuple[Path, Path]:
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    shutil.copytree(folder, scratch / "district")
    shutil.copyfile(database, scratch / "svod.db")
    return scratch / "district", scratch / "svod.db"


def measure(work: Path, schools: int, runs: int) -> dict:
    folder, database = district(work, schools)
    record = work / f"writes-{schools}.pickle"
    scratch = work / "scratch"
    run_child("record", *fresh_copy(folder, database, scratch), record)
    results: dict[str, list[dict]] = {"svod": [], "floor": []}
    for n in range(runs):
        for side in ("svod", "floor") if n % 2 == 0 else ("floor", "svod"):
            results[side].append(run_child(side, *fresh_copy(folder, database, scratch), record))
            print(f"  {schools} schools, {side}: {results[side][-1]['seconds']:.2f} s, "
                  f"{results[side][-1]['rss']:.0f} MB", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    return results


def summary_line(schools: int, results: dict) -> str:
    seconds = {side: [r["seconds"] for r in rows] for side, rows in results.items()}
    rss = {side: max(r["rss"] for r in rows) for side, rows in results.items()}
    best = {side: min(values) for side, values in seconds.items()}
    median = {side: statistics.median(values) for side, values in seconds.items()}
    return (f"{schools:>5} schools: Svod best {best['svod']:.2f} s, median {median['svod']:.2f} s; floor best "
            f"{best['floor']:.2f} s, median {median['floor']:.2f} s; ratio best {best['svod'] / best['floor']:.2f}x, "
            f"median {median['svod'] / median['floor']:.2f}x; peak RSS Svod {rss['svod']:.0f} MB, "
            f"floor {rss['floor']:.0f} MB ({len(seconds['svod'])} runs each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--big", type=int, default=3000, help="the second district size (peak RSS); 0: none")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-runs", type=int, default=1)
    parser.add_argument("--work", type=Path, help="where the districts are kept between runs (default: a temp dir)")
    parser.add_argument("--child", choices=["svod", "floor", "record"], help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child_floor(args.record) if args.child == "floor" else child_svod(
            args.record if args.child == "record" else None)
        print(json.dumps(result))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="svod-sync-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    lines = [summary_line(args.schools, measure(work, args.schools, args.runs))]
    if args.big:
        lines.append(summary_line(args.big, measure(work, args.big, args.big_runs)))
    print("\nA first full sync on the xlsx backend (SQLite), Svod beside the floor "
          "(the same reads and writes through the same store, nothing else):")
    print("\n".join(lines))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
