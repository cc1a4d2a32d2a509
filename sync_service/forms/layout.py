"""How Svod lays out the tabs it creates, as :class:`TabSpec` values.

A school's form tab::

    row 1   the form's title
    row 2   «Готово» [checkbox]   «Дата сдачи» [date]
    row 3   one line of help
    row 4   the header row (frozen, bold): the columns' labels      (table forms)
            «Показатель» «Значение» «Пояснение»                       (record forms)
    row 5+  data; a record form lists one field per row: label in A, value in B

The reader does not rely on these positions: it finds the header row and the «Готово»
cell by their text, so a librarian who inserts a row on top breaks nothing.
"""
from __future__ import annotations

from collections.abc import Sequence

from sync_service.forms.schema import Column, Form, Schema
from sync_service.model import Collection
from sync_service.stores.base import Dropdown, TabSpec

READY_LABEL = "Готово"
READY_DATE_LABEL = "Дата сдачи"
RECORD_HEADERS = ("Показатель", "Значение", "Пояснение")
HEADER_ROW = 4
FIRST_DATA_ROW = 5
# How many empty rows of a table form get dropdowns.
DROPDOWN_ROWS = 500
CHECK_TAB = "Проверка"
BOOL_CHOICES = ("да", "нет")

_FORMATS = {"date": "DD.MM.YYYY", "percent": "0.0", "number": "0.00", "integer": "0"}


def _width(column: Column) -> int:
    return column.width or max(12, min(40, len(column.label) + 2))


def form_tab(collection: Collection, *, fpu_codes: Sequence[str] = ()) -> TabSpec:
    """The empty tab of one collection in a school's workbook; ``fpu_codes`` (the federal
    list in force) become a dropdown on «Код ФПУ» columns."""
    form = collection.form
    deadline = f" Срок сдачи: {collection.deadline:%d.%m.%Y}." if collection.deadline else ""
    top = [
        [f"{collection.display_title} — {collection.academic_year}"],
        [READY_LABEL, False, READY_DATE_LABEL, None],
        [form.help + deadline],
    ]
    if form.shape == "record":
        return _record_tab(collection.tab, form, top)
    return _table_tab(collection.tab, form, top, fpu_codes)


def _table_tab(title: str, form: Form, top: list[list], fpu_codes: Sequence[str] = ()) -> TabSpec:
    last = FIRST_DATA_ROW + DROPDOWN_ROWS - 1
    dropdowns = []
    formats = {}
    for index, column in enumerate(form.columns, start=1):
        if column.type == "choice":
            dropdowns.append(Dropdown(index, FIRST_DATA_ROW, last, column.choices or ()))
        elif column.type == "bool":
            dropdowns.append(Dropdown(index, FIRST_DATA_ROW, last, BOOL_CHOICES))
        elif column.type == "fpu_code" and fpu_codes:
            dropdowns.append(Dropdown(index, FIRST_DATA_ROW, last, tuple(fpu_codes)))
        if column.type in _FORMATS:
            formats[index] = _FORMATS[column.type]
    return TabSpec(
        title=title,
        rows=[*top, [c.label for c in form.columns]],
        frozen_rows=HEADER_ROW,
        bold_rows=(1, HEADER_ROW),
        widths={i: _width(c) for i, c in enumerate(form.columns, start=1)},
        dropdowns=tuple(dropdowns),
        checkboxes=((2, 2),),
        protected_rows=(1, HEADER_ROW),
        number_formats=formats,
    )


def _record_tab(title: str, form: Form, top: list[list]) -> TabSpec:
    rows = [*top, list(RECORD_HEADERS)]
    dropdowns = []
    for offset, column in enumerate(form.columns):
        rows.append([column.label, None, column.help or _record_hint(column)])
        row = FIRST_DATA_ROW + offset
        if column.type == "choice":
            dropdowns.append(Dropdown(2, row, row, column.choices or ()))
        elif column.type == "bool":
            dropdowns.append(Dropdown(2, row, row, BOOL_CHOICES))
    return TabSpec(
        title=title,
        rows=rows,
        frozen_rows=HEADER_ROW,
        bold_rows=(1, HEADER_ROW),
        widths={1: max(30, max(len(c.label) for c in form.columns) + 2), 2: 16, 3: 40},
        dropdowns=tuple(dropdowns),
        checkboxes=((2, 2),),
        protected_rows=(1, HEADER_ROW),
    )


def _record_hint(column: Column) -> str:
    hints = {"integer": "целое число", "number": "число", "percent": "процент", "date": "дата, ДД.ММ.ГГГГ",
             "url": "ссылка, https://…", "email": "адрес эл. почты", "phone": "телефон"}
    return hints.get(column.type, "")


def school_tabs(collections: list[Collection], *, fpu_codes: Sequence[str] = ()) -> list[TabSpec]:
    """Every form tab of a school workbook, one per collection (in calendar order)."""
    seen: set[str] = set()
    tabs = []
    for collection in collections:
        if collection.tab not in seen:
            seen.add(collection.tab)
            tabs.append(form_tab(collection, fpu_codes=fpu_codes))
    return tabs


TAB_LIMIT = 31  # Excel's longest tab name (Google allows more; Svod keeps to Excel's)


def year_label(academic_year: str) -> str:
    """"2026/2027" -> "2026-2027": the year as a tab or file name may carry it (no «/»)."""
    return academic_year.replace("/", "-")


def archive_title(tab: str, academic_year: str) -> str:
    """The name a form tab takes when its year is over: «Кадры» -> «Кадры 2026-2027»; when
    that is longer than Excel allows, «… 26-27», and only then the tab's name shortened
    («Мероприятия — Неделя кни… 26-27»)."""
    first, second = academic_year.split("/")
    short = f" {first[2:]}-{second[2:]}"
    for suffix in (f" {first}-{second}", short):
        if len(tab) + len(suffix) <= TAB_LIMIT:
            return tab + suffix
    return tab[:TAB_LIMIT - len(short) - 1].rstrip() + "…" + short


def form_names(schema: Schema) -> tuple[str, ...]:
    """What «План»'s «Сбор» offers: the forms' Russian titles (the shipped forms and the
    head's own from «Формы», as ``schema`` holds them); keys stay inside Svod."""
    return tuple(dict.fromkeys(form.title for form in schema.forms.values() if form.title))


def _plan_choices(schema: Schema) -> dict[str, tuple[str, ...]]:
    """The dropdowns of «План»: the forms by title and the campaigns by name. Warnings only
    (the stores' dropdowns never refuse a value): a form the head adds to «Формы» later, or
    a key an older workbook carries, is still typed in and read."""
    return {"collection": form_names(schema), "campaign": tuple(c.title for c in schema.campaigns)}


def head_tab(schema: Schema, key: str, rows: list[list]) -> TabSpec:
    """A tab of the head workbook («Школы», «План», «Формы», «Правила») with its header row and ``rows``."""
    form = schema.head[key]
    named = _plan_choices(schema) if key == "plan" else {}
    dropdowns = tuple(
        Dropdown(i, 2, 1000, BOOL_CHOICES if c.type == "bool" else c.choices or named.get(c.key) or ())
        for i, c in enumerate(form.columns, start=1) if c.type in ("bool", "choice") or named.get(c.key)
    )
    return TabSpec(
        title=form.tab,
        rows=[[c.label for c in form.columns], *rows],
        frozen_rows=1,
        bold_rows=(1,),
        widths={i: _width(c) for i, c in enumerate(form.columns, start=1)},
        dropdowns=dropdowns,
        number_formats={i: _FORMATS["date"] for i, c in enumerate(form.columns, start=1) if c.type == "date"},
    )
