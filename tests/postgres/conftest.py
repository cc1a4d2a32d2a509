"""A throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries, a cluster in
a temporary folder, one database per test.

The server listens on a free port of 127.0.0.1 only (and a unix socket in its own folder),
trusts local connections and runs with fsync off: nothing in it is worth keeping. It runs
as the `postgres` OS user when the tests run as root, since the server refuses root. With
no server binaries the tests are skipped, unless `CI` is set: CI must install them
(`make test` does).
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

START_TIMEOUT = 30  # seconds: every wait on the server is bounded


@dataclass
class PostgresServer:
    bindir: Path
    folder: Path
    port: int
    started_in: float  # seconds from initdb to accepting connections

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(sql))
        finally:
            engine.dispose()


def find_bindir() -> Path | None:
    """The newest Debian cluster's binaries, else an initdb on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=START_TIMEOUT + 15)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{tail}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        reason = ("PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): "
                  "`make postgres` or `apt-get install postgresql` installs them")
        if os.environ.get("CI"):
            pytest.fail(reason + " — CI must install them", pytrace=False)
        pytest.skip(reason)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.fail("running as root needs runuser to start PostgreSQL as the postgres user", pytrace=False)

    # Not pytest's tmp_path: its folders are 0700 root's, which the postgres user cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="svod-pg-"))
    data, log = folder / "data", folder / "server.log"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    started = time.monotonic()
    running = False
    try:
        _run([str(bindir / "initdb"), "--pgdata", str(data), "--username", "postgres", "--auth", "trust",
              "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync", "--no-instructions"], "initdb")
        options = " ".join([
            "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={folder}",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=40", "-c shared_buffers=32MB",
        ])
        # A port taken between free_port() and the start is retried with another.
        for attempt in itertools.count(1):
            port = free_port()
            try:
                _run([str(bindir / "pg_ctl"), "start", "--pgdata", str(data), "--log", str(log),
                      "-w", "-t", str(START_TIMEOUT), "-o", f"{options} -c port={port}"], "pg_ctl start", log)
                break
            except RuntimeError:
                if attempt == 3:
                    raise
        running = True
        yield PostgresServer(bindir, folder, port, time.monotonic() - started)
    finally:
        if running:
            _run([str(bindir / "pg_ctl"), "stop", "--pgdata", str(data), "-m", "immediate",
                  "-w", "-t", str(START_TIMEOUT)], "pg_ctl stop", log)
        shutil.rmtree(folder, ignore_errors=True)


_numbers = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for one test: its `postgresql+psycopg://` URL."""
    name = f"svod_test_{next(_numbers)}"
    postgres_server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
