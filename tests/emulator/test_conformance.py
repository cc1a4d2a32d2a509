"""Replays every recorded gspread <-> Google interaction against the
emulator and compares status codes and JSON bodies.

Differences that are known and explained are listed one by one in
ALLOWED_DIFFERENCES (and in docs/emulator.md); every other difference fails,
and so does an allowed entry that no longer differs.
"""

from __future__ import annotations

import json
import os

import pytest

from .conftest import CASSETTES
from .replay import Replayer

CASSETTE_FILES = sorted(CASSETTES.glob("*.json")) if CASSETTES.is_dir() else []

# (cassette name, interaction index) -> why the emulator answers differently.
ALLOWED_DIFFERENCES: dict[tuple[str, int], str] = {}


@pytest.mark.skipif(not CASSETTES.is_dir(), reason=f"cassette folder {CASSETTES} is absent")
@pytest.mark.parametrize("cassette", CASSETTE_FILES, ids=[p.stem for p in CASSETTE_FILES])
def test_cassette_replays_identically(emulator, cassette):
    interactions = json.loads(cassette.read_text(encoding="utf-8"))["interactions"]
    replayer = Replayer(emulator.url)
    replayer.grandfather_recording_account()
    replayer.plan_seeding(interactions)
    unexpected, stale = [], []
    for index, interaction in enumerate(interactions):
        outcome = replayer.replay(index, interaction)
        allowed = ALLOWED_DIFFERENCES.get((cassette.stem, index))
        if outcome.problems and not allowed:
            unexpected.append(f"[{index}] {outcome.method} {outcome.uri}\n    " + "\n    ".join(outcome.problems))
        if allowed and not outcome.problems:
            stale.append(f"[{index}] is allowed to differ ({allowed}) but matches now")
    assert not unexpected, "\n".join(unexpected)
    assert not stale, "\n".join(stale)


def test_cassettes_are_present_or_skipped_explicitly():
    if not CASSETTES.is_dir():
        # In CI the shared folder is laid beside the clone: missing there is a failure, not a skip.
        assert not os.environ.get("CI"), f"cassette folder {CASSETTES} is absent in CI"
        pytest.skip(f"cassette folder {CASSETTES} is absent")
    assert CASSETTE_FILES, f"no cassettes in {CASSETTES}"


def test_allowed_differences_name_real_interactions():
    names = {p.stem: p for p in CASSETTE_FILES}
    for (name, index), reason in ALLOWED_DIFFERENCES.items():
        assert name in names, name
        count = len(json.loads(names[name].read_text(encoding="utf-8"))["interactions"])
        assert 0 <= index < count, (name, index)
        assert reason
