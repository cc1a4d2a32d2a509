"""python -m sheets_emulator --port P [--host H] [--state FILE] ..."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys

from .faults import FAULT_KINDS, parse_fault_kinds
from .server import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sheets_emulator", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="port to listen on (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state", metavar="FILE", help="load state from FILE and save it there on changes")
    parser.add_argument("--read-quota", type=int, default=60, help="reads per minute per user, 0 = unlimited")
    parser.add_argument("--write-quota", type=int, default=60, help="writes per minute per user, 0 = unlimited")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every API request")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of API requests that fail, 0..1")
    parser.add_argument(
        "--fault-kinds", default=",".join(FAULT_KINDS), help="comma-separated subset of " + ",".join(FAULT_KINDS)
    )
    parser.add_argument("--seed", type=int, help="seed for fault injection and generated ids")
    parser.add_argument("--google-accounts", default="@gmail.com,@googlemail.com",
                        help="addresses (or @domains) that have a Google account, comma-separated")
    args = parser.parse_args(argv)
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            state_path=args.state,
            read_quota=args.read_quota,
            write_quota=args.write_quota,
            latency_ms=args.latency_ms,
            fault_rate=args.fault_rate,
            fault_kinds=parse_fault_kinds(args.fault_kinds),
            seed=args.seed,
            google_accounts=parse_fault_kinds(args.google_accounts),
        )
    except ValueError as problem:
        parser.error(str(problem))
    # SIGTERM ends serving like Ctrl-C does, so the state file gets saved.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Sheets emulator on {emulator.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
