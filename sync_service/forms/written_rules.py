"""Rules as a person writes them — «Учебники ≤ Фонд всего» — and back. Pure.

The head writes a rule of her form in «Правила» with the columns' Russian names, numbers,
``+ − × /``, parentheses and one comparison (``≤ < = ≥ > ≠``, also ``<= >= == != <>``, and
``≈`` with ``± N`` for «equal within N»). :func:`parse_written_rule` turns it into the
sources of the rules' own expression language (:mod:`sync_service.forms.expressions`: the
columns' keys), which the schema loader then compiles like any YAML rule; a name that is
not a numeric column of the form is a :class:`WrittenRuleError` naming it.

A column is found by its name as typed (case, ё/е, spaces and «» quotes do not matter),
or by its name without what follows a comma or stands in parentheses («Фонд всего» for
«Фонд всего, экз.») when no other column shortens to the same; the longest name that fits
wins, so «Фонд всего» is never read as «Фонд» followed by something unknown.
:func:`written_rule` writes a form's rule back with the columns' names (the export of the
shipped forms to «Формы»).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sync_service.forms.expressions import compile_expression

# As typed -> the expression language's operator; the longer spellings first.
_WRITTEN_OPS = (("<=", "<="), ("=<", "<="), (">=", ">="), ("=>", ">="), ("!=", "!="), ("<>", "!="),
                ("==", "=="), ("≤", "<="), ("≥", ">="), ("≠", "!="), ("≈", "~="), ("=", "=="), ("<", "<"),
                (">", ">"))
_OP_PATTERN = re.compile("|".join(re.escape(written) for written, _ in _WRITTEN_OPS))
_OPS = dict(_WRITTEN_OPS)
# How :func:`written_rule` writes each operator.
SHOWN_OPS = {"<=": "≤", "<": "<", ">=": "≥", ">": ">", "==": "=", "!=": "≠", "~=": "≈"}
_ARITHMETIC = {"+": "+", "-": "-", "−": "-", "–": "-", "*": "*", "×": "*", "·": "*", "/": "/", "÷": "/", ":": "/",
               "(": "(", ")": ")"}
_NUMBER = re.compile(r"\d(?:[\d\u00a0 ]*\d)?(?:[.,]\d+)?\s*%?")
_TOLERANCE = re.compile(r"±\s*(\d+(?:[.,]\d+)?)\s*%?\s*$")
_QUOTES = str.maketrans("", "", "«»\"“”„")


class WrittenRuleError(ValueError):
    """Why a written rule cannot be read: ``code`` (a finding code) and its ``params``."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


@dataclass(frozen=True)
class WrittenRule:
    """A rule read from its text: the sides' sources over the columns' keys."""

    left: str
    op: str
    right: str
    tolerance: float = 0.0


def _fold(text: str) -> str:
    return " ".join(text.translate(_QUOTES).casefold().replace("ё", "е").split())


def _short_names(label: str) -> set[str]:
    """«Фонд всего, экз.» -> {«фонд всего, экз.», «фонд всего»}; «Ставка (доля)» -> {…, «ставка»}."""
    names = {_fold(label)}
    for cut in (label.split(",")[0], re.sub(r"\s*\([^)]*\)\s*", " ", label)):
        if _fold(cut):
            names.add(_fold(cut))
    return names


def names_index(columns: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name as compared, column key) for every way a column may be named, longest first;
    ``columns``: (key, label). A short name two columns share names neither."""
    full = {_fold(label): key for key, label in columns}
    short: dict[str, set[str]] = {}
    for key, label in columns:
        for name in _short_names(label):
            short.setdefault(name, set()).add(key)
    index = dict(full)
    for name, keys in short.items():
        if name not in index and len(keys) == 1:
            index[name] = next(iter(keys))
    return sorted(index.items(), key=lambda item: -len(item[0]))


def _side(typed: str, index: list[tuple[str, str]], numeric: set[str], labels: Mapping[str, str]) -> str:
    """One side of a rule as the expression language's source."""
    text = _fold(typed)
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == " ":
            i += 1
            continue
        key = _name_at(text, i, index)
        if key is not None:
            if key[0] not in numeric:
                raise WrittenRuleError("rule-not-numeric", value=labels[key[0]])
            out.append(key[0])
            i = key[1]
            continue
        if char in _ARITHMETIC:
            out.append(_ARITHMETIC[char])
            i += 1
            continue
        number = _NUMBER.match(text, i) if char.isdigit() else None
        if number and not _word_at(text, number.end()):
            out.append(re.sub(r"[\s\u00a0%]", "", number.group()).replace(",", "."))
            i = number.end()
            continue
        end = i
        while end < len(text) and text[end] not in _ARITHMETIC:
            end += 1
        raise WrittenRuleError("rule-unknown-column", value=_as_typed(text[i:end].strip(), typed))
    return " ".join(out)


def _as_typed(fragment: str, typed: str) -> str:
    """The folded ``fragment`` as the head typed it (her capitals), when it can be found."""
    found = re.search(r"\s+".join(map(re.escape, fragment.split())), typed.replace("ё", "е").replace("Ё", "Е"),
                      re.IGNORECASE)
    return typed[found.start():found.end()] if found else fragment


def _name_at(text: str, i: int, index: list[tuple[str, str]]) -> tuple[str, int] | None:
    """(the key of the longest column name at ``i``, where it ends), or None."""
    for name, key in index:
        end = i + len(name)
        if text.startswith(name, i) and not _word_at(text, end):
            return key, end
    return None


def _word_at(text: str, position: int) -> bool:
    """Whether a letter or digit goes on at ``position`` (a name must end where a word ends)."""
    return position < len(text) and (text[position].isalnum() or text[position] == "_")


def parse_written_rule(text: str, columns: Sequence[tuple[str, str, bool]]) -> WrittenRule:
    """``text`` as the sources of a rule over ``columns`` (key, label, numeric). Raises
    :class:`WrittenRuleError`: ``rule-syntax``, ``rule-unknown-column``, ``rule-not-numeric``."""
    text = str(text).strip()
    tolerance = 0.0
    found = _TOLERANCE.search(text)
    if found:
        tolerance = float(found.group(1).replace(",", "."))
        text = text[:found.start()]
    operators = list(_OP_PATTERN.finditer(text))
    if len(operators) != 1:
        raise WrittenRuleError("rule-syntax", value=text, reason="нет сравнения" if not operators
                               else "больше одного сравнения")
    match = operators[0]
    op = _OPS[match.group()]
    if found and op != "~=":
        raise WrittenRuleError("rule-syntax", value=text, reason="«±» пишется только после «≈»")
    left_text, right_text = text[:match.start()], text[match.end():]
    if not left_text.strip() or not right_text.strip():
        raise WrittenRuleError("rule-syntax", value=text, reason="сравнению не хватает левой или правой части")
    index = names_index([(key, label) for key, label, _ in columns])
    numeric = {key for key, _, is_number in columns if is_number}
    labels = {key: label for key, label, _ in columns}
    left, right = _side(left_text, index, numeric, labels), _side(right_text, index, numeric, labels)
    for source in (left, right):
        try:
            compile_expression(source)
        except ValueError:
            raise WrittenRuleError("rule-syntax", value=text, reason="не получается прочитать как формулу") from None
    return WrittenRule(left, op, right, tolerance)


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def written_side(source: str, labels: Mapping[str, str]) -> str:
    """An expression's source with the columns' names for their keys: «Учебники × 100»."""
    text = _KEY.sub(lambda m: labels.get(m.group(), m.group()), source)
    return text.replace("*", "×").replace(" - ", " − ")


def written_rule(left: str, op: str, right: str, labels: Mapping[str, str], tolerance: float = 0.0) -> str:
    """A rule as a person writes it, e.g. «Учебники, экз. ≤ Фонд всего, экз.»."""
    text = f"{written_side(left, labels)} {SHOWN_OPS[op]} {written_side(right, labels)}"
    if op == "~=" and tolerance:
        text += f" ± {tolerance:g}".replace(".", ",")
    return text
