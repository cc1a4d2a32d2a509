"""API calls and wall time of a sync on Google Sheets, against the local emulator, beside a
naive gspread client.

Builds a demo district (N schools × every form) through GoogleStore, then, with Google's
per-user quota (60 reads and 60 writes a minute) and 200 ms latency on every request:

1. a full sync (every school read, every «Проверка» written, the consolidated spreadsheet
   created and written);
2. an idle sync (nothing changed);
3. a full sync of a fresh Svod with 20 % of the requests failing (429, 500, 503, dropped
   connections): no school may be lost;
4. the naive baseline: ``open_by_key``, then ``worksheet(title)`` and ``get_all_values()``
   per tab, for every school — calls counted without quota or latency, its time under the
   quota computed from them.

    python bench/google_bench.py [--schools 200] [--quota 60] [--latency-ms 200] [--fault-rate 0.2]
                                 [--workers 4] [--seed 1] [--skip-faults] [--skip-baseline]

Targets (issue: Google backend): ≥ 10× fewer calls than the baseline; a full sync within
10 % of the time the quota itself allows; zero failed schools with 20 % injected faults.
The emulator runs in its own process (``python -m sheets_emulator``), so its work does not
compete with Svod's for the interpreter. Not part of ``make test``: it takes minutes with
the real quota (``--schools 20`` for a quick look).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync_service.config import Settings  # noqa: E402
from sync_service.context import Svod  # noqa: E402
from sync_service.demo.district import generate_demo  # noqa: E402
from sync_service.forms.schema import load_schema  # noqa: E402
from sync_service.stores.google import GoogleStore  # noqa: E402
from sync_service.sync.run import describe, run_sync  # noqa: E402

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0)
WINDOW = 60.0


def say(text: str) -> None:
    print(text, flush=True)


class Emulator:
    """``python -m sheets_emulator --port 0`` in a child process, driven over HTTP."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sheets_emulator", "--port", "0", "--read-quota", "0", "--write-quota", "0"],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if "http://" not in line:
            raise SystemExit(f"the emulator did not start: {line!r}")
        self.url = line.split()[-1]

    def config(self, **changes) -> None:
        requests.post(f"{self.url}/_emulator/config", json=changes, timeout=30).raise_for_status()

    def reset_stats(self) -> None:
        requests.post(f"{self.url}/_emulator/reset", json={"state": False, "stats": True}, timeout=30)

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_emulator/stats", timeout=30).json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def quota_floor(calls: int, per_minute: int) -> float:
    """Seconds the quota alone forces on ``calls`` requests sent at once into an empty
    sliding window: a minute for every full window after the first."""
    if per_minute <= 0 or calls <= 0:
        return 0.0
    return (calls - 1) // per_minute * WINDOW


def split(stats: dict) -> dict[str, int]:
    """Calls per API and kind: quotas are per API (Sheets, Drive) and per read/write."""
    out = {"sheets_reads": 0, "sheets_writes": 0, "drive_reads": 0, "drive_writes": 0}
    for endpoint, count in stats["endpoints"].items():
        method, name = endpoint.split(" ", 1)
        api = "drive" if name.startswith("drive.") else "sheets"
        out[f"{api}_{'reads' if method == 'GET' else 'writes'}"] += count
    return out


def settings(emulator: Emulator, folder: Path, args, **overrides) -> Settings:
    values = dict(backend="google", google_api_url=emulator.url, google_quota_per_minute=args.quota,
                  read_workers=args.workers, database_url=f"sqlite:///{folder / 'svod.db'}",
                  lock_file=folder / "sync.lock", academic_year="2026/2027")
    values.update(overrides)
    return Settings.from_env({}, **values)


def progress_line(label: str):
    step = [0]

    def show(done: int, total: int, name: str, *_):
        if done * 10 // max(total, 1) != step[0] or done == total:
            step[0] = done * 10 // max(total, 1)
            say(f"  {label}: {done}/{total} {name}")
    return show


def timed_sync(emulator: Emulator, svod: Svod, label: str) -> tuple[dict, float, object]:
    emulator.reset_stats()
    svod.store.api.counts.largest_body = 0
    started = time.monotonic()
    summary = run_sync(svod, trigger="bench", progress=progress_line(label))
    seconds = time.monotonic() - started
    return {**emulator.stats(), "largest_body": svod.store.api.counts.largest_body}, seconds, summary


def report_sync(label: str, stats: dict, seconds: float, summary, quota: int) -> dict:
    calls = split(stats)
    # Google counts each API's reads and writes in windows of their own, and Svod writes a
    # school's «Проверка» while the others are still read: the quota's floor is the longest
    # of the four, not their sum.
    floor = max(quota_floor(calls[key], quota) for key in calls)
    say(f"{label}: {describe(summary)}")
    say(f"  calls: {stats['reads']} reads ({calls['drive_reads']} Drive), {stats['writes']} writes; "
        f"faults {stats['faults']}, throttled by the emulator {stats['throttled']}")
    say(f"  wall time {seconds:.1f} s; the quota alone forces {floor:.0f} s")
    say(f"  largest request body {stats['largest_body'] / 1e6:.2f} MB (Google recommends at most 2 MB)")
    if floor:
        say(f"  wall time ÷ quota floor = {seconds / floor:.2f}")
    return {"reads": stats["reads"], "writes": stats["writes"], "seconds": round(seconds, 1),
            "floor": floor, "failed": summary.failed, "faults": stats["faults"],
            "largest_body": stats["largest_body"]}


def baseline(emulator: Emulator, school_ids: list[str]) -> dict:
    """What a straightforward gspread script costs to read every tab of every school."""
    from sheets_emulator.client import gspread_client

    client = gspread_client(emulator.url, token="svod")
    emulator.reset_stats()
    started = time.monotonic()
    for n, workbook_id in enumerate(school_ids, start=1):
        spreadsheet = client.open_by_key(workbook_id)
        for title in [w.title for w in spreadsheet.worksheets()]:
            spreadsheet.worksheet(title).get_all_values()
        if n % max(1, len(school_ids) // 10) == 0:
            say(f"  baseline: {n}/{len(school_ids)}")
    stats = emulator.stats()
    return {"reads": stats["reads"], "writes": stats["writes"], "seconds": time.monotonic() - started}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--quota", type=int, default=60, help="reads and writes a minute per user")
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=4, help="SVOD_READ_WORKERS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args(argv)

    emulator = Emulator()
    folder = Path(tempfile.mkdtemp(prefix="svod-google-bench-"))
    results: dict = {"schools": args.schools, "quota": args.quota, "latency_ms": args.latency_ms}
    try:
        say(f"Emulator at {emulator.url}; building a demo district of {args.schools} schools (no quota)…")
        started = time.monotonic()
        store = GoogleStore.from_settings(settings(emulator, folder, args, google_quota_per_minute=0))
        district = generate_demo(store, load_schema(), schools=args.schools, seed=args.seed, today=TODAY,
                                 progress=progress_line("demo"))
        say(f"  built in {time.monotonic() - started:.0f} s")

        emulator.config(read_quota=args.quota, write_quota=args.quota, latency_ms=args.latency_ms)
        svod = Svod.from_settings(settings(emulator, folder, args, head_spreadsheet_id=district.head_workbook_id),
                                  clock=lambda: NOW)
        svod.db.upgrade()
        say(f"Full sync with {args.quota} reads and writes a minute and {args.latency_ms:.0f} ms latency…")
        results["full"] = report_sync("full sync", *timed_sync(emulator, svod, "full sync"), args.quota)
        results["idle"] = report_sync("idle sync", *timed_sync(emulator, svod, "idle sync"), args.quota)

        if not args.skip_faults:
            fresh = folder / "faults"
            fresh.mkdir()
            emulator.config(fault_rate=args.fault_rate, seed=args.seed)
            svod = Svod.from_settings(settings(emulator, fresh, args, head_spreadsheet_id=district.head_workbook_id),
                                      clock=lambda: NOW)
            svod.db.upgrade()
            say(f"Full sync of a fresh Svod with {args.fault_rate:.0%} of requests failing…")
            results["faults"] = report_sync("faulty sync", *timed_sync(emulator, svod, "faulty sync"), args.quota)
            emulator.config(fault_rate=0.0)

        if not args.skip_baseline:
            emulator.config(read_quota=0, write_quota=0, latency_ms=0)
            say("Naive gspread baseline (calls counted without quota or latency)…")
            base = baseline(emulator, [s.workbook_id for s in district.schools if s.active])
            results["baseline"] = base
            full = results["full"]
            ratio = base["reads"] / max(1, full["reads"])
            say(f"baseline: {base['reads']} reads for one pass over the schools; under the quota that is at "
                f"least {quota_floor(base['reads'], args.quota) / 60:.0f} min")
            say(f"  Svod's full sync: {full['reads']} reads — {ratio:.0f}× fewer")
            results["ratio"] = round(ratio, 1)
        say(json.dumps(results, ensure_ascii=False))
    finally:
        emulator.stop()
    failed = results.get("faults", {}).get("failed", 0) or results["full"]["failed"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
