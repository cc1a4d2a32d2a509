"""Named extra checks: a form's ``checks:`` list names functions beyond its schema.

A check gets the form, its parsed :class:`FormResult` (rows, positions of the columns)
and the context the sync passes in (e.g. the federal textbook list), and returns more
findings. Which names exist is explicit: :func:`default_checks` lists the ones Svod
ships, the Svod context hands them to :func:`~sync_service.forms.schema.load_schema`,
which binds each form's names to their functions and refuses a form that names a check
not in the table (a ``SchemaError`` naming the file and the check). Nothing is
registered by importing a module; ``parse_form`` runs the form's bound checks after the
standard ones.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sync_service.findings import Finding
from sync_service.forms.schema import Form
from sync_service.model import FormResult

Check = Callable[[Form, FormResult, Mapping[str, Any]], list[Finding]]


def default_checks() -> dict[str, Check]:
    """The named checks Svod ships, by the name a form's YAML gives them: the one place
    they are listed. Imported here, not at the top: the order's check builds on
    ``parse_form``, which the forms package defines."""
    from sync_service.order.checks import fpu_order

    return {"fpu_order": fpu_order}
