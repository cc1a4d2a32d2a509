"""A small formula engine: arithmetic, comparisons, '&', cell and range
references (also on other sheets) and a handful of common functions.

Anything it does not know evaluates the way Google shows an unknown function:
the formula is kept and the value is a ``#NAME?`` error. Formulas are
evaluated when read, so references always see current data; references are
not rewritten when rows or columns are inserted or deleted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import a1

Number = float


@dataclass(frozen=True)
class FormulaError:
    """A cell error. ``type`` is the ErrorValue.type enum, ``display`` what
    the cell shows."""

    type: str
    message: str

    @property
    def display(self) -> str:
        return _ERROR_DISPLAY[self.type]


_ERROR_DISPLAY = {
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
    "DIV_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
}

PARSE_ERROR = FormulaError("ERROR", "Formula parse error.")
CIRCULAR = FormulaError(
    "REF",
    "Circular dependency detected. To resolve with iterative calculation, see File > Settings.",
)


class _Fail(Exception):
    def __init__(self, error: FormulaError) -> None:
        self.error = error


# -- tokenizer ---------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?
        (?:\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?
          |\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}
          |\$?\d+:\$?\d+)
        (?![\w(]))
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<func>[A-Za-z_][\w.]*(?=\s*\())
  | (?P<bool>(?:TRUE|FALSE)(?![\w(]))
  | (?P<op><>|<=|>=|[-+*/^&=<>%(),:;])
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise _Fail(PARSE_ERROR)
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            tokens.append((kind, m.group(kind)))
    return tokens


# -- parser (precedence climbing) -------------------------------------------

_BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expression(self, min_prec: int = 1) -> Any:
        left = self.unary()
        while True:
            kind, value = self.peek()
            prec = _BINARY.get(value) if kind == "op" else None
            if prec is None or prec < min_prec:
                return left
            self.take()
            # '^' is left-associative in Sheets, like every other operator.
            right = self.expression(prec + 1)
            left = ("bin", value, left, right)

    def unary(self) -> Any:
        kind, value = self.peek()
        if kind == "op" and value in "+-":
            self.take()
            operand = self.unary()
            return ("neg", operand) if value == "-" else operand
        return self.postfix()

    def postfix(self) -> Any:
        node = self.primary()
        while self.peek() == ("op", "%"):
            self.take()
            node = ("pct", node)
        return node

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "number":
            return ("num", float(value))
        if kind == "string":
            return ("str", value[1:-1].replace('""', '"'))
        if kind == "bool":
            return ("bool", value.upper() == "TRUE")
        if kind == "ref":
            return ("ref", value)
        if kind == "func":
            self.expect("(")
            args = []
            if self.peek() != ("op", ")"):
                while True:
                    args.append(self.expression())
                    if self.peek() in (("op", ","), ("op", ";")):
                        self.take()
                        continue
                    break
            self.expect(")")
            return ("call", value.upper(), args)
        if (kind, value) == ("op", "("):
            node = self.expression()
            self.expect(")")
            return node
        raise _Fail(PARSE_ERROR)

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise _Fail(PARSE_ERROR)


# -- evaluation ---------------------------------------------------------------

# Resolves a reference text such as "Sheet2!A1:B3" to a 2-D list of values
# (None for empty cells); raises _Fail for unknown sheets.
RangeResolver = Callable[[str], list[list[Any]]]


def evaluate(formula: str, resolve: RangeResolver) -> Any:
    """Evaluate ``formula`` (with its leading '='). Returns a float, str,
    bool or :class:`FormulaError`."""
    try:
        parser = _Parser(_tokenize(formula[1:]))
        tree = parser.expression()
        if parser.peek()[0] != "end":
            raise _Fail(PARSE_ERROR)
        value = _eval(tree, resolve)
        if isinstance(value, list):
            value = value[0][0] if value and value[0] else None
        if value is None:
            return 0.0
        return value
    except _Fail as failure:
        return failure.error
    except RecursionError:
        return PARSE_ERROR


def fail(error: FormulaError) -> None:
    raise _Fail(error)


def _eval(node: Any, resolve: RangeResolver) -> Any:
    kind = node[0]
    if kind in ("num", "str", "bool"):
        return node[1]
    if kind == "ref":
        values = resolve(node[1])
        if ":" not in node[1].rsplit("!", 1)[-1]:
            return _check(values[0][0] if values and values[0] else None)
        return values
    if kind == "neg":
        return -_number(_scalar(_eval(node[1], resolve)), "UMINUS", 1)
    if kind == "pct":
        return _number(_scalar(_eval(node[1], resolve)), "UNARY_PERCENT", 1) / 100
    if kind == "bin":
        return _binary(node[1], _scalar(_eval(node[2], resolve)), _scalar(_eval(node[3], resolve)))
    if kind == "call":
        return _call(node[1], [_eval(arg, resolve) for arg in node[2]])
    raise _Fail(PARSE_ERROR)


def _check(value: Any) -> Any:
    if isinstance(value, FormulaError):
        raise _Fail(value)
    return value


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        # A multi-cell range used as a single value (implicit intersection is
        # not emulated): take the first cell, as a one-cell range would.
        value = value[0][0] if value and value[0] else None
    return _check(value)


def _number(value: Any, func: str, position: int) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        fail(
            FormulaError(
                "VALUE",
                f"Function {func} parameter {position} expects number values. "
                f"But '{value}' is a text and cannot be coerced to a number.",
            )
        )
        raise AssertionError("unreachable") from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Imported here because values imports this module for FormulaError.
        from .values import format_general

        return format_general(value)
    return str(value)


_OP_NAMES = {"+": "ADD", "-": "MINUS", "*": "MULTIPLY", "/": "DIVIDE", "^": "POW"}


def _binary(op: str, left: Any, right: Any) -> Any:
    if op == "&":
        return _text(left) + _text(right)
    if op in _OP_NAMES:
        name = _OP_NAMES[op]
        x, y = _number(left, name, 1), _number(right, name, 2)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if y == 0:
                fail(FormulaError("DIV_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero."))
            return x / y
        try:
            return math.pow(x, y)
        except (OverflowError, ValueError):
            fail(FormulaError("NUM", "Function POW caused a number overflow or an invalid result."))
    return _compare(op, left, right)


def _compare(op: str, left: Any, right: Any) -> bool:
    # A blank compares as "" against text and as 0 against anything else.
    if left is None:
        left = "" if isinstance(right, str) else 0.0
    if right is None:
        right = "" if isinstance(left, str) else 0.0
    a, b = _order_key(left), _order_key(right)
    return {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[op]


def _order_key(value: Any) -> tuple[int, Any]:
    # Sheets orders numbers < text < booleans and compares text case-blind.
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, (int, float)):
        return (0, float(value))
    return (1, value.lower())


def _flatten(args: list[Any]) -> list[tuple[Any, bool]]:
    """(value, came_from_range) pairs: functions like SUM skip text found in
    ranges but reject text given directly."""
    out = []
    for arg in args:
        if isinstance(arg, list):
            out.extend((_check(v), True) for row in arg for v in row)
        else:
            out.append((_check(arg), False))
    return out


def _numbers(func: str, args: list[Any]) -> list[float]:
    nums = []
    for position, (value, from_range) in enumerate(_flatten(args), start=1):
        if from_range:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                nums.append(float(value))
        elif value is not None:
            nums.append(_number(value, func, position))
    return nums


def _arity(func: str, args: list[Any], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        expected = f"{low}" if low == high else f"between {low} and {high}"
        fail(
            FormulaError(
                "N_A",
                f"Wrong number of arguments to {func}. Expected {expected} arguments, but got {len(args)} arguments.",
            )
        )


def _call(func: str, args: list[Any]) -> Any:
    if func == "SUM":
        return float(sum(_numbers(func, args)))
    if func == "PRODUCT":
        return float(math.prod(_numbers(func, args)))
    if func in ("AVERAGE", "MIN", "MAX"):
        nums = _numbers(func, args)
        if func == "AVERAGE":
            if not nums:
                fail(FormulaError("DIV_BY_ZERO", "Evaluation of function AVERAGE caused a divide by zero error."))
            return sum(nums) / len(nums)
        if not nums:
            return 0.0
        return min(nums) if func == "MIN" else max(nums)
    if func == "COUNT":
        return float(
            sum(1 for v, _ in _flatten(args) if isinstance(v, (int, float)) and not isinstance(v, bool))
        )
    if func == "COUNTA":
        return float(sum(1 for v, _ in _flatten(args) if v not in (None, "")))
    if func in ("CONCATENATE", "CONCAT"):
        return "".join(_text(v) for v, _ in _flatten(args))
    if func == "IF":
        _arity(func, args, 2, 3)
        condition = _scalar(args[0])
        truthy = bool(_number(condition, func, 1)) if not isinstance(condition, str) else condition != ""
        chosen = args[1] if truthy else (args[2] if len(args) == 3 else False)
        return _scalar(chosen)
    if func in ("AND", "OR"):
        flags = [bool(_number(v, func, i)) for i, (v, _) in enumerate(_flatten(args), 1) if v is not None]
        return all(flags) if func == "AND" else any(flags)
    if func == "NOT":
        _arity(func, args, 1, 1)
        return not bool(_number(_scalar(args[0]), func, 1))
    if func == "ABS":
        _arity(func, args, 1, 1)
        return abs(_number(_scalar(args[0]), func, 1))
    if func == "ROUND":
        _arity(func, args, 1, 2)
        places = int(_number(_scalar(args[1]), func, 2)) if len(args) == 2 else 0
        value = _number(_scalar(args[0]), func, 1)
        # Sheets rounds halves away from zero, unlike Python's round().
        factor = 10.0**places
        return math.floor(abs(value) * factor + 0.5) / factor * (1 if value >= 0 else -1)
    if func in ("LEN", "UPPER", "LOWER", "TRIM"):
        _arity(func, args, 1, 1)
        text = _text(_scalar(args[0]))
        if func == "LEN":
            return float(len(text))
        if func == "UPPER":
            return text.upper()
        if func == "LOWER":
            return text.lower()
        return " ".join(text.split())
    fail(FormulaError("NAME", f"Unknown function: '{func.lower()}'."))


def reference_bounds(ref: str) -> tuple[str | None, a1.A1Range]:
    """Split a reference token into (sheet title or None, bounds)."""
    clean = ref.replace("$", "")
    rng = a1.parse(clean)
    if rng.sheet is not None and rng.is_whole_sheet:
        raise _Fail(FormulaError("REF", f"Unresolved sheet name '{rng.sheet}'."))
    return rng.sheet, rng
