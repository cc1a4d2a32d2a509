"""The «Проверка» tab Svod writes into each school's workbook. Pure.

The librarian reads it in the familiar sheet: the status of every collection, then
every finding with its sheet, cell and what to do, then the computed ratios.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sync_service.district.status import STATUS_LABELS
from sync_service.forms.found import column_rows
from sync_service.forms.layout import CHECK_TAB
from sync_service.stores.base import TabSpec

SEVERITY_LABELS = {"error": "ошибка", "warning": "предупреждение", "info": "справка"}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_WIDTHS = {1: 40, 2: 22, 3: 12, 4: 24, 5: 50, 6: 60, 7: 16}  # characters, column by column


def not_written(reason: str) -> str:
    """A school's «Проверка» that could not be written, as its error says it everywhere."""
    return f"лист «Проверка» не записан: {reason}"


@dataclass
class CollectionLine:
    title: str
    tab: str
    deadline: date | None
    status: str
    errors: int
    warnings: int
    computed: Sequence[tuple[str, Any]] = field(default_factory=tuple)  # (label, value) of record forms


@dataclass
class ReviewLine:
    """The head's review of one collection: its status after it, her comment, and what the
    school changed since she accepted it (lines, bounded)."""

    title: str
    tab: str
    status: str
    comment: str
    changes: Sequence[str] = field(default_factory=tuple)


def render_check_tab(school_name: str, lines: Sequence[CollectionLine], findings: Sequence[Mapping[str, Any]],
                     *, checked_at: datetime, sync_error: str | None = None,
                     reviews: Sequence[ReviewLine] = ()) -> TabSpec:
    """``findings`` are dicts shaped like :meth:`Finding.as_dict` (with ``form_title``);
    ``reviews``: the head's review of the collections she reviewed, shown first."""
    rows: list[list[Any]] = [
        [f"Проверка Svod — {school_name}"],
        ["Этот лист Svod заполняет сам после каждой проверки: правки на нём будут заменены. "
         "Исправляйте данные на листах форм."],
        ["Проверено:", checked_at.strftime("%d.%m.%Y %H:%M")],
    ]
    bold = [1]
    links: dict[tuple[int, int], tuple[str, str]] = {}
    if sync_error:
        rows.append(["Ошибка чтения книги:", sync_error])
    _add_reviews(rows, bold, reviews)
    rows.append([])
    rows.append(["Сбор", "Лист", "Срок сдачи", "Статус", "Ошибок", "Предупреждений"])
    bold.append(len(rows))
    for line in lines:
        rows.append([line.title, line.tab, line.deadline.strftime("%d.%m.%Y") if line.deadline else "без срока",
                     STATUS_LABELS.get(line.status, line.status), line.errors, line.warnings])
        links[(len(rows), 2)] = (line.tab, "A1")
    rows.append([])
    _add_findings(rows, bold, findings, links)
    ratios = [(line.title, label, value) for line in lines for label, value in line.computed if value is not None]
    if ratios:
        rows.append([])
        rows.append(["Показатели (считает Svod)"])
        bold.append(len(rows))
        rows.append(["Сбор", "Показатель", "Значение"])
        bold.append(len(rows))
        rows.extend([title, label, value] for title, label, value in ratios)
    return TabSpec(title=CHECK_TAB, rows=rows, bold_rows=tuple(bold), frozen_rows=0, protected=True,
                   widths=dict(_WIDTHS), links=links, first=bool(findings))


def render_head_check_tab(findings: Sequence[Mapping[str, Any]], *, checked_at: datetime, schools: int,
                          collections: int, held: str | None = None,
                          forms: Sequence[tuple[str, str, str]] = ()) -> TabSpec:
    """The «Проверка» of the head's workbook: what Svod took from «Школы», «План» and «Формы»,
    and the mistakes in them (``findings`` as for :func:`render_check_tab`); ``held``: why a
    change of the workbook was not applied (:mod:`sync_service.district.changes`); ``forms``:
    (title, tab, state) of each of her own forms."""
    rows: list[list[Any]] = [
        ["Проверка Svod — книга руководителя ОМО"],
        ["Этот лист Svod заполняет сам, когда читает книгу: правки на нём будут заменены. "
         "Исправляйте листы «Школы», «План» и «Формы»."],
        ["Проверено:", checked_at.strftime("%d.%m.%Y %H:%M")],
        ["Школ в работе:", schools],
        ["Сборов в плане:", collections],
        [],
    ]
    bold = [1]
    if held:
        rows[-1:] = [["⚠ Внимание:", held], []]
        bold.append(len(rows) - 1)
    if forms:
        rows.append(["Формы руководителя (лист «Формы»)"])
        bold.append(len(rows))
        rows.append(["Форма", "Лист", "Состояние"])
        bold.append(len(rows))
        rows.extend([title, tab, state] for title, tab, state in forms)
        rows.append([])
    links: dict[tuple[int, int], tuple[str, str]] = {}
    _add_findings(rows, bold, findings, links)
    return TabSpec(title=CHECK_TAB, rows=rows, bold_rows=tuple(bold), frozen_rows=0, protected=True,
                   widths=dict(_WIDTHS), links=links)


def _add_reviews(rows: list[list[Any]], bold: list[int], reviews: Sequence[ReviewLine]) -> None:
    """«Проверка руководителя ОМО»: each reviewed collection, her comment, what changed."""
    if not reviews:
        return
    rows.append([])
    rows.append(["Проверка руководителя ОМО"])
    bold.append(len(rows))
    rows.append(["Сбор", "Лист", "Решение", "Комментарий руководителя"])
    bold.append(len(rows))
    for review in reviews:
        rows.append([review.title, review.tab, STATUS_LABELS.get(review.status, review.status), review.comment])
        if review.changes:
            rows.append(["", "", "Изменено после принятия (нужно новое принятие):"])
            rows.extend(["", "", "", line] for line in review.changes)


def _add_findings(rows: list[list[Any]], bold: list[int], findings: Sequence[Mapping[str, Any]],
                  links: dict[tuple[int, int], tuple[str, str]]) -> None:
    """«Что исправить»: every finding, errors first, sheet by sheet and row by row; each
    place (column «Ячейка») is a link to it."""
    rows.append(["Что исправить"])
    bold.append(len(rows))
    rows.append(["Форма", "Лист", "Ячейка", "Столбец", "Что не так", "Как исправить", "Важность"])
    bold.append(len(rows))
    ordered = sorted(findings, key=lambda f: (_SEVERITY_ORDER.get(f.get("severity"), 3), f.get("sheet") or "",
                                              f.get("row") or 0, f.get("address") or ""))
    for f in ordered:
        rows.append([f.get("form_title") or f.get("form") or "", f.get("sheet") or "", place(f),
                     f.get("column") or "", f.get("message") or "", f.get("hint") or "",
                     SEVERITY_LABELS.get(f.get("severity"), f.get("severity") or "")])
        target = link_target(f)
        if target is not None:
            links[(len(rows), 3)] = target
    if not ordered:
        rows.append(["Замечаний нет."])


def place(finding: Mapping[str, Any]) -> str:
    """Where a finding is, as the «Ячейка» column says it: «C4»; cells down one column as
    «столбец D, строки 6–40»; a row without a cell as «строка 6»."""
    address, row = finding.get("address"), finding.get("row")
    if address:
        return column_rows(address) if ":" in address else address
    return f"строка {row}" if row else ""


def link_target(finding: Mapping[str, Any]) -> tuple[str, str] | None:
    """(tab, A1 cell or range) a finding's place links to: its cell or range, else the first
    cell of its row; None for a finding about the whole tab or workbook."""
    sheet, address, row = finding.get("sheet"), finding.get("address"), finding.get("row")
    if not sheet or sheet == CHECK_TAB:
        return None
    if address:
        return sheet, address
    return (sheet, f"A{row}") if row else None


def content_hash(tab: TabSpec, *, skip_rows: Sequence[int] = (3,)) -> str:
    """A hash of what the tab says, ignoring the «Проверено» time (row 3), so that the
    tab is rewritten only when the findings or statuses change."""
    rows = [row for i, row in enumerate(tab.rows, start=1) if i not in skip_rows]
    return hashlib.sha256(json.dumps(rows, default=str, ensure_ascii=False).encode()).hexdigest()
