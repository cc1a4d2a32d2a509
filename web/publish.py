"""The status page as the clock publishes it: each page of the unfiltered matrix rendered
once per sync, in the clock process, and served as stored while it holds.

The head opens the unfiltered status page every morning, and so do the librarians; it is
the same page for everyone until the next sync writes. Rendering it costs what its 50
schools × 13 collections, its overdue list, its debtors' text and its 13 small charts
cost (≈ 25 ms at 3 000 schools, bench/web_bench.py), on every view, in a process that
serves requests. So the clock renders it where it renders everything else a sync
produces — right after the run's end, beside the district-wide part it already keeps
(``overview.store_district_part``) — with the same ``status.html``, leaving a hole
(:data:`HOLE`) where the part drawn on every view goes (``_status_live.html``: the time,
the banners, the last sync and whether it is stale), and stores:

- in ``published_pages`` (migration 0013), each page's HTML before and after the hole,
  encoded, each also as raw deflate blocks (``compress.deflated``), so that a browser's
  view is gzipped at the cost of its live part (``compress.spliced``); a page is written
  again only when its digest changes (an idle sync rewrites only the index);
- in ``meta`` (``status_pages``), what the pages hold for: the academic year, the data
  marker and the day (the same test as the stored district part: nothing written since,
  statuses as of today), the script root they were rendered under, the number of schools
  and pages, each page's digest, and what the
  live part shows (the number of schools and collections, the last sync, the names of
  the schools it could not read).

A view of the unfiltered page then asks the database two things — the data marker with
the index, in one statement, and the page by its number — draws the live part and sends
the three pieces as they are. Anything else — a filter,
another year, a page published for another day or before data was written, another
script root — is rendered live by the same functions, so the two paths give the same page
(tests/web/test_publish.py holds them equal). Nothing here is per process: every web
worker on every machine reads what the clock wrote, and no web process renders the page
for others or keeps one.
"""
from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Mapping
from datetime import date

from flask import Flask, render_template
from markupsafe import Markup
from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.overview import PER_PAGE, page_info
from sync_service.district.report import MARKER_QUERY

from .compress import deflated

_apps: weakref.WeakKeyDictionary[Svod, Flask] = weakref.WeakKeyDictionary()

INDEX_KEY = "status_pages"
HOLE = "\x00svod-live\x00"   # where the part drawn on every view goes


def _app(svod: Svod) -> Flask:
    """The web app around ``svod``, built once per context, page cache off (it renders the
    pages that are stored; it must not read them back)."""
    app = _apps.get(svod)
    if app is None:
        from web import create_app

        app = _apps[svod] = create_app({"SVOD": svod, "SVOD_PAGE_CACHE": False, "SVOD_PUBLISHED": False})
    return app


def publish_status(svod: Svod) -> int:
    """Render every page of the unfiltered status page of the year Svod tracks and store
    them (module docstring). Returns the number of pages. Called by the clock after a run;
    should it fail, the pages stored before no longer hold (the data marker moved on), and
    the web renders the page live."""
    from . import status

    app = _app(svod)
    count, number = 1, 1
    # One transaction: the web sees the old pages and index until the new ones are all
    # there. Each page is written as it is rendered (not held: 60 pages at 3 000 schools).
    with svod.db.session() as session:
        old = session.get(m.Meta, INDEX_KEY)
        old_digests = json.loads(old.value).get("digests", []) if old is not None else []
        digests: list[str] = []
        while number <= count:
            with app.test_request_context(f"/?page={number}"):
                if number == 1:
                    marker, year, today = status.data_key()
                report = status.read(status.overview, page=number)
                if number == 1:
                    frame = status.read(status.index_frame, report=report)
                    count, total = report["page"]["pages"], report["page"]["total"]
                body = Markup(status._index_body(report, status._filters(report)))
                page = render_template("status.html", frame=frame, body=body, live=Markup(HOLE))
            digests.append(_store_page(session, number, page, old_digests[number - 1:number]))
            number += 1
        session.execute(delete(m.PublishedPage).where(m.PublishedPage.number > count))
        index = {"year": year, "marker": _json_marker(marker), "day": today.isoformat(), "script_root": "",
                 "total": total, "pages": count, "frame": frame, "digests": digests}
        session.merge(m.Meta(key=INDEX_KEY, value=json.dumps(index, ensure_ascii=False, default=str)))
    return count


def _store_page(session: Session, number: int, page: str, old: list[str]) -> str:
    """Page ``number`` (its HTML with the hole), written unless its digest is the ``old``
    one; returns the digest."""
    digest = hashlib.sha256(page.encode()).hexdigest()
    if old != [digest]:
        head, _, tail = (part.encode() for part in page.partition(HOLE))
        session.execute(delete(m.PublishedPage).where(m.PublishedPage.number == number))
        session.execute(insert(m.PublishedPage).values(number=number, head=head, head_deflated=deflated(head),
                                                       tail=tail, tail_deflated=deflated(tail)))
    return digest


def _json_marker(marker) -> list:
    """The data marker as it reads back from JSON."""
    return json.loads(json.dumps(list(marker), default=str))


# Built once: they are asked on every view of the status page.
_INDEX_QUERY = select(*MARKER_QUERY.selected_columns,
                      select(m.Meta.value).where(m.Meta.key == INDEX_KEY).scalar_subquery())
_PAGE = m.PublishedPage
_PAGE_QUERY = select(_PAGE.head, _PAGE.head_deflated, _PAGE.tail, _PAGE.tail_deflated).where(
    _PAGE.number == bindparam("number"))


def published(connection: Connection, *, today: date, args: Mapping[str, str], script_root: str) -> dict | None:
    """The stored page a request for the unfiltered status page (``args``: ``page`` and
    ``year`` at most) may be given — ``{"parts", "frame", "page", "running"}``: ``parts``
    the page's HTML before and after the hole for the part drawn on every view, each
    ``(bytes, its raw deflate blocks)``; ``running``: a sync began since (:func:`_holds`) —
    or None: nothing stored, or published for another day, before data was written since,
    under another script root, or another year asked for."""
    *marker, value = connection.execute(_INDEX_QUERY).one()
    if value is None:
        return None
    index = json.loads(value)
    if (index["day"] != today.isoformat() or index["script_root"] != script_root
            or args.get("year", index["year"]).replace("-", "/") != index["year"]):
        return None
    running = _holds(index["marker"], _json_marker(marker))
    if running is None:
        return None
    info = page_info(args.get("page"), PER_PAGE, index["total"])
    row = connection.execute(_PAGE_QUERY, {"number": info["number"]}).one_or_none()
    if row is None:
        return None
    head, head_deflated, tail, tail_deflated = row
    return {"frame": index["frame"], "parts": ((head, head_deflated), (tail, tail_deflated)), "page": info,
            "running": running}


# The data marker's parts (report.MARKER_QUERY): the newest outcome and rate snapshot, the
# newest run's id, status and end, the newest review and the confirmed held change.
_RUN_ID, _RUN_STATUS, _HEAD = 2, 3, slice(5, None)


def _holds(published: list, now: list) -> bool | None:
    """Whether pages published at the data marker ``published`` hold at ``now``: False when
    nothing was written since; True while a newer sync is still running and the head has
    done nothing since (its rows are being written: until it ends, the page shows the data
    of the last finished sync, whole, and the live part says a sync is under way);
    None otherwise."""
    if published == now:
        return False
    if (now[_RUN_STATUS] == "running" and now[_RUN_ID] is not None and published[_RUN_ID] is not None
            and now[_RUN_ID] > published[_RUN_ID] and now[_HEAD] == published[_HEAD]):
        return True
    return None
