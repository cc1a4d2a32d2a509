"""The expression language of rules and computed values, parsed once and compiled.

A form's rules compare two expressions (``left op right``, a DHIS2 validation rule) and
its computed values are expressions: arithmetic with ``+ - * /``, parentheses, numbers
and the keys of the form's numeric columns, e.g. ``copies / students * 100``.

Missing values (DHIS2's default strategy, "skip if any value is missing"): an expression
is ``None`` when an operand is not a number (an empty cell, a text, a bool), and when it
divides by zero or overflows; a rule with a ``None`` side is skipped.

:func:`compile_expression` checks the source and compiles it to Python once (at schema
load) into two functions of the same meaning: ``expr(values)`` for one row or record
(``values``: column key -> value), and ``expr.over(n, *columns)`` for ``n`` rows at once,
given the column of each of ``expr.names`` (one comprehension, several times faster than
a call per row). ``expr.over_numbers`` is ``over`` for columns known to hold only ints
and floats, without checking every operand's class.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Expression", "compile_expression", "COMPARISONS", "BROKEN"]

# What a rule's operator means, ``holds(left, right, tolerance)``; ``~=`` is "equal
# within the rule's tolerance".
COMPARISONS: dict[str, Callable[[float, float, float], bool]] = {
    "<=": lambda a, b, t: a <= b, "<": lambda a, b, t: a < b, ">=": lambda a, b, t: a >= b,
    ">": lambda a, b, t: a > b, "==": lambda a, b, t: a == b, "!=": lambda a, b, t: a != b,
    "~=": lambda a, b, t: abs(a - b) <= t,
}
# What the librarian sees when a rule does not hold: the comparison that is true instead.
BROKEN = {"<=": ">", "<": "≥", ">=": "<", ">": "≤", "==": "≠", "!=": "=", "~=": "≠"}

_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.Constant,
          ast.Name, ast.Load)
_GLOBALS = {"__builtins__": {}, "int": int, "float": float, "zip": zip, "ZeroDivisionError": ZeroDivisionError,
            "OverflowError": OverflowError}


@dataclass(frozen=True)
class Expression:
    """A compiled expression: ``source`` as written, ``names`` the column keys it uses
    (each once, in reading order)."""

    source: str
    names: tuple[str, ...]
    _row: Callable[[Mapping[str, Any]], Any] = field(repr=False, compare=False)
    _columns: Callable[..., list] = field(repr=False, compare=False)
    _numbers: Callable[..., list] = field(repr=False, compare=False)

    def __call__(self, values: Mapping[str, Any]) -> float | int | None:
        """The value for one row or record."""
        return self._row(values)

    def over(self, n: int, *columns: Sequence[Any]) -> list:
        """The values of ``n`` rows, given the column of each name: ``over(n, *columns)[i]``
        is ``self(row i)``."""
        return self._columns(n, *columns)

    def over_numbers(self, n: int, *columns: Sequence[Any]) -> list:
        """:meth:`over` for columns that hold only ints and floats (no None, no bool)."""
        return self._numbers(n, *columns)


def _checked(source: str) -> tuple[ast.Expression, list[str]]:
    """The tree of ``source`` and its names in reading order (left to right), or ValueError."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse expression {source!r}") from exc
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if not isinstance(node, _NODES) or isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ValueError(f"only + - * / numbers and column keys are allowed in {source!r}")
        if isinstance(node, ast.Name):
            names.append(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)
    visit(tree)
    return tree, list(dict.fromkeys(names))


def _source(names: Sequence[str], body: str, divisors: Sequence[str]) -> str:
    """The Python of the row function ``row`` and the column functions ``columns`` and
    ``numbers``, over locals ``_0, _1, …`` (one per name)."""
    local = [f"_{i}" for i in range(len(names))]
    params = ", ".join(f"c{i}" for i in range(len(names)))
    lines = ["def row(values):"]
    for name, var in zip(names, local):
        lines += [f"    {var} = values.get({name!r})",
                  f"    if {var}.__class__ is not int and {var}.__class__ is not float: return None"]
    lines += [f"    try: return {body}", "    except (ZeroDivisionError, OverflowError): return None"]
    if not names:
        return "\n".join(lines + ["def columns(n):", "    return [row(None)] * n", "numbers = columns"])
    targets = ", ".join(local)
    rows = f"zip({params})" if len(names) > 1 else "c0"
    numeric = " and ".join(f"({v}.__class__ is int or {v}.__class__ is float)" for v in local)
    # A row whose divisor is zero is None without raising (which would send the whole
    # column down the row-by-row loop below); the guard's own failures still raise.
    guarded = f"({body} if {' and '.join(f'({d})' for d in divisors)} else None)" if divisors else body
    lines += [f"def columns(n, {params}):",
              f"    if {' or '.join(f'c{i}.count(None) == n' for i in range(len(names)))}:",
              "        return [None] * n  # an empty column: nothing to compute",
              "    try:  # one comprehension; row by row only when a row overflows",
              f"        return [{guarded} if {numeric} else None for {targets} in {rows}]",
              "    except (ZeroDivisionError, OverflowError):",
              "        pass",
              "    out = []", "    add = out.append",
              f"    for {targets} in {rows}:",
              f"        if {numeric}:",
              f"            try: add({guarded})",
              "            except (ZeroDivisionError, OverflowError): add(None)",
              "        else:",
              "            add(None)",
              "    return out",
              f"def numbers(n, {params}):",
              "    try:",
              f"        return [{guarded} for {targets} in {rows}]",
              "    except (ZeroDivisionError, OverflowError):",
              f"        return columns(n, {params})"]
    return "\n".join(lines)


def compile_expression(source: str) -> Expression:
    """Check and compile ``source``; raises ``ValueError`` with a short English reason."""
    source = str(source)
    tree, names = _checked(source)
    local = {name: f"_{i}" for i, name in enumerate(names)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = local[node.id]
    divisors = [ast.unparse(node.right) for node in ast.walk(tree)
                if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)]
    namespace = dict(_GLOBALS)
    exec(compile(_source(names, ast.unparse(tree.body), divisors), f"<expression {source}>", "exec"), namespace)
    return Expression(source, tuple(names), namespace["row"], namespace["columns"], namespace["numbers"])
