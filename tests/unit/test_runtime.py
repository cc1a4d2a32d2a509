"""A sync's process-level tuning (sync_service/sync/runtime.py) is the run's alone: what
the process held before is frozen out of the collector's scans and the youngest generation
is collected less often during the run, and both are as they were once it ends — also
when the run raises."""
from __future__ import annotations

import gc

import pytest

from sync_service.sync.runtime import YOUNG_THRESHOLD, frozen_heap


def test_the_heap_is_frozen_and_young_collections_are_rarer_only_during_the_run():
    before = gc.get_threshold()
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (max(before[0], YOUNG_THRESHOLD), *before[1:])
        assert gc.isenabled()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_failing_run_leaves_the_collector_as_it_was():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("the run failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_higher_threshold_set_by_the_process_is_kept():
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD * 2, *before[1:])
    try:
        with frozen_heap():
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD * 2
    finally:
        gc.set_threshold(*before)
