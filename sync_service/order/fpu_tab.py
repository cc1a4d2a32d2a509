"""The «ФПУ» tab of a school's workbook: the federal list of textbooks in force, as the
order's instruction promises («Код — из листа «ФПУ»»). Pure.

Svod writes it beside «Проверка» (:mod:`sync_service.sync.checks`), protected, in the
federal list's code order, and rewrites it only when the list in force changes (its digest
is kept per school in ``meta``, ``fpu_tab:<school id>``). A tab of that name Svod did not
make — its first cell is not :data:`FPU_TITLE` — is the librarian's and is never written
over. Bounded by the list itself (about 2 000 lines; :data:`FPU_TAB_LIMIT` at most).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from sync_service.order.consolidate import code_order
from sync_service.order.fpu import FPU_TAB, FpuIndex, grades_text
from sync_service.stores.base import TabSpec, Workbook

FPU_META = "fpu_tab:"   # + the school's id: the digest of the «ФПУ» tab Svod last wrote there
FPU_TITLE = "Федеральный перечень учебников (ФПУ) — справочник Svod"
FPU_HEADER = ("Код ФПУ", "Предмет", "Название", "Авторы", "Издательство", "Классы", "Действует до")
FPU_TAB_LIMIT = 20_000   # lines: the federal list has about 2 000; anything far beyond is not that list
_HEADER_ROW = 4


def render_fpu_tab(index: FpuIndex) -> TabSpec:
    """The «ФПУ» tab of the list in force: a title, a line of help, the list's source, the
    header and one line per textbook, by code."""
    entries = sorted(index.entries, key=lambda e: code_order(e.code))[:FPU_TAB_LIMIT]
    source = f"Перечень: {index.source}" if index.source else "Перечень, загруженный руководителем ОМО"
    rows: list[list[Any]] = [
        [FPU_TITLE],
        ["Этот лист Svod обновляет сам, когда руководитель ОМО загружает новый перечень: правки на нём будут "
         "заменены. Код для листа «Заказ учебников» берите из столбца A."],
        [f"{source}; учебников: {len(index.entries)}."],
        list(FPU_HEADER),
    ]
    rows += [[e.code, e.subject, e.title, e.authors, e.publisher, grades_text(e.grades), e.valid_until]
             for e in entries]
    return TabSpec(title=FPU_TAB, rows=rows, frozen_rows=_HEADER_ROW, bold_rows=(1, _HEADER_ROW), protected=True,
                   widths={1: 18, 2: 20, 3: 50, 4: 30, 5: 24, 6: 10, 7: 14},
                   number_formats={7: "DD.MM.YYYY"})


def fpu_digest(tab: TabSpec) -> str:
    """What the tab says, hashed: it is rewritten in a school only when this changes."""
    return hashlib.sha256(json.dumps(tab.rows, default=str, ensure_ascii=False).encode()).hexdigest()


def fpu_state(workbook: Workbook) -> str:
    """The workbook's «ФПУ» tab: "absent", "ours" (its A1 is :data:`FPU_TITLE`) or "foreign"."""
    sheet = workbook.sheet(FPU_TAB)
    if sheet is None:
        return "absent"
    first = sheet.rows[0][0] if sheet.rows and sheet.rows[0] else None
    return "ours" if isinstance(first, str) and first.strip() == FPU_TITLE else "foreign"
