"""The findings of one tab, as ``parse_form`` reports them.

:class:`Found` builds the same :class:`~sync_service.findings.Finding` as
:func:`~sync_service.findings.make_finding` (a test holds them equal) but fills the
frozen dataclass directly: building findings is a large part of parsing a tab full of
mistakes, and the dataclass's own ``__init__`` costs twice as much.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sync_service.findings import CODES, MORE, Finding, column_letter, make_finding, template_values
from sync_service.forms.cells import Failure
from sync_service.forms.plan import RuleCheck
from sync_service.forms.schema import Column, Form
from sync_service.ru import number, plain_number, shortened


@lru_cache(maxsize=256)
def letter(col: int) -> str:
    """The column letter of a 1-based column (remembered: a tab asks for the same few)."""
    return column_letter(col)


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
        values = template_values(params)
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
            operands.append(f"«{labels[name]}» ({col}{at or row}) = {shortened(plain_number(values[name]))}")
        first = item.names[0]
        col, at = places[first]
        self.out.append(self.build(
            item.code, row=at or row, column=self.form.column(first), address=f"{col}{at or row}",
            severity=item.rule.severity, rule=item.rule.key, rule_message=item.rule.message,
            left_text=_number(left), op_text=item.op_text, right_text=_number(right) + item.tolerance_text,
            columns=", ".join(operands)))


def column_rows(cells: str) -> str:
    """A range down one column as people say it: «D6:D40» -> «столбец D, строки 6–40»;
    a single cell or any other range as it is."""
    first, _, last = cells.partition(":")
    col, col_last = first.rstrip("0123456789"), last.rstrip("0123456789")
    if not last or col != col_last:
        return f"ячейка {cells}" if not last else f"ячейки {cells}"
    return f"столбец {col}, строки {number(int(first[len(col):]))}–{number(int(last[len(col):]))}"


# --- bounded at the source --------------------------------------------------------------------

SHOWN_PER_COLUMN = 20  # findings of one kind in one column listed with their cells; the rest summed up


def _kind(finding: Finding) -> tuple:
    return finding.sheet, finding.code, finding.column_key or finding.column, finding.params.get("rule")


def summarise(findings: list[Finding], shown: int | None = None) -> tuple[list[Finding], dict[str, int]]:
    """``findings`` with at most ``shown`` (:data:`SHOWN_PER_COLUMN`) of each kind (tab, code,
    column, rule): past
    them one ``more-findings`` finding, where the first hidden one was, says how many more
    there are and in which cells («И ещё 99 980 таких же в столбце «Код ФПУ»», D25:D100004).
    Returns the findings kept and how many were folded away per severity.

    So what is stored, the «Проверка» tab, the digest and the letters stay bounded by the
    form (its columns × codes), whatever a workbook holds."""
    shown = SHOWN_PER_COLUMN if shown is None else shown
    if len(findings) <= shown:
        return findings, {}
    counts: dict[tuple, int] = {}
    for finding in findings:
        kind = _kind(finding)
        counts[kind] = counts.get(kind, 0) + 1
    over = {kind for kind, count in counts.items() if count > shown}
    if not over:
        return findings, {}
    kept: list[Finding | tuple] = []  # a tuple marks where a kind's summary goes
    seen: dict[tuple, int] = {}
    last_shown: dict[tuple, Finding] = {}
    hidden: dict[tuple, list[Finding]] = {kind: [] for kind in over}
    for finding in findings:
        kind = _kind(finding)
        if kind in over:
            seen[kind] = seen.get(kind, 0) + 1
            if seen[kind] > shown:
                if not hidden[kind]:
                    kept.append(kind)  # where the first hidden one was
                hidden[kind].append(finding)
                continue
            last_shown[kind] = finding
        kept.append(finding)
    folded: dict[str, int] = {}
    out = []
    for item in kept:
        if item.__class__ is tuple:
            rest = hidden[item]
            folded[rest[0].severity] = folded.get(rest[0].severity, 0) + len(rest)
            out.append(_more(rest, last_shown[item], shown))
        else:
            out.append(item)
    return out, folded


def _more(rest: list[Finding], last_shown: Finding, shown: int) -> Finding:
    """The one finding that stands for ``rest``: their count, column, rows and cells."""
    first = rest[0]
    rows = [f.row for f in rest if f.row]
    low, high = (min(rows), max(rows)) if rows else (None, None)
    letters = {f.address.rstrip("0123456789") for f in rest if f.address}
    if len(letters) == 1 and low and all(f.address for f in rest):
        (col,) = letters
        cells = f"{col}{low}:{col}{high}" if high != low else f"{col}{low}"
    else:
        cells = None
    where = f"в столбце «{first.column}»" if first.column else f"на листе «{first.sheet}»"
    spread = (column_rows(cells) if cells else f"строки {number(low)}–{number(high)}" if low and high != low
              else f"строка {low}" if low else f"лист «{first.sheet}»")
    example = (f"ячейке {last_shown.address}" if last_shown.address else
               f"строке {last_shown.row}" if last_shown.row else "предыдущих строках")
    # (an address column holds 20 characters: a range of far rows and columns stays in the message)
    return make_finding(MORE, form=first.form, sheet=first.sheet, row=low, column=first.column,
                        column_key=first.column_key, address=cells if cells and len(cells) <= 20 else None,
                        severity=first.severity, count=number(len(rest)), where=where, spread=spread,
                        example=example, shown=shown, kind=first.code, folded=len(rest))
