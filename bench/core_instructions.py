"""The core benchmark's ratio counted in instructions, which the load of a shared machine
cannot move (wall and CPU seconds on these virtual machines vary by half from run to run).

    python bench/core_instructions.py [--schools 100] [--seed 1]

Runs ``bench/core_bench.py --only generate|svod|frictionless|frictionless-columns`` under
valgrind's callgrind: the same district is generated each time, so the difference from the
generation alone is what Svod's parse + validate + consolidate, and frictionless's
validation (against the equivalent schema, and against the columns-only schema used until
2026-11-29), execute. Prints instructions per row for each and the ratios. Needs valgrind
(Debian's ``valgrind``); 100 schools take about ten minutes, most of them frictionless's.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "core_bench.py"
sys.path.insert(0, str(BENCH.parent))

from core_bench import PARTS  # noqa: E402  (what each part is, in the same words)


def instructions(part: str, schools: int, seed: int) -> tuple[int, int]:
    """Instructions callgrind counts for one run of ``core_bench.py --only part``, and the
    number of rows it printed."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        print(f"  {part} under callgrind …", end="", flush=True)
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/out", sys.executable, str(BENCH),
             "--only", part, "--schools", str(schools), "--seed", str(seed)],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"})  # the same hashes, so the same count run after run
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise SystemExit(f"callgrind printed no count for {part}:\n{done.stderr[-2000:]}")
        print(f" {int(found.group(1)) / 1e6:,.0f} M instructions ({time.monotonic() - started:.0f} s)", flush=True)
        return int(found.group(1)), int(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    print(f"{args.schools} schools × every form, each part under callgrind:", flush=True)
    base, rows = instructions("generate", args.schools, args.seed)
    counted = {part: instructions(part, args.schools, args.seed)[0] - base for part in PARTS}
    print(f"{rows} rows")
    for part, label in PARTS.items():
        print(f"{label:<48} {counted[part] / rows:>9,.0f} instructions per row")
    for part, label in list(PARTS.items())[1:]:
        print(f"speed-up over {label}: {counted[part] / counted['svod']:.1f}× (target ≥ 10×)")


if __name__ == "__main__":
    main()
