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

    The youngest generation is also collected after :data:`YOUNG_THRESHOLD` allocations
    instead of 700 (restored after): a run allocates millions of short-lived cells, rows
    and statements that reference counting frees, and a collection every 700 of them
    mostly finds nothing — on 500 schools 0.39 s of collecting became 0.06 s, for 3 MB more
    at the peak.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


YOUNG_THRESHOLD = 10_000


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
