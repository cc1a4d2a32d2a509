"""spreadsheets.batchUpdate: the structural and formatting requests.

A batch is atomic, as at Google: requests run one after another on the live
spreadsheet and, if one fails, the spreadsheet is restored from a copy taken
before the batch.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import fieldmask, values
from .access import email_of, open_spreadsheet
from .call import Call
from .errors import bad_field_value, invalid_argument, unknown_field
from .model import Box, Evaluator, Sheet, Spreadsheet, grid_box, grid_range_json, new_sheet, with_color_styles
from .sheets import sheet_properties_json, spreadsheet_json
from .state import DriveFile


class RequestError(Exception):
    """A problem with one request; reported as
    "Invalid requests[i].<kind>: <message>"."""


@dataclass
class Batch:
    call: Call
    file: DriveFile
    spreadsheet: Spreadsheet

    def sheet(self, sheet_id: Any) -> Sheet:
        sheet = self.spreadsheet.sheet_by_id(sheet_id or 0)
        if sheet is None:
            raise RequestError(f"No grid with id: {sheet_id or 0}")
        return sheet

    def box(self, grid_range: dict[str, Any]) -> Box:
        return grid_box(self.sheet(grid_range.get("sheetId", 0)), grid_range)

    def new_id(self, taken: set[int]) -> int:
        return self.call.state.new_small_id(taken)


def spreadsheets_batch_update(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    file, spreadsheet = open_spreadsheet(call, spreadsheet_id, write=True)
    body = call.json_body()
    requests = body.get("requests") or []
    if not requests:
        raise invalid_argument("Must specify at least one request.")
    for i, request in enumerate(requests):
        for kind in request:
            if kind not in GOOGLE_REQUEST_KINDS:
                raise unknown_field(kind, f"requests[{i}]")
    batch = Batch(call, file, spreadsheet)
    replies = []
    with spreadsheet.atomic():
        for i, request in enumerate(requests):
            kinds = list(request)
            if not kinds:
                raise invalid_argument(f"Invalid requests[{i}]: No request set.")
            if len(kinds) > 1:
                raise invalid_argument(
                    f"Invalid JSON payload received. Oneof field 'kind' is already set. Cannot set '{kinds[1]}'"
                )
            kind = kinds[0]
            handler = HANDLERS.get(kind)
            if handler is None:
                raise invalid_argument(f"Invalid requests[{i}].{kind}: this request is not supported by the Sheets emulator.")
            try:
                replies.append(handler(batch, request[kind]) or {})
            except RequestError as problem:
                raise invalid_argument(f"Invalid requests[{i}].{kind}: {problem}") from None
    file.name = spreadsheet.title  # the Drive name is the spreadsheet title
    call.state.touch(file)
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        out["updatedSpreadsheet"] = spreadsheet_json(
            spreadsheet,
            Evaluator(spreadsheet),
            bool(body.get("responseIncludeGridData")),
            body.get("responseRanges") or [],
        )
    return out


# -- sheets --------------------------------------------------------------------------


def _unique_title(spreadsheet: Spreadsheet, title: str, exclude: Sheet | None = None) -> None:
    for sheet in spreadsheet.sheets:
        if sheet is not exclude and sheet.title.lower() == title.lower():
            raise RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')


def _check_frozen(grid: dict[str, Any]) -> None:
    """Google keeps at least one row and one column out of the frozen panes
    ("You can't freeze all visible rows on the sheet.": node-google-spreadsheet issue 528)."""
    for frozen, count, what in (("frozenRowCount", "rowCount", "rows"), ("frozenColumnCount", "columnCount", "columns")):
        if grid.get(frozen, 0) and grid[frozen] >= grid.get(count, 0):
            raise RequestError(f"You can't freeze all visible {what} on the sheet.")


def add_sheet(batch: Batch, request: dict[str, Any]) -> dict[str, Any]:
    spreadsheet = batch.spreadsheet
    props = copy.deepcopy(request.get("properties") or {})
    taken = {s.id for s in spreadsheet.sheets}
    sheet_id = props.get("sheetId")
    if sheet_id is None:
        sheet_id = batch.new_id(taken)
    elif sheet_id in taken:
        raise RequestError(f"A sheet with id {sheet_id} already exists.")
    title = props.get("title")
    if not title:
        n = len(spreadsheet.sheets) + 1
        while spreadsheet.sheet_by_title(f"Sheet{n}"):
            n += 1
        title = f"Sheet{n}"
    _unique_title(spreadsheet, title)
    grid = props.get("gridProperties") or {}
    sheet = new_sheet(sheet_id, title, 0, grid.get("rowCount", 1000), grid.get("columnCount", 26))
    for key, value in grid.items():
        sheet.grid[key] = value
    _check_frozen(sheet.grid)
    for key in ("hidden", "tabColor", "tabColorStyle", "rightToLeft"):
        if key in props:
            sheet.properties[key] = props[key]
    index = props.get("index", len(spreadsheet.sheets))
    spreadsheet.sheets.insert(min(index, len(spreadsheet.sheets)), sheet)
    spreadsheet.reindex()
    return {"addSheet": {"properties": sheet_properties_json(sheet)}}


def delete_sheet(batch: Batch, request: dict[str, Any]) -> None:
    sheet = batch.sheet(request.get("sheetId"))
    remaining = [s for s in batch.spreadsheet.sheets if s is not sheet]
    if not remaining:
        raise RequestError("You can't remove all the sheets in a document.")
    if all(s.properties.get("hidden") for s in remaining):
        raise RequestError("You can't remove all the visible sheets in a document.")
    batch.spreadsheet.sheets = remaining
    batch.spreadsheet.named_ranges = [
        n for n in batch.spreadsheet.named_ranges if n["range"].get("sheetId", 0) != sheet.id
    ]
    batch.spreadsheet.reindex()


def duplicate_sheet(batch: Batch, request: dict[str, Any]) -> dict[str, Any]:
    spreadsheet = batch.spreadsheet
    source = batch.sheet(request.get("sourceSheetId"))
    copy_ = copy.deepcopy(source)
    taken = {s.id for s in spreadsheet.sheets}
    new_id = request.get("newSheetId") or batch.new_id(taken)
    if new_id in taken:
        raise RequestError(f"A sheet with id {new_id} already exists.")
    title = request.get("newSheetName") or f"Copy of {source.title}"
    _unique_title(spreadsheet, title)
    copy_.properties["sheetId"] = new_id
    copy_.properties["title"] = title
    copy_.protected_ranges = []
    index = request.get("insertSheetIndex", len(spreadsheet.sheets))
    spreadsheet.sheets.insert(min(index, len(spreadsheet.sheets)), copy_)
    spreadsheet.reindex()
    return {"duplicateSheet": {"properties": sheet_properties_json(copy_)}}


def update_sheet_properties(batch: Batch, request: dict[str, Any]) -> None:
    props = request.get("properties") or {}
    sheet = batch.sheet(props.get("sheetId"))
    mask = _required_mask(request)
    updated = copy.deepcopy(sheet.properties)
    fieldmask.apply(updated, props, mask)
    updated["sheetId"] = sheet.id  # the id is the key, never changed
    if updated.get("title") != sheet.title:
        if not updated.get("title"):
            raise RequestError("The sheet name cannot be empty.")
        _unique_title(batch.spreadsheet, updated["title"], exclude=sheet)
    if updated.get("hidden") and all(
        s.properties.get("hidden") for s in batch.spreadsheet.sheets if s is not sheet
    ):
        raise RequestError("You can't hide all the sheets in a document.")
    grid = updated.setdefault("gridProperties", {})
    for key in ("rowCount", "columnCount"):
        grid.setdefault(key, sheet.grid.get(key, 0))
        if grid[key] < 1:
            raise RequestError(f"Invalid {key}: {grid[key]}. It must be at least 1.")
    _check_frozen(grid)
    if grid["rowCount"] < sheet.row_count:
        sheet.delete("ROWS", grid["rowCount"], sheet.row_count)
    if grid["columnCount"] < sheet.column_count:
        sheet.delete("COLUMNS", grid["columnCount"], sheet.column_count)
    new_index = updated.get("index", sheet.properties["index"])
    sheet.properties = updated
    sheets = batch.spreadsheet.sheets
    if new_index != sheets.index(sheet):
        # Google reads the index as a position in the list *before* the
        # move, so moving right lands one place earlier than the number.
        old = sheets.index(sheet)
        sheets.remove(sheet)
        target = new_index - 1 if new_index > old else new_index
        sheets.insert(max(0, min(target, len(sheets))), sheet)
    batch.spreadsheet.reindex()


def update_spreadsheet_properties(batch: Batch, request: dict[str, Any]) -> None:
    mask = _required_mask(request)
    updated = copy.deepcopy(batch.spreadsheet.properties)
    fieldmask.apply(updated, request.get("properties") or {}, mask)
    if not updated.get("title"):
        raise RequestError("The spreadsheet title cannot be empty.")
    batch.spreadsheet.properties = updated


def _required_mask(request: dict[str, Any]) -> fieldmask.Tree:
    fields = request.get("fields")
    if not fields:
        raise RequestError("At least one field must be updated.")
    return fieldmask.parse(fields)


# -- cells ---------------------------------------------------------------------------


def _check_link(fmt: Any) -> None:
    """A cell-level link (``userEnteredFormat.textFormat.link``) is a Link: only ``uri``, a
    string; Google refuses any other field as an unknown name (Link has no sheetId)."""
    text_format = fmt.get("textFormat") if isinstance(fmt, dict) else None
    link = text_format.get("link") if isinstance(text_format, dict) else None
    if link is None:
        return
    if not isinstance(link, dict):
        raise bad_field_value("requests[0].update_cells.rows[0].values[0].user_entered_format.text_format.link",
                              link, "TYPE_MESSAGE")
    for name in link:
        if name != "uri":
            raise unknown_field(name, "requests[0].update_cells.rows[0].values[0].user_entered_format.text_format.link")
    if not isinstance(link.get("uri", ""), str):
        raise bad_field_value("requests[0].update_cells.rows[0].values[0].user_entered_format.text_format.link.uri",
                              link["uri"], "TYPE_STRING")


def _apply_cell(sheet: Sheet, row: int, col: int, data: dict[str, Any], mask: fieldmask.Tree) -> None:
    if "userEnteredFormat" in data:
        _check_link(data["userEnteredFormat"])
    cell = sheet.cell(row, col)
    fieldmask.apply(cell, data, mask)
    if "userEnteredFormat" in cell:
        cell["userEnteredFormat"] = with_color_styles(cell["userEnteredFormat"])
    for key in ("userEnteredValue", "userEnteredFormat", "note", "dataValidation"):
        if key in cell and cell[key] in ({}, None, ""):
            del cell[key]
    sheet.drop_if_empty(row, col)


def update_cells(batch: Batch, request: dict[str, Any]) -> None:
    mask = _required_mask(request)
    rows = request.get("rows") or []
    if "range" in request:
        box = batch.box(request["range"])
    elif "start" in request:
        start = request["start"]
        sheet = batch.sheet(start.get("sheetId", 0))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        width = max((len(row.get("values") or []) for row in rows), default=0)
        box = Box(sheet, r0, r0 + len(rows), c0, c0 + width)
    else:
        raise RequestError("Either range or start must be set.")
    if box.end_row > box.sheet.row_count or box.end_col > box.sheet.column_count:
        raise RequestError("Range exceeds grid limits.")
    for r in range(box.start_row, box.end_row):
        line = rows[r - box.start_row].get("values") or [] if r - box.start_row < len(rows) else []
        for c in range(box.start_col, box.end_col):
            # Cells of the range not covered by rows are cleared for the
            # masked fields, as the API documents.
            data = line[c - box.start_col] if c - box.start_col < len(line) else {}
            _apply_cell(box.sheet, r, c, data or {}, mask)


def repeat_cell(batch: Batch, request: dict[str, Any]) -> None:
    mask = _required_mask(request)
    box = batch.box(request.get("range") or {})
    for r in range(box.start_row, box.end_row):
        for c in range(box.start_col, box.end_col):
            _apply_cell(box.sheet, r, c, request.get("cell") or {}, mask)


BORDER_STYLES = frozenset({"DOTTED", "DASHED", "SOLID", "SOLID_MEDIUM", "SOLID_THICK", "NONE", "DOUBLE"})


def update_borders(batch: Batch, request: dict[str, Any]) -> None:
    """``top``/``bottom``/``left``/``right`` rule the range's outer edges, ``innerHorizontal``
    and ``innerVertical`` the lines between its cells; a side not named is left as it is and
    ``NONE`` removes it (UpdateBordersRequest in the Sheets API reference)."""
    box = batch.box(request.get("range") or {})
    for name in ("top", "bottom", "left", "right", "innerHorizontal", "innerVertical"):
        style = (request.get(name) or {}).get("style")
        if style is not None and style not in BORDER_STYLES:
            raise RequestError(f"Invalid value at 'requests[0].update_borders.{name}.style' ({style})")
    for r in range(box.start_row, box.end_row):
        for c in range(box.start_col, box.end_col):
            sides = {"top": request.get("top" if r == box.start_row else "innerHorizontal"),
                     "bottom": request.get("bottom" if r == box.end_row - 1 else "innerHorizontal"),
                     "left": request.get("left" if c == box.start_col else "innerVertical"),
                     "right": request.get("right" if c == box.end_col - 1 else "innerVertical")}
            sides = {side: border for side, border in sides.items() if border is not None}
            if not sides:
                continue
            cell = box.sheet.cell(r, c)
            fmt = cell.setdefault("userEnteredFormat", {})
            borders = fmt.setdefault("borders", {})
            for side, border in sides.items():
                if border.get("style") == "NONE":
                    borders.pop(side, None)
                else:
                    borders[side] = {"width": 1, **copy.deepcopy(border)}
            if not borders:
                del fmt["borders"]
            cell["userEnteredFormat"] = with_color_styles(fmt) if fmt else fmt
            if not cell["userEnteredFormat"]:
                del cell["userEnteredFormat"]
            box.sheet.drop_if_empty(r, c)


def set_data_validation(batch: Batch, request: dict[str, Any]) -> None:
    box = batch.box(request.get("range") or {})
    rule = request.get("rule")
    for r in range(box.start_row, box.end_row):
        for c in range(box.start_col, box.end_col):
            cell = box.sheet.cell(r, c)
            if rule:
                cell["dataValidation"] = copy.deepcopy(rule)
            else:
                cell.pop("dataValidation", None)
            box.sheet.drop_if_empty(r, c)


def sort_range(batch: Batch, request: dict[str, Any]) -> None:
    box = batch.box(request.get("range") or {})
    sheet = box.sheet
    evaluator = Evaluator(batch.spreadsheet)
    rows = [
        {c: sheet.cells.get((r, c)) for c in range(box.start_col, box.end_col)} for r in range(box.start_row, box.end_row)
    ]
    originals = list(range(box.start_row, box.end_row))

    for spec in reversed(request.get("sortSpecs") or []):
        col = spec.get("dimensionIndex", 0)
        descending = spec.get("sortOrder") == "DESCENDING"

        def key(pair: tuple[int, dict[int, Any]], col: int = col) -> tuple[int, Any]:
            value = values.python_value(evaluator.effective(sheet, pair[0], col))
            # Blanks always sort last; numbers before text before booleans.
            if value is None:
                return (1, (0, 0))
            rank = 2 if isinstance(value, bool) else (0 if isinstance(value, float) else 1)
            return (0, (rank, value.lower() if isinstance(value, str) else value))

        paired = sorted(zip(originals, rows), key=key, reverse=descending)
        if descending:  # keep blanks last when reversing
            paired = [p for p in paired if key(p)[0] == 0] + [p for p in paired if key(p)[0] == 1]
        originals = [p[0] for p in paired]
        rows = [p[1] for p in paired]
    for offset, row in enumerate(rows):
        for c, cell in row.items():
            if cell:
                sheet.cells[(box.start_row + offset, c)] = cell
            else:
                sheet.cells.pop((box.start_row + offset, c), None)


# -- merges ----------------------------------------------------------------------------


def _overlaps(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["startRowIndex"] < b["endRowIndex"]
        and b["startRowIndex"] < a["endRowIndex"]
        and a["startColumnIndex"] < b["endColumnIndex"]
        and b["startColumnIndex"] < a["endColumnIndex"]
    )


def _box_range(box: Box) -> dict[str, int]:
    return {
        "startRowIndex": box.start_row,
        "endRowIndex": box.end_row,
        "startColumnIndex": box.start_col,
        "endColumnIndex": box.end_col,
    }


def merge_cells(batch: Batch, request: dict[str, Any]) -> None:
    box = batch.box(request.get("range") or {})
    kind = request.get("mergeType") or "MERGE_ALL"
    if kind == "MERGE_ALL":
        blocks = [box]
    elif kind == "MERGE_ROWS":
        blocks = [Box(box.sheet, r, r + 1, box.start_col, box.end_col) for r in range(box.start_row, box.end_row)]
    elif kind == "MERGE_COLUMNS":
        blocks = [Box(box.sheet, box.start_row, box.end_row, c, c + 1) for c in range(box.start_col, box.end_col)]
    else:
        raise RequestError(f"Unknown merge type: {kind}")
    sheet = box.sheet
    target = _box_range(box)
    for existing in sheet.merges:
        inside = (
            target["startRowIndex"] <= existing["startRowIndex"]
            and existing["endRowIndex"] <= target["endRowIndex"]
            and target["startColumnIndex"] <= existing["startColumnIndex"]
            and existing["endColumnIndex"] <= target["endColumnIndex"]
        )
        if _overlaps(existing, target) and not inside:
            raise RequestError("You can't merge cells that partially overlap an existing merge.")
    sheet.merges = [m for m in sheet.merges if not _overlaps(m, target)]
    for block in blocks:
        if block.rows * block.columns < 2:
            continue
        sheet.merges.append(_box_range(block))
        # Only the top-left value of a merge survives.
        for r in range(block.start_row, block.end_row):
            for c in range(block.start_col, block.end_col):
                if (r, c) != (block.start_row, block.start_col) and (r, c) in sheet.cells:
                    sheet.cells[(r, c)].pop("userEnteredValue", None)
                    sheet.drop_if_empty(r, c)


def unmerge_cells(batch: Batch, request: dict[str, Any]) -> None:
    box = batch.box(request.get("range") or {})
    target = _box_range(box)
    box.sheet.merges = [m for m in box.sheet.merges if not _overlaps(m, target)]


# -- dimensions --------------------------------------------------------------------------


def _dimension_range(batch: Batch, rng: dict[str, Any]) -> tuple[Sheet, str, int, int]:
    sheet = batch.sheet(rng.get("sheetId", 0))
    dimension = rng.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise RequestError("dimension must be ROWS or COLUMNS.")
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    start, end = rng.get("startIndex", 0), rng.get("endIndex", size)
    if not 0 <= start < end:
        raise RequestError(f"Invalid dimension range: startIndex {start}, endIndex {end}.")
    return sheet, dimension, start, end


def insert_dimension(batch: Batch, request: dict[str, Any]) -> None:
    sheet, dimension, start, end = _dimension_range(batch, request.get("range") or {})
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if start > size:
        raise RequestError(f"Invalid startIndex {start}: the sheet has only {size} {dimension.lower()}.")
    if request.get("inheritFromBefore") and start == 0:
        raise RequestError("Cannot inherit properties from before if inserting at the beginning.")
    sheet.insert(dimension, start, end - start)
    # New rows/columns take the formatting of their neighbour.
    source = start - 1 if request.get("inheritFromBefore") else end
    axis_len = sheet.column_count if dimension == "ROWS" else sheet.row_count
    for other in range(axis_len):
        key = (source, other) if dimension == "ROWS" else (other, source)
        fmt = sheet.cells.get(key, {}).get("userEnteredFormat")
        if fmt:
            for i in range(start, end):
                target = (i, other) if dimension == "ROWS" else (other, i)
                sheet.cell(*target)["userEnteredFormat"] = copy.deepcopy(fmt)


def delete_dimension(batch: Batch, request: dict[str, Any]) -> None:
    sheet, dimension, start, end = _dimension_range(batch, request.get("range") or {})
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    end = min(end, size)
    if start == 0 and end >= size:
        raise RequestError(f"You can't delete all the {dimension.lower()} on the sheet.")
    sheet.delete(dimension, start, end)


def append_dimension(batch: Batch, request: dict[str, Any]) -> None:
    sheet = batch.sheet(request.get("sheetId", 0))
    dimension = request.get("dimension")
    length = request.get("length", 0)
    if dimension not in ("ROWS", "COLUMNS") or length < 1:
        raise RequestError("dimension and a positive length are required.")
    sheet.grid["rowCount" if dimension == "ROWS" else "columnCount"] += length


def update_dimension_properties(batch: Batch, request: dict[str, Any]) -> None:
    mask = _required_mask(request)
    sheet, dimension, start, end = _dimension_range(batch, request.get("range") or {})
    meta = sheet.row_meta if dimension == "ROWS" else sheet.column_meta
    default = 21 if dimension == "ROWS" else 100
    for i in range(start, end):
        current = meta.get(i, {"pixelSize": default})
        fieldmask.apply(current, request.get("properties") or {}, mask)
        if current.get("hiddenByUser") is False:
            del current["hiddenByUser"]
        current.setdefault("pixelSize", default)
        if current == {"pixelSize": default}:
            meta.pop(i, None)
        else:
            meta[i] = current


# -- protected and named ranges, filters -------------------------------------------------


def add_protected_range(batch: Batch, request: dict[str, Any]) -> dict[str, Any]:
    wanted = request.get("protectedRange") or {}
    grid = copy.deepcopy(wanted.get("range") or {})
    sheet = batch.sheet(grid.get("sheetId", 0))
    taken = {p["protectedRangeId"] for s in batch.spreadsheet.sheets for p in s.protected_ranges}
    protected: dict[str, Any] = {"protectedRangeId": wanted.get("protectedRangeId") or batch.new_id(taken)}
    grid.pop("sheetId", None)
    protected["range"] = grid
    for key in ("description", "warningOnly"):
        if wanted.get(key):
            protected[key] = wanted[key]
    protected["requestingUserCanEdit"] = True
    requested_editors = {k: v for k, v in (wanted.get("editors") or {}).items() if v}
    # The reply echoes the editors as requested; the stored protection also
    # lists the owner, who can always edit (as Google shows afterwards).
    reply = {**protected, "editors": copy.deepcopy(requested_editors)}
    users = list(requested_editors.get("users", []))
    owner = email_of(batch.file.owner) if batch.file.owner else None
    if owner is not None and owner not in users:
        users.append(owner)
    protected["editors"] = {**requested_editors, "users": users}
    sheet.protected_ranges.append(protected)
    return {"addProtectedRange": {"protectedRange": grid_range_reply(sheet, reply)}}


def grid_range_reply(sheet: Sheet, protected: dict[str, Any]) -> dict[str, Any]:
    return {**protected, "range": grid_range_json(sheet.id, protected["range"])}


def _find_protected(batch: Batch, protected_id: Any) -> tuple[Sheet, dict[str, Any]]:
    for sheet in batch.spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == protected_id:
                return sheet, protected
    raise RequestError(f"No protected range with id: {protected_id}")


def update_protected_range(batch: Batch, request: dict[str, Any]) -> None:
    mask = _required_mask(request)
    wanted = request.get("protectedRange") or {}
    sheet, protected = _find_protected(batch, wanted.get("protectedRangeId"))
    fieldmask.apply(protected, wanted, mask)
    protected["range"].pop("sheetId", None)


def delete_protected_range(batch: Batch, request: dict[str, Any]) -> None:
    sheet, protected = _find_protected(batch, request.get("protectedRangeId"))
    sheet.protected_ranges.remove(protected)


def add_named_range(batch: Batch, request: dict[str, Any]) -> dict[str, Any]:
    wanted = copy.deepcopy(request.get("namedRange") or {})
    name = wanted.get("name") or ""
    if not name or any(n["name"].lower() == name.lower() for n in batch.spreadsheet.named_ranges):
        raise RequestError(f"Named range with name \"{name}\" already exists or is invalid.")
    batch.sheet((wanted.get("range") or {}).get("sheetId", 0))
    named = {
        "namedRangeId": wanted.get("namedRangeId") or batch.call.state.new_token(12),
        "name": name,
        "range": wanted.get("range") or {},
    }
    batch.spreadsheet.named_ranges.append(named)
    reply = {**named, "range": grid_range_json(named["range"].get("sheetId", 0), named["range"])}
    return {"addNamedRange": {"namedRange": reply}}


def _find_named(batch: Batch, named_id: Any) -> dict[str, Any]:
    for named in batch.spreadsheet.named_ranges:
        if named["namedRangeId"] == named_id:
            return named
    raise RequestError(f"No named range with id: {named_id}")


def update_named_range(batch: Batch, request: dict[str, Any]) -> None:
    mask = _required_mask(request)
    wanted = request.get("namedRange") or {}
    fieldmask.apply(_find_named(batch, wanted.get("namedRangeId")), wanted, mask)


def delete_named_range(batch: Batch, request: dict[str, Any]) -> None:
    batch.spreadsheet.named_ranges.remove(_find_named(batch, request.get("namedRangeId")))


def set_basic_filter(batch: Batch, request: dict[str, Any]) -> None:
    wanted = copy.deepcopy(request.get("filter") or {})
    grid = wanted.get("range") or {}
    sheet = batch.sheet(grid.get("sheetId", 0))
    grid.pop("sheetId", None)
    wanted["range"] = grid
    sheet.basic_filter = wanted


def clear_basic_filter(batch: Batch, request: dict[str, Any]) -> None:
    batch.sheet(request.get("sheetId", 0)).basic_filter = None


HANDLERS: dict[str, Callable[[Batch, dict[str, Any]], dict[str, Any] | None]] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "duplicateSheet": duplicate_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "setDataValidation": set_data_validation,
    "sortRange": sort_range,
    "mergeCells": merge_cells,
    "updateBorders": update_borders,
    "unmergeCells": unmerge_cells,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "appendDimension": append_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "addProtectedRange": add_protected_range,
    "updateProtectedRange": update_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "addNamedRange": add_named_range,
    "updateNamedRange": update_named_range,
    "deleteNamedRange": delete_named_range,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
}

# Every request kind of the v4 Request message. Names outside this set are
# rejected as unknown JSON fields, as Google's parser does; names inside it
# that HANDLERS lacks are reported as unsupported by the emulator.
GOOGLE_REQUEST_KINDS = frozenset(
    ["updateSpreadsheetProperties", "updateSheetProperties", "updateDimensionProperties", "updateNamedRange", "repeatCell", "addNamedRange", "deleteNamedRange", "addSheet", "deleteSheet", "autoFill", "cutPaste", "copyPaste", "mergeCells", "unmergeCells", "updateBorders", "updateCells", "addFilterView", "appendCells", "clearBasicFilter", "deleteDimension", "deleteEmbeddedObject", "deleteFilterView", "duplicateFilterView", "duplicateSheet", "findReplace", "insertDimension", "insertRange", "moveDimension", "updateEmbeddedObjectPosition", "pasteData", "textToColumns", "updateFilterView", "deleteRange", "appendDimension", "addConditionalFormatRule", "updateConditionalFormatRule", "deleteConditionalFormatRule", "sortRange", "setDataValidation", "setBasicFilter", "addProtectedRange", "updateProtectedRange", "deleteProtectedRange", "autoResizeDimensions", "addChart", "updateChartSpec", "updateBanding", "addBanding", "deleteBanding", "createDeveloperMetadata", "updateDeveloperMetadata", "deleteDeveloperMetadata", "randomizeRange", "addDimensionGroup", "deleteDimensionGroup", "updateDimensionGroup", "trimWhitespace", "deleteDuplicates", "updateEmbeddedObjectBorder", "addSlicer", "updateSlicerSpec", "addDataSource", "updateDataSource", "deleteDataSource", "refreshDataSource", "cancelDataSourceRefresh", "addTable", "updateTable", "deleteTable"]
)
