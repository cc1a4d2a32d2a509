"""The Drive v3 search language of ``files.list?q=``.

Supported: ``name``/``fullText`` with ``=``, ``!=``, ``contains``;
``mimeType``; ``createdTime``/``modifiedTime`` with comparisons against RFC
3339 strings; ``trashed``/``starred`` booleans; ``'id' in parents`` (and the
``parents in 'id'`` spelling gspread sends); ``'me' in owners``/``writers``/
``readers``; ``sharedWithMe``; ``not``, ``and``, ``or`` and parentheses.
Strings take single or double quotes with backslash escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .access import email_of
from .errors import ApiError
from .state import DriveFile, parse_rfc3339

Predicate = Callable[[DriveFile], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>!=|<=|>=|=|<|>|\(|\))
      | (?P<word>[A-Za-z_][\w.]*|-?\d+(?:\.\d+)?)
    )""",
    re.VERBOSE,
)


def invalid_query() -> ApiError:
    return ApiError(400, "Invalid Value", reason="invalid", location="q")


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise invalid_query()
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
    return tokens


def compile_query(text: str, me: str, me_email: str) -> Predicate:
    parser = _Parser(_tokenize(text), me, me_email)
    predicate = parser.disjunction()
    if parser.pos != len(parser.tokens):
        raise invalid_query()
    return predicate


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], me: str, me_email: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.me = me
        self.me_email = me_email.lower()

    def peek(self, offset: int = 0) -> tuple[str, str]:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end":
            raise invalid_query()
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        kind, value = self.peek()
        if kind == "word" and value.lower() == word:
            self.pos += 1
            return True
        return False

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.keyword("and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda f: all(p(f) for p in parts))

    def negation(self) -> Predicate:
        if self.keyword("not"):
            inner = self.negation()
            return lambda f: not inner(f)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.disjunction()
            if self.take() != ("op", ")"):
                raise invalid_query()
            return inner
        return self.term()

    def term(self) -> Predicate:
        kind, value = self.take()
        if kind == "string":
            # 'value' in collection
            if not self.keyword("in"):
                raise invalid_query()
            _, collection = self.take()
            return self.membership(collection, value)
        if kind != "word":
            raise invalid_query()
        name = value
        if name == "sharedWithMe":
            return lambda f: f.owner != self.me
        if self.keyword("in"):
            # gspread writes "parents in 'folder'"; Drive documents the
            # reverse order. Both mean the same membership test.
            literal = self.take()
            if literal[0] != "string":
                raise invalid_query()
            return self.membership(name, literal[1])
        if self.keyword("contains"):
            literal = self.take()
            return self.contains(name, literal[1])
        op_kind, op = self.take()
        if op_kind != "op" or op in "()":
            raise invalid_query()
        literal_kind, literal = self.take()
        return self.comparison(name, op, literal_kind, literal)

    def membership(self, collection: str, value: str) -> Predicate:
        if collection == "parents":
            return lambda f: value in f.parents
        if collection in ("owners", "writers", "readers"):
            wanted = self.me_email if value == "me" else value.lower()
            return lambda f: wanted in _people(f, collection)
        raise invalid_query()

    def contains(self, name: str, needle: str) -> Predicate:
        needle_low = needle.lower()
        if name == "name":
            # Drive matches name prefixes of words; a substring test is the
            # closest cheap rule and never misses what Drive finds.
            return lambda f: needle_low in f.name.lower()
        if name == "fullText":
            return lambda f: needle_low in f.name.lower() or needle_low in (f.description or "").lower()
        if name == "mimeType":
            return lambda f: needle_low in f.mime_type.lower()
        raise invalid_query()

    def comparison(self, name: str, op: str, literal_kind: str, literal: str) -> Predicate:
        if name in ("name", "mimeType"):
            if op not in ("=", "!=") or literal_kind != "string":
                raise invalid_query()
            attr = "name" if name == "name" else "mime_type"
            return lambda f: (getattr(f, attr) == literal) == (op == "=")
        if name in ("trashed", "starred"):
            if op not in ("=", "!=") or literal.lower() not in ("true", "false"):
                raise invalid_query()
            expected = literal.lower() == "true"
            return lambda f: (getattr(f, name) == expected) == (op == "=")
        if name in ("modifiedTime", "createdTime"):
            if literal_kind != "string":
                raise invalid_query()
            try:
                moment = parse_rfc3339(literal)
            except ValueError:
                raise invalid_query() from None
            attr = "modified_ms" if name == "modifiedTime" else "created_ms"
            return lambda f: _compare(getattr(f, attr), op, moment)
        raise invalid_query()


def _compare(a: Any, op: str, b: Any) -> bool:
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _people(file: DriveFile, collection: str) -> set[str]:
    owners = {email_of(file.owner).lower()} if file.owner else set()
    if collection == "owners":
        return owners
    roles = ("writer", "owner") if collection == "writers" else ("reader", "commenter", "writer", "owner")
    return owners | {p.get("emailAddress", "").lower() for p in file.permissions if p.get("role") in roles}
