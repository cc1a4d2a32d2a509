"""What a school's workbook needs for the head's forms: their tabs made, and remade when a
form changed. Pure: the workbook as read and what Svod made in it before go in, the tabs
to write come out.

* A form's tab the workbook lacks is made, like every form tab Svod makes
  (:func:`~sync_service.forms.layout.form_tab`: the same rows, dropdowns, protection and
  instructions).
* A tab made before its form changed (:func:`~sync_service.forms.sheet_forms.layouts`)
  with nothing typed in it (no data, «Готово» not ticked) is made again, in place.
* With something typed, it stays as it is when only names changed (a renamed column is
  read under its old header: its earlier labels are the column's aliases).

Nothing a person typed is overwritten: every write is made over the marker of the read
this plan comes from (the store refuses it when the workbook changed meanwhile).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sync_service.forms.layout import form_tab
from sync_service.forms.sheet_forms import layouts
from sync_service.forms.validation import parse_form
from sync_service.model import Collection
from sync_service.stores.base import TabSpec, Workbook


@dataclass(frozen=True)
class Made:
    """What a school's tab of a head's form is, as Svod made it (``form_tabs``)."""

    layout: str
    structure: str


@dataclass(frozen=True)
class Wanted:
    """A collection of a head's form, and its school's tab as Svod last made it (or None)."""

    collection: Collection
    made: Made | None = None


@dataclass
class TabsPlan:
    writes: list[TabSpec] = field(default_factory=list)   # made whole: missing, or changed and empty
    made: dict[str, Made] = field(default_factory=dict)    # collection key -> its tab after the writes

    @property
    def empty(self) -> bool:
        return not self.writes


def needs_look(wanted: Wanted, present: bool | None) -> bool:
    """Whether a school's workbook must be read for this tab: it was not there at the last
    read (``present`` False or never read: None), or its form changed since Svod made it."""
    if not present:
        return True
    return wanted.made is not None and wanted.made.layout != layouts(wanted.collection.form)[0]


def plan_school_tabs(workbook: Workbook, wanted: Sequence[Wanted], *, fpu_codes: Sequence[str] = ()) -> TabsPlan:
    """The tabs ``workbook`` needs for ``wanted`` (see the module's docstring)."""
    plan = TabsPlan()
    for item in wanted:
        collection = item.collection
        layout, structure = layouts(collection.form)
        now = Made(layout, structure)
        sheet = workbook.sheet(collection.tab)
        if sheet is None:
            plan.writes.append(form_tab(collection, fpu_codes=fpu_codes))
        elif item.made is not None and item.made.layout != layout:
            result = parse_form(collection.form, sheet, tab=collection.tab)
            if not result.has_data and not result.ready:
                plan.writes.append(form_tab(collection, fpu_codes=fpu_codes))
        plan.made[collection.key] = now
    return plan
