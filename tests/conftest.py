"""Fixtures shared by every test folder: the one test factory (``tests/factory.py``)."""
from __future__ import annotations

import os
import tempfile

import pytest

# The log of ``svod`` commands run by the tests (in process or as subprocesses): not var/ of the
# working tree.
os.environ.setdefault("SVOD_LOG_FILE", os.path.join(tempfile.mkdtemp(prefix="svod-test-log-"), "svod.log"))

from tests.factory import make_svod


@pytest.fixture
def svod_factory(tmp_path):
    """``svod_factory(folder=None, **options)``: :func:`tests.factory.make_svod` in ``folder``
    (by default a new one under ``tmp_path``); every database it opened is closed after the test."""
    made = []

    def factory(folder=None, **options):
        made.append(make_svod(folder or tmp_path / f"svod{len(made)}", **options))
        return made[-1]
    yield factory
    for svod in made:
        svod.dispose()
