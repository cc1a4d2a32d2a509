"""Stable keys for the head's forms and their columns. Pure.

Everything Svod stores about a form — submissions, snapshots, findings, the consolidated
tabs — is keyed by the form's key and its columns' keys, never by the Russian names the
head may change. A form written in «Формы» gets its keys here, and keeps them:

* a **form** is the one Svod remembers with the same title, else with the same tab;
  a new one gets a key made from its title («Дарение книг» -> ``darenie_knig``);
* a **column** keeps the key of the remembered column that had its label, now or ever
  (so a column removed and added again gets its values back); else, when the labels that
  changed sit between the same matched columns as before — as many new ones as old ones
  there — each takes the key of the old one at its place: that is a rename (the old label
  is kept as an alias, so every school's tab with the old header is still read); else it
  is a new column with a key made from its label. A key the head wrote in «Ключ» wins.
  Remembered columns no new row took are *retired*: kept with their labels, so the
  values typed in them stay named.

What Svod remembers of a form is a :class:`FormMemory`, stored as JSON
(``head_forms.memory``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sync_service.forms.reading import label_key

_LETTERS = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                     "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))
KEY_LENGTH = 30
LABELS_KEPT = 10  # a column's labels remembered (the current one and the latest earlier ones)


def slug(text: str, *, fallback: str) -> str:
    """A key from Russian text: «Учебники, экз.» -> ``uchebniki_ekz``."""
    latin = "".join(_LETTERS.get(ch, ch) for ch in str(text).casefold())
    key = re.sub(r"[^a-z0-9]+", "_", latin).strip("_")[:KEY_LENGTH].rstrip("_")
    if not key:
        return fallback
    return key if key[0].isalpha() else f"{fallback}_{key}"[:KEY_LENGTH].rstrip("_")


def unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``… — the first not in ``taken`` (which it joins)."""
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base[:KEY_LENGTH - len(str(n)) - 1]}_{n}"
    taken.add(key)
    return key


@dataclass(frozen=True)
class ColumnMemory:
    key: str
    labels: tuple[str, ...]      # the current label first, then earlier ones, newest first
    current: bool = True         # False: retired (no longer in the form)


@dataclass(frozen=True)
class FormMemory:
    key: str
    titles: tuple[str, ...]
    tabs: tuple[str, ...]
    columns: tuple[ColumnMemory, ...]  # the current ones in the form's order, then the retired

    @property
    def current(self) -> list[ColumnMemory]:
        return [c for c in self.columns if c.current]

    def as_json(self) -> dict:
        return {"key": self.key, "titles": list(self.titles), "tabs": list(self.tabs),
                "columns": [{"key": c.key, "labels": list(c.labels), "current": c.current} for c in self.columns]}

    @classmethod
    def from_json(cls, data: dict) -> FormMemory:
        return cls(data["key"], tuple(data.get("titles") or ()), tuple(data.get("tabs") or ()),
                   tuple(ColumnMemory(c["key"], tuple(c["labels"]), bool(c.get("current", True)))
                         for c in data.get("columns") or ()))


def _merged(label: str, earlier: Iterable[str]) -> tuple[str, ...]:
    labels = [label]
    for old in earlier:
        if label_key(old) not in {label_key(x) for x in labels}:
            labels.append(old)
    return tuple(labels[:LABELS_KEPT])


def match_form(title: str, tab: str, memories: Sequence[FormMemory], taken: set[str]) -> FormMemory | None:
    """The remembered form that is this one: the same title (now or ever), else the same tab."""
    for wanted, field in ((label_key(title), "titles"), (label_key(tab), "tabs")):
        if not wanted:
            continue
        for memory in memories:
            if memory.key not in taken and wanted in {label_key(x) for x in getattr(memory, field)}:
                return memory
    return None


def column_keys(labels: Sequence[str], explicit: Sequence[str | None], memory: FormMemory | None,
                reserved: Iterable[str] = ()) -> tuple[list[str], FormMemory | None]:
    """The key of each of a form's columns (``labels`` in the form's order; ``explicit``: the
    key typed in «Ключ» or None), and the columns as remembered after this definition
    (``memory`` updated; None when there was none — the caller makes one)."""
    remembered = list(memory.columns) if memory else []
    keys: list[str | None] = list(explicit)
    used = {k for k in keys if k}
    by_label: dict[str, ColumnMemory] = {}
    for column in remembered:
        for label in column.labels:
            by_label.setdefault(label_key(label), column)
    for i, label in enumerate(labels):
        if keys[i] is None:
            column = by_label.get(label_key(label))
            if column is not None and column.key not in used:
                keys[i] = column.key
                used.add(column.key)
    _renames(keys, [c for c in remembered if c.current], used)
    taken = used | {c.key for c in remembered} | set(reserved)
    for i, label in enumerate(labels):
        if keys[i] is None:
            keys[i] = unique(slug(label, fallback="c"), taken)
    final = [k for k in keys if k is not None]
    old = {c.key: c for c in remembered}
    columns = [ColumnMemory(key, _merged(label, old[key].labels if key in old else ())) for key, label in
               zip(final, labels)]
    retired = [ColumnMemory(c.key, c.labels, False) for c in remembered if c.key not in set(final)]
    base = memory or FormMemory("", (), (), ())
    return final, FormMemory(base.key, base.titles, base.tabs, tuple(columns + retired))


def _renames(keys: list[str | None], previous: list[ColumnMemory], used: set[str]) -> None:
    """Pair the unmatched new columns with the unmatched old ones that sit between the same
    matched neighbours, when there are as many of each (in place)."""
    order = {c.key: i for i, c in enumerate(previous)}
    anchors = [(i, order[k]) for i, k in enumerate(keys) if k is not None and k in order]
    # the gaps: (new indexes, old indexes) between consecutive anchors, in both orders
    bounds = [(-1, -1)] + [a for a in anchors if a[1] >= 0] + [(len(keys), len(previous))]
    for (new_start, old_start), (new_end, old_end) in zip(bounds, bounds[1:]):
        if old_end < old_start:
            continue  # the anchors crossed (a column moved): no gap to read
        new = [i for i in range(new_start + 1, new_end) if keys[i] is None]
        old = [previous[j] for j in range(old_start + 1, old_end) if previous[j].key not in used]
        if new and len(new) == len(old):
            for i, column in zip(new, old):
                keys[i] = column.key
                used.add(column.key)


def remembered(memory: FormMemory | None, key: str, title: str, tab: str, columns: FormMemory) -> FormMemory:
    """The form as remembered after a definition that holds: its titles and tabs with the new ones first."""
    titles = _merged(title, memory.titles if memory else ())
    tabs = _merged(tab, memory.tabs if memory else ())
    return FormMemory(key, titles, tabs, columns.columns)
