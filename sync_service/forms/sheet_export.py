"""Forms out of Svod: the shipped forms in the head's «Формы» layout (so she can copy one and
adapt it), and a form of her «Формы» as a YAML file for the repository. Pure.

What «Формы» cannot say is left out of the export, and said so in its help row: computed
values, key columns, patterns, aliases, campaigns, the deadline month. The YAML of a head's
form is exactly the mapping Svod loads it from (``head_forms.definition``), so the file
behaves in ``sheets_schema/forms/`` as the form did in «Формы» — with the same keys, and
the old labels of renamed columns as aliases.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import yaml

from sync_service.forms.layout import head_tab
from sync_service.forms.schema import Form, Schema
from sync_service.forms.sheet_forms import SEVERITIES, SHAPES, TYPES
from sync_service.forms.written_rules import written_rule
from sync_service.stores.base import TabSpec

_TYPE_NAMES = {value: name for name, value in TYPES.items()}
_SHAPE_NAMES = {value: name for name, value in SHAPES.items()}
_SEVERITY_NAMES = {value: name for name, value in SEVERITIES.items()}
NOT_EXPORTED = "Не перенесено из Svod: вычисляемые показатели, ключевые столбцы, шаблоны, прежние названия."


def form_rows(form: Form) -> tuple[list[dict], list[dict]]:
    """One form as rows of «Формы» and «Правила» (dicts by the columns' keys of
    ``sheets_schema/head/forms.yaml`` and ``form_rules.yaml``)."""
    help_text = form.help
    if form.computed or form.key_columns or any(c.pattern or c.aliases for c in form.columns):
        help_text = f"{help_text} ({NOT_EXPORTED})".strip()
    rows = [{"form": form.title, "tab": form.tab, "shape": _SHAPE_NAMES[form.shape], "help": help_text,
             "checks": " ".join(c.name for c in form.checks) or None}]
    for column in form.columns:
        choices = column.choices_list or ("; ".join(column.choices) if column.choices else None)
        rows.append({"form": form.title, "label": column.label, "type": _TYPE_NAMES[column.type],
                     "required": "да" if column.required else None, "min": column.min, "max": column.max,
                     "list": choices if column.type == "choice" else None, "help": column.help or None,
                     "personal": "да" if column.personal else None, "key": column.key})
    labels = {c.key: c.label for c in form.columns}
    rules = [{"form": form.title, "rule": written_rule(r.left.source, r.op, r.right.source, labels, r.tolerance),
              "message": r.message, "severity": _SEVERITY_NAMES[r.severity]} for r in form.rules]
    return rows, rules


def export_tabs(schema: Schema, forms: Iterable[Form] | None = None) -> list[TabSpec]:
    """«Формы» and «Правила» holding ``forms`` (default: every shipped form), ready to copy
    into the head's workbook."""
    rows, rules = [], []
    for form in forms if forms is not None else schema.forms.values():
        form_lines, rule_lines = form_rows(form)
        rows += form_lines
        rules += rule_lines
    as_lists = {}
    for key, lines in (("forms", rows), ("form_rules", rules)):
        keys = [c.key for c in schema.head[key].columns]
        as_lists[key] = [[line.get(k) for k in keys] for line in lines]
    return [head_tab(schema, "forms", as_lists["forms"]), head_tab(schema, "form_rules", as_lists["form_rules"])]


def form_yaml(definition: Mapping) -> str:
    """A head's form as a form file of ``sheets_schema/forms/`` (save it as ``<key>.yaml``)."""
    header = (f"# {definition['title']}: written by «svod forms yaml» from the head's «Формы».\n"
              f"# Keys are the ones Svod gave the form and its columns: keep them, the data is stored under them.\n")
    return header + yaml.safe_dump(dict(definition), allow_unicode=True, sort_keys=False, width=100)
