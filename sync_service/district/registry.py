"""The head's workbook: the schools («Школы») and the plan («План»). Pure.

Both tabs are read with the same reader and validator as the schools' forms (their
columns are defined in ``sheets_schema/head/``), so the head's typing mistakes get the
same Russian findings with cell addresses.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from sync_service.findings import Finding, make_finding
from sync_service.forms.found import letter, summarise
from sync_service.forms.layout import form_names
from sync_service.forms.schema import Form, Schema
from sync_service.forms.validation import cell_finding, parse_form
from sync_service.model import Collection, FormResult, PlanEvent, SchoolEntry, collection_key, school_code
from sync_service.stores.base import Workbook


@dataclass
class Registry:
    schools: list[SchoolEntry] = field(default_factory=list)
    collections: list[Collection] = field(default_factory=list)
    events: list[PlanEvent] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    academic_year: str = ""
    schools_tab: bool = True      # «Школы» was there
    default_plan: bool = False    # «План» gave no collection: the default calendar applies
    duplicates: dict[str, tuple[int, ...]] = field(default_factory=dict)  # code -> the rows of «Школы» with it
    held: dict[str, int] = field(default_factory=dict)  # code -> its row of «Школы», which has a mistake to fix
    years: tuple[str, ...] = ()   # every academic year «План» has rows for


def academic_year_of(day: date) -> str:
    """1 Sep – 31 Aug: 2026-11-22 -> "2026/2027"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}"


def year_start(academic_year: str) -> int:
    return int(academic_year[:4])


def shifted_year(academic_year: str, years: int) -> str:
    """"2026/2027" moved by ``years``: 1 -> "2027/2028", -1 -> "2025/2026"."""
    start = year_start(academic_year) + years
    return f"{start}/{start + 1}"


def is_academic_year(text: str) -> bool:
    """"2026/2027" (also "2026-2027"): two consecutive years."""
    parts = str(text).strip().replace("-", "/").split("/")
    return len(parts) == 2 and all(p.isdigit() and len(p) == 4 for p in parts) and int(parts[1]) == int(parts[0]) + 1


def default_deadline(month: int, academic_year: str) -> date:
    """The last day of ``month`` within the academic year (September belongs to its first year)."""
    year = year_start(academic_year) + (0 if month >= 9 else 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def default_collections(schema: Schema, academic_year: str) -> list[Collection]:
    """The yearly calendar of DOMAIN.md with default deadlines: used when «План» has no rows."""
    collections = []
    for form in schema.forms.values():
        campaigns = schema.campaigns if form.per_campaign else (None,)
        for campaign in campaigns:
            month = campaign.month if campaign else form.deadline_month
            deadline = default_deadline(month, academic_year) if month else None
            collections.append(Collection(collection_key(form, campaign), form, academic_year, deadline, campaign))
    return _in_calendar_order(collections)


def _in_calendar_order(collections: list[Collection]) -> list[Collection]:
    far = date.max
    return sorted(collections, key=lambda c: (c.deadline or far, c.key))


def read_registry(workbook: Workbook, schema: Schema, *, academic_year: str) -> Registry:
    """Schools and the plan of ``academic_year`` from the head's workbook."""
    registry = Registry(academic_year=academic_year)
    schools_form, plan_form = schema.head["schools"], schema.head["plan"]

    result = parse_form(schools_form, workbook.sheet(schools_form.tab), tab=schools_form.tab)
    registry.findings.extend(result.findings)
    registry.schools_tab = result.present
    bad_rows = result.blocked_rows
    bad_codes = {f.row for f in result.findings if f.blocking and f.column_key == "code"}
    by_code: dict[str, list[dict]] = {}
    for row in result.rows:
        if row["_row"] in bad_rows and row["_row"] not in bad_codes and isinstance(row.get("code"), str):
            # A mistake in another cell of a school's row: the school keeps what Svod knew of it
            registry.held[school_code(row["code"])] = row["_row"]
            continue
        if row["_row"] in bad_rows or not row.get("code") or not row.get("name"):
            continue
        by_code.setdefault(school_code(row["code"]), []).append(row)
    for code, rows in by_code.items():
        if len(rows) > 1:  # neither row wins: both reported, the previous assignment stays
            registry.duplicates[code] = tuple(row["_row"] for row in rows)
            registry.findings.extend(_duplicate_findings(schools_form, result, code, rows))
            continue
        (row,) = rows
        registry.schools.append(SchoolEntry(
            code=code, name=row["name"], librarian=row.get("librarian") or "",
            email=row.get("email") or "", workbook=row.get("workbook") or "",
            active=row.get("active") is not False,
        ))

    plan = parse_form(plan_form, workbook.sheet(plan_form.tab), tab=plan_form.tab)
    # A missing «План» is not the head's mistake to fix first: the default calendar applies.
    registry.findings.extend(f for f in plan.findings if f.code != "missing-tab")
    bad_rows = plan.blocked_rows
    seen: set[str] = set()
    registry.years = tuple(sorted({row["academic_year"] for row in plan.rows
                                   if row["_row"] not in bad_rows and row.get("academic_year")}))
    for row in plan.rows:
        if row["_row"] in bad_rows or row.get("academic_year") != academic_year:
            continue
        item = _plan_row(row, schema, academic_year, plan_form.tab, registry.findings, plan.positions)
        if isinstance(item, Collection):
            if item.key not in seen:
                seen.add(item.key)
                registry.collections.append(item)
        elif item is not None:
            registry.events.append(item)
    if not registry.collections:
        registry.collections = default_collections(schema, academic_year)
        registry.default_plan = True
    else:
        registry.collections = _in_calendar_order(registry.collections)
    registry.events.sort(key=lambda e: (e.date or date.max, e.title))
    registry.findings, _ = summarise(registry.findings)  # «План»'s own findings too: bounded
    return registry


def _duplicate_findings(form: Form, result: FormResult, code: str, rows: list[dict]) -> list[Finding]:
    """``duplicate-school-code`` on every row of one code, each naming the others' cells."""
    col = result.positions.get("code", 1)
    cells = {row["_row"]: f"{letter(col)}{row['_row']}" for row in rows}
    return [cell_finding(form, result, "duplicate-school-code", row=row["_row"], column_key="code", value=code,
                         others=", ".join(cells[other["_row"]] for other in rows if other is not row))
            for row in rows]


_KEY_CHARS = re.compile(r"[^a-z_]")


def _titled(schema: Schema, text: str):
    """The form of that title (case and spaces as people type them), or None."""
    wanted = " ".join(text.split()).casefold()
    return next((f for f in schema.forms.values() if " ".join(f.title.split()).casefold() == wanted), None)


def named_form(schema: Schema, text: str) -> Form | None:
    """The form «План»'s «Сбор» names: by its title, as the dropdown offers it (a shipped form
    or one of the head's from «Формы»), or by the key older workbooks carry (``staffing``)."""
    text = (text or "").strip()
    if not text:
        return None
    return _titled(schema, text) or schema.forms.get(_KEY_CHARS.sub("", text.lower()))


def form_names_text(schema: Schema) -> str:
    """The names «Сбор» accepts, as a finding lists them: «Итоги конкурсов»; «…»."""
    return "; ".join(f"«{name}»" for name in form_names(schema))


def _plan_row(row: dict, schema: Schema, academic_year: str, tab: str, findings: list[Finding],
              positions: dict[str, int]):
    columns = {c.key: c.label for c in schema.head["plan"].columns}
    form_key = (row.get("collection") or "").strip()
    campaign_text = (row.get("campaign") or "").strip()
    if not form_key:
        title = row.get("title") or campaign_text
        if not title:
            return None
        return PlanEvent(title=title, academic_year=academic_year, date=row.get("deadline"), campaign=campaign_text)

    def finding(code: str, column: str, **params) -> None:
        col = positions.get(column)
        findings.append(make_finding(code, form="plan", sheet=tab, row=row["_row"], column=columns[column],
                                     column_key=column, address=f"{letter(col)}{row['_row']}" if col else None,
                                     **params))

    form = named_form(schema, form_key)
    if form is None:
        finding("unknown-form", "collection", value=form_key, choices=form_names_text(schema))
        return None
    campaign = None
    if form.per_campaign:
        names = "; ".join(c.title for c in schema.campaigns)
        if not campaign_text:
            finding("missing-campaign", "campaign", choices=names)
            return None
        campaign = schema.campaign(campaign_text)
        if campaign is None:
            finding("unknown-campaign", "campaign", value=campaign_text, choices=names)
            return None
    deadline = row.get("deadline")
    if deadline is None:
        month = campaign.month if campaign else form.deadline_month
        deadline = default_deadline(month, academic_year) if month else None
    return Collection(collection_key(form, campaign), form, academic_year, deadline, campaign, row.get("title") or "")
