"""The status page as the clock publishes it (web/publish.py): the same page as the live
render, served as stored only while it holds, kept bounded as the district changes."""
from __future__ import annotations

import gzip
import json
import random
import zlib
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from sync_service import db as m
from tests.factory import make_app, make_svod
from tests.web.test_overview import random_district
from web.compress import deflated, spliced
from web.publish import HOLE, INDEX_KEY, publish_status

NOW = datetime(2026, 11, 22, 9, 0)


@contextmanager
def made_district(folder, **settings):
    """A 130-school district (three pages) synced an hour ago: (svod, its clock, a client
    of the app without the page cache). ``settings``: a ``database_url`` (PostgreSQL)."""
    clock = {"now": NOW}
    svod = make_svod(folder, now=lambda: clock["now"], **settings)
    try:
        with svod.db.session() as session:
            random_district(session, random.Random(3), schools=130)
            session.add(m.SyncRun(started_at=NOW - timedelta(hours=1), finished_at=NOW - timedelta(minutes=50),
                                  status="ok", trigger="clock", schools_total=130, schools_read=130))
        yield svod, clock, make_app(svod, SVOD_PAGE_CACHE=False).test_client()
    finally:
        svod.dispose()


@pytest.fixture
def district(tmp_path):
    with made_district(tmp_path) as made:
        yield made


def synced(session) -> None:
    """What a sync leaves besides its data: the record of its run (the data marker moves on)."""
    at = NOW - timedelta(minutes=session.scalar(select(m.SyncRun.id).order_by(m.SyncRun.id.desc()).limit(1)))
    session.add(m.SyncRun(started_at=at, finished_at=at, status="ok", trigger="clock"))


def stored_pages(svod) -> dict[int, bytes]:
    """Page number -> the page as stored, its hole for the part drawn on every view left in."""
    with svod.db.session() as session:
        return {page.number: page.head + HOLE.encode() + page.tail for page in session.scalars(select(m.PublishedPage))}


def index(svod) -> dict:
    with svod.db.session() as session:
        return json.loads(session.get(m.Meta, INDEX_KEY).value)


def set_page(svod, number: int, text: str) -> None:
    """Plant ``text`` as what page ``number`` shows after its live part."""
    with svod.db.session() as session:
        page = session.get(m.PublishedPage, number)
        page.tail = text.encode()
        page.tail_deflated = deflated(page.tail)


PLANTED = "<p>Страница, опубликованная синхронизацией</p>"


def test_published_pages_are_the_live_pages(district):
    svod, _clock, client = district
    paths = ["/", "/?page=2", "/?page=3", "/?page=99", "/?page=abc"]
    live = [client.get(path).get_data(as_text=True) for path in paths]
    assert publish_status(svod) == 3
    assert set(stored_pages(svod)) == {1, 2, 3} and index(svod)["pages"] == 3
    assert [client.get(path).get_data(as_text=True) for path in paths] == live
    # a browser's view: gzipped, the stored deflated body spliced between the frame's parts
    for path, page in zip(paths, live, strict=True):
        answer = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert answer.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in answer.headers["Vary"]
        assert gzip.decompress(answer.data).decode() == page
        assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(answer.data) == page.encode()
    assert live[0] != live[1] != live[2] and live[2] == live[3] and live[4] == live[0]


def test_a_published_page_is_served_only_while_it_holds(district):
    svod, clock, client = district
    publish_status(svod)
    set_page(svod, 2, PLANTED)
    assert PLANTED in client.get("/?page=2").get_data(as_text=True)
    assert PLANTED in client.get("/?page=2&year=2026-2027").get_data(as_text=True)   # the year it is for
    assert PLANTED not in client.get("/?page=2&year=2025/2026").get_data(as_text=True)
    assert PLANTED not in client.get("/").get_data(as_text=True)            # another page
    assert PLANTED not in client.get("/?page=2&status=overdue").get_data(as_text=True)   # a filter: live
    assert PLANTED not in client.get("/?page=2&collection=c1").get_data(as_text=True)
    clock["now"] = NOW + timedelta(days=1)                                   # statuses change at midnight
    assert PLANTED not in client.get("/?page=2").get_data(as_text=True)
    clock["now"] = NOW + timedelta(minutes=5)                                 # the live part: drawn on the view
    page = client.get("/?page=2").get_data(as_text=True)
    assert PLANTED in page and "Статусы на 22.11.2026 09:05" in page
    clock["now"] = NOW
    with svod.db.session() as session:                                      # a sync begins
        run = m.SyncRun(started_at=NOW, status="running", trigger="clock")
        session.add(run)
    with svod.db.session() as session:                                      # and writes a school
        session.add(m.SyncOutcome(run_id=run.id, school_id=session.scalar(select(m.School.id).limit(1)),
                                  outcome="failed", error="файл повреждён"))
    # while it runs, the page is the last finished sync's, whole, and says a sync is under way
    page = client.get("/?page=2").get_data(as_text=True)
    assert PLANTED in page and "идёт сейчас" in page
    with svod.db.session() as session:                                      # it ends: the page is live
        session.execute(update(m.SyncRun).where(m.SyncRun.id == run.id)
                        .values(status="partial", finished_at=NOW + timedelta(minutes=2)))
    page = client.get("/?page=2").get_data(as_text=True)
    assert PLANTED not in page and "с ошибками" in page


def test_publishing_again_rewrites_what_changed_and_drops_what_is_gone(district):
    svod, _clock, client = district
    publish_status(svod)
    set_page(svod, 1, PLANTED)
    publish_status(svod)                      # nothing changed: the page is not written again
    assert stored_pages(svod)[1].endswith(PLANTED.encode())
    with svod.db.session() as session:        # a sync finds a school gone: pages from its own on change
        session.execute(update(m.School).where(m.School.code == "s000").values(active=False))
        synced(session)
    live = client.get("/").get_data(as_text=True)
    publish_status(svod)
    assert not stored_pages(svod)[1].endswith(PLANTED.encode())
    assert client.get("/").get_data(as_text=True) == live
    with svod.db.session() as session:        # most schools leave: one page is left
        session.execute(update(m.School).where(m.School.code >= "s020").values(active=False))
        synced(session)
    assert publish_status(svod) == 1
    assert set(stored_pages(svod)) == {1}
    assert index(svod)["pages"] == 1 and index(svod)["day"] == NOW.date().isoformat()


def test_what_the_head_does_between_syncs_is_shown_at_once(district):
    """A review (accepted, sent back) changes a status without a sync, and so does a
    confirmed change of her workbook: neither a published page nor a cached one may hide it."""
    from sync_service.district.report import data_marker
    from sync_service.sync import held
    from sync_service.sync.records import set_meta
    from sync_service.sync.reviews import record_review

    svod, _clock, client = district
    publish_status(svod)
    set_page(svod, 1, PLANTED)
    assert PLANTED in client.get("/").get_data(as_text=True)
    with svod.db.session() as session:
        before = data_marker(session)
        submission = session.scalars(select(m.Submission).join(m.School).where(m.School.code == "s001")
                                     .order_by(m.Submission.id).limit(1)).one()
        submission.version, submission.ready, submission.has_data, submission.errors = 1, True, True, 0
        session.add(m.SyncRun(started_at=NOW, status="running", trigger="clock"))   # even while a sync runs
        record_review(session, submission, "return", comment="Заполните столбец «Ставка».", by="руководитель ОМО",
                      now=NOW)
    with svod.db.session() as session:
        reviewed = data_marker(session)
    assert reviewed != before
    assert PLANTED not in client.get("/").get_data(as_text=True)
    with svod.db.session() as session:
        held.set_meta(session, held.HELD, json.dumps({"message": "Из «Школ» пропали 40 школ.", "confirmable": True,
                                                      "fingerprint": "f1", "since": NOW.isoformat()}))
    with svod.db.session() as session:
        marker = data_marker(session)
    held.confirm(svod.db, "f1")
    with svod.db.session() as session:
        assert data_marker(session) != marker
    publish_status(svod)
    set_page(svod, 1, PLANTED)
    assert PLANTED in client.get("/").get_data(as_text=True)
    with svod.db.session() as session:                # `svod new-year`: the year Svod tracks turns
        set_meta(session, "academic_year", "2027/2028")
    assert PLANTED not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("sizes", [(0, 0, 0), (10, 0, 7), (5, 200_000, 3), (70_000, 1, 70_000)])
def test_pieces_deflated_apart_make_one_gzip_stream(sizes):
    """compress.spliced: any pieces, some deflated beforehand (long, short, empty, random
    bytes that do not compress, text repeating across the pieces' edges past deflate's
    32 KiB window), read back by gzip and zlib as their concatenation."""
    rng = random.Random(sum(sizes))
    texts = [("Школа № 1 — сдан; " * (n // 20 + 1)).encode()[:n] if i != 1 else rng.randbytes(n)
             for i, n in enumerate(sizes)]
    for ahead in ([False, True, False], [True, True, True], [False, False, False]):
        data = spliced([(text, deflated(text) if first else None) for text, first in zip(texts, ahead, strict=True)])
        assert gzip.decompress(data) == b"".join(texts)
        assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data) == b"".join(texts)
