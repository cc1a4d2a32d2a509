"""Exchange of textbooks between schools (взаимообмен): who passes what to whom. Pure.

Offers («Излишек») and needs («Потребность») come from the schools' textbook_exchange
rows; the shortages of the provision monitoring are needs too. Transfers are proposed
between DIFFERENT schools only, never beyond an offer's copies, never more than a school
needs.

The algorithm, in two rounds:

1. Explicit needs, per item. An item is a ФПУ code and a grade; a row without a code is
   matched by its normalised title and grade (and takes the code of coded rows with that
   title and grade when there is exactly one). A school that both offers and needs an
   item covers itself first (its offer and need are netted). Then every school of an
   item is a giver or a taker only, every giver may serve every taker, and any filling
   covers min(offered, needed) — a transportation problem without forbidden pairs. For
   few transfers, a giver and a taker with exactly the same number are paired first,
   then the largest giver fills the largest taker.
2. Monitoring shortages, per subject and grade: what remains offered (items whose code
   the list knows, with that subject) against each school's shortage minus what it has
   already asked for explicitly in that subject and grade. Here a school can be both
   giver and taker (it may offer one series and lack another), so pairs within a school
   are forbidden. The maximum is then min(S, D, min over schools k of S − s_k + D − d_k)
   (the cut argument: with one school's supply and demand on opposite sides no other
   edge can cross). :func:`allocate` fills greedily, then augments to the maximum.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sync_service.forms.cells import fold
from sync_service.order.common import SchoolRows, table_tab
from sync_service.order.fpu import FpuIndex, normalize_code, normalized_title
from sync_service.order.provision import ProvisionLine
from sync_service.stores.base import PrintSetup, TabSpec

EXCHANGE_TAB = "Обмен"
OFFER, NEED = "offer", "need"
KINDS = {"излишек": OFFER, "потребность": NEED}
BASIS_REQUEST, BASIS_MONITORING = "заявка", "мониторинг обеспеченности"


@dataclass(frozen=True)
class ExchangeItem:
    school: str
    school_name: str
    kind: str                 # OFFER or NEED
    code: str | None
    title: str
    grade: int
    copies: int
    subject: str = ""         # for needs from the provision monitoring
    basis: str = BASIS_REQUEST


@dataclass(frozen=True)
class Transfer:
    giver: str
    giver_name: str
    taker: str
    taker_name: str
    code: str | None
    title: str
    grade: int
    copies: int
    basis: str = BASIS_REQUEST


@dataclass
class ExchangePlan:
    transfers: list[Transfer]
    unmet: list[ExchangeItem] = field(default_factory=list)    # needs left, with the copies still missing
    unused: list[ExchangeItem] = field(default_factory=list)   # offers left, with the copies still free

    @property
    def copies(self) -> int:
        return sum(t.copies for t in self.transfers)


# --- inputs ----------------------------------------------------------------------------------

def exchange_items(schools: Sequence[SchoolRows]) -> list[ExchangeItem]:
    """Offers and needs from textbook_exchange rows; incomplete rows are left out."""
    items = []
    for school in schools:
        for row in school.rows:
            kind = KINDS.get(fold(str(row.get("kind") or "")))
            grade, copies = row.get("grade"), row.get("copies")
            title = " ".join(str(row.get("title") or "").split())
            code = normalize_code(row.get("fpu_code"))
            if kind is None or not isinstance(grade, int) or not isinstance(copies, int) or isinstance(copies, bool) \
                    or copies <= 0 or not (code or title):
                continue
            items.append(ExchangeItem(school.code, school.name, kind, code, title, grade, copies))
    return items


def shortage_needs(lines: Iterable[ProvisionLine]) -> list[ExchangeItem]:
    """The provision shortages as needs of a subject and grade (no particular textbook)."""
    return [ExchangeItem(line.school, line.school_name, NEED, None, line.subject, line.grade, line.shortage,
                         subject=line.subject, basis=BASIS_MONITORING)
            for line in lines if line.shortage > 0]


# --- the allocation ------------------------------------------------------------------------------

def allocate(supply: Mapping[str, int], demand: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """``(giver, taker, copies)`` moving as much as possible from ``supply`` to ``demand``
    (school -> copies) with giver ≠ taker, no giver beyond its supply, no taker beyond its
    demand. A greedy filling first (exact pairs, then the school with the largest
    remaining supply + demand served by the largest partner: few transfers), then
    augmenting paths until none is left — which makes it a maximum flow."""
    s = {k: v for k, v in supply.items() if v > 0}
    d = {k: v for k, v in demand.items() if v > 0}
    flow: dict[tuple[str, str], int] = defaultdict(int)

    def move(giver: str, taker: str, copies: int) -> None:
        flow[(giver, taker)] += copies
        s[giver] -= copies
        d[taker] -= copies
        if not s[giver]:
            del s[giver]
        if not d[taker]:
            del d[taker]

    if not set(s) & set(d):
        by_size: dict[int, list[str]] = defaultdict(list)
        for giver in sorted(s, key=lambda k: (-s[k], k)):
            by_size[s[giver]].append(giver)
        for taker in sorted(d, key=lambda k: (-d[k], k)):
            if by_size.get(d[taker]):
                move(by_size[d[taker]].pop(0), taker, d[taker])
    while s and d:
        k = min(set(s) | set(d), key=lambda x: (-s.get(x, 0) - d.get(x, 0), x))
        givers = [g for g in s if g != k]
        takers = [t for t in d if t != k]
        if k in d and givers:
            giver = min(givers, key=lambda g: (-s[g], g))
            move(giver, k, min(s[giver], d[k]))
        elif k in s and takers:
            taker = min(takers, key=lambda t: (-d[t], t))
            move(k, taker, min(s[k], d[taker]))
        else:
            break  # what is left is one school's own supply and demand
    schools = sorted(set(supply) | set(demand))   # a fixed order: the same proposal at every run
    while s and d and _augment(s, d, flow, schools):
        pass
    return [(giver, taker, copies) for (giver, taker), copies in flow.items() if copies > 0]


def _augment(s: dict[str, int], d: dict[str, int], flow: dict[tuple[str, str], int], schools: list[str]) -> bool:
    """One augmenting path giver → taker (← giver → taker)… in the residual graph; False if none."""
    came: dict[tuple[str, str], tuple[str, str] | None] = {("g", g): None for g in s}
    queue = list(came)
    takers_of: dict[str, list[str]] = defaultdict(list)   # taker -> givers that send to it
    for (giver, taker), copies in flow.items():
        if copies > 0:
            takers_of[taker].append(giver)
    end = None
    for side, school in queue:
        if side == "g":
            for taker in schools:
                if taker != school and ("t", taker) not in came:
                    came[("t", taker)] = ("g", school)
                    if taker in d:
                        end = ("t", taker)
                        break
                    queue.append(("t", taker))
        else:
            for giver in takers_of[school]:
                if ("g", giver) not in came:
                    came[("g", giver)] = ("t", school)
                    queue.append(("g", giver))
        if end:
            break
    if end is None:
        return False
    path = [end]
    while came[path[-1]] is not None:
        path.append(came[path[-1]])
    path.reverse()   # g0, t0, g1, t1, …, tk
    amount = min(s[path[0][1]], d[end[1]])
    for i in range(1, len(path) - 1, 2):   # (t_i, g_{i+1}) walks back along an existing flow
        amount = min(amount, flow[(path[i + 1][1], path[i][1])])
    for i in range(0, len(path), 2):
        flow[(path[i][1], path[i + 1][1])] += amount
        if i + 2 < len(path):
            flow[(path[i + 2][1], path[i + 1][1])] -= amount
    s[path[0][1]] -= amount
    d[end[1]] -= amount
    for table, school in ((s, path[0][1]), (d, end[1])):
        if not table[school]:
            del table[school]
    return True


def max_exchange(supply: Mapping[str, int], demand: Mapping[str, int]) -> int:
    """The most that can move with giver ≠ taker: min(S, D, min_k S − s_k + D − d_k)."""
    total_s, total_d = sum(v for v in supply.values() if v > 0), sum(v for v in demand.values() if v > 0)
    schools = set(supply) | set(demand)
    return min([total_s, total_d] + [total_s - max(0, supply.get(k, 0)) + total_d - max(0, demand.get(k, 0))
                                     for k in schools])


# --- proposing ---------------------------------------------------------------------------------------

Key = tuple[str, Any, int]


def _keys(items: Sequence[ExchangeItem]) -> dict[int, Key]:
    codes: dict[tuple[str, int], set[str]] = defaultdict(set)
    for item in items:
        if item.code:
            codes[(normalized_title(item.title), item.grade)].add(item.code)
    keys = {}
    for i, item in enumerate(items):
        code = item.code
        if code is None:
            found = codes.get((normalized_title(item.title), item.grade), set())
            code = next(iter(found)) if len(found) == 1 else None
        keys[i] = ("code", code, item.grade) if code else ("title", normalized_title(item.title), item.grade)
    return keys


def propose(items: Sequence[ExchangeItem], *, shortages: Sequence[ExchangeItem] = (),
            fpu: FpuIndex | None = None) -> ExchangePlan:
    """Transfers for the explicit offers and needs (``items``), then for the monitoring
    ``shortages`` (needs by subject, see :func:`shortage_needs`) from what is left."""
    items = [i for i in items if i.kind in (OFFER, NEED)]
    keys = _keys(items)
    names: dict[str, str] = {}
    offered: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    needed: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sample: dict[Key, ExchangeItem] = {}
    for i, item in enumerate(items):
        names[item.school] = item.school_name
        (offered if item.kind == OFFER else needed)[keys[i]][item.school] += item.copies
        if keys[i] not in sample or item.kind == OFFER and sample[keys[i]].kind == NEED:
            sample[keys[i]] = item
    for item in shortages:
        names[item.school] = item.school_name

    def describe(key: Key) -> tuple[str | None, str]:
        code = key[1] if key[0] == "code" else None
        entry = fpu.get(code) if fpu is not None and code else None
        return code, entry.title if entry else sample[key].title

    transfers: list[Transfer] = []
    left: dict[Key, dict[str, int]] = {}
    unmet: list[ExchangeItem] = []
    for key in sorted(set(offered) | set(needed), key=str):
        give, take = dict(offered.get(key, {})), dict(needed.get(key, {}))
        for school in set(give) & set(take):  # a school covers its own need first
            own = min(give[school], take[school])
            give[school] -= own
            take[school] -= own
        code, title = describe(key)
        for giver, taker, copies in allocate(give, take):
            transfers.append(Transfer(giver, names[giver], taker, names[taker], code, title, key[2], copies))
            give[giver] -= copies
            take[taker] -= copies
        left[key] = {k: v for k, v in give.items() if v > 0}
        unmet += [replace(sample[key], school=k, school_name=names[k], kind=NEED, code=code, title=title, copies=v)
                  for k, v in take.items() if v > 0]
    if shortages and fpu is not None:
        transfers += _shortage_round(shortages, left, needed, fpu, names, describe, unmet)
    unused = []
    for key, give in left.items():
        code, title = describe(key)
        unused += [replace(sample[key], school=k, school_name=names[k], kind=OFFER, code=code, title=title, copies=v)
                   for k, v in give.items() if v > 0]
    return ExchangePlan(transfers, unmet, unused)


def _shortage_round(shortages, left, needed, fpu: FpuIndex, names, describe, unmet) -> list[Transfer]:
    def subject_of(key: Key) -> str | None:
        entry = fpu.get(key[1]) if key[0] == "code" else None
        return fold(entry.subject) if entry and entry.subject else None

    asked: dict[tuple[str, str, int], int] = defaultdict(int)   # explicit needs per school, subject, grade
    for key, by_school in needed.items():
        subject = subject_of(key)
        if subject:
            for school, copies in by_school.items():
                asked[(school, subject, key[2])] += copies
    transfers = []
    groups: dict[tuple[str, int], list[ExchangeItem]] = defaultdict(list)
    for need in shortages:
        groups[(fold(need.subject or need.title), need.grade)].append(need)
    for (subject, grade), needs in sorted(groups.items()):
        demand: dict[str, int] = defaultdict(int)
        for need in needs:
            demand[need.school] += max(0, need.copies - asked.get((need.school, subject, grade), 0))
        stock = {key: give for key, give in left.items() if key[2] == grade and subject_of(key) == subject}
        supply: dict[str, int] = defaultdict(int)
        for give in stock.values():
            for school, copies in give.items():
                supply[school] += copies
        for giver, taker, copies in allocate(supply, demand):
            demand[taker] -= copies
            for key in sorted(stock, key=lambda k: (-stock[k].get(giver, 0), str(k))):
                take = min(copies, stock[key].get(giver, 0))
                if take <= 0:
                    continue
                code, title = describe(key)
                transfers.append(Transfer(giver, names[giver], taker, names[taker], code, title, grade, take,
                                          BASIS_MONITORING))
                stock[key][giver] -= take
                copies -= take
                if not copies:
                    break
        sample = {n.school: n for n in needs}
        unmet += [replace(sample[k], copies=v) for k, v in demand.items() if v > 0]
    return transfers


# --- the tab ------------------------------------------------------------------------------------------

def exchange_tab(plan: ExchangePlan) -> TabSpec:
    """«Обмен»: the proposed transfers, then the needs nobody could cover."""
    header = ["№", "Передаёт: код", "Передаёт: школа", "Получает: код", "Получает: школа", "Код ФПУ", "Наименование",
              "Класс", "Экз.", "Основание"]
    body: list[list[Any]] = [[n, t.giver, t.giver_name, t.taker, t.taker_name, t.code or "", t.title, t.grade,
                              t.copies, t.basis] for n, t in enumerate(plan.transfers, start=1)]
    body.append(["", "", "Итого передать", "", "", "", "", "", plan.copies, ""])
    bold = [len(body) - 1]
    body += [[], ["Потребность, которую не закрыть обменом"],
             ["Код школы", "Школа", "Код ФПУ", "Наименование / предмет", "Класс", "Не хватает, экз.", "Основание"]]
    bold += [len(body) - 2, len(body) - 1]
    body += [[i.school, i.school_name, i.code or "", i.title, i.grade, i.copies, i.basis] for i in plan.unmet] \
        or [["нет"]]
    top = [["Взаимообмен учебниками: предложения Svod (передача между школами района)"]]
    tab = table_tab(EXCHANGE_TAB, top, header, body, totals=bold, widths={3: 28, 5: 28, 6: 14, 7: 40, 10: 16})
    # printed for the schools: A4 landscape, the header on every page
    return replace(tab, merges=((1, 1, 1, len(header)),),
                   print_setup=PrintSetup(landscape=True, title_rows=(tab.frozen_rows, tab.frozen_rows)))
