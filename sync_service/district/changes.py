"""Whether a new read of the head's workbook may be applied as it is. Pure.

The head's «Школы» and «План» are the district's registry: one slip there (the tab
deleted, the rows cut instead of copied, every school unticked) would take most of the
district out of the work at the next sync — the status page empty, «Свод» rewritten with
header-only tabs. Like rsync's ``--max-delete``, a change that would drop more than a
share of the district at once is held: the last known registry and plan stay, the run is
partial and says what looks wrong and how to confirm it if it was meant; a confirmed
change (its :attr:`Assessment.fingerprint`) is applied by the next sync.

Two rows of «Школы» with one code cannot be confirmed, only fixed: neither row applies and,
while a code repeats, no school leaves the work (the row typed over may be the school that
seems gone), so the previous assignment stays; the rest of «Школы» applies.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sync_service import ru
from sync_service.district.registry import Registry

LISTED = 10  # codes or titles named in a reason; the rest are counted


@dataclass(frozen=True)
class Limits:
    """The largest share (%) of the active schools and of the plan's collections one change
    may drop at once (``SVOD_MAX_SCHOOLS_DROP``, ``SVOD_MAX_COLLECTIONS_DROP``); 100: no limit."""

    schools: int = 50
    collections: int = 50


@dataclass(frozen=True)
class Before:
    """What the last applied read of the head's workbook left in the database."""

    schools: Sequence[str]                 # codes of the active schools
    collections: Mapping[str, str]         # collection key -> title, of the year's plan
    own_plan: bool = False                 # the plan was the head's rows (False: the default calendar, or unknown)


@dataclass(frozen=True)
class Assessment:
    hold_schools: bool = False             # «Школы» not applied: the last known schools stay
    hold_plan: bool = False                # «План» not applied: the last known plan stays
    duplicates: tuple[str, ...] = ()       # codes repeated on «Школы»: none of their rows applies, nobody leaves
    reasons: tuple[str, ...] = ()          # Russian, one sentence each (a mass drop)
    repeats: tuple[str, ...] = ()          # Russian, one sentence per repeated code
    fingerprint: str = ""                  # what a confirmation names: this very change
    dropped_schools: tuple[str, ...] = field(default=(), compare=False)
    dropped_collections: tuple[str, ...] = field(default=(), compare=False)

    @property
    def held(self) -> bool:
        """Something of the read is not applied (a mass drop held, or a repeated code)."""
        return self.hold_schools or self.hold_plan or bool(self.duplicates)

    @property
    def confirmable(self) -> bool:
        """A mass drop can be confirmed; a repeated code can only be fixed."""
        return self.hold_schools or self.hold_plan

    def message(self) -> str:
        """The run's Russian banner: what looks wrong, what stays, how to go on."""
        parts = []
        if self.confirmable:
            kept = " и ".join(part for part, held in (("прежний список школ", self.hold_schools),
                                                      ("прежний план", self.hold_plan)) if held)
            parts.append(f"Изменение книги руководителя ОМО не применено. {' '.join(self.reasons)} "
                         f"Svod работает дальше: {kept}. Если это ошибка, верните лист или строки в книге "
                         "руководителя. Если так и задумано, подтвердите изменение на странице управления "
                         "(«Подтвердить изменение») или командой «svod sync --confirm-removal».")
        if self.duplicates:
            parts.append(f"Список школ обновлён не полностью. {' '.join(self.repeats)} Пока код повторяется, ни "
                         "одна школа не уходит из работы, а для этого кода действует прежняя строка. Исправьте "
                         "код в одной из строк (ячейки — на листе «Проверка» книги руководителя).")
        return " ".join(parts)


def _too_many(dropped: int, before: int, limit: int) -> bool:
    return before > 0 and dropped * 100 > limit * before


def _named(items: Sequence[str]) -> str:
    shown = ", ".join(ru.shortened(item, 60) for item in items[:LISTED])
    return shown + (f" и ещё {ru.number(len(items) - LISTED)}" if len(items) > LISTED else "")


def fingerprint(registry: Registry) -> str:
    """The change a confirmation is for: the active schools and the collections it leaves."""
    value = {"schools": sorted(s.code for s in registry.schools if s.active),
             "collections": sorted(c.key for c in registry.collections), "default": registry.default_plan}
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:32]


def assess(before: Before, registry: Registry, limits: Limits) -> Assessment:
    """Hold the schools, the plan or both when applying ``registry`` over ``before`` would
    drop more than ``limits`` allow; say which codes «Школы» repeats."""
    reasons: list[str] = []
    after = {s.code for s in registry.schools if s.active} | set(registry.held)
    dropped = [code for code in before.schools if code not in after]
    hold_schools = _too_many(len(dropped), len(before.schools), limits.schools)
    if hold_schools:
        total = ru.quantity(len(before.schools), "школы", "школ", "школ")  # «из 21 школы», «из 5 школ»
        count = ru.number(len(before.schools))
        if not registry.schools_tab:
            reasons.append(f"В книге нет листа «Школы»: из работы ушли бы все школы ({count}).")
        elif not after:
            reasons.append(f"На листе «Школы» не осталось ни одной активной школы: из работы ушли бы все ({count}).")
        else:
            reasons.append(f"Из {total} в работе осталось бы {ru.number(len(before.schools) - len(dropped))}, "
                           f"ушли бы {ru.number(len(dropped))}: {_named(dropped)}.")
    repeats = [f"Код школы «{code}» повторяется на листе «Школы» (строки {', '.join(map(str, rows))}): ни одна "
               "из этих строк не применена." for code, rows in registry.duplicates.items()]

    keys = {c.key for c in registry.collections}
    lost = [key for key in before.collections if key not in keys]
    # «План» gone or emptied: every row of the head's own plan lost, the default calendar instead
    fell_back = registry.default_plan and before.own_plan and bool(before.collections) and limits.collections < 100
    hold_plan = fell_back or _too_many(len(lost), len(before.collections), limits.collections)
    if hold_plan:
        total = ru.quantity(len(before.collections), "сбора", "сборов", "сборов")
        if fell_back:
            reasons.append(f"На листе «План» нет ни одного сбора (или нет самого листа): вместо {total} плана "
                           "применился бы календарь по умолчанию со сроками по умолчанию.")
        else:
            reasons.append(f"Из {total} плана осталось бы {ru.number(len(before.collections) - len(lost))}, "
                           f"ушли бы {ru.number(len(lost))}: {_named([before.collections[k] for k in lost])}.")
    return Assessment(hold_schools, hold_plan, tuple(registry.duplicates), tuple(reasons), tuple(repeats),
                      fingerprint=fingerprint(registry), dropped_schools=tuple(dropped),
                      dropped_collections=tuple(lost))
