"""Creating the schools' workbooks from the head's registry («svod init»).

Never deletes or changes anything that exists: a missing workbook is created, an
existing one only gets the form tabs it lacks.
"""
from __future__ import annotations

import re

from sync_service.context import Svod
from sync_service.district.registry import read_registry
from sync_service.forms.layout import school_tabs
from sync_service.model import titled_after
from sync_service.order.models import current_fpu

_UNSAFE = re.compile(r'[\\/:*?"<>|]+')


def workbook_title(code: str, name: str) -> str:
    """«sch07 МБОУ СОШ №7»: the code first, so that Svod finds the workbook by it."""
    return " ".join(_UNSAFE.sub(" ", f"{code} {name}").split())


def create_missing_workbooks(svod: Svod) -> tuple[list[str], dict[str, list[str]]]:
    """Returns (titles created, {workbook id: tabs added})."""
    registry = read_registry(svod.store.read(svod.head_workbook_id), svod.schema, academic_year=svod.academic_year)
    with svod.db.session() as session:
        fpu = current_fpu(session)
    tabs = school_tabs(registry.collections, fpu_codes=[e.code for e in fpu] if fpu else ())
    listing = {w.id: w for w in svod.store.list_workbooks()}
    created, extended = [], {}
    for school in registry.schools:
        if not school.active:
            continue
        workbook_id = svod.store.workbook_id_for(school.workbook) if school.workbook else None
        if workbook_id is None:
            matches = [w.id for w in listing.values() if titled_after(w.title, school.code)]
            workbook_id = matches[0] if len(matches) == 1 else None
        if workbook_id is None or workbook_id not in listing:
            title = workbook_title(school.code, school.name) if not school.workbook else school.workbook.removesuffix(".xlsx")
            svod.store.create_workbook(title, tabs)
            created.append(title)
            continue
        added = svod.store.add_missing_tabs(workbook_id, tabs)
        if added:
            extended[workbook_id] = added
    return created, extended
