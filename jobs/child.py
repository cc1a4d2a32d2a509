"""The clock as a child process, for ``svod run`` (``make run``): the status page and the
clock stay two processes, as in production, so «Обновить сейчас» works there too and no
sync ever runs in the process that serves the page."""
from __future__ import annotations

import contextlib
import ctypes
import logging
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("svod.jobs")

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_GRACE = 30  # seconds: the clock leaves within its own shutdown grace (jobs.scheduler, 20 s)


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGTERM when the parent dies (even kill -9)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the parent's ``finally`` is the only stop
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def clock_process(*, sync_at_start: bool = False) -> Iterator[subprocess.Popen]:
    """``python -m jobs clock`` beside this process, with the same environment; stopped on
    leaving (SIGTERM, as systemd or a Procfile host would stop it; killed if it does not
    leave within its grace)."""
    command = [sys.executable, "-m", "jobs", "clock"] + ([] if sync_at_start else ["--no-sync-at-start"])
    process = subprocess.Popen(command, preexec_fn=_die_with_parent)
    log.info("clock started as process %s", process.pid)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
