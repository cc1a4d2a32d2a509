"""The status page's long parts, written in Python: the matrix's cells (50 schools × 13
collections are 650 cells) and the overdue list's rows (100). Jinja spent more on their
attributes (escaping each piece, a filter or a ``url_for`` per value) than on the rest of
the page together (bench/web_bench.py). The markup is what the template wrote: a cell
carries its status in a symbol, a colour, the link's aria-label (shown on hover and focus
as a tooltip, web/static/svod.css) and ``data-label`` for the phone's list."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from flask import url_for
from markupsafe import Markup, escape

from sync_service import ru
from sync_service.district.status import STATUS_SYMBOLS, STATUS_TEXTS


def matrix_cells(school: dict, collections: list[dict], cells: dict, short: dict, school_url: str) -> Markup:
    """The ``<td>`` of every collection of ``school``'s row (``cells``: (school code,
    collection key) -> the cell of ``overview``; ``short``: collection key -> its short name)."""
    stale = f" (по данным на {ru.date_text(school['data_as_of'])})" if school.get("data_as_of") else ""
    url = escape(school_url)
    out = []
    for c in collections:
        cell = cells[(school["code"], c["key"])]
        status, errors, name = cell["status"], cell["errors"], short[c["key"]]
        label = f"{name}: {STATUS_TEXTS[status]}{stale if status != 'unknown' else ''}"
        start, symbol = _cell_start(status, name, c["key"]), _SYMBOLS[status]
        if errors:
            label, symbol = f"{label}, ошибок: {errors}", f'{symbol} <b class="err-count">{errors}</b>'
        out.append(f'{start[0]}{url}{start[1]}{escape(label)}">{symbol}</a></td>')
    return Markup("".join(out))


_SYMBOLS = {status: str(escape(symbol)) for status, symbol in STATUS_SYMBOLS.items()}


@lru_cache(maxsize=4096)
def _cell_start(status: str, name: str, key: str) -> tuple[str, str]:
    """A cell's markup around its school's URL and its label, the same for every school."""
    status = escape(status)
    return (f'<td data-status="{status}" data-label="{escape(name)}"><a class="st st-{status}" href="',
            f'#c-{escape(key)}" aria-label="')


def _link_maker(endpoint: str, name: str):
    """``value -> url_for(endpoint, name=value)`` with one ``url_for``: the rest substituted."""
    hole = "svod-hole"
    template = url_for(endpoint, **{name: hole})
    return lambda value: template.replace(hole, quote(str(value), safe=""))


def overdue_rows(overdue: list[dict]) -> Markup:
    """The ``<tr>`` of the overdue list (``overview``'s ``overdue``): school, collection,
    deadline, days overdue."""
    school, collection = _link_maker("status.school", "code"), _link_maker("status.collection", "key")
    out = []
    for o in overdue:
        days = o["days_overdue"]
        out.append(f'<tr><td class="wide"><a href="{escape(school(o["school"]))}">{escape(o["school_name"])}</a></td>'
                   f'<td class="wide"><a href="{escape(collection(o["collection"]))}">{escape(o["collection_title"])}'
                   f'</a></td><td data-label="Срок">{escape(ru.date_text(o["deadline"]))}</td>'
                   f'<td class="num" data-label="Просрочено на">{days} {ru.plural(days, "день", "дня", "дней")}</td>'
                   "</tr>\n")
    return Markup("".join(out))
