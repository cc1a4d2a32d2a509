"""Values and tab helpers shared by the order, provision and exchange modules. Pure."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sync_service.stores.base import TabSpec

TAB_LIMIT = 31                      # Excel's limit on a tab name
_TAB_FORBIDDEN = re.compile(r'[\[\]:*?/\\"<>|]')
MONEY_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class SchoolRows:
    """One school's stored rows of one form (dicts by column key, ``_row`` = sheet row)."""

    code: str
    name: str
    rows: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class MissingSchool:
    """A school whose form is not (properly) submitted: ``status`` is its Russian label."""

    code: str
    name: str
    status: str = ""


def missing_line(missing: Sequence[MissingSchool], what: str = "не сдали заказ") -> list[list[Any]]:
    """The warning row on top of a tab: «Не сдали заказ (2): sch03 МБОУ СОШ №3 (просрочен); …»."""
    if not missing:
        return []
    names = "; ".join(f"{m.code} {m.name}" + (f" ({m.status})" if m.status else "") for m in missing)
    return [[f"⚠ {what[0].upper()}{what[1:]} ({len(missing)}): {names}"]]


def safe_tab_title(prefix: str, name: str) -> str:
    r"""``prefix + name`` within 31 characters and without []:*?/\ (names are made unique
    before: see ``consolidate.short_publisher``)."""
    name = _TAB_FORBIDDEN.sub("-", name).strip()
    room = TAB_LIMIT - len(prefix)
    return prefix + (name if len(name) <= room else name[: room - 1] + "…")


def money(value: Decimal | None) -> float | None:
    """Decimals go to a sheet as floats (stores write plain numbers)."""
    return None if value is None else float(value)


def table_tab(title: str, top: list[list[Any]], header: list[str], body: list[list[Any]], *,
              totals: Sequence[int] = (), widths: Mapping[int, int] | None = None,
              formats: Mapping[int, str] | None = None) -> TabSpec:
    """A service tab: ``top`` lines (warning, title), a frozen bold header, the body;
    ``totals`` are 0-based indexes in ``body`` of rows to show bold."""
    rows = [*top, header, *body]
    header_row = len(top) + 1
    bold = (header_row, *(header_row + 1 + i for i in totals))
    # people filter and sort the lines; a closing totals row stays out of the filter, below it
    last = header_row + len(body) - (1 if totals and totals[-1] == len(body) - 1 else 0)
    return TabSpec(title=title, rows=rows, frozen_rows=header_row, bold_rows=bold, widths=dict(widths or {}),
                   number_formats=dict(formats or {}), protected=True,
                   autofilter=(header_row, last) if header and body else None)
