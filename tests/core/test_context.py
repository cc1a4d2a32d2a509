"""The Svod context builds each part on first use, once, and uses the parts it is given."""
import threading

import pytest

from sync_service.config import ConfigError, Settings
from sync_service.context import PARTS, Svod
from sync_service.db import Database
from sync_service.stores.xlsx import XlsxStore


def test_nothing_is_built_until_it_is_used(tmp_path):
    svod = Svod(Settings.from_env({}, workbooks_dir=tmp_path / "books", database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    assert [name for name in PARTS if svod.built(name)] == []
    assert not (tmp_path / "books").exists()
    assert isinstance(svod.db, Database) and svod.db is svod.db
    assert [name for name in PARTS if svod.built(name)] == ["db"]
    assert isinstance(svod.store, XlsxStore) and (tmp_path / "books").is_dir()
    svod.dispose()


def test_a_google_context_builds_without_credentials_until_the_store_is_asked_for(tmp_path):
    svod = Svod(Settings.from_env({}, backend="google", database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    svod.db.upgrade()
    assert svod.db.is_current() and svod.academic_year
    with pytest.raises(ConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        svod.store  # noqa: B018 (reading the property builds the store)
    svod.dispose()


def test_given_parts_are_used_as_given(tmp_path):
    store = XlsxStore(tmp_path)
    svod = Svod(Settings.from_env({}), store=store, clock=lambda: "now")
    assert (svod.store, svod.clock(), svod.built("db")) == (store, "now", False)


def test_racing_threads_build_a_part_once(tmp_path):
    svod = Svod(Settings.from_env({}, database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    seen, start = [], threading.Barrier(8)

    def read():
        start.wait()
        seen.append(svod.db)
    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(db) for db in seen}) == 1
    svod.dispose()


def test_an_assigned_part_replaces_it(tmp_path):
    svod = Svod(Settings.from_env({}), clock=lambda: "then")
    svod.clock = lambda: "now"
    assert (svod.clock(), svod.built("clock")) == ("now", True)
