"""Spreadsheets, sheets and cells, and how they serialise (to API JSON and to
the state file)."""

from __future__ import annotations

import contextlib
import copy
import json
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import a1, formulas, values
from .errors import ApiError, invalid_argument

# What Google gives every new spreadsheet (copied from recorded responses).
DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def _theme_color(kind: str, **rgb: float) -> dict[str, Any]:
    return {"colorType": kind, "color": {"rgbColor": rgb}}


DEFAULT_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        _theme_color("TEXT"),
        _theme_color("BACKGROUND", red=1, green=1, blue=1),
        _theme_color("ACCENT1", red=0.25882354, green=0.52156866, blue=0.95686275),
        _theme_color("ACCENT2", red=0.91764706, green=0.2627451, blue=0.20784314),
        _theme_color("ACCENT3", red=0.9843137, green=0.7372549, blue=0.015686275),
        _theme_color("ACCENT4", red=0.20392157, green=0.65882355, blue=0.3254902),
        _theme_color("ACCENT5", red=1, green=0.42745098, blue=0.003921569),
        _theme_color("ACCENT6", red=0.27450982, green=0.7411765, blue=0.7764706),
        _theme_color("LINK", red=0.06666667, green=0.33333334, blue=0.8),
    ],
}

LINK_COLOR = {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}
DEFAULT_ROW_PIXELS = 21
DEFAULT_COLUMN_PIXELS = 100


@dataclass
class Sheet:
    properties: dict[str, Any]
    cells: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    merges: list[dict[str, int]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    # Per-row/column DimensionProperties that differ from the defaults.
    row_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    column_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    basic_filter: dict[str, Any] | None = None

    @property
    def id(self) -> int:
        return self.properties["sheetId"]

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def grid(self) -> dict[str, Any]:
        return self.properties.setdefault("gridProperties", {})

    @property
    def row_count(self) -> int:
        return self.grid.get("rowCount", 0)

    @property
    def column_count(self) -> int:
        return self.grid.get("columnCount", 0)

    def has_value(self, row: int, col: int) -> bool:
        return bool(self.cells.get((row, col), {}).get("userEnteredValue"))

    def cell(self, row: int, col: int) -> dict[str, Any]:
        return self.cells.setdefault((row, col), {})

    def drop_if_empty(self, row: int, col: int) -> None:
        if not self.cells.get((row, col), True):
            del self.cells[(row, col)]

    def insert(self, dimension: str, start: int, count: int) -> None:
        """Insert ``count`` rows/columns before ``start``, shifting content."""
        axis = 0 if dimension == "ROWS" else 1
        self.cells = {_shift(key, axis, start, count): cell for key, cell in self.cells.items()}
        meta = self.row_meta if axis == 0 else self.column_meta
        shifted = {(i + count if i >= start else i): m for i, m in meta.items()}
        meta.clear()
        meta.update(shifted)
        for rng in self._ranges():
            _shift_range(rng, axis, start, count)
        self.grid["rowCount" if axis == 0 else "columnCount"] += count

    def delete(self, dimension: str, start: int, end: int) -> None:
        """Delete rows/columns [start, end), shifting content up/left."""
        axis = 0 if dimension == "ROWS" else 1
        count = end - start
        self.cells = {
            _shift(key, axis, end, -count): cell
            for key, cell in self.cells.items()
            if not start <= key[axis] < end
        }
        meta = self.row_meta if axis == 0 else self.column_meta
        kept = {(i - count if i >= end else i): m for i, m in meta.items() if not start <= i < end}
        meta.clear()
        meta.update(kept)
        self.merges = [m for m in self.merges if _cut_range(m, axis, start, end)]
        self.protected_ranges = [p for p in self.protected_ranges if _cut_range(p["range"], axis, start, end)]
        self.grid["rowCount" if axis == 0 else "columnCount"] -= count

    def _ranges(self) -> Iterator[dict[str, int]]:
        yield from self.merges
        for protected in self.protected_ranges:
            yield protected["range"]

    def to_json(self) -> dict[str, Any]:
        return {
            "properties": self.properties,
            "cells": [[r, c, cell] for (r, c), cell in sorted(self.cells.items())],
            "merges": self.merges,
            "protectedRanges": self.protected_ranges,
            "rowMeta": [[i, m] for i, m in sorted(self.row_meta.items())],
            "columnMeta": [[i, m] for i, m in sorted(self.column_meta.items())],
            "basicFilter": self.basic_filter,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sheet:
        return cls(
            properties=data["properties"],
            cells={(r, c): cell for r, c, cell in data["cells"]},
            merges=data["merges"],
            protected_ranges=data["protectedRanges"],
            row_meta={i: m for i, m in data["rowMeta"]},
            column_meta={i: m for i, m in data["columnMeta"]},
            basic_filter=data["basicFilter"],
        )


def _shift(key: tuple[int, int], axis: int, start: int, count: int) -> tuple[int, int]:
    if key[axis] < start:
        return key
    return (key[0] + count, key[1]) if axis == 0 else (key[0], key[1] + count)


_AXIS_KEYS = {0: ("startRowIndex", "endRowIndex"), 1: ("startColumnIndex", "endColumnIndex")}


def _shift_range(rng: dict[str, int], axis: int, start: int, count: int) -> None:
    low, high = _AXIS_KEYS[axis]
    if low in rng and rng[low] >= start:
        rng[low] += count
    if high in rng and rng[high] > start:
        rng[high] += count


def _cut_range(rng: dict[str, int], axis: int, start: int, end: int) -> bool:
    """Shrink a range for deleted indexes [start, end); False if it vanished."""
    low, high = _AXIS_KEYS[axis]
    if low not in rng or high not in rng:
        return True
    count = end - start

    def moved(i: int) -> int:
        return i if i <= start else (start if i <= end else i - count)

    rng[low], rng[high] = moved(rng[low]), moved(rng[high])
    return rng[high] > rng[low]


@dataclass
class Spreadsheet:
    id: str
    properties: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)
    named_ranges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.id}/edit"

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        exact = next((s for s in self.sheets if s.title == title), None)
        if exact:
            return exact
        # Sheet names in ranges are matched case-insensitively.
        return next((s for s in self.sheets if s.title.lower() == title.lower()), None)

    def first_visible_sheet(self) -> Sheet:
        return next((s for s in self.sheets if not s.properties.get("hidden")), self.sheets[0])

    def reindex(self) -> None:
        for i, sheet in enumerate(self.sheets):
            sheet.properties["index"] = i

    def resolve(self, text: str) -> tuple[Sheet, a1.A1Range]:
        """Resolve a client range (A1 or a named range) to a sheet and bounds."""
        rng = a1.parse(text)
        if rng.sheet is None:
            return self.first_visible_sheet(), rng
        sheet = self.sheet_by_title(rng.sheet)
        if sheet is not None:
            return sheet, rng
        if rng.is_whole_sheet:
            named = next((n for n in self.named_ranges if n["name"].lower() == rng.sheet.lower()), None)
            if named is not None:
                grid = named["range"]
                sheet = self.sheet_by_id(grid.get("sheetId", 0))
                if sheet is not None:
                    return sheet, a1.A1Range(
                        sheet.title,
                        grid.get("startRowIndex"),
                        grid.get("endRowIndex"),
                        grid.get("startColumnIndex"),
                        grid.get("endColumnIndex"),
                    )
        raise invalid_argument(f"Unable to parse range: {text}")

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Undo every change made inside the block if it raises, so a failed
        batch leaves the spreadsheet as it was, as at Google. The snapshot is a
        pickle (C speed, and only unpickled when the block fails): a deep copy
        of a school's spreadsheet per batchUpdate cost more than the update."""
        snapshot = pickle.dumps((self.properties, self.sheets, self.named_ranges), pickle.HIGHEST_PROTOCOL)
        try:
            yield
        except BaseException:
            self.properties, self.sheets, self.named_ranges = pickle.loads(snapshot)
            raise

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "properties": self.properties,
            "sheets": [s.to_json() for s in self.sheets],
            "namedRanges": self.named_ranges,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Spreadsheet:
        return cls(
            id=data["id"],
            properties=data["properties"],
            sheets=[Sheet.from_json(s) for s in data["sheets"]],
            named_ranges=data["namedRanges"],
        )


def new_spreadsheet(spreadsheet_id: str, title: str, locale: str = "en_US", time_zone: str = "Etc/GMT") -> Spreadsheet:
    properties = {
        "title": title,
        "locale": locale,
        "autoRecalc": "ON_CHANGE",
        "timeZone": time_zone,
        "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
        "spreadsheetTheme": copy.deepcopy(DEFAULT_THEME),
    }
    return Spreadsheet(spreadsheet_id, properties, [new_sheet(0, "Sheet1", 0)])


def new_sheet(sheet_id: int, title: str, index: int, rows: int = 1000, columns: int = 26) -> Sheet:
    return Sheet(
        {
            "sheetId": sheet_id,
            "title": title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": rows, "columnCount": columns},
        }
    )


# -- bounds -------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """Closed-open bounds on one sheet with every end known."""

    sheet: Sheet
    start_row: int
    end_row: int
    start_col: int
    end_col: int

    @property
    def rows(self) -> int:
        return self.end_row - self.start_row

    @property
    def columns(self) -> int:
        return self.end_col - self.start_col

    def a1(self) -> str:
        return a1.format_range(self.sheet.title, self.start_row, self.end_row, self.start_col, self.end_col)


def exceeds_grid(sheet: Sheet, rng: a1.A1Range) -> ApiError:
    return invalid_argument(
        f"Range ({a1.format_original(rng, sheet.title)}) exceeds grid limits. "
        f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
    )


def clip(sheet: Sheet, rng: a1.A1Range) -> Box:
    """Bounds of a read: open ends reach the grid's edge; a start outside the
    grid is an error, an end outside it is cut off."""
    start_row = rng.start_row or 0
    start_col = rng.start_col or 0
    if (rng.start_row is not None and start_row >= sheet.row_count) or (
        rng.start_col is not None and start_col >= sheet.column_count
    ):
        raise exceeds_grid(sheet, rng)
    end_row = sheet.row_count if rng.end_row is None else min(rng.end_row, sheet.row_count)
    end_col = sheet.column_count if rng.end_col is None else min(rng.end_col, sheet.column_count)
    return Box(sheet, start_row, end_row, start_col, end_col)


def grid_box(sheet: Sheet, grid_range: dict[str, Any]) -> Box:
    """Bounds of a GridRange (missing indexes are open)."""
    return Box(
        sheet,
        grid_range.get("startRowIndex", 0),
        min(grid_range.get("endRowIndex", sheet.row_count), sheet.row_count),
        grid_range.get("startColumnIndex", 0),
        min(grid_range.get("endColumnIndex", sheet.column_count), sheet.column_count),
    )


def grid_range_json(sheet_id: int, rng: dict[str, Any]) -> dict[str, Any]:
    """A GridRange as Google prints it: sheetId 0 is left out (proto3
    default), indexes are kept even when 0."""
    out = {k: v for k, v in rng.items() if k != "sheetId"}
    if sheet_id:
        out = {"sheetId": sheet_id, **out}
    return out


# -- evaluation and rendering -------------------------------------------------


class Evaluator:
    """Computes effective values of one spreadsheet during one request,
    caching results and detecting circular references."""

    def __init__(self, spreadsheet: Spreadsheet) -> None:
        self.spreadsheet = spreadsheet
        self._cache: dict[tuple[int, int, int], dict[str, Any] | None] = {}
        self._busy: set[tuple[int, int, int]] = set()
        self._formats: dict[str, dict[str, Any]] = {}

    def effective(self, sheet: Sheet, row: int, col: int) -> dict[str, Any] | None:
        key = (sheet.id, row, col)
        if key in self._cache:
            return self._cache[key]
        entered = sheet.cells.get((row, col), {}).get("userEnteredValue")
        if not entered or "formulaValue" not in entered:
            return entered
        if key in self._busy:
            return values.extended(formulas.CIRCULAR)
        self._busy.add(key)
        try:
            result = values.effective_value(entered, lambda f: formulas.evaluate(f, self._resolver(sheet)))
        finally:
            self._busy.discard(key)
        self._cache[key] = result
        return result

    def _resolver(self, sheet: Sheet):
        def resolve(ref: str) -> list[list[Any]]:
            title, rng = formulas.reference_bounds(ref)
            target = sheet if title is None else self.spreadsheet.sheet_by_title(title)
            if target is None:
                formulas.fail(formulas.FormulaError("REF", f"Unresolved sheet name '{title}'."))
            end_row = target.row_count if rng.end_row is None else min(rng.end_row, target.row_count)
            end_col = target.column_count if rng.end_col is None else min(rng.end_col, target.column_count)
            return [
                [values.python_value(self.effective(target, r, c)) for c in range(rng.start_col or 0, end_col)]
                for r in range(rng.start_row or 0, end_row)
            ]

        return resolve

    def cell_data(self, sheet: Sheet, row: int, col: int, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """A full CellData as spreadsheets.get shows it with grid data; with
        ``fields`` (a parsed field mask under ``values``) only the top-level
        fields it names are built — the response mask trims the rest."""
        stored = sheet.cells.get((row, col))
        if not stored:
            return {}

        def wanted(key: str) -> bool:
            return fields is None or key in fields or "*" in fields

        out = {key: copy.deepcopy(value) for key, value in stored.items() if wanted(key)}
        link = ((stored.get("userEnteredFormat") or {}).get("textFormat") or {}).get("link")
        if link and link.get("uri") and wanted("hyperlink"):
            out["hyperlink"] = link["uri"]  # CellData.hyperlink: read-only, the cell-level link's target
        if not (wanted("effectiveValue") or wanted("formattedValue") or wanted("effectiveFormat")):
            return out
        effective = self.effective(sheet, row, col)
        user_format = stored.get("userEnteredFormat")
        if effective:
            if wanted("effectiveValue"):
                out["effectiveValue"] = effective
            if wanted("formattedValue"):
                out["formattedValue"] = values.formatted_value(effective, (user_format or {}).get("numberFormat"))
        if (effective or user_format) and wanted("effectiveFormat"):
            out["effectiveFormat"] = self.effective_format(user_format)
        return out

    def effective_format(self, user_format: dict[str, Any] | None) -> dict[str, Any]:
        """effective_format, computed once per distinct format in a request: the result is
        shared between cells, so it is only ever serialized, never changed."""
        key = json.dumps(user_format, sort_keys=True) if user_format else ""
        merged = self._formats.get(key)
        if merged is None:
            merged = self._formats[key] = effective_format(self.spreadsheet, user_format)
        return merged

    def render(self, sheet: Sheet, row: int, col: int, value_render: str, date_render: str) -> Any:
        stored = sheet.cells.get((row, col), {})
        number_format = stored.get("userEnteredFormat", {}).get("numberFormat")
        return values.render(
            stored.get("userEnteredValue"),
            self.effective(sheet, row, col),
            number_format,
            value_render,
            date_render,
        )


def effective_format(spreadsheet: Spreadsheet, user_format: dict[str, Any] | None) -> dict[str, Any]:
    """The spreadsheet default format overlaid with the cell's own format."""
    merged = copy.deepcopy(spreadsheet.properties.get("defaultFormat", DEFAULT_FORMAT))
    merged["hyperlinkDisplayType"] = "PLAIN_TEXT"
    link = ((user_format or {}).get("textFormat") or {}).get("link")
    if link:
        # A link is shown in the link colour, underlined, unless the same format says otherwise.
        merged["hyperlinkDisplayType"] = "LINKED"
        merged["textFormat"].update(underline=True, foregroundColor=copy.deepcopy(LINK_COLOR),
                                    foregroundColorStyle={"themeColor": "LINK"})
    _deep_update(merged, user_format or {})
    return merged


def _deep_update(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_update(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def with_color_styles(fmt: dict[str, Any]) -> dict[str, Any]:
    """Google keeps every plain colour and its *Style twin in step
    (backgroundColor <-> backgroundColorStyle.rgbColor); the plain colour
    wins when both are present."""
    fmt = copy.deepcopy(fmt)
    _sync_color(fmt, "backgroundColor", "backgroundColorStyle")
    if isinstance(fmt.get("textFormat"), dict):
        _sync_color(fmt["textFormat"], "foregroundColor", "foregroundColorStyle")
    for border in (fmt.get("borders") or {}).values():
        if isinstance(border, dict):
            _sync_color(border, "color", "colorStyle")
    return fmt


def _sync_color(holder: dict[str, Any], plain: str, style: str) -> None:
    if plain in holder:
        holder[style] = {"rgbColor": copy.deepcopy(holder[plain])}
    elif "rgbColor" in (holder.get(style) or {}):
        holder[plain] = copy.deepcopy(holder[style]["rgbColor"])
