"""The head's own forms, defined in her workbook: «Формы», «Правила», «Списки». Pure.

XLSForm's idea in Svod's terms: «Формы» has one row per column of a form (its form, tab,
shape, the column's name, type, whether it is required, its bounds, its list, a help
text, whether it is personal data, the shipped named checks the form runs, an optional
key); a row with a form and no column gives the form's tab, shape and — in «Подсказка» —
the line of help on its tab. «Правила» holds the rules as a person writes them
(:mod:`~sync_service.forms.written_rules`), «Списки» the head's own lists (a column per
list, its name on top).

Both tabs are read with the same reader and validator as every other tab (their columns
are ``sheets_schema/head/forms.yaml`` and ``form_rules.yaml``), so a wrong type, a bound
that is not a number or a key in Cyrillic get the usual findings with their cells; on
top, this module finds what only the whole definition shows (a list that does not exist,
min above max, a column twice, a tab another form uses, a rule naming an unknown column, …).
Each form is judged alone: a form with any error is not published (:attr:`Defined.form` is
None — the sync keeps its last good definition, if it had one), the others are.

A form that holds becomes the same mapping a form file of ``sheets_schema/forms/`` holds
(:attr:`Defined.mapping`: what ``svod forms yaml`` writes for the repository), loaded by
the schema loader itself (:func:`~sync_service.forms.schema.form_from_mapping`), with its
keys from :mod:`~sync_service.forms.form_keys`.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_service.findings import Finding, a1, make_finding
from sync_service.forms.form_keys import FormMemory, column_keys, match_form, remembered, slug, unique
from sync_service.forms.layout import CHECK_TAB
from sync_service.forms.reading import is_blank, label_key
from sync_service.forms.schema import NUMERIC_TYPES, Form, Schema, SchemaError, campaign_tab, form_from_mapping
from sync_service.forms.validation import parse_form
from sync_service.forms.written_rules import WrittenRuleError, parse_written_rule
from sync_service.ru import plain_number
from sync_service.stores.base import Sheet, Workbook

# The Russian names of «Тип», «Вид» and «Важность» (the lists field_types, form_shapes and
# rule_severities of lists.yaml, which a test keeps equal to these) -> the YAML's values.
TYPES = {"Текст": "text", "Целое число": "integer", "Число": "number", "Процент": "percent", "Дата": "date",
         "Да/нет": "bool", "Выбор из списка": "choice", "Класс": "grade", "E-mail": "email", "Телефон": "phone",
         "Ссылка": "url", "Код ФПУ": "fpu_code"}
SHAPES = {"Таблица": "table", "Запись": "record"}
SEVERITIES = {"Ошибка": "error", "Предупреждение": "warning"}
PERSONAL_TYPES = frozenset({"email", "phone"})   # personal data whatever «Личные данные» says
LISTS_TAB = "Списки"
DEFAULT_HELP = "Заполните форму и отметьте «Готово»."
RESERVED_TABS = (CHECK_TAB, "ФПУ", "Школы", "План", "Формы", "Правила", LISTS_TAB)
_TAB_FORBIDDEN = set("[]:*?/\\")
_SEPARATORS = re.compile(r"[;\n]")


@dataclass
class Defined:
    """One form of «Формы»: ``form`` and ``mapping`` are None when its definition has errors."""

    key: str
    title: str
    tab: str
    row: int                         # where it starts in «Формы»
    errors: int = 0
    mapping: dict | None = None
    form: Form | None = None
    memory: FormMemory | None = None  # what to remember once it is published


@dataclass
class HeadForms:
    """What «Формы» says. ``read`` is False when there is no «Формы» to read (no tab, or no
    header row): then nothing is known, and the forms defined before stay as they were."""

    read: bool = False
    defined: list[Defined] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class _Group:
    title: str
    rows: list[dict] = field(default_factory=list)


class _Place:
    """Builds the findings of one tab of the head's definition, at the cells of its columns."""

    def __init__(self, form: Form, tab: str, positions: Mapping[str, int], out: list[Finding]):
        self.form, self.tab, self.positions, self.out = form, tab, positions, out

    def add(self, code: str, row: dict, key: str, **params) -> Finding:
        column = self.form.column(key)
        col = self.positions.get(key)
        finding = make_finding(code, form=self.form.key, sheet=self.tab, row=row["_row"], column=column.label,
                               column_key=key, address=a1(row["_row"], col) if col else None, **params)
        self.out.append(finding)
        return finding


def _text(value: Any) -> str:
    return "" if value is None or is_blank(value) else " ".join(str(value).split())


def read_head_lists(sheet: Sheet | None) -> dict[str, tuple[str, tuple[str, ...]]]:
    """«Списки»: a column per list, its name in the first row that has any -> {folded name:
    (name, values)}; the first of two lists of one name counts."""
    if sheet is None:
        return {}
    rows = [r for r in sheet.rows if any(not is_blank(v) for v in r)]
    if not rows:
        return {}
    lists: dict[str, tuple[str, tuple[str, ...]]] = {}
    for col, name in enumerate(rows[0]):
        name = _text(name)
        if not name or label_key(name) in lists:
            continue
        values = [_text(r[col]) for r in rows[1:] if col < len(r) and _text(r[col])]
        if values:
            lists[label_key(name)] = (name, tuple(dict.fromkeys(values)))
    return lists


def read_head_forms(workbook: Workbook, schema: Schema, *, memories: Sequence[FormMemory],
                    checks: Mapping[str, Callable[..., list]]) -> HeadForms:
    """The head's forms as her workbook defines them (see the module's docstring);
    ``memories``: every form Svod remembers (their keys are kept)."""
    spec, rules_spec = schema.head.get("forms"), schema.head.get("form_rules")
    sheet = workbook.sheet(spec.tab) if spec is not None else None
    if sheet is None:
        return HeadForms()
    parsed = parse_form(spec, sheet, tab=spec.tab)
    result = HeadForms(read=True, findings=_own(parsed.findings))
    if any(f.code == "header-not-found" for f in parsed.findings):
        result.read = False
        return result
    place = _Place(spec, spec.tab, parsed.positions, result.findings)
    groups = _groups(parsed.rows, place)
    head_lists = read_head_lists(workbook.sheet(LISTS_TAB))
    rules = _rules(workbook, rules_spec, result.findings)
    taken_keys = set(schema.forms) | {m.key for m in memories}
    used_tabs = {label_key(t): "" for t in RESERVED_TABS}
    for form in schema.forms.values():
        for campaign in (schema.campaigns if form.per_campaign else (None,)):
            used_tabs[label_key(campaign_tab(form, campaign))] = form.title
    titles = {label_key(f.title) for f in schema.forms.values()}
    matched: set[str] = set()
    for group in groups.values():
        before = len(result.findings)
        defined = _define(group, place, schema, head_lists, checks, memories, matched, taken_keys, used_tabs, titles,
                          rules.get(label_key(group.title), []), parsed.blocked_rows)
        defined.errors += sum(1 for f in result.findings[before:] if f.blocking)
        defined.errors += sum(1 for row in group.rows if row["_row"] in parsed.blocked_rows)
        if not defined.errors:
            try:
                defined.form = form_from_mapping(defined.mapping, dict(schema.lists), checks,
                                                 file=f"«Формы», форма «{group.title}»")
            except SchemaError as exc:  # a defect of this module's checks, said where the head sees it
                place.add("form-invalid", group.rows[0], "form", reason=exc.message)
                defined.errors += 1
        if defined.errors:
            defined.mapping = None
        result.defined.append(defined)
    for title, items in rules.items():
        if title not in groups:
            for rule_place, row in items:
                rule_place.add("rule-unknown-form", row, "form", value=_text(row.get("form")),
                               choices=_names(g.title for g in groups.values()))
    return result


def _own(findings: list[Finding]) -> list[Finding]:
    """A tab's findings but the «Готово» flag's: the head's tabs have none, by design."""
    return [f for f in findings if f.code != "ready-not-found"]


def _names(names) -> str:
    shown = [f"«{n}»" for n in names]
    return ", ".join(shown) if shown else "в «Формах» нет ни одной формы"


def _groups(rows: list[dict], place: _Place) -> dict[str, _Group]:
    """The rows of each form, by its folded title; a row without «Форма» continues the form above."""
    groups: dict[str, _Group] = {}
    current: _Group | None = None
    for row in rows:
        title = _text(row.get("form"))
        if title:
            current = groups.setdefault(label_key(title), _Group(title))
        elif current is None:
            place.add("form-missing-title", row, "form")
            continue
        current.rows.append(row)
    return groups


def _rules(workbook: Workbook, spec: Form | None, out: list[Finding]) -> dict[str, list[tuple[_Place, dict]]]:
    """«Правила»' rows by the folded title of their form (the form above when «Форма» is empty)."""
    sheet = workbook.sheet(spec.tab) if spec is not None else None
    if sheet is None:
        return {}
    parsed = parse_form(spec, sheet, tab=spec.tab)
    out.extend(_own(parsed.findings))
    place = _Place(spec, spec.tab, parsed.positions, out)
    rules: dict[str, list[tuple[_Place, dict]]] = {}
    title = ""
    for row in parsed.rows:
        title = _text(row.get("form")) or title
        if not title:
            place.add("form-missing-title", row, "form")
        elif row["_row"] not in parsed.blocked_rows:
            rules.setdefault(label_key(title), []).append((place, row))
    return rules


def _first(group: _Group, key: str, place: _Place) -> tuple[Any, dict | None]:
    """The form's value of ``key`` (the first row that gives one) and that row; a later row
    giving another is a mistake."""
    value, where = None, None
    for row in group.rows:
        typed = row.get(key)
        if typed is None or typed == "":
            continue
        if where is None:
            value, where = typed, row
        elif label_key(typed) != label_key(value):
            place.add("form-conflict", row, key, value=_text(typed), first=_text(value), first_row=where["_row"])
    return value, where


def _define(group: _Group, place: _Place, schema: Schema, head_lists, checks, memories, matched: set[str],
            taken_keys: set[str], used_tabs: dict[str, str], titles: set[str], rules: list, blocked) -> Defined:
    first_row = group.rows[0]
    tab, tab_row = _first(group, "tab", place)
    shape, _ = _first(group, "shape", place)
    help_rows = [r for r in group.rows if not _text(r.get("label")) and _text(r.get("help"))]
    named, checks_row = _first(group, "checks", place)
    tab = _text(tab)
    if not tab:
        tab, tab_row = group.title, first_row
    defined = Defined(key="", title=group.title, tab=tab, row=first_row["_row"])
    if label_key(group.title) in titles:
        place.add("form-title-taken", first_row, "form", value=group.title)
    if len(tab) > 31 or _TAB_FORBIDDEN & set(tab):
        place.add("form-bad-tab", tab_row, "tab" if _text(tab_row.get("tab")) else "form", value=tab)
    elif label_key(tab) in used_tabs:
        place.add("form-tab-taken", tab_row, "tab" if _text(tab_row.get("tab")) else "form", value=tab,
                  other=used_tabs[label_key(tab)] or "Svod")
    else:
        used_tabs[label_key(tab)] = group.title
    columns = _columns(group, place, schema, head_lists, blocked)
    if not columns and not any(r["_row"] in blocked for r in group.rows):
        place.add("form-no-columns", first_row, "label", title=group.title)
    check_names = [n for n in re.split(r"[\s,;]+", _text(named)) if n]
    for name in check_names:
        if name not in checks:
            place.add("form-unknown-check", checks_row, "checks", value=name, choices=", ".join(sorted(checks)))
    memory = match_form(group.title, tab, memories, matched)
    if memory is not None:
        matched.add(memory.key)
        key = memory.key
    else:
        key = unique(slug(group.title, fallback="form"), taken_keys)
    defined.key = key
    keys, column_memory = column_keys([c["label"] for c in columns], [c.pop("_key") for c in columns], memory)
    for column in columns:
        column.pop("_row")
    for column, column_key in zip(columns, keys):
        column["key"] = column_key
    _aliases(columns, column_memory)
    mapping = {"key": key, "title": group.title, "tab": tab, "shape": SHAPES.get(shape or "", "table"),
               "help": _text(help_rows[0].get("help")) if help_rows else DEFAULT_HELP, "columns": columns}
    mapping["rules"] = _form_rules(rules, columns)
    if check_names:
        mapping["checks"] = check_names
    if not mapping["rules"]:
        del mapping["rules"]
    defined.memory = remembered(memory, key, group.title, tab, column_memory)
    defined.mapping = mapping
    return defined


def _columns(group: _Group, place: _Place, schema: Schema, head_lists, blocked) -> list[dict]:
    """The column rows of a form as the YAML's column mappings (with ``_key``, ``_row``)."""
    columns: list[dict] = []
    labels: dict[str, int] = {}
    keys: dict[str, int] = {}
    for row in group.rows:
        label = _text(row.get("label"))
        if not label:
            if any(row.get(k) not in (None, "") for k in ("type", "min", "max", "list", "required", "key")):
                place.add("form-missing-label", row, "label")
            continue
        if label_key(label) in labels:
            place.add("form-duplicate-column", row, "label", value=label, first_row=labels[label_key(label)])
            continue
        labels[label_key(label)] = row["_row"]
        type_name = row.get("type")
        if type_name is None:
            if row["_row"] not in blocked:
                place.add("form-missing-type", row, "type", column_name=label, choices=", ".join(TYPES))
            continue
        ctype = TYPES[type_name]
        column: dict[str, Any] = {"_key": None, "_row": row["_row"], "label": label, "type": ctype}
        explicit = _text(row.get("key"))
        if explicit and row["_row"] not in blocked:
            if explicit in keys:
                place.add("form-duplicate-key", row, "key", value=explicit, first_row=keys[explicit])
            keys[explicit] = row["_row"]
            column["_key"] = explicit
        if row.get("required") is True:
            column["required"] = True
        _bounds(row, column, place)
        _list(row, column, place, schema, head_lists)
        if _text(row.get("help")):
            column["help"] = _text(row.get("help"))
        if row.get("personal") is True or ctype in PERSONAL_TYPES:
            column["personal"] = True
        columns.append(column)
    return columns


def _bounds(row: dict, column: dict, place: _Place) -> None:
    low, high = row.get("min"), row.get("max")
    if low is None and high is None:
        return
    if column["type"] not in NUMERIC_TYPES:
        place.add("form-bounds-ignored", row, "min" if low is not None else "max", column_name=column["label"])
        return
    if low is not None and high is not None and low > high:
        place.add("form-min-max", row, "min", low=plain_number(low), high=plain_number(high))
        return
    for name, value in (("min", low), ("max", high)):
        if value is not None:
            column[name] = int(value) if float(value).is_integer() else value


def _list(row: dict, column: dict, place: _Place, schema: Schema, head_lists) -> None:
    typed = _text(row.get("list"))
    if column["type"] != "choice":
        if typed:
            place.add("form-list-ignored", row, "list", column_name=column["label"])
        return
    if not typed:
        place.add("form-missing-list", row, "list", column_name=column["label"], choices=_list_names(schema, head_lists))
        return
    if label_key(typed) in head_lists:
        column["choices"] = list(head_lists[label_key(typed)][1])
    elif typed in schema.lists or typed.casefold() in schema.lists:
        column["choices"] = typed if typed in schema.lists else typed.casefold()
    elif _SEPARATORS.search(typed):
        values = [v.strip() for v in _SEPARATORS.split(typed) if v.strip()]
        column["choices"] = list(dict.fromkeys(values))
    else:
        place.add("form-unknown-list", row, "list", value=typed, choices=_list_names(schema, head_lists))


def _list_names(schema: Schema, head_lists) -> str:
    names = [f"«{name}»" for name, _ in head_lists.values()] + sorted(
        n for n in schema.lists if n not in ("field_types", "form_shapes", "rule_severities"))
    return ", ".join(names)


def _aliases(columns: list[dict], memory: FormMemory) -> None:
    """Each column's earlier labels as aliases — but none another column answers to."""
    labels = {c["key"]: c["label"] for c in columns}
    held = {label_key(label) for label in labels.values()}
    for column in memory.current:
        if column.key not in labels:
            continue
        aliases = [old for old in column.labels[1:] if label_key(old) not in held]
        held.update(label_key(a) for a in aliases)
        target = next(c for c in columns if c["key"] == column.key)
        if aliases:
            target["aliases"] = aliases


def _form_rules(rules: list, columns: list[dict]) -> list[dict]:
    """«Правила»' rows of one form as the YAML's rule mappings."""
    out = []
    known = [(c["key"], c["label"], c["type"] in NUMERIC_TYPES) for c in columns]
    for place, row in rules:
        text = _text(row.get("rule"))
        if not text:
            place.add("rule-syntax", row, "rule", value="", reason="правило не написано")
            continue
        try:
            rule = parse_written_rule(text, known)
        except WrittenRuleError as exc:
            choices = ", ".join(f"«{label}»" for _, label, numeric in known if numeric) or "нет числовых столбцов"
            place.add(exc.code, row, "rule", **{"value": text, "reason": "", **exc.params, "choices": choices})
            continue
        item = {"key": f"rule_{row['_row']}", "left": rule.left, "op": rule.op, "right": rule.right,
                "message": _text(row.get("message")) or f"Не выполнено правило «{text}»",
                "severity": SEVERITIES.get(row.get("severity") or "", "error")}
        if rule.tolerance:
            item["tolerance"] = rule.tolerance
        out.append(item)
    return out


def layouts(form: Form) -> tuple[str, str]:
    """(what a school's tab of ``form`` looks like, what it holds): the first changes with
    any label or help, the second only with the columns' keys, types, lists and order —
    a tab with data is rebuilt only when the second changes (a renamed column is read
    under its old header)."""
    structure = [form.shape, [(c.key, c.type, list(c.choices or ())) for c in form.columns]]
    full = [structure, form.help, [(c.label, c.help) for c in form.columns]]
    return tuple(hashlib.sha256(json.dumps(v, ensure_ascii=False).encode()).hexdigest() for v in (full, structure))
