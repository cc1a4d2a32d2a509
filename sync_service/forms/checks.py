"""Named extra checks: a form's ``checks:`` list names functions registered here.

A check gets the form, its parsed :class:`FormResult` (rows, positions of the columns)
and the context the sync passes in (e.g. the federal textbook list), and returns more
findings. ``parse_form`` calls the checks after the standard ones and ignores names that
nothing registered (the schema loader does not know this registry)::

    @register("fpu_order")
    def fpu_order(form, result, context):
        return [...]
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from sync_service.findings import Finding
from sync_service.forms.schema import Form
from sync_service.model import FormResult

Check = Callable[[Form, FormResult, Mapping[str, Any]], list[Finding]]

CHECKS: dict[str, Check] = {}


def register(name: str) -> Callable[[Check], Check]:
    """Register the decorated function as the check called ``name``."""

    def decorate(check: Check) -> Check:
        CHECKS[name] = check
        return check
    return decorate
