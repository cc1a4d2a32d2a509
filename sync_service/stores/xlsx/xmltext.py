"""Editing an XML part as text, so that everything Svod does not touch stays byte for byte.

The writer changes a few elements of a few parts (the list of tabs, the relationships, the
content types, the style lists); re-serialising a part with ElementTree would rename its
namespace prefixes and drop what ElementTree does not keep. Elements are found by their
path of local names from the root, with a tokenizer that knows quoted attributes (a ``>``
may stand in one), comments, CDATA and processing instructions.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import unescape

_TOKEN = re.compile(
    r"""<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE[^>]*>"""
    r"""|<(/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>""", re.S)
_ATTR = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass
class Span:
    """Where an element is in the text: ``start:open_end`` is its opening tag, ``close:end`` its
    closing one (empty for ``<a/>``)."""

    name: str       # the qualified name as written (``x:sheet``)
    start: int
    open_end: int
    close: int
    end: int

    @property
    def prefix(self) -> str:
        """The namespace prefix with its colon (``x:``), or ``""``."""
        return self.name[:self.name.index(":") + 1] if ":" in self.name else ""

    @property
    def empty(self) -> bool:
        return self.close == self.open_end == self.end


def local(name: str) -> str:
    return name.rpartition(":")[2]


def find(xml: str, path: Sequence[str]) -> list[Span]:
    """The elements at ``path`` (local names from the root; ``"*"`` matches any), in order."""
    found: list[Span] = []
    stack: list[tuple[str, int, int]] = []   # (qualified name, start, open_end) of open elements
    depth = len(path)
    for token in _TOKEN.finditer(xml):
        name = token.group(2)
        if name is None:
            continue    # a comment, CDATA, a processing instruction
        if token.group(1):   # a closing tag
            if not stack:
                break
            qname, start, open_end = stack.pop()
            if len(stack) == depth - 1 and _matches(stack, qname, path):
                found.append(Span(qname, start, open_end, token.start(), token.end()))
            continue
        if token.group(4):   # <a/>
            if len(stack) == depth - 1 and _matches(stack, name, path):
                found.append(Span(name, token.start(), token.end(), token.end(), token.end()))
            continue
        stack.append((name, token.start(), token.end()))
    return found


def _matches(stack: list[tuple[str, int, int]], name: str, path: Sequence[str]) -> bool:
    names = [local(q) for q, _, _ in stack] + [local(name)]
    return all(want in ("*", got) for want, got in zip(path, names))


def attributes(xml: str, span: Span) -> dict[str, str]:
    """The attributes of the element's opening tag, by qualified name, unescaped."""
    tag = xml[span.start:span.open_end]
    return {m.group(1): unescape(m.group(2) if m.group(2) is not None else m.group(3), {"&quot;": '"', "&apos;": "'"})
            for m in _ATTR.finditer(tag, len(span.name) + 1)}


def set_attribute(xml: str, span: Span, name: str, value: str | None) -> str:
    """``xml`` with the attribute ``name`` of the element set (or removed, for None)."""
    tag = xml[span.start:span.open_end]
    tag = re.sub(rf"""\s{re.escape(name)}\s*=\s*("[^"]*"|'[^']*')""", "", tag)
    if value is not None:
        head = 1 + len(span.name)
        tag = f'{tag[:head]} {name}="{value}"{tag[head:]}'
    return xml[:span.start] + tag + xml[span.open_end:]


def append(xml: str, span: Span, snippets: Sequence[str]) -> str:
    """``xml`` with ``snippets`` added as the last children of the element."""
    if not snippets:
        return xml
    body = "".join(snippets)
    if span.empty:   # <sheets/> becomes <sheets>…</sheets>
        tag = xml[span.start:span.open_end][:-2].rstrip() + ">"
        return xml[:span.start] + tag + body + f"</{span.name}>" + xml[span.end:]
    return xml[:span.close] + body + xml[span.close:]


def insert_before(xml: str, span: Span, snippet: str) -> str:
    return xml[:span.start] + snippet + xml[span.start:]


def remove(xml: str, span: Span) -> str:
    return xml[:span.start] + xml[span.end:]
