"""Plain domain values passed between the pure modules (no I/O here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sync_service.findings import ERROR, MORE, Finding
from sync_service.forms.schema import Campaign, Form, campaign_tab
from sync_service.forms.table import Table


@dataclass(frozen=True)
class Collection:
    """One form to collect from every school in one academic year, by a deadline.

    ``key`` is the form key, or ``form.campaign`` for per-campaign forms
    (``event_report.month``).
    """

    key: str
    form: Form
    academic_year: str
    deadline: date | None
    campaign: Campaign | None = None
    title: str = ""

    @property
    def tab(self) -> str:
        return campaign_tab(self.form, self.campaign)

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        return f"{self.form.title}: {self.campaign.title}" if self.campaign else self.form.title


def collection_key(form: Form, campaign: Campaign | None) -> str:
    return f"{form.key}.{campaign.code}" if campaign else form.key


def school_code(text: object) -> str:
    """A school code as Svod keeps it everywhere — the registry, the database, URLs,
    workbook titles, reminders: without spaces, in lower case. « SCH05 » and «sch05» are
    one school; two rows of «Школы» that come to the same code are a duplicate."""
    return "".join(str(text or "").split()).casefold()


def titled_after(title: str, code: str) -> bool:
    """A workbook title names the school ``code`` («sch05 МБОУ СОШ №5», «SCH05»)."""
    first = title.split(maxsplit=1)
    return bool(first) and school_code(first[0]) == school_code(code)


@dataclass(frozen=True)
class SchoolEntry:
    """A row of the head's «Школы» tab."""

    code: str
    name: str
    librarian: str = ""
    email: str = ""
    workbook: str = ""
    active: bool = True


@dataclass(frozen=True)
class PlanEvent:
    """A row of «План» that is not a collection: a meeting, a seminar, a campaign."""

    title: str
    academic_year: str
    date: date | None
    campaign: str = ""


@dataclass
class FormResult:
    """What one tab of one school's workbook says, parsed and validated.

    ``table`` holds the data rows as columns (:class:`~sync_service.forms.table.Table`): every
    column of the form, and each row's sheet row number. A record form has exactly one
    row (without a sheet row) when anything was typed. ``rows`` gives the same rows as
    dicts (column keys and ``_row``), for code that thinks in rows. ``computed`` holds the
    form's computed values: for a record form ``{key: value}``; for a table form
    ``{key: [value per row]}``.
    """

    form: str
    sheet: str
    present: bool = True
    ready: bool = False
    ready_date: date | None = None
    table: Table = field(default_factory=Table)
    computed: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # column key -> the 1-based column it was found in (for A1 addresses of later checks)
    positions: dict[str, int] = field(default_factory=dict)
    # findings folded into a «more-findings» one (``forms.found.summarise``), per severity
    folded: dict[str, int] = field(default_factory=dict)
    # the sheet rows with a blocking finding, the folded ones too: kept out of the order
    blocked_rows: frozenset[int] = frozenset()
    # record forms: field key -> the A1 address of its value («B7»), kept with the snapshot
    # so that next year's checks can say where last year's value is
    places: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.table.records()

    @property
    def has_data(self) -> bool:
        return len(self.table) > 0

    @property
    def errors(self) -> int:
        """Blocking findings, the folded ones counted one by one."""
        return sum(1 for f in self.findings if f.blocking and f.code != MORE) + self.folded.get(ERROR, 0)

    @property
    def warnings(self) -> int:
        return (sum(1 for f in self.findings if not f.blocking and f.code != MORE)
                + sum(n for severity, n in self.folded.items() if severity != ERROR))

    @property
    def record(self) -> dict[str, Any]:
        return self.rows[0] if self.rows else {}
