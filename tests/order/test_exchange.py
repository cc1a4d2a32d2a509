"""Provision and the exchange of textbooks: literal cases, then the invariants on random
instances (seeded): conservation, no over-use, no over-supply, coverage = the maximum."""
from __future__ import annotations

import random
from collections import defaultdict

import pytest

from sync_service.order.common import SchoolRows
from sync_service.order.exchange import (
    BASIS_MONITORING,
    NEED,
    OFFER,
    ExchangeItem,
    allocate,
    exchange_items,
    exchange_tab,
    max_exchange,
    propose,
    shortage_needs,
)
from sync_service.order.provision import district_summary, provision_lines, provision_tab, shortages


def prov(n, grade, subject, students, copies):
    return {"_row": n, "grade": grade, "subject": subject, "students": students, "copies": copies}


def test_provision():
    schools = [SchoolRows("sch01", "Школа 1", [prov(5, 5, "Математика", 50, 50), prov(6, 5, "История", 50, 40),
                                               prov(7, 6, "История", 0, 0)]),
               SchoolRows("sch02", "Школа 2", [prov(5, 5, "Математика", 30, 15), prov(6, 5, "История", None, 3)])]
    lines = provision_lines(schools)
    assert [(line.school, line.grade, line.subject, line.percent, line.shortage) for line in lines] == [
        ("sch01", 5, "История", 80.0, 10), ("sch01", 5, "Математика", 100.0, 0), ("sch01", 6, "История", None, 0),
        ("sch02", 5, "Математика", 50.0, 15)]
    assert [(s.grade, s.subject, s.schools, s.students, s.copies, s.percent) for s in district_summary(lines)] == [
        (5, "История", 1, 50, 40, 80.0), (5, "Математика", 2, 80, 65, 81.2), (6, "История", 1, 0, 0, None)]
    assert [(line.school, line.subject) for line in shortages(lines)] == [("sch02", "Математика"), ("sch01", "История")]
    tab = provision_tab(lines)
    assert tab.title == "Обеспеченность — итоги" and ["Итого", "", 2, 130, 105, 80.8, 25] in tab.rows


def exchange_row(kind, code, title, grade, copies):
    return {"kind": kind, "fpu_code": code, "title": title, "grade": grade, "copies": copies}


def test_literal_exchange(small_fpu):
    schools = [
        SchoolRows("sch01", "Школа 1", [exchange_row("Излишек", "1.1.2.1.1.1", "Русский язык", 5, 10),
                                        exchange_row("Потребность", None, "Алгебра", 8, 4)]),
        SchoolRows("sch02", "Школа 2", [exchange_row("Потребность", "1.1.2.1.1.1", "Русский язык", 5, 6),
                                        exchange_row("Излишек", "1.1.2.3.1.1", "Алгебра", 8, 3)]),
        SchoolRows("sch03", "Школа 3", [exchange_row("потребность", "1.1.2.1.1.1", "", 5, 6),
                                        exchange_row("Что-то", "1.1.2.1.1.1", "", 5, 6)]),   # unknown kind: ignored
    ]
    items = exchange_items(schools)
    assert len(items) == 5
    plan = propose(items, fpu=small_fpu)
    moved = sorted((t.giver, t.taker, t.code, t.copies) for t in plan.transfers)
    assert moved == [("sch01", "sch02", "1.1.2.1.1.1", 6), ("sch01", "sch03", "1.1.2.1.1.1", 4),
                     ("sch02", "sch01", "1.1.2.3.1.1", 3)]    # «Алгебра» without a code matched by title and grade
    assert sorted((i.school, i.code, i.copies) for i in plan.unmet) == [("sch01", "1.1.2.3.1.1", 1),
                                                                 ("sch03", "1.1.2.1.1.1", 2)]
    tab = exchange_tab(plan)
    assert tab.title == "Обмен" and tab.rows[tab.frozen_rows][1:3] == ["sch01", "Школа 1"]


def test_shortages_are_served_from_what_is_left(small_fpu):
    items = [ExchangeItem("sch01", "Школа 1", OFFER, "1.1.2.1.1.1", "Русский язык", 5, 10),
             ExchangeItem("sch02", "Школа 2", NEED, "1.1.2.1.1.1", "Русский язык", 5, 4)]
    lines = provision_lines([SchoolRows("sch02", "Школа 2", [prov(5, 5, "Русский язык", 50, 40)]),
                             SchoolRows("sch03", "Школа 3", [prov(5, 5, "Русский язык", 30, 27)]),
                             SchoolRows("sch01", "Школа 1", [prov(5, 5, "Русский язык", 20, 10)])])
    plan = propose(items, shortages=shortage_needs(shortages(lines)), fpu=small_fpu)
    moved = sorted((t.giver, t.taker, t.copies, t.basis) for t in plan.transfers)
    # sch02 asked for 4 of its shortage of 10 explicitly: 4 by request + 6 more by monitoring... but only 10 in all
    assert sum(t.copies for t in plan.transfers) == 10
    assert all(giver != taker for giver, taker, *_ in moved)
    assert ("sch01", "sch02", 4, "заявка") in moved
    assert {t.taker for t in plan.transfers if t.basis == BASIS_MONITORING} <= {"sch02", "sch03"}
    # sch01's own shortage is never served by itself
    assert not [t for t in plan.transfers if t.taker == "sch01"]


def random_items(rnd, schools, codes, grades=(5, 6)):
    items = []
    for _ in range(rnd.randint(0, 40)):
        school = rnd.choice(schools)
        code = rnd.choice(codes)
        items.append(ExchangeItem(school, f"Школа {school}", rnd.choice([OFFER, NEED]), code, f"Учебник {code}",
                                  rnd.choice(grades), rnd.randint(1, 12)))
    return items


@pytest.mark.parametrize("seed", range(60))
def test_exchange_invariants(seed):
    rnd = random.Random(seed)
    schools = [f"s{i}" for i in range(rnd.randint(1, 8))]
    items = random_items(rnd, schools, ["1.1", "1.2", "1.3"])
    plan = propose(items)
    offered, needed = defaultdict(int), defaultdict(int)
    for item in items:
        (offered if item.kind == OFFER else needed)[(item.code, item.grade, item.school)] += item.copies
    given, taken = defaultdict(int), defaultdict(int)
    for t in plan.transfers:
        assert t.giver != t.taker and t.copies > 0
        given[(t.code, t.grade, t.giver)] += t.copies
        taken[(t.code, t.grade, t.taker)] += t.copies
    assert sum(given.values()) == sum(taken.values())                      # conservation
    for key, copies in given.items():
        assert copies <= offered[key]                                      # no offer used beyond its copies
    for key, copies in taken.items():
        assert copies <= needed[key]                                       # no school given more than it needs
    for code, grade in {(i.code, i.grade) for i in items}:                 # coverage = min(supply, demand), netted
        net = defaultdict(int)
        for (c, g, school), copies in offered.items():
            if (c, g) == (code, grade):
                net[school] += copies
        for (c, g, school), copies in needed.items():
            if (c, g) == (code, grade):
                net[school] -= copies
        supply, demand = sum(v for v in net.values() if v > 0), -sum(v for v in net.values() if v < 0)
        moved = sum(t.copies for t in plan.transfers if (t.code, t.grade) == (code, grade))
        assert moved == min(supply, demand)


def brute_force_max(supply, demand):
    """A tiny max flow by augmenting paths in an explicit graph: independent of allocate()."""
    nodes = ["S", "T"] + [("g", k) for k in supply] + [("t", k) for k in demand]
    cap = defaultdict(int)
    for k, v in supply.items():
        cap[("S", ("g", k))] = v
    for k, v in demand.items():
        cap[(("t", k), "T")] = v
    for g in supply:
        for t in demand:
            if g != t:
                cap[(("g", g), ("t", t))] = 10 ** 9
    total = 0
    while True:
        parent, queue = {"S": None}, ["S"]
        for u in queue:
            for v in nodes:
                if v not in parent and cap[(u, v)] > 0:
                    parent[v] = u
                    queue.append(v)
        if "T" not in parent:
            return total
        path, v = [], "T"
        while parent[v] is not None:
            path.append((parent[v], v))
            v = parent[v]
        push = min(cap[e] for e in path)
        for u, v in path:
            cap[(u, v)] -= push
            cap[(v, u)] += push
        total += push


@pytest.mark.parametrize("seed", range(200))
def test_allocate_reaches_the_maximum_with_forbidden_pairs(seed):
    rnd = random.Random(1000 + seed)
    schools = [f"s{i}" for i in range(rnd.randint(1, 7))]
    supply = {k: rnd.choice([0, 0, 1, 2, 3, 5, 8, 13]) for k in schools}
    demand = {k: rnd.choice([0, 0, 1, 2, 3, 5, 8, 13]) for k in schools}
    moves = allocate(supply, demand)
    assert all(g != t and c > 0 for g, t, c in moves)
    for k in schools:
        assert sum(c for g, _, c in moves if g == k) <= supply[k]
        assert sum(c for _, t, c in moves if t == k) <= demand[k]
    best = brute_force_max(supply, demand)
    assert sum(c for *_, c in moves) == best == max_exchange(supply, demand)


def test_few_transfers_for_exact_pairs():
    moves = allocate({"a": 5, "b": 3}, {"c": 3, "d": 5})
    assert sorted(moves) == [("a", "d", 5), ("b", "c", 3)]
