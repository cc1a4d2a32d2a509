"""Process-level tuning of a sync run (the CLI and the clock: never a web worker, which
never runs a sync)."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep what the process holds before the run out of the garbage collector's scans.

    The collector stays on for everything the run allocates; only the objects already there
    (modules, the forms, the federal list, SQLAlchemy's metadata) are moved to the permanent
    generation for the run (``gc.freeze``) and handed back after (``gc.unfreeze``), so that
    each full collection scans the run's own bounded heap instead of the whole process.
    Measured on 500 schools: the collector's time fell from 1.7 s to 0.7 s of about 14 s.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a batch of parsing (bench/core_bench.py only).

    Parsed rows and findings hold no reference cycles, so reference counting frees them; the
    core benchmark times parsing alone and keeps its figures comparable with earlier ones.
    The sync no longer pauses the collector (see :func:`frozen_heap`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
