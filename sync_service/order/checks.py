"""The ``fpu_order`` check of a school's «Заказ учебников», listed in sync_service.forms.checks.default_checks.

Called by ``validation.parse_form`` after the standard checks, with the context the sync
passes for the order form::

    {"fpu": FpuIndex,                 # the list in force (sync_service.order.models.current_fpu)
     "academic_year": "2026/2027",    # the collection's year; the order is for the next one
     "students_by_grade": {5: 54}}    # from the school's textbook_provision

Every finding points at the cell to fix. What the librarian typed is never rewritten: a
code alone gets an ``fpu-lookup`` note saying which textbook it is.

Repeats. The form's ``key_columns`` make the standard check report a second row with the
same code and grade as a blocking ``duplicate-row``; for an order that is too harsh (two
teachers' lines for the same book are common), so this check replaces those findings
with an ``order-duplicate`` warning and the consolidation sums the copies of such rows
(:func:`sync_service.order.consolidate.merge_lines`).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_service import ru
from sync_service.findings import Finding, make_finding
from sync_service.forms.schema import Form
from sync_service.forms.validation import cell_finding
from sync_service.model import FormResult
from sync_service.order.fpu import FpuEntry, FpuIndex, grades_text, order_year, order_year_start, title_tokens

EXCESS = 1.10  # more copies than students + 10 % is worth a second look


def describe(entry: FpuEntry) -> str:
    """«1.1.1.1.1.1 «Азбука» (Горецкий В.Г. и др.; АО «Издательство «Просвещение»; 1 кл.)»."""
    authors = entry.authors if len(entry.authors) <= 40 else entry.authors[:39] + "…"
    return f"{entry.code} «{entry.title}» ({authors}; {entry.publisher}; {grades_text(entry.grades)} кл.)"


def suggestions_text(fpu: FpuIndex, title: str, grade: int | None) -> str:
    found = fpu.suggest(title, grade)
    if not found:
        return "Похожих учебников в перечне не найдено."
    return "Похожие учебники в перечне: " + "; ".join(describe(e) for e in found) + "."


def entry_problem(entry: FpuEntry | None, grade: Any, start: date | None) -> str | None:
    """Why an order line cannot go into the municipal order: the finding code, or None.

    The one rule shared by this check and the consolidation (which re-checks every line, so
    that nothing invalid reaches a specification even from an old snapshot). ``start`` is
    1 September of the ordered year (:func:`~sync_service.order.fpu.order_year_start`)."""
    if entry is None:
        return "fpu-unknown-code"
    if isinstance(grade, int) and grade not in entry.grades:
        return "fpu-grade"
    if start is not None and not entry.usable_on(start):
        return "fpu-expired"
    return None


def fpu_order(form: Form, result: FormResult, context: Mapping[str, Any]) -> list[Finding]:
    if not result.has_data:  # (without building a dict per row)
        return []
    fpu: FpuIndex | None = context.get("fpu")
    if fpu is None:
        return [make_finding("fpu-not-loaded", form=form.key, sheet=result.sheet)]
    year: str | None = context.get("academic_year")
    students: Mapping[int, int] = context.get("students_by_grade") or {}
    start = order_year_start(year) if year else None
    findings: list[Finding] = []

    def at(finding: str, row: dict, key: str, **params) -> None:
        if key not in result.positions:
            key = "fpu_code"
        findings.append(cell_finding(form, result, finding, row=row["_row"], column_key=key, **params))

    first: dict[tuple[str, int], dict] = {}
    totals: dict[tuple[str, int], int] = {}
    repeats: list[tuple[dict, dict, tuple[str, int]]] = []
    for row in result.rows:
        code, grade, typed = row.get("fpu_code"), row.get("grade"), (row.get("title") or "").strip()
        if code is None:
            if typed:
                at("fpu-suggest", row, "fpu_code", suggestions=suggestions_text(fpu, typed, grade))
            continue
        entry = fpu.get(code)
        problem = entry_problem(entry, grade, start)
        if problem == "fpu-unknown-code":
            hint = " " + suggestions_text(fpu, typed, grade) if typed else ""
            at(problem, row, "fpu_code", fpu_code=code, suggestions=hint)
            continue
        if problem == "fpu-grade":
            at(problem, row, "grade", fpu_code=code, title=entry.title, grades=grades_text(entry.grades), grade=grade)
        elif problem == "fpu-expired":
            at(problem, row, "fpu_code", fpu_code=code, title=entry.title, order_year=order_year(year),
               valid_until=ru.date_text(entry.valid_until))
        if not typed and not (row.get("authors") or "").strip():
            at("fpu-lookup", row, "title", fpu_code=code, title=entry.title, authors=entry.authors or "авторы не указаны",
               publisher=entry.publisher, grades=grades_text(entry.grades))
        elif typed and not title_tokens(typed) & title_tokens(f"{entry.title} {entry.authors}"):
            at("fpu-title-mismatch", row, "title", fpu_code=code, typed=typed, title=entry.title)
        if isinstance(grade, int) and problem is None:
            key = (entry.code, grade)
            copies = row.get("copies") if isinstance(row.get("copies"), int) else 0
            totals[key] = totals.get(key, 0) + copies
            if key in first:
                repeats.append((row, first[key], key))
            else:
                first[key] = row
    for row, earlier, key in repeats:
        at("order-duplicate", row, "copies", fpu_code=key[0], grade=key[1], first_row=earlier["_row"], total=totals[key])
    for (code, grade), total in totals.items():
        pupils = students.get(grade)
        if isinstance(pupils, int) and pupils >= 0 and total > pupils * EXCESS:
            at("order-exceeds-students", first[(code, grade)], "copies", copies=total, fpu_code=code, grade=grade,
               students=pupils)
    return findings
