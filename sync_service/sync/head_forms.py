"""The head's forms between her workbook and the database: what «Формы» says is stored
(``head_forms``) when the plan step reads her workbook, and every part of Svod that needs
the forms — the sync, the year's turn, the pages — takes them from there
(:func:`run_schema`): the shipped forms and the head's, alike.

A form whose definition has mistakes keeps its last good one (its collections, tabs and
data go on as before) and the head's «Проверка» says so; one that never held is not
published. A form gone from «Формы» is no longer offered to «План», but its stored
definition stays, so that what was collected with it is still shown.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.findings import Finding
from sync_service.forms.checks import default_checks
from sync_service.forms.form_keys import FormMemory
from sync_service.forms.schema import Form, Schema, SchemaError, form_from_mapping
from sync_service.forms.sheet_forms import read_head_forms
from sync_service.stores.base import Workbook

_CACHE: dict[tuple[int, str, bool], Schema] = {}
_CACHE_SIZE = 8


def stored_definitions(session: Session, *, active_only: bool = True) -> list[m.HeadForm]:
    """The head's forms that have a definition to use, in the order of «Формы»."""
    query = select(m.HeadForm).where(m.HeadForm.definition.is_not(None)).order_by(m.HeadForm.position)
    if active_only:
        query = query.where(m.HeadForm.active)
    return list(session.scalars(query))


def head_forms(schema: Schema, rows: list[m.HeadForm]) -> dict[str, Form]:
    """The stored definitions as forms (one that no longer loads — a list gone from
    ``lists.yaml`` — is left out, never the whole run)."""
    forms = {}
    for row in rows:
        try:
            forms[row.key] = form_from_mapping(row.definition, dict(schema.lists), default_checks(),
                                               file=f"«Формы», форма «{row.title}»")
        except SchemaError:
            continue
    return forms


def run_schema(session: Session, schema: Schema, *, active_only: bool = True) -> Schema:
    """``schema`` with the head's forms as last stored: those in «Формы» now
    (``active_only``, what the sync and «План» use) or every one ever published (the pages,
    which show what was collected with a form since removed). Remembered per definition."""
    rows = stored_definitions(session, active_only=active_only)
    if not rows:
        return schema
    digest = hashlib.sha256(json.dumps([(r.key, r.definition) for r in rows], sort_keys=True,
                                       ensure_ascii=False, default=str).encode()).hexdigest()
    cache_key = (id(schema), digest, active_only)
    found = _CACHE.get(cache_key)
    if found is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        found = _CACHE[cache_key] = schema.with_forms(head_forms(schema, rows))
    return found


def head_form_keys(session: Session) -> frozenset[str]:
    """The keys of every form the head ever defined (never a shipped form's)."""
    return frozenset(session.scalars(select(m.HeadForm.key)))


def store_head_forms(session: Session, workbook: Workbook, schema: Schema, now: datetime) -> list[Finding]:
    """Read «Формы» of the head's ``workbook`` into ``head_forms``; returns its findings.

    Without a «Формы» to read (no tab, no header row) nothing changes: the forms stay as
    they were (a tab deleted by mistake blanks nothing)."""
    rows = {r.key: r for r in session.scalars(select(m.HeadForm))}
    memories = [FormMemory.from_json(r.memory) for r in rows.values() if r.memory]
    result = read_head_forms(workbook, schema, memories=memories, checks=default_checks())
    if not result.read:
        return result.findings
    seen = set()
    for position, defined in enumerate(result.defined):
        row = rows.get(defined.key) or m.HeadForm(key=defined.key, title=defined.title, tab=defined.tab,
                                                   active=True, errors=0, position=position)
        session.add(row)
        seen.add(defined.key)
        row.active, row.position, row.errors = True, position, defined.errors
        if defined.mapping is None:
            continue   # mistakes: the last good definition, if any, goes on
        if row.definition != defined.mapping:
            row.changed_at = now
            row.published_at = row.published_at or now
        row.title, row.tab, row.definition = defined.title, defined.tab, defined.mapping
        row.memory = defined.memory.as_json()
    for key, row in rows.items():
        if key not in seen:
            row.active = False
    return result.findings


def form_states(session: Session) -> list[tuple[str, str, str]]:
    """(title, tab, state in Russian) of each form in «Формы», for the head's «Проверка»."""
    lines = []
    for row in session.scalars(select(m.HeadForm).where(m.HeadForm.active).order_by(m.HeadForm.position)):
        if row.errors and row.definition is None:
            state = f"не опубликована: ошибок {row.errors} — исправьте их, и форма появится у школ"
        elif row.errors:
            when = f" от {row.changed_at:%d.%m.%Y}" if row.changed_at else ""
            state = f"ошибок {row.errors}: у школ остаётся прежний вариант формы{when}"
        else:
            state = "действует"
        lines.append((row.title, row.tab, state))
    return lines


def definitions_by_key(session: Session) -> Mapping[str, dict]:
    """key -> the stored definition of every head's form that has one (``svod forms yaml``)."""
    return {r.key: r.definition for r in stored_definitions(session, active_only=False)}
