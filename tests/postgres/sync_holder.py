"""A sync that stops after its first school and waits there, holding the sync's locks: the
other process in test_lock_postgres.py. Run as

    python -m tests.postgres.sync_holder WORKBOOKS_DIR DATABASE_URL LOCK_FILE READY_FILE

It writes READY_FILE once it waits, and waits at most a minute.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from sync_service.stores.xlsx import XlsxStore
from sync_service.sync.run import run_sync
from tests.factory import make_svod
from tests.integration.district import NOW, YEAR


def main(folder: str, database_url: str, lock_file: str, ready_file: str) -> None:
    svod = make_svod(Path(folder), now=NOW, migrate=False, store=XlsxStore(Path(folder)), workbooks_dir=Path(folder),
                     database_url=database_url, lock_file=Path(lock_file), academic_year=YEAR, read_workers=1)

    def wait_after_the_first_school(done: int, _total: int, _code: str, _outcome: str) -> None:
        if done == 1:
            Path(ready_file).write_text("waiting")
            time.sleep(60)

    run_sync(svod, trigger="holder", progress=wait_after_the_first_school)


if __name__ == "__main__":
    main(*sys.argv[1:])
