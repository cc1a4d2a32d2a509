"""The municipal textbook order: the schools' orders -> one specification and one
distribution list (разнарядка) per publisher. Pure: values in, values and TabSpecs out
(except :func:`derived_tabs`, the sync's entry point, which reads the database).

What goes in. Each school's order rows that passed validation (the caller drops rows
with a blocking finding) are checked again against the list in force — an unknown code,
a grade the textbook is not for, an entry no longer usable on 1 September of the ordered
year, or a number of copies that is not a whole positive number keeps a row out and is
listed in ``MunicipalOrder.rejected``. So nothing invalid reaches a specification, even
from an old snapshot taken against an older list.

Repeats. Rows of one school with the same code and grade (the ``order-duplicate``
warning) become one line with the copies summed (:func:`merge_lines`); the school then
counts once for that textbook in the distribution list.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sync_service import ru
from sync_service.order.checks import entry_problem
from sync_service.order.common import (
    MONEY_FORMAT,
    MissingSchool,
    SchoolRows,
    missing_line,
    money,
    safe_tab_title,
    table_tab,
)
from sync_service.order.fpu import FpuEntry, FpuIndex, order_year, order_year_start
from sync_service.stores.base import PrintSetup, TabSpec, WorkbookStore

ORDER_TAB = "Заказ"
ORDER_LINES_TAB = "Заказ по школам"
SPEC_PREFIX = "Спецификация — "
DISTRIBUTION_PREFIX = "Разнарядка — "
SHORT_LIMIT = 31 - max(len(SPEC_PREFIX), len(DISTRIBUTION_PREFIX))  # 16 characters


# --- values -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderLine:
    """One school's order of one textbook for one grade (repeated rows merged)."""

    school: str
    school_name: str
    entry: FpuEntry
    grade: int
    copies: int
    rows: tuple[int, ...] = ()

    @property
    def code(self) -> str:
        return self.entry.code


@dataclass(frozen=True)
class Rejected:
    """A row kept out of the order: ``reason`` is a finding code (``fpu-unknown-code``, …)."""

    school: str
    row: int | None
    code: Any
    reason: str


@dataclass
class SpecItem:
    """A line of a specification: one textbook for one grade, all schools together."""

    number: int
    entry: FpuEntry
    grade: int
    copies: int
    price: Decimal | None
    by_school: dict[str, int]

    @property
    def amount(self) -> Decimal | None:
        return None if self.price is None else self.price * self.copies


@dataclass
class PublisherOrder:
    publisher: str
    short: str
    slug: str
    items: list[SpecItem]
    schools: list[tuple[str, str]]   # (code, name) of the schools that ordered, in the registry's order

    @property
    def copies(self) -> int:
        return sum(item.copies for item in self.items)

    @property
    def amount(self) -> Decimal | None:
        """The sum, when every line has a price (else None: a partial sum would mislead)."""
        amounts = [item.amount for item in self.items]
        return None if not amounts or None in amounts else sum(amounts, Decimal(0))

    @property
    def unpriced(self) -> int:
        return sum(1 for item in self.items if item.price is None)


@dataclass
class MunicipalOrder:
    academic_year: str               # the year the order was collected in («2026/2027»)
    order_year: str                  # the year it is for («2027/2028»)
    lines: list[OrderLine]
    publishers: list[PublisherOrder]
    missing: list[MissingSchool] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    priced: bool = False
    made: date | None = None         # the date the documents carry
    customer: str = ""               # who orders: the district's education office (SVOD_CUSTOMER)

    @property
    def copies(self) -> int:
        return sum(line.copies for line in self.lines)

    def totals_by_code(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for line in self.lines:
            totals[line.code] += line.copies
        return dict(totals)

    def publisher(self, slug: str) -> PublisherOrder | None:
        return next((p for p in self.publishers if p.slug == slug), None)


# --- publishers' names ----------------------------------------------------------------------

_LEGAL = re.compile(r"^(?:АО|ОАО|ЗАО|ПАО|ООО|ИП|ФГУП|ГУП|АНО)\s+", re.IGNORECASE)
_HOUSE = re.compile(r"^(?:издательство|издательский центр|издательский дом|издательская группа|группа компаний|"
                    r"ид|иц)\s+", re.IGNORECASE)
_QUOTES = re.compile(r"[«»\"“”„']")
_SEPARATORS = re.compile(r"\s+[—–-]\s+|\.\s+|/|,\s*")


def short_publisher(name: str, limit: int = SHORT_LIMIT) -> str:
    """АО «Издательство «Просвещение» -> «Просвещение»; ООО «Русское слово — учебник» ->
    «Русское слово»; ООО «БИНОМ. Лаборатория знаний» -> «БИНОМ»: at most ``limit`` characters."""
    text = " ".join(name.split())
    quoted = re.search(r"[«\"“](.+)[»\"”]", text)
    text = quoted.group(1) if quoted else _LEGAL.sub("", text)
    text = _QUOTES.sub("", _HOUSE.sub("", _QUOTES.sub("", text).strip())).strip() or name.strip()
    if len(text) > limit:
        text = _SEPARATORS.split(text)[0].strip() or text
    if len(text) > limit:
        words, kept = text.split(), ""
        for word in words:
            if len(f"{kept} {word}".strip()) > limit:
                break
            kept = f"{kept} {word}".strip()
        text = kept or text[:limit]
    return text


_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                      "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))


def slugify(text: str) -> str:
    """«Русское слово» -> "russkoe-slovo": for URLs."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in text.casefold())
    return re.sub(r"[^a-z0-9]+", "-", latin).strip("-") or "publisher"


def code_order(code: str) -> tuple:
    """The natural order of federal-list codes: 1.1.2.1.1.3.1 < 1.1.2.1.1.10.1 (numbers as
    numbers, a part that is not a number after the numbers)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\s]+", code.strip()))


# --- building the order -----------------------------------------------------------------------

def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


def merge_lines(school: SchoolRows, fpu: FpuIndex, start: date | None,
                rejected: list[Rejected] | None = None) -> list[OrderLine]:
    """A school's valid rows as order lines, rows with the same code and grade summed."""
    merged: dict[tuple[str, int], list] = {}
    for row in school.rows:
        raw, grade, copies = row.get("fpu_code"), row.get("grade"), _whole(row.get("copies"))
        entry = fpu.get(raw) if raw is not None else None
        reason = entry_problem(entry, grade, start)
        if reason is None and not isinstance(grade, int):
            reason = "required"
        if reason is None and copies is None:
            reason = "range"
        if reason is not None:
            if rejected is not None:
                rejected.append(Rejected(school.code, row.get("_row"), raw, reason))
            continue
        key = (entry.code, grade)
        if key in merged:
            merged[key][0] += copies
            merged[key][1].append(row.get("_row"))
        else:
            merged[key] = [copies, [row.get("_row")], entry]
    return [OrderLine(school.code, school.name, entry, grade, copies, tuple(r for r in rows if r is not None))
            for (code, grade), (copies, rows, entry) in merged.items()]


def build_order(orders: Iterable[SchoolRows], fpu: FpuIndex, *, academic_year: str,
                prices: Mapping[str, Decimal] | None = None,
                missing: Sequence[MissingSchool] = (), made: date | None = None,
                customer: str = "") -> MunicipalOrder:
    """The municipal order from the schools' orders (in the registry's order; read once, a
    school at a time, before ``missing`` is taken).

    ``academic_year`` is the year the orders were collected in; the order is for the next.
    ``prices`` (code -> price per copy) adds prices and sums to the specifications.
    ``missing`` lists the schools whose order is not submitted (shown on the head's tabs
    only). ``made`` and ``customer`` go on the documents. Each publisher's lines are in the
    natural order of their codes (:func:`code_order`), then by grade, and numbered so.
    """
    start = order_year_start(academic_year)
    rejected: list[Rejected] = []
    lines: list[OrderLine] = []
    for school in orders:
        lines.extend(merge_lines(school, fpu, start, rejected))
    by_publisher: dict[str, dict[tuple[str, int], SpecItem]] = defaultdict(dict)
    ordering: dict[str, dict[str, str]] = defaultdict(dict)
    for line in lines:
        items = by_publisher[line.entry.publisher]
        item = items.get((line.code, line.grade))
        if item is None:
            price = prices.get(line.code) if prices else None
            item = items[(line.code, line.grade)] = SpecItem(0, line.entry, line.grade, 0, price, {})
        item.copies += line.copies
        item.by_school[line.school] = item.by_school.get(line.school, 0) + line.copies
        ordering[line.entry.publisher].setdefault(line.school, line.school_name)
    publishers: list[PublisherOrder] = []
    shorts: set[str] = set()
    slugs: set[str] = set()
    for name in sorted(by_publisher, key=lambda p: (-sum(i.copies for i in by_publisher[p].values()), p)):
        items = sorted(by_publisher[name].values(), key=lambda i: (code_order(i.entry.code), i.grade))
        for number, item in enumerate(items, start=1):
            item.number = number
        short = _unique(short_publisher(name), shorts, SHORT_LIMIT)
        slug = _unique(slugify(short), slugs, 80, sep="-")
        publishers.append(PublisherOrder(name, short, slug, items, list(ordering[name].items())))
    return MunicipalOrder(academic_year=academic_year, order_year=order_year(academic_year), lines=lines,
                          publishers=publishers, missing=list(missing), rejected=rejected, priced=bool(prices),
                          made=made, customer=customer)


def _unique(text: str, taken: set[str], limit: int, sep: str = " ") -> str:
    candidate, n = text, 2
    while candidate in taken:
        suffix = f"{sep}{n}"
        candidate, n = text[: limit - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


# --- tabs ---------------------------------------------------------------------------------------

def _top(order: MunicipalOrder, heading: str) -> list[list[Any]]:
    """The head's notes on top of her tabs (never on a publisher's documents), then the heading."""
    rows = missing_line(order.missing)
    if order.rejected:
        rows.append([f"⚠ Не вошли в заказ строки с ошибками: {len(order.rejected)} (см. «Проверку» школ)"])
    unpriced = [f"{pub.short} — {ru.quantity(pub.unpriced, 'строка', 'строки', 'строк')}"
                for pub in order.publishers if pub.unpriced] if order.priced else []
    if unpriced:
        rows.append([f"⚠ Нет цены в прайс-листе: {'; '.join(unpriced)} — сумма этих спецификаций не подсчитана"])
    return rows + [[heading]]


def _price_columns(order: MunicipalOrder) -> list[str]:
    return ["Цена за экз., руб.", "Сумма, руб."] if order.priced else []


def order_tab(order: MunicipalOrder) -> TabSpec:
    """«Заказ»: every textbook of the district order with its total, by publisher."""
    header = ["№", "Издательство", "Код ФПУ", "Авторы", "Наименование", "Класс", "Школ", "Количество, экз.",
              *_price_columns(order)]
    body: list[list[Any]] = []
    totals: list[int] = []
    number = 0
    for pub in order.publishers:
        for item in pub.items:
            number += 1
            body.append([number, pub.short, item.entry.code, item.entry.authors, item.entry.title, item.grade,
                         len(item.by_school), item.copies,
                         *([money(item.price), money(item.amount)] if order.priced else [])])
        totals.append(len(body))
        body.append(["", f"Итого — {pub.short}", "", "", "", "", len(pub.schools), pub.copies,
                     *(["", money(pub.amount)] if order.priced else [])])
    totals.append(len(body))
    schools = len({line.school for line in order.lines})
    amount = _sum_or_none(pub.amount for pub in order.publishers)
    body.append(["", "Итого по району", "", "", "", "", schools, order.copies,
                 *(["", money(amount)] if order.priced else [])])
    return table_tab(ORDER_TAB, _top(order, f"Муниципальный заказ учебников на {order.order_year} учебный год"),
                     header, body, totals=totals, widths={2: 16, 3: 14, 4: 30, 5: 40, 8: 12, 9: 12, 10: 14},
                     formats={9: MONEY_FORMAT, 10: MONEY_FORMAT} if order.priced else {})


def _sum_or_none(values) -> Decimal | None:
    values = list(values)
    return None if not values or None in values else sum(values, Decimal(0))


def order_lines_tab(order: MunicipalOrder) -> TabSpec:
    """«Заказ по школам»: every valid line of every school (repeats merged)."""
    header = ["Код школы", "Школа", "Издательство", "Код ФПУ", "Наименование", "Класс", "Количество, экз.",
              "Строки бланка"]
    shorts = {pub.publisher: pub.short for pub in order.publishers}
    body = [[line.school, line.school_name, shorts[line.entry.publisher], line.code, line.entry.title, line.grade,
             line.copies, ", ".join(map(str, line.rows))] for line in order.lines]
    body.append(["", "Итого по району", "", "", "", "", order.copies, ""])
    return table_tab(ORDER_LINES_TAB, _top(order, f"Заказ учебников по школам на {order.order_year} учебный год"),
                     header, body, totals=[len(body) - 1], widths={2: 30, 3: 16, 4: 14, 5: 40})


def spec_title(pub: PublisherOrder) -> str:
    return safe_tab_title(SPEC_PREFIX, pub.short)


def distribution_title(pub: PublisherOrder) -> str:
    return safe_tab_title(DISTRIBUTION_PREFIX, pub.short)


BLANK = "____________________"
CONTRACT = "к муниципальному контракту № ________ от «____» ______________ 20____ г."
SIGNATURE = "____________ / ____________________ /"


def _heading(order: MunicipalOrder, pub: PublisherOrder, title: str) -> list[list[Any]]:
    """The document's head: its title, the contract, the parties, the year and the date."""
    made = f"Дата составления: {ru.date_text(order.made)}" if order.made else "Дата составления: «____» ______ 20____ г."
    return [[title], [CONTRACT], [f"Заказчик: {order.customer or BLANK}"], [f"Поставщик: {pub.publisher}"],
            [f"Учебный год: {order.order_year}. {made}"], []]


PAGE_CHARS = 144        # characters of column width on an A4 landscape page at 100 %
SMALLEST_SCALE = 0.7    # below that a table is split over pages wide, its first columns repeated


def _first_page(widths: Mapping[int, int], width: int) -> int:
    """How many of the first columns fit on the first printed page (at 100 %, so at any scale)."""
    chars = [widths.get(c, 9) for c in range(1, width + 1)]
    return max([1] + [n for n in range(1, width + 1) if sum(chars[:n]) <= PAGE_CHARS])


def _document(tab: TabSpec, *, heading: int, landscape: bool, blocks: Sequence[int] = (),
              halves: Sequence[int] = (), fixed: int = 0, wrap: Sequence[int] = (), table_end: int = 0) -> TabSpec:
    """A tab made a document: the heading's rows and ``blocks`` merged over the whole width,
    ``halves`` in two halves of what fits on the first page (the parties' signatures side
    by side), printed on A4 with the table's header repeated on every page. A table too
    wide for one page at 70 % (a distribution list of many schools) prints on as many
    pages wide as it takes, its first ``fixed`` columns repeated on each. The header's cells
    and the ``wrap`` columns (authors, titles) wrap their text, so nothing is cut off; the
    table, from its header to the totals row ``table_end``, is ruled (a number beside a code
    or a school's column beside the next one would otherwise run together on paper)."""
    width = max(len(r) for r in tab.rows)
    chars = [tab.widths.get(c, 9) for c in range(1, width + 1)]
    first_page = _first_page(tab.widths, width)
    half = max(1, first_page // 2)
    merges = [(r, 1, r, width) for r in (*range(1, heading), *blocks) if width > 1]
    merges += [m for r in halves for m in ((r, 1, r, half), (r, half + 1, r, first_page)) if first_page > 1]
    room = PAGE_CHARS / SMALLEST_SCALE
    pages, repeated = 1, None
    if sum(chars) > room and fixed:
        pages = 1 + math.ceil((sum(chars) - room) / max(1.0, room - sum(chars[:fixed])))
        repeated = (1, fixed)
    header = tab.frozen_rows
    return replace(tab, bold_rows=(1, *tab.bold_rows), merges=tuple(merges), wrap_rows=(header,),
                   grid=(header, 1, table_end, width) if table_end >= header > 0 else None,
                   wrap_columns=tuple(wrap),
                   print_setup=PrintSetup(landscape=landscape, title_rows=(header, header), title_columns=repeated,
                                          pages_wide=pages))


def _total_text(order: MunicipalOrder, pub: PublisherOrder) -> list[str]:
    """«Всего по спецификации: 1 234 экземпляра на сумму 1 234 руб. 00 коп.» and the sum in
    words on a line of its own (a merged cell does not wrap), or why there is no sum."""
    copies = f"Всего по спецификации: {ru.quantity(pub.copies, 'экземпляр', 'экземпляра', 'экземпляров')}"
    if not order.priced:
        return [f"{copies}. Сумма не указана: цены издательства не загружены в Svod."]
    if pub.amount is None:
        numbers = ", ".join(str(item.number) for item in pub.items if item.price is None)
        return [f"{copies}. Сумма не подсчитана: нет цены в прайс-листе для "
                f"{ru.quantity(pub.unpriced, 'строки', 'строк', 'строк')} из {len(pub.items)} (№ {numbers})."]
    return [f"{copies} на сумму {ru.rubles(pub.amount)}", f"({ru.amount_in_words(pub.amount)})."]


def _signatures(order: MunicipalOrder, pub: PublisherOrder, tab_widths: Mapping[int, int],
                width: int) -> list[list[Any]]:
    """The parties' signatures side by side, as a contract's annex has them (over what
    fits on the first page: see :func:`_document`)."""
    half = max(1, _first_page(tab_widths, width) // 2)

    def pair(left: str, right: str) -> list[Any]:
        return [left, *[None] * (half - 1), right]

    return [pair("Заказчик:", "Поставщик:"), pair(order.customer or BLANK, pub.publisher),
            pair(SIGNATURE, SIGNATURE), pair("(подпись)          (ФИО)", "(подпись)          (ФИО)"),
            pair("М.П.", "М.П.")]


def spec_tab(order: MunicipalOrder, pub: PublisherOrder) -> TabSpec:
    """«Спецификация — <издательство>»: the annex to the publisher's contract, to send as it
    is — the title, the parties, the lines in the order of their codes, the total in figures
    and in words, the signatures; no note of the head's (those are on «Заказ»)."""
    header = ["№ п/п", "Код ФПУ", "Авторы", "Наименование", "Класс", "Количество, экз.", *_price_columns(order)]
    body: list[list[Any]] = [[item.number, item.entry.code, item.entry.authors, item.entry.title, item.grade,
                              item.copies, *([money(item.price), money(item.amount)] if order.priced else [])]
                             for item in pub.items]
    body.append(["", "", "", "Итого", "", pub.copies, *(["", money(pub.amount)] if order.priced else [])])
    top = _heading(order, pub, f"Спецификация поставки учебников на {order.order_year} учебный год")
    width = len(header)
    widths = {1: 6, 2: 14, 3: 30, 4: 44, 5: 7, 6: 12, 7: 12, 8: 14}
    total = _total_text(order, pub)
    tail = [[], *([line] for line in total), [], *_signatures(order, pub, widths, width)]
    tab = table_tab(spec_title(pub), top, header, body + tail, totals=[len(body) - 1], widths=widths,
                    formats={7: MONEY_FORMAT, 8: MONEY_FORMAT} if order.priced else {})
    end = len(top) + 1 + len(body)          # the totals row
    signed = end + len(total) + 3
    return _document(tab, heading=len(top), landscape=order.priced, blocks=range(end + 2, end + 2 + len(total)),
                     halves=range(signed, signed + 5), wrap=(3, 4), table_end=end)


def distribution_tab(order: MunicipalOrder, pub: PublisherOrder) -> TabSpec:
    """«Разнарядка — <издательство>»: which school gets how many copies of each textbook, as
    a document like the specification (same lines and numbers, no note of the head's)."""
    header = ["№ п/п", "Код ФПУ", "Наименование", "Класс", "Всего, экз.",
              *(f"{code} {name}" for code, name in pub.schools)]
    body: list[list[Any]] = []
    for item in pub.items:
        body.append([item.number, item.entry.code, item.entry.title, item.grade, item.copies,
                     *(item.by_school.get(code) for code, _ in pub.schools)])
    per_school = [sum(item.by_school.get(code, 0) for item in pub.items) for code, _ in pub.schools]
    body.append(["", "", "Итого", "", pub.copies, *per_school])
    widths = {1: 6, 2: 14, 3: 40, 4: 7, 5: 10, **{6 + i: 14 for i in range(len(pub.schools))}}
    top = _heading(order, pub, f"Разнарядка учебников по школам на {order.order_year} учебный год")
    width = len(header)
    schools = f"{ru.number(len(pub.schools))} {ru.plural(len(pub.schools), 'школы', 'школ', 'школ')}"
    tail = [[], [f"Всего: {ru.quantity(pub.copies, 'экземпляр', 'экземпляра', 'экземпляров')} для {schools}."],
            [], *_signatures(order, pub, widths, width)]
    tab = table_tab(distribution_title(pub), top, header, body + tail, totals=[len(body) - 1], widths=widths)
    end = len(top) + 1 + len(body)
    return _document(tab, heading=len(top), landscape=True, blocks=(end + 2,),
                     halves=range(end + 4, end + 4 + 5), fixed=5, wrap=(3,), table_end=end)


def order_tabs(order: MunicipalOrder) -> list[TabSpec]:
    """«Заказ», «Заказ по школам», then a specification and a distribution list per publisher."""
    tabs = [order_tab(order), order_lines_tab(order)]
    for pub in order.publishers:
        tabs += [spec_tab(order, pub), distribution_tab(order, pub)]
    return tabs


# --- one workbook per publisher -------------------------------------------------------------------

def export_title(order: MunicipalOrder, pub: PublisherOrder) -> str:
    """«Спецификация — Просвещение — 2027-2028» (no «/» in a file name)."""
    return f"{SPEC_PREFIX}{pub.short} — {order.order_year.replace('/', '-')}"


def publisher_tabs(order: MunicipalOrder, pub: PublisherOrder) -> list[TabSpec]:
    """The two tabs of a publisher's workbook: its specification and its distribution, not
    protected (the clerk types the contract's number and date before she sends it)."""
    return [replace(spec_tab(order, pub), protected=False), replace(distribution_tab(order, pub), protected=False)]


def export_publishers(order: MunicipalOrder, store: WorkbookStore) -> list[str]:
    """One workbook per publisher with its specification and distribution tabs; returns the
    workbook ids. A workbook of the same title is rewritten in place (its two tabs are
    replaced), so exporting again refreshes the files; see :func:`stale_exports`."""
    existing = {info.title: info.id for info in store.list_workbooks()}
    ids = []
    for pub in order.publishers:
        title, tabs = export_title(order, pub), publisher_tabs(order, pub)
        if title in existing:
            store.write_tabs(existing[title], tabs)
            ids.append(existing[title])
        else:
            ids.append(store.create_workbook(title, tabs))
    return ids


def stale_exports(order: MunicipalOrder, store: WorkbookStore) -> list[str]:
    """Ids of earlier exports for the same year whose publisher is no longer in the order."""
    suffix = f" — {order.order_year.replace('/', '-')}"
    current = {export_title(order, pub) for pub in order.publishers}
    return [info.id for info in store.list_workbooks()
            if info.title.startswith(SPEC_PREFIX) and info.title.endswith(suffix) and info.title not in current]


# --- the sync's entry point ------------------------------------------------------------------------

def derived_tabs(session, *, academic_year: str, statuses: Mapping[tuple[str, str], str],
                 collections: Sequence, now: datetime | None = None, customer: str = "") -> list[TabSpec]:
    """The tabs the sync adds to the consolidated workbook (reads the database); ``now``
    dates the documents, ``customer`` is named on them (the setting SVOD_CUSTOMER)."""
    from sync_service.order.queries import consolidated_tabs

    return consolidated_tabs(session, academic_year=academic_year, statuses=statuses, collections=collections,
                             now=now, customer=customer)
