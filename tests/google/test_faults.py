"""Failures and quotas, injected by the emulator: the store retries with backoff, stays
under the per-user quota, and a school whose reads keep failing is reported, not lost."""
from __future__ import annotations

import threading
import time

import pytest

from sync_service.district.registry import default_collections
from sync_service.forms.layout import head_tab, school_tabs
from sync_service.provision.workbooks import workbook_title
from sync_service.stores.base import TabSpec, WorkbookUnavailable
from sync_service.sync.run import run_sync
from tests.google.conftest import YEAR, configure, reset_stats, stats, store_for, svod_for


@pytest.fixture
def workbook(emu):
    store = store_for(emu)
    return store.create_workbook("sch01", [TabSpec("Фонд", [["Показатель", "Значение"], ["Читатели", 600]])])


@pytest.mark.parametrize("kind", ["429", "500", "503", "drop"])
def test_each_kind_of_failure_is_retried(emu, workbook, kind):
    configure(emu, fault_rate=0.5, fault_kinds=[kind], seed=3)
    store = store_for(emu)
    for n in range(6):
        store.markers([workbook])
        assert store.read(workbook).sheets["Фонд"].rows[1] == ["Читатели", 600]
        store.write_tabs(workbook, [TabSpec("Проверка", [[f"проверка {n}"]], protected=True)])
    assert stats(emu)["faults"] > 0 and store.api.counts.retries == stats(emu)["faults"]
    sleeps = store.api.backoff.sleep
    assert sleeps and all(0.25 <= s <= 32 for s in sleeps)


@pytest.mark.parametrize("kind, words", [("503", "ошибка на стороне Google (503), попыток: 8"),
                                         ("drop", "Google не ответил"), ("429", "квота")])
def test_a_workbook_that_keeps_failing_is_unavailable_with_a_russian_reason(emu, workbook, kind, words):
    store = store_for(emu)
    store.markers([workbook])
    configure(emu, fault_rate=1.0, fault_kinds=[kind])
    with pytest.raises(WorkbookUnavailable) as failure:
        store.read(workbook)
    assert words in failure.value.reason and "повторим при следующей синхронизации" in failure.value.reason
    assert len(store.api.backoff.sleep) == 7  # 8 tries


def test_no_school_is_lost_with_a_fifth_of_the_calls_failing(emu, tmp_path):
    svod = svod_for(emu, tmp_path)
    collections = default_collections(svod.schema, YEAR)
    tabs = school_tabs(collections)[:3]
    schools = [(f"sch{n:02d}", f"МБОУ СОШ №{n}") for n in range(1, 13)]
    rows = [[code, name, "Библиотекарь", f"{code}@school.example",
             svod.store.create_workbook(workbook_title(code, name), tabs), "да"] for code, name in schools]
    plan = [[c.form.key, "", YEAR, c.deadline, c.campaign.title if c.campaign else ""] for c in collections]
    head = svod.store.create_workbook("Настройки ОМО", [head_tab(svod.schema, "schools", rows),
                                                       head_tab(svod.schema, "plan", plan)])
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head)
    configure(emu, fault_rate=0.2, seed=11)
    reset_stats(emu)
    first = run_sync(svod)
    assert (first.status, first.read, first.failed) == ("ok", len(schools), 0), first.failures
    assert first.checks_written == len(schools) and first.consolidated_written
    assert stats(emu)["faults"] > 0


def test_the_client_stays_under_the_quota(emu, workbook, monkeypatch):
    # Quotas per second instead of per minute, on both sides, so the test takes seconds.
    monkeypatch.setattr(emu.app.quotas, "WINDOW", 1.0)
    configure(emu, read_quota=5, write_quota=5)
    store = store_for(emu, google_quota_per_minute=5)
    for window in store.api.quotas.values():
        window.window = 1.0
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [store.layout(workbook) for _ in range(4)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= 3.0  # 16 reads at 5 a "minute": three full windows
    assert stats(emu)["throttled"] == 0 and store.api.counts.retries == 0
    assert stats(emu)["endpoints"]["GET spreadsheets.get"] == 16
