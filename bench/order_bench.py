"""The municipal order at district scale: consolidate and write every specification.

300 schools × 400 order lines each (random valid lines from the shipped sample list,
with prices), consolidated into the municipal order, then one .xlsx per publisher (its
specification and distribution tabs) written through XlsxStore into a temporary folder,
plus the consolidated tabs built once. Prints the time of each step and the peak memory.

    python bench/order_bench.py [--schools 300] [--lines 400] [--seed 1]

Targets: under 5 s in all and under 500 MB peak.
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync_service.order.common import MissingSchool, SchoolRows  # noqa: E402
from sync_service.order.consolidate import build_order, export_publishers, order_tabs  # noqa: E402
from sync_service.order.fpu import (  # noqa: E402
    FpuIndex,
    order_year_start,
    read_fpu_file,
    read_price_file,
    sample_fpu_path,
    sample_prices_path,
)
from sync_service.stores.xlsx import XlsxStore  # noqa: E402

YEAR = "2026/2027"


def school_orders(fpu: FpuIndex, schools: int, lines: int, seed: int) -> list[SchoolRows]:
    rnd = random.Random(seed)
    start = order_year_start(YEAR)
    usable = [(e.code, g) for e in fpu if e.usable_on(start) for g in e.grades]
    orders = []
    for s in range(1, schools + 1):
        rows = [{"_row": n + 5, "fpu_code": code, "grade": grade, "copies": rnd.randint(1, 120)}
                for n, (code, grade) in enumerate(rnd.choices(usable, k=lines))]
        orders.append(SchoolRows(f"sch{s:03d}", f"МБОУ СОШ №{s}", rows))
    return orders


def peak_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--lines", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    fpu = FpuIndex(read_fpu_file(sample_fpu_path()).entries)
    prices = read_price_file(sample_prices_path()).prices
    orders = school_orders(fpu, args.schools, args.lines, args.seed)
    missing = [MissingSchool("sch999", "МБОУ СОШ №999", "просрочен")]
    print(f"schools: {args.schools}, order lines: {args.schools * args.lines}, list entries: {len(fpu)}")

    started = time.perf_counter()
    order = build_order(orders, fpu, academic_year=YEAR, prices=prices, missing=missing)
    consolidated = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="svod-order-bench-") as folder:
        ids = export_publishers(order, XlsxStore(folder))
        size = sum(f.stat().st_size for f in Path(folder).iterdir())
    exported = time.perf_counter()
    tabs = order_tabs(order)
    finished = time.perf_counter()

    print(f"consolidate: {consolidated - started:.2f} s ({len(order.lines)} school lines, "
          f"{sum(len(p.items) for p in order.publishers)} specification lines, {len(order.publishers)} publishers)")
    print(f"export: {exported - consolidated:.2f} s ({len(ids)} files, {size / 1024 / 1024:.1f} MB)")
    print(f"consolidated tabs: {finished - exported:.2f} s ({len(tabs)} tabs)")
    total = finished - started
    print(f"total: {total:.2f} s (target < 5 s)")
    print(f"peak memory: {peak_mb():.0f} MB (target < 500 MB)")
    return 0 if total < 5 and peak_mb() < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
