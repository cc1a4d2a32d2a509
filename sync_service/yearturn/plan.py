"""The year's turn of one workbook, planned from what it holds now. Pure.

A school's workbook: every form tab of the year that ends is renamed with that year
(«Кадры» -> «Кадры 2026-2027», :func:`~sync_service.forms.layout.archive_title`), protected
and moved to the end; every form tab of the new year is created fresh where the old one
was, with what stays from year to year carried over (a form's ``carry_over:``: the staff
list, the УМК in use, the fund at the start of the year = last year's end). The head's
workbook: «План» is renamed «План 2026-2027» and a new «План» holds the new year's rows —
those the head typed already, or else last year's with every date one year on.

Each plan is made from the workbook as it is, so planning again after a turn that was
applied gives nothing to do, and after one that was not, the same changes: a tab already
renamed with the year is not renamed again, a tab already there is not created again, and
what is carried over is read from the old tab under either name. Nothing a person typed is
removed or overwritten: renaming keeps every cell, the fresh tabs are new.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sync_service import ru
from sync_service.district.registry import named_form
from sync_service.forms.layout import FIRST_DATA_ROW, archive_title, form_tab, head_tab, year_label
from sync_service.forms.schema import Form, Schema
from sync_service.forms.validation import parse_form
from sync_service.model import Collection
from sync_service.stores.base import MoveTab, ProtectTab, RenameTab, Sheet, TabChange, TabSpec, Workbook

# A tab renamed with its year: « 2026-2027» or « 26-27» at the end of its title.
_ARCHIVED = re.compile(r" (\d{4}-\d{4}|\d{2}-\d{2})$")


@dataclass(frozen=True)
class Turn:
    """What the turn does to one workbook: ``changes`` for the store, in order (none when
    it is done), and in words for the dry run."""

    renamed: tuple[tuple[str, str], ...] = ()   # (tab, its new name)
    created: tuple[str, ...] = ()
    carried: tuple[str, ...] = ()                # Russian: what was carried into which tab
    changes: tuple[TabChange, ...] = field(default=(), repr=False)

    @property
    def done(self) -> bool:
        return not self.changes

    def lines(self) -> list[str]:
        """The dry run's lines for this workbook (Russian)."""
        out = [f"переименовать «{old}» → «{new}» (только чтение, в конец)" for old, new in self.renamed]
        out += [f"создать «{title}»" for title in self.created]
        out += [f"перенести: {what}" for what in self.carried]
        return out or ["ничего: переход уже сделан"]


def _tabs_of(collections: Sequence[Collection]) -> list[Collection]:
    seen, out = set(), []
    for collection in collections:
        if collection.tab.casefold() not in seen:
            seen.add(collection.tab.casefold())
            out.append(collection)
    return out


def _title_in(workbook: Workbook, title: str) -> str | None:
    found = workbook.sheet(title)
    return found.title if found is not None else None


def carried_rows(form: Form, sheet: Sheet) -> list[list[Any]]:
    """A table tab's data rows as typed, in the form's column order (found by their headers,
    wherever the librarian moved them)."""
    result = parse_form(form, sheet, tab=sheet.title)
    rows = []
    for number in result.table.numbers:
        line = sheet.rows[number - 1] if number and number <= len(sheet.rows) else []
        cells = []
        for column in form.columns:
            col = result.positions.get(column.key)
            cells.append(line[col - 1] if col and col <= len(line) else None)
        if any(v is not None and v != "" for v in cells):
            rows.append(cells)
    return rows


def carried_value(form: Form, sheet: Sheet, key: str) -> Any:
    """A record tab's value of ``key`` as read (None when it is not a number)."""
    value = parse_form(form, sheet, tab=sheet.title).record.get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def fresh_tab(collection: Collection, sources: dict[str, Sheet], schema: Schema, old_year: str,
              fpu_codes: Sequence[str]) -> tuple[TabSpec, str | None]:
    """The new year's tab of ``collection``, with what its form's ``carry_over:`` takes from
    last year's tabs (``sources``: form key -> last year's sheet); and what was carried."""
    spec = form_tab(collection, fpu_codes=fpu_codes)
    form, carry = collection.form, collection.form.carry_over
    if carry is None:
        return spec, None
    rows = [list(r) for r in spec.rows]
    carried = None
    if carry.rows and form.key in sources:
        data = carried_rows(form, sources[form.key])
        if data:
            rows.extend(data)
            carried = f"{carry.note} ({ru.quantity(len(data), 'строка', 'строки', 'строк')})"
    elif carry.fields:
        found = []
        for offset, column in enumerate(form.columns):
            for source_form, source_key in carry.fields.get(column.key, ()):
                if source_form in sources:
                    value = carried_value(schema.forms[source_form], sources[source_form], source_key)
                    if value is not None:
                        rows[FIRST_DATA_ROW - 1 + offset][1] = value
                        found.append(f"«{column.label}» = {ru.number(value, 0)}")
                        break
        if found:
            carried = f"{carry.note}: {', '.join(found)}"
    if carried is None:
        return spec, None
    rows[2] = [f"{rows[2][0]} Перенесено из {year_label(old_year)}: {carry.note} — проверьте, исправьте "
               "изменившееся и отметьте «Готово»."]
    return replace(spec, rows=rows), f"«{collection.tab}»: {carried}"


def school_turn(workbook: Workbook, old: Sequence[Collection], new: Sequence[Collection], schema: Schema,
                old_year: str, *, fpu_codes: Sequence[str] = ()) -> Turn:
    """The turn of one school's workbook from the year of ``old`` collections to ``new``."""
    renamed: list[tuple[str, str]] = []
    sources: dict[str, Sheet] = {}
    archived: set[str] = set()
    for collection in _tabs_of(old):
        archive = archive_title(collection.tab, old_year)
        held_archive, held = _title_in(workbook, archive), _title_in(workbook, collection.tab)
        if held_archive is not None:
            sources.setdefault(collection.form.key, workbook.sheets[held_archive])
            archived.add(collection.tab.casefold())
        elif held is not None:
            sources.setdefault(collection.form.key, workbook.sheets[held])
            renamed.append((held, archive))
    renamed_tabs = {old_title.casefold() for old_title, _ in renamed}
    created: list[TabSpec] = []
    carried: list[str] = []
    for collection in _tabs_of(new):
        held = _title_in(workbook, collection.tab)
        if held is not None and held.casefold() not in renamed_tabs:
            continue   # there already (made by an earlier run of this turn, or never a form tab)
        spec, what = fresh_tab(collection, sources, schema, old_year, fpu_codes)
        created.append(spec)
        if what:
            carried.append(what)
    changes: list[TabChange] = [RenameTab(a, b) for a, b in renamed] + created
    changes += [ProtectTab(b) for _, b in renamed]
    changes += _moves(list(workbook.sheets), renamed, [t.title for t in created])
    return Turn(tuple(renamed), tuple(t.title for t in created), tuple(carried), tuple(changes))


def _moves(titles: list[str], renamed: list[tuple[str, str]], created: list[str]) -> list[MoveTab]:
    """Moves that put each fresh tab where its old one was, fresh tabs of new forms before
    the tabs of earlier years, and the tabs just renamed at the very end."""
    if not renamed and not created:
        return []
    into = dict(renamed)
    replaced = {old.casefold(): old for old, _ in renamed}
    fresh = {title.casefold(): title for title in created}
    final, archives_before = [], []
    for title in titles:
        key = title.casefold()
        if key in replaced:
            if key in fresh:
                final.append(fresh.pop(key))
        elif _ARCHIVED.search(title):
            archives_before.append(title)
        else:
            final.append(title)
    final += list(fresh.values()) + archives_before + [into[old] for old, _ in renamed]
    order = [into.get(t, t) for t in titles] + created   # after the renames and additions
    moves = []
    for index, title in enumerate(final):
        if order[index] != title:
            moves.append(MoveTab(title, index))
            order.remove(title)
            order.insert(index, title)
    return moves


# --- the head's «План» ----------------------------------------------------------------------

_YEARS = re.compile(r"(?<!\d)(\d{4})(\s*[/\-–]\s*)(\d{4}|\d{2})(?!\d)")


def shift_years_in(text: str, years: int = 1) -> str:
    """«План на 2026/2027 учебный год» -> «… 2027/2028 …» (also 2026-2027, 2026–27)."""
    def moved(match: re.Match) -> str:
        first, second = int(match.group(1)), match.group(3)
        if int(second) % 100 != (first + 1) % 100:
            return match.group(0)
        shifted = str(int(second) + years) if len(second) == 4 else f"{(int(second) + years) % 100:02d}"
        return f"{first + years}{match.group(2)}{shifted}"
    return _YEARS.sub(moved, text)


def shift_date(day: date, years: int = 1) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:   # 29 February
        return day.replace(year=day.year + years, day=28)


def next_plan_rows(schema: Schema, sheet: Sheet | None, old_year: str, new_year: str) -> tuple[list[list], bool]:
    """The new year's «План» rows: those typed for it already (as typed), else the old
    year's moved one year on; and whether they were moved. Either way a form in «Сбор» is
    written by its Russian title, as the dropdown offers it (an older workbook's key, such
    as ``staffing``, becomes «Мониторинг кадрового обеспечения…»); a name that matches no
    form stays as typed, for the sync's finding to point at."""
    form = schema.head["plan"]
    if sheet is None:
        return [], False
    result = parse_form(form, sheet, tab=sheet.title)
    keys = [c.key for c in form.columns]
    typed = [r for r in result.rows if r.get("academic_year") == new_year]
    if typed:
        positions = result.positions
        out = []
        for record in typed:
            line = sheet.rows[record["_row"] - 1]
            out.append(_titled_row([line[positions[k] - 1] if positions.get(k) and positions[k] <= len(line)
                                    else None for k in keys], keys, schema))
        return out, False
    moved = []
    for record in result.rows:
        if record.get("academic_year") != old_year:
            continue
        values = dict(record)
        values["academic_year"] = new_year
        if isinstance(values.get("deadline"), date):
            values["deadline"] = shift_date(values["deadline"])
        if isinstance(values.get("title"), str):
            values["title"] = shift_years_in(values["title"])
        moved.append(_titled_row([values.get(k) for k in keys], keys, schema))
    return moved, True


def _titled_row(row: list, keys: list[str], schema: Schema) -> list:
    """``row`` with the form in «Сбор» named by its title."""
    at = keys.index("collection")
    form = named_form(schema, row[at]) if isinstance(row[at], str) else None
    if form is not None:
        row[at] = form.title
    return row


def head_turn(workbook: Workbook, schema: Schema, old_year: str, new_year: str) -> Turn:
    """«План» -> «План 2026-2027» (kept, at the end), and a new «План» of the new year."""
    tab = schema.head["plan"].tab
    archive = archive_title(tab, old_year)
    if _title_in(workbook, archive) is not None:
        return Turn()
    held = _title_in(workbook, tab)
    rows, moved = next_plan_rows(schema, workbook.sheets.get(held) if held else None, old_year, new_year)
    spec = head_tab(schema, "plan", rows)
    carried = (f"«{tab}»: {ru.quantity(len(rows), 'строка', 'строки', 'строк')} "
               f"{'прошлого года со сроками на год вперёд' if moved else 'нового года, уже вписанные'}",)
    if held is None:
        return Turn((), (tab,), carried, (spec,))
    changes: list[TabChange] = [RenameTab(held, archive), spec]
    changes += _moves(list(workbook.sheets), [(held, archive)], [spec.title])
    return Turn(((held, archive),), (tab,), carried, tuple(changes))


def new_year_rows(schema: Schema, workbook: Workbook, old_year: str, new_year: str) -> list[list]:
    """The new year's «План» rows whether the head's turn is done (the new «План») or not."""
    tab = schema.head["plan"].tab
    if _title_in(workbook, archive_title(tab, old_year)) is not None:
        held = _title_in(workbook, tab)
        sheet = workbook.sheets[held] if held else None
        return next_plan_rows(schema, sheet, old_year, new_year)[0] if sheet else []
    held = _title_in(workbook, tab)
    return next_plan_rows(schema, workbook.sheets[held] if held else None, old_year, new_year)[0]
