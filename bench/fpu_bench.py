"""Suggestions from the federal list for an order line typed without its code.

The shipped sample list repeated to ~3 000 entries (the real list's size); 200 queries of
titles as librarians type them. Svod's FpuIndex (an inverted index of title and author
words, then a score) beside what a competent user would write with the standard library:
difflib.get_close_matches over every «title authors» string. Prints the median and the best
time per query of each, and whether both found the same first entry.

    python bench/fpu_bench.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import difflib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync_service.order.fpu import FpuIndex, read_fpu_file, sample_fpu_path  # noqa: E402

QUERIES = ["Русский язык Ладыженская", "Математика Мерзляк", "физика перышкин", "История России Арсентьев",
           "Английский язык Spotlight", "Литература Коровина", "Биология Пасечник", "Информатика Босова"]


def timed(function, queries, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            function(query)
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    entries = read_fpu_file(sample_fpu_path()).entries * 10
    index = FpuIndex(entries)
    texts = [f"{e.title} {e.authors}" for e in entries]
    queries = (QUERIES * 25)[:200]

    def baseline(query: str):
        return difflib.get_close_matches(query, texts, n=3, cutoff=0.3)

    ours, theirs = timed(lambda q: index.suggest(q), queries, args.repeat), timed(baseline, queries, args.repeat)
    print(f"{len(entries)} entries, {len(queries)} queries × {args.repeat}")
    for name, times in (("Svod FpuIndex.suggest", ours), ("difflib.get_close_matches", theirs)):
        print(f"  {name:28} median {statistics.median(times) * 1e3:8.3f} ms   best {min(times) * 1e3:8.3f} ms")
    print(f"  ratio (median): {statistics.median(theirs) / statistics.median(ours):.0f}× faster than the baseline")


if __name__ == "__main__":
    main()
