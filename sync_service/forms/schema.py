"""Forms as data: load and check the YAML files of ``sheets_schema/``.

A :class:`Form` says what a tab of a school workbook holds: its columns (each with a
stable ``key`` that never changes, whatever the Russian label becomes), the rules
across columns and the values computed from a row (their expressions:
:mod:`sync_service.forms.expressions`). Adding a form or a column is a
YAML change only.

Mistakes in the schema files are the developer's, not a librarian's, so they raise
:class:`SchemaError` naming the file and the path inside it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from sheets_schema import SCHEMA_DIR
from sync_service.forms.aggregate import AGGREGATES, ORDERED_TYPES, default_aggregate
from sync_service.forms.expressions import COMPARISONS, Expression, compile_expression

COLUMN_TYPES = (
    "text", "integer", "number", "percent", "date", "choice", "bool",
    "url", "email", "phone", "grade", "fpu_code",
)
NUMERIC_TYPES = ("integer", "number", "percent", "grade")
SHAPES = ("table", "record")
SEVERITIES = ("error", "warning")
RULE_OPERATORS = tuple(COMPARISONS)
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class SchemaError(Exception):
    """A schema file is wrong: ``file`` and ``path`` say where, ``message`` what."""

    def __init__(self, file: str | Path, path: str, message: str):
        self.file, self.path, self.message = str(file), path, message
        super().__init__(f"{file}: {path}: {message}" if path else f"{file}: {message}")


# --- the schema ---------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str
    required: bool = False
    choices: tuple[str, ...] | None = None
    choices_list: str | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    help: str = ""
    personal: bool = False
    aliases: tuple[str, ...] = ()
    width: int | None = None
    max_length: int | None = None   # characters a text may have (the database keeps no more)
    aggregate: str | None = None   # how its district total is made (None: by type, see forms.aggregate)

    @property
    def aggregation(self) -> str:
        """``sum``, ``mean``, ``min``, ``max``, ``count`` or ``none``: what a totals row shows."""
        return self.aggregate or default_aggregate(self.type, self.min)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label a header may carry for this column (the label first)."""
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class Rule:
    """A check across columns of one row: ``left op right`` (DHIS2 validation rule)."""

    key: str
    left: Expression
    op: str
    right: Expression
    message: str
    severity: str = "error"
    tolerance: float = 0.0

    def holds(self, values: Mapping[str, Any]) -> bool | None:
        """True/False, or None when a side is missing (the rule is skipped)."""
        a, b = self.left(values), self.right(values)
        if a is None or b is None:
            return None
        return COMPARISONS[self.op](a, b, self.tolerance)


@dataclass(frozen=True)
class Computed:
    """A value computed from a record or row, e.g. читаемость = loans / readers."""

    key: str
    label: str
    expr: Expression
    digits: int = 1
    percent: bool = False

    def value(self, values: Mapping[str, Any]) -> float | None:
        result = self.expr(values)
        return None if result is None else round(result, self.digits)


@dataclass(frozen=True)
class NamedCheck:
    """One of a form's ``checks:``, bound at load to its function (see
    :mod:`sync_service.forms.checks`): ``check(form, result, context) -> findings``."""

    name: str
    run: Callable[..., list] = field(repr=False, compare=False)

    def __call__(self, form: Form, result: Any, context: Mapping[str, Any]) -> list:
        return self.run(form, result, context)


# A compared value of a table form that is the number of its rows, not a column's sum.
ROWS = "rows"


@dataclass(frozen=True)
class YearCompare:
    """One value compared with the school's own of last year (DHIS2's min–max idea): more
    than ``factor`` times last year's, or less than its ``1/factor``, is worth a second look.

    ``key`` is a numeric column: a record form's field, or the sum of a table form's column;
    :data:`ROWS` is the number of a table's rows (``label`` says what they count). Values
    below ``at_least`` on both sides are not compared (small counts jump for real)."""

    key: str
    label: str
    factor: float
    at_least: float = 0.0


@dataclass(frozen=True)
class YearOverYear:
    """A form's ``year_over_year:``: values compared with last year's, and values that may
    only grow or stay (the date of the last inventory)."""

    compare: tuple[YearCompare, ...] = ()
    never_decrease: tuple[str, ...] = ()


@dataclass(frozen=True)
class CarryOver:
    """A form's ``carry_over:``: what a new year's tab starts with, from last year's tabs of
    the same school, for the librarian to confirm rather than retype. ``rows``: a table
    form's rows as typed (the staff list, the УМК in use); ``fields``: a record form's field
    -> the first of (form, column) of last year that has a number (the fund at the start
    of the year = last year's end); ``note`` says what it is, in Russian."""

    note: str
    rows: bool = False
    fields: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Campaign:
    code: str
    title: str
    short: str
    month: int


@dataclass(frozen=True)
class Form:
    key: str
    title: str
    tab: str
    shape: str
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    computed: tuple[Computed, ...] = ()
    deadline_month: int | None = None
    per_campaign: bool = False
    help: str = ""
    checks: tuple[NamedCheck, ...] = ()
    year_over_year: YearOverYear | None = None
    carry_over: CarryOver | None = None

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def personal_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.columns if c.personal)

    @property
    def numeric_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.type in ("integer", "number"))

    @property
    def totalled(self) -> tuple[Column, ...]:
        """The columns a totals row fills (their aggregation is not ``none``)."""
        return tuple(c for c in self.columns if c.aggregation != "none")


@dataclass(frozen=True)
class Schema:
    forms: dict[str, Form]
    head: dict[str, Form]
    lists: dict[str, tuple[str, ...]]
    campaigns: tuple[Campaign, ...]

    def with_forms(self, forms: Mapping[str, Form]) -> Schema:
        """This schema with ``forms`` (the head's, from her «Формы») after its own."""
        return replace(self, forms={**self.forms, **{k: f for k, f in forms.items() if k not in self.forms}})

    def campaign(self, code_or_title: str) -> Campaign | None:
        wanted = " ".join(str(code_or_title).split()).casefold()
        for campaign in self.campaigns:
            if wanted in (campaign.code.casefold(), campaign.title.casefold(), campaign.short.casefold()):
                return campaign
        return None


# --- loading ------------------------------------------------------------------------

_COLUMN_FIELDS = {"key", "label", "type", "required", "choices", "min", "max", "pattern",
                  "pattern_message", "help", "personal", "aliases", "width", "max_length",
                  "aggregate"}
_FORM_FIELDS = {"key", "title", "tab", "shape", "columns", "key_columns", "rules", "computed",
                "deadline_month", "per_campaign", "help", "checks", "year_over_year",
                "carry_over"}
_RULE_FIELDS = {"key", "left", "op", "right", "message", "severity", "tolerance"}
_COMPUTED_FIELDS = {"key", "label", "expr", "digits", "percent"}
_YEAR_FIELDS = {"factor", "compare", "never_decrease"}
_COMPARE_FIELDS = {"key", "label", "factor", "at_least"}
# Excel refuses tab names longer than 31 characters or with these characters.
_TAB_FORBIDDEN = set("[]:*?/\\")


class _Checker:
    """Reads one YAML file's mapping, raising SchemaError with the path of a mistake."""

    def __init__(self, file: str | Path):
        self.file = file

    def fail(self, path: str, message: str):
        raise SchemaError(self.file, path, message)

    def mapping(self, value, path: str, allowed: set[str], required: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            self.fail(path, "expected a mapping")
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.fail(f"{path}.{unknown[0]}" if path else unknown[0],
                      f"unknown field (expected one of: {', '.join(sorted(allowed))})")
        for name in required:
            if value.get(name) in (None, ""):
                self.fail(f"{path}.{name}" if path else name, "required field is missing")
        return value

    def text(self, value, path: str) -> str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.fail(path, "expected text")
        return str(value).strip()

    def key(self, value, path: str) -> str:
        value = self.text(value, path)
        if not KEY_PATTERN.match(value):
            self.fail(path, f"{value!r} is not a key (lower-case latin letters, digits, _)")
        return value

    def number(self, value, path: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, "expected a number")
        return value

    def flag(self, value, path: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(path, "expected true or false")
        return value

    def strings(self, value, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, "expected a list")
        return tuple(self.text(item, f"{path}[{i}]") for i, item in enumerate(value))

    def expression(self, value, path: str, numeric: set[str]) -> Expression:
        try:
            expr = compile_expression(self.text(value, path))
        except ValueError as exc:
            self.fail(path, str(exc))
        for name in expr.names:
            if name not in numeric:
                self.fail(path, f"{name!r} is not a numeric column of this form")
        return expr


def _load_yaml(file: Path):
    try:
        with open(file, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SchemaError(file, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise SchemaError(file, "", f"cannot read: {exc.strerror}") from exc


def _column(check: _Checker, raw, path: str, lists: dict[str, tuple[str, ...]]) -> Column:
    raw = check.mapping(raw, path, _COLUMN_FIELDS, ("key", "label", "type"))
    ctype = check.text(raw["type"], f"{path}.type")
    if ctype not in COLUMN_TYPES:
        check.fail(f"{path}.type", f"unknown type {ctype!r} (expected one of: {', '.join(COLUMN_TYPES)})")
    choices, choices_list = None, None
    raw_choices = raw.get("choices")
    if ctype == "choice":
        if isinstance(raw_choices, str):
            if raw_choices not in lists:
                check.fail(f"{path}.choices", f"unknown list {raw_choices!r} (lists: {', '.join(sorted(lists))})")
            choices, choices_list = lists[raw_choices], raw_choices
        else:
            choices = check.strings(raw_choices, f"{path}.choices")
        if not choices:
            check.fail(f"{path}.choices", "a choice column needs choices (a list or the name of a list)")
    elif raw_choices is not None:
        check.fail(f"{path}.choices", "choices are only for columns of type choice")
    low, high = check.number(raw.get("min"), f"{path}.min"), check.number(raw.get("max"), f"{path}.max")
    if low is not None and high is not None and low > high:
        check.fail(f"{path}.min", "min is greater than max")
    pattern = raw.get("pattern")
    if pattern is not None:
        pattern = check.text(pattern, f"{path}.pattern")
        try:
            re.compile(pattern)
        except re.error as exc:
            check.fail(f"{path}.pattern", f"not a regular expression: {exc}")
    width, max_length = raw.get("width"), raw.get("max_length")
    for name, number in (("width", width), ("max_length", max_length)):
        if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number <= 0):
            check.fail(f"{path}.{name}", "expected a positive whole number")
    how = raw.get("aggregate")
    if how is not None:
        how = check.text(how, f"{path}.aggregate")
        if how not in AGGREGATES:
            check.fail(f"{path}.aggregate", f"unknown aggregate {how!r} (expected one of: {', '.join(AGGREGATES)})")
        if how in ("sum", "mean") and ctype not in ("integer", "number", "percent"):
            check.fail(f"{path}.aggregate", f"{how} needs a number column (integer, number or percent), not {ctype}")
        if how in ("min", "max") and ctype not in ORDERED_TYPES:
            check.fail(f"{path}.aggregate", f"{how} needs a column of numbers or dates, not {ctype}")
    return Column(
        key=check.key(raw["key"], f"{path}.key"),
        label=check.text(raw["label"], f"{path}.label"),
        type=ctype,
        required=check.flag(raw.get("required"), f"{path}.required"),
        choices=choices,
        choices_list=choices_list,
        min=low,
        max=high,
        pattern=pattern,
        pattern_message=raw.get("pattern_message"),
        help=check.text(raw.get("help", ""), f"{path}.help"),
        personal=check.flag(raw.get("personal"), f"{path}.personal"),
        aliases=check.strings(raw.get("aliases"), f"{path}.aliases"),
        width=width,
        max_length=max_length,
        aggregate=how,
    )


def load_form(file: Path, lists: dict[str, tuple[str, ...]], checks: Mapping[str, Callable[..., list]]) -> Form:
    """One form file; ``checks``: the named checks its ``checks:`` may name."""
    return form_from_mapping(_load_yaml(file), lists, checks, file=file)


def form_from_mapping(raw: Any, lists: dict[str, tuple[str, ...]], checks: Mapping[str, Callable[..., list]], *,
                      file: str | Path) -> Form:
    """A form from the mapping a form file holds (also the head's forms of «Формы», turned
    into that mapping); mistakes raise :class:`SchemaError` naming ``file``."""
    check = _Checker(file)
    raw = check.mapping(raw, "", _FORM_FIELDS, ("key", "title", "tab", "shape", "columns"))
    shape = check.text(raw["shape"], "shape")
    if shape not in SHAPES:
        check.fail("shape", f"unknown shape {shape!r} (expected table or record)")
    tab = check.text(raw["tab"], "tab")
    if len(tab) > 31 or _TAB_FORBIDDEN & set(tab):
        check.fail("tab", "a tab name has at most 31 characters and none of [ ] : * ? / \\")
    if not isinstance(raw["columns"], list) or not raw["columns"]:
        check.fail("columns", "expected a non-empty list of columns")
    columns = tuple(_column(check, c, f"columns[{i}]", lists) for i, c in enumerate(raw["columns"]))
    seen_keys: set[str] = set()
    seen_labels: dict[str, int] = {}
    for i, column in enumerate(columns):
        if column.key in seen_keys:
            check.fail(f"columns[{i}].key", f"duplicate column key {column.key!r}")
        seen_keys.add(column.key)
        for label in column.labels:
            folded = " ".join(label.split()).casefold()
            if folded in seen_labels and seen_labels[folded] != i:
                check.fail(f"columns[{i}].label", f"label {label!r} is also used by columns[{seen_labels[folded]}]")
            seen_labels[folded] = i
    key_columns = check.strings(raw.get("key_columns"), "key_columns")
    for i, key in enumerate(key_columns):
        if key not in seen_keys:
            check.fail(f"key_columns[{i}]", f"{key!r} is not a column of this form")
    numeric = {c.key for c in columns if c.type in NUMERIC_TYPES}
    rules = []
    for i, rule in enumerate(raw.get("rules") or []):
        path = f"rules[{i}]"
        rule = check.mapping(rule, path, _RULE_FIELDS, ("key", "left", "op", "right", "message"))
        op = check.text(rule["op"], f"{path}.op")
        if op not in RULE_OPERATORS:
            check.fail(f"{path}.op", f"unknown operator {op!r} (expected one of: {' '.join(RULE_OPERATORS)})")
        severity = check.text(rule.get("severity", "error"), f"{path}.severity")
        if severity not in SEVERITIES:
            check.fail(f"{path}.severity", "expected error or warning")
        rules.append(Rule(
            key=check.key(rule["key"], f"{path}.key"),
            left=check.expression(rule["left"], f"{path}.left", numeric),
            op=op,
            right=check.expression(rule["right"], f"{path}.right", numeric),
            message=check.text(rule["message"], f"{path}.message"),
            severity=severity,
            tolerance=check.number(rule.get("tolerance"), f"{path}.tolerance") or 0.0,
        ))
    computed = []
    for i, item in enumerate(raw.get("computed") or []):
        path = f"computed[{i}]"
        item = check.mapping(item, path, _COMPUTED_FIELDS, ("key", "label", "expr"))
        digits = item.get("digits", 1)
        if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 6:
            check.fail(f"{path}.digits", "expected a whole number from 0 to 6")
        computed.append(Computed(
            key=check.key(item["key"], f"{path}.key"),
            label=check.text(item["label"], f"{path}.label"),
            expr=check.expression(item["expr"], f"{path}.expr", numeric),
            digits=digits,
            percent=check.flag(item.get("percent"), f"{path}.percent"),
        ))
    month = raw.get("deadline_month")
    if month is not None and (not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12):
        check.fail("deadline_month", "expected a month number from 1 to 12")
    named = []
    for i, name in enumerate(check.strings(raw.get("checks"), "checks")):
        if name not in checks:
            known = ", ".join(sorted(checks)) or "none"
            check.fail(f"checks[{i}]", f"unknown check {name!r}: no such check is known to Svod (known: {known})")
        named.append(NamedCheck(name, checks[name]))
    return Form(
        key=check.key(raw["key"], "key"),
        title=check.text(raw["title"], "title"),
        tab=tab,
        shape=shape,
        columns=columns,
        key_columns=key_columns,
        rules=tuple(rules),
        computed=tuple(computed),
        deadline_month=month,
        per_campaign=check.flag(raw.get("per_campaign"), "per_campaign"),
        help=" ".join(check.text(raw.get("help", ""), "help").split()),
        checks=tuple(named),
        year_over_year=_year_over_year(check, raw.get("year_over_year"), shape, columns),
        carry_over=_carry_over(check, raw.get("carry_over"), shape, columns),
    )


def _factor(check: _Checker, value, path: str, default: float) -> float:
    factor = check.number(value, path)
    if factor is None:
        return default
    if factor <= 1:
        check.fail(path, "a factor must be greater than 1 (3 means: more than 3 times or less than a third)")
    return float(factor)


def _year_over_year(check: _Checker, raw, shape: str, columns: tuple[Column, ...]) -> YearOverYear | None:
    """``year_over_year:`` of a form: ``factor`` (default 3), ``compare`` (column keys, or
    mappings with ``key``, ``label``, ``factor``, ``at_least``; a table form may compare
    ``rows``, the number of its rows), ``never_decrease`` (numeric or date fields of a
    record form)."""
    if raw is None:
        return None
    raw = check.mapping(raw, "year_over_year", _YEAR_FIELDS, ())
    default = _factor(check, raw.get("factor"), "year_over_year.factor", 3.0)
    by_key = {c.key: c for c in columns}
    compare = []
    items = raw.get("compare") or []
    if not isinstance(items, list):
        check.fail("year_over_year.compare", "expected a list")
    for i, item in enumerate(items):
        path = f"year_over_year.compare[{i}]"
        item = {"key": item} if isinstance(item, str) else check.mapping(item, path, _COMPARE_FIELDS, ("key",))
        key = check.key(item["key"], f"{path}.key")
        if key == ROWS and shape == "table":
            label = check.text(item.get("label", "Строк в таблице"), f"{path}.label")
        elif key in by_key and by_key[key].type in ("integer", "number"):
            label = check.text(item.get("label", by_key[key].label), f"{path}.label")
        else:
            rows = " (or rows: the number of rows)" if shape == "table" else ""
            check.fail(f"{path}.key", f"{key!r} is not an integer or number column of this form{rows}")
        at_least = check.number(item.get("at_least"), f"{path}.at_least") or 0.0
        if at_least < 0:
            check.fail(f"{path}.at_least", "expected a number of at least 0")
        compare.append(YearCompare(key, label, _factor(check, item.get("factor"), f"{path}.factor", default),
                                   float(at_least)))
    never = check.strings(raw.get("never_decrease"), "year_over_year.never_decrease")
    for i, key in enumerate(never):
        column = by_key.get(key)
        if shape != "record" or column is None or column.type not in ("integer", "number", "date"):
            check.fail(f"year_over_year.never_decrease[{i}]",
                       f"{key!r} is not an integer, number or date field of this record form")
    if not compare and not never:
        check.fail("year_over_year", "name values to compare (compare) or that never decrease (never_decrease)")
    return YearOverYear(tuple(compare), never)


def _carry_over(check: _Checker, raw, shape: str, columns: tuple[Column, ...]) -> CarryOver | None:
    """``carry_over:``: ``note`` (required), ``rows: true`` (table forms) or ``fields:``
    (record forms: a field key -> a list of ``form.column`` to take it from, first found).
    Whether those forms and columns exist is checked once every form is loaded."""
    if raw is None:
        return None
    raw = check.mapping(raw, "carry_over", {"note", "rows", "fields"}, ("note",))
    rows = check.flag(raw.get("rows"), "carry_over.rows")
    if rows and shape != "table":
        check.fail("carry_over.rows", "rows are carried over only by table forms")
    fields: dict[str, tuple[tuple[str, str], ...]] = {}
    by_key = {c.key: c for c in columns}
    raw_fields = raw.get("fields") or {}
    if not isinstance(raw_fields, dict):
        check.fail("carry_over.fields", "expected a mapping of a field to the columns it comes from")
    for key, sources in raw_fields.items():
        path = f"carry_over.fields.{key}"
        if shape != "record" or key not in by_key:
            check.fail(path, f"{key!r} is not a field of this record form")
        parsed = []
        for i, source in enumerate(check.strings(sources if isinstance(sources, list) else [sources], path)):
            form_key, _, column_key = source.partition(".")
            if not form_key or not column_key:
                check.fail(f"{path}[{i}]", f"{source!r}: expected form.column, e.g. annual_report.fund_total")
            parsed.append((form_key, column_key))
        fields[key] = tuple(parsed)
    if not rows and not fields:
        check.fail("carry_over", "say what is carried over: rows: true or fields:")
    return CarryOver(check.text(raw["note"], "carry_over.note"), rows, fields)


def _check_carried(root: Path, forms: dict[str, Form]) -> None:
    """Every ``carry_over.fields`` source names a numeric column of a form that exists."""
    for form in forms.values():
        for key, sources in (form.carry_over.fields if form.carry_over else {}).items():
            for i, (form_key, column_key) in enumerate(sources):
                source = forms.get(form_key)
                column = next((c for c in source.columns if c.key == column_key), None) if source else None
                if column is None or column.type not in ("integer", "number"):
                    raise SchemaError(root / "forms" / f"{form.key}.yaml", f"carry_over.fields.{key}[{i}]",
                                      f"{form_key}.{column_key} is not an integer or number column of a form")


def _load_lists(file: Path) -> tuple[dict[str, tuple[str, ...]], tuple[Campaign, ...]]:
    check = _Checker(file)
    raw = check.mapping(_load_yaml(file), "", {"lists", "campaigns"}, ("lists",))
    if not isinstance(raw["lists"], dict):
        check.fail("lists", "expected a mapping of list name to values")
    lists = {}
    for name, values in raw["lists"].items():
        values = check.strings(values, f"lists.{name}")
        if not values:
            check.fail(f"lists.{name}", "a list needs at least one value")
        lists[check.key(name, f"lists.{name}")] = values
    campaigns = []
    for i, item in enumerate(raw.get("campaigns") or []):
        path = f"campaigns[{i}]"
        item = check.mapping(item, path, {"code", "title", "short", "month"}, ("code", "title", "short", "month"))
        month = item["month"]
        if not isinstance(month, int) or not 1 <= month <= 12:
            check.fail(f"{path}.month", "expected a month number from 1 to 12")
        campaigns.append(Campaign(check.key(item["code"], f"{path}.code"), check.text(item["title"], f"{path}.title"),
                                  check.text(item["short"], f"{path}.short"), month))
    return lists, tuple(campaigns)


def _load_forms(folder: Path, lists, checks) -> dict[str, Form]:
    forms: dict[str, Form] = {}
    for file in sorted(folder.glob("*.yaml")):
        form = load_form(file, lists, checks)
        if form.key != file.stem:
            raise SchemaError(file, "key", f"the key {form.key!r} must match the file name {file.stem!r}")
        forms[form.key] = form
    return forms


# The calendar order of the forms: the academic year starts in September.
def _calendar_order(form: Form) -> tuple[int, str]:
    month = form.deadline_month or 13
    return ((month - 9) % 12 if month <= 12 else 12, form.key)


def load_schema(directory: str | Path | None = None, *, checks: Mapping[str, Callable[..., list]] | None = None
                ) -> Schema:
    """Load every form of ``directory`` (default: the shipped ``sheets_schema/``).

    ``checks``: the named checks forms may name (default: the ones Svod ships,
    :func:`sync_service.forms.checks.default_checks`); a form naming another fails to load."""
    if checks is None:
        from sync_service.forms.checks import default_checks  # it imports this module

        checks = default_checks()
    root = Path(directory) if directory else SCHEMA_DIR
    lists, campaigns = _load_lists(root / "lists.yaml")
    forms = _load_forms(root / "forms", lists, checks)
    if not forms:
        raise SchemaError(root / "forms", "", "no form files (*.yaml) found")
    tabs: dict[str, str] = {}
    for form in forms.values():
        if form.tab in tabs:
            raise SchemaError(root / "forms" / f"{form.key}.yaml", "tab",
                              f"tab {form.tab!r} is also used by form {tabs[form.tab]!r}")
        tabs[form.tab] = form.key
        if form.per_campaign and not campaigns:
            raise SchemaError(root / "forms" / f"{form.key}.yaml", "per_campaign", "no campaigns in lists.yaml")
        if form.per_campaign:
            for campaign in campaigns:
                tab = campaign_tab(form, campaign)
                if len(tab) > 31:
                    raise SchemaError(root / "lists.yaml", f"campaigns.{campaign.code}.short",
                                      f"tab {tab!r} would be longer than 31 characters")
    _check_carried(root, forms)
    ordered = dict(sorted(forms.items(), key=lambda item: _calendar_order(item[1])))
    head = _load_forms(root / "head", lists, checks)
    return Schema(forms=ordered, head=head, lists=lists, campaigns=campaigns)


def campaign_tab(form: Form, campaign: Campaign | None) -> str:
    """The tab a collection lives in: one tab per campaign for per-campaign forms."""
    return f"{form.tab} — {campaign.short}" if campaign else form.tab
