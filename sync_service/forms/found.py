"""The findings of one tab, as ``parse_form`` reports them.

:class:`Found` builds the same :class:`~sync_service.findings.Finding` as
:func:`~sync_service.findings.make_finding` (a test holds them equal) but fills the
frozen dataclass directly: building findings is a large part of parsing a tab full of
mistakes, and the dataclass's own ``__init__`` costs twice as much.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from sync_service.findings import CODES, Finding, column_letter
from sync_service.forms.cells import Failure
from sync_service.forms.plan import RuleCheck
from sync_service.forms.schema import Column, Form
from sync_service.ru import plain_number


@lru_cache(maxsize=256)
def letter(col: int) -> str:
    """The column letter of a 1-based column (remembered: a tab asks for the same few)."""
    return column_letter(col)


class _Params(dict):
    """Template values; an unknown placeholder stays visible rather than failing the report."""

    def __missing__(self, key):
        return "{" + key + "}"


_new_finding = object.__new__


def _number(value: float) -> str:
    return plain_number(round(value, 2) if isinstance(value, float) else value)


class Found:
    """The findings of one tab (``out``), knowing the form and the tab's name."""

    def __init__(self, form: Form, tab: str, out: list[Finding], labels: Mapping[str, str]):
        self.form, self.tab, self.out, self.labels = form, tab, out, labels

    def add(self, code: str, *, row: int | None = None, column: Column | None = None, col: int | None = None,
            label: str | None = None, severity: str | None = None, **params) -> None:
        address = f"{letter(col)}{row}" if row and col else None
        self.out.append(self.build(code, row=row, column=column, label=label, address=address, severity=severity,
                                   **params))

    def build(self, code: str, *, row: int | None, column: Column | None, address: str | None,
              severity: str | None, label: str | None = None, **params) -> Finding:
        default, message, hint = CODES[code]
        name = column.label if column is not None else label
        values = _Params(params)
        values.update(sheet=self.tab, column=name or "", row=row or "", address=address or "")
        finding = _new_finding(Finding)
        finding.__dict__.update(
            code=code, message=message.format_map(values), hint=hint.format_map(values),
            severity=severity or default, form=self.form.key, sheet=self.tab, row=row, column=name,
            column_key=column.key if column is not None else None, address=address, params=params)
        return finding

    def cell(self, failure: Failure | None, row: int, column: Column, col: int) -> None:
        """A cell's failure, or ``required`` when ``failure`` is None."""
        if failure is None:
            self.add("required", row=row, column=column, col=col)
        else:
            self.add(failure.code, row=row, column=column, col=col, **failure.params)

    def rule(self, item: RuleCheck, left: float, right: float, row: int,
             places: Mapping[str, tuple[str, int | None]], values: Mapping[str, Any]) -> None:
        """A rule that does not hold; ``places``: column key -> (column letter, row or None for
        ``row``), so that the hint shows every operand's cell and value."""
        labels = self.labels
        operands = []
        for name in item.names:
            col, at = places[name]
            operands.append(f"«{labels[name]}» ({col}{at or row}) = {plain_number(values[name])}")
        first = item.names[0]
        col, at = places[first]
        self.out.append(self.build(
            item.code, row=at or row, column=self.form.column(first), address=f"{col}{at or row}",
            severity=item.rule.severity, rule=item.rule.key, rule_message=item.rule.message,
            left_text=_number(left), op_text=item.op_text, right_text=_number(right) + item.tolerance_text,
            columns=", ".join(operands)))
