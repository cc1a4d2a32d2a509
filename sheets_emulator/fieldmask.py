"""Google field masks (the ``fields`` parameter and the ``fields`` of update
requests).

Syntax: comma-separated paths whose segments are joined by '.' or '/', with
parenthesised sub-selections and '*' wildcards, e.g.
``sheets(properties(title,sheetId),data.rowData.values.note)``.
A mask is parsed into a tree ``{name: subtree}``; a ``None`` subtree selects
the whole value under that name.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import invalid_argument

Tree = dict[str, Any]


def parse(mask: str) -> Tree:
    parser = _Parser(mask.replace(" ", ""))
    tree = parser.paths()
    if parser.pos != len(parser.text):
        raise invalid_argument(f"Invalid field selection {mask}")
    return tree


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def paths(self) -> Tree:
        tree: Tree = {}
        while True:
            _merge(tree, self.path())
            if self._peek() == ",":
                self.pos += 1
                continue
            return tree

    def path(self) -> Tree:
        names = [self._name()]
        while self._peek() in (".", "/"):
            self.pos += 1
            names.append(self._name())
        leaf: Tree | None = None
        if self._peek() == "(":
            self.pos += 1
            leaf = self.paths()
            if self._peek() != ")":
                raise invalid_argument(f"Invalid field selection {self.text}")
            self.pos += 1
        node: Tree | None = leaf
        for name in reversed(names):
            node = {name: node}
        return node  # type: ignore[return-value]

    def _name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",./()":
            self.pos += 1
        if start == self.pos:
            raise invalid_argument(f"Invalid field selection {self.text}")
        return self.text[start : self.pos]

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""


def _merge(into: Tree, other: Tree) -> None:
    for name, sub in other.items():
        if name in into:
            if into[name] is None or sub is None:
                into[name] = None
            else:
                _merge(into[name], sub)
        else:
            into[name] = sub


def subtree(tree: Tree | None, *path: str) -> Tree | None:
    """The part of a mask under ``path`` (None: everything there is selected,
    or the mask does not reach that far and selects nothing below it — either
    way a caller building the value cannot leave anything out)."""
    for name in path:
        if tree is None:
            return None
        sub = tree.get(name, tree.get("*", False))
        if sub is False:
            return None
        tree = sub
    return tree


def select(value: Any, tree: Tree | None) -> Any:
    """Keep only the selected parts of a response value. Lists are filtered
    element-wise; selected-but-absent fields are simply absent."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [select(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    wildcard = tree.get("*", False)
    for key, item in value.items():
        if key in tree:
            out[key] = select(item, tree[key])
        elif wildcard is not False:
            out[key] = select(item, wildcard)
    return out


def apply(target: dict[str, Any], source: dict[str, Any], tree: Tree | None) -> None:
    """Copy the fields named by the mask from ``source`` into ``target``; a
    named field missing from ``source`` is cleared in ``target`` (that is how
    update requests reset a property)."""
    if tree is None or "*" in tree:
        target.clear()
        target.update(copy.deepcopy(source))
        return
    for key, sub in tree.items():
        if sub is None or not isinstance(source.get(key, {}), dict):
            if key in source:
                target[key] = copy.deepcopy(source[key])
            else:
                target.pop(key, None)
            continue
        child = target.get(key)
        if not isinstance(child, dict):
            child = {}
        apply(child, source.get(key, {}), sub)
        if child:
            target[key] = child
        else:
            target.pop(key, None)


def select_listing(listing: dict[str, Any], key: str, fields: str | None, default: str) -> dict[str, Any]:
    """A list answer (``files``, ``permissions``, ``drives``) under the caller's ``fields``,
    or with each item cut to the method's default fields when none were asked for."""
    if fields:
        return select(listing, parse(fields))
    mask = parse(default)
    return {**listing, key: [select(item, mask) for item in listing[key]]}
