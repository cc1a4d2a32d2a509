"""Sheets API v4: spreadsheets.create/get and the spreadsheets.values.*
methods."""

from __future__ import annotations

import copy
from typing import Any

from . import a1, fieldmask, values
from .access import check_can_own, open_spreadsheet
from .call import Call
from .errors import ApiError, bad_field_value, invalid_argument, permission_denied
from .model import (
    DEFAULT_COLUMN_PIXELS,
    DEFAULT_ROW_PIXELS,
    Box,
    Evaluator,
    Sheet,
    Spreadsheet,
    clip,
    exceeds_grid,
    grid_range_json,
    new_sheet,
    new_spreadsheet,
)
from .state import SPREADSHEET_MIME, DriveFile

VALUE_RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_RENDER = ("SERIAL_NUMBER", "FORMATTED_STRING")
DIMENSIONS = ("ROWS", "COLUMNS")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")
LIST_VALUE = "type.googleapis.com/google.protobuf.ListValue"

# Grid properties Google leaves out of responses while they hold their
# default (proto3 omits false and 0).
_DEFAULT_FALSE = ("hidden", "rightToLeft")
_GRID_DEFAULT_ZERO = ("frozenRowCount", "frozenColumnCount", "hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter")


# -- creating ---------------------------------------------------------------


def create_spreadsheet(call: Call, title: str, parents: list[str] | None = None) -> tuple[DriveFile, Spreadsheet]:
    """Create a Drive file and its spreadsheet (one "Sheet1" of 1000x26). Refused with
    Drive's storageQuotaExceeded when the caller cannot own it (a service account outside
    a shared drive)."""
    state = call.state
    drive_id = check_can_own(call, list(parents or []), SPREADSHEET_MIME)
    file_id = state.new_file_id()
    now = state.now_ms()
    file = DriveFile(file_id, title, SPREADSHEET_MIME, "" if drive_id else call.user, now, now,
                     parents=list(parents or []), drive_id=drive_id, app=call.client)
    spreadsheet = new_spreadsheet(file_id, title)
    state.files[file_id] = file
    state.spreadsheets[file_id] = spreadsheet
    state.mark_dirty()
    return file, spreadsheet


def spreadsheets_create(call: Call) -> dict[str, Any]:
    body = call.json_body()
    properties = body.get("properties") or {}
    # The Sheets API puts a new spreadsheet in the caller's My Drive, which a service account
    # no longer has room in: Google answers its generic 403 (not Drive's storage error).
    try:
        _, spreadsheet = create_spreadsheet(call, properties.get("title") or "Untitled spreadsheet")
    except ApiError as refused:
        if refused.reason == "storageQuotaExceeded":
            raise permission_denied() from None
        raise
    for key in ("locale", "timeZone", "autoRecalc"):
        if key in properties:
            spreadsheet.properties[key] = properties[key]
    requested = body.get("sheets") or []
    if requested:
        spreadsheet.sheets = []
        taken: set[int] = set()
        for i, sheet_json in enumerate(requested):
            props = sheet_json.get("properties") or {}
            sheet_id = props.get("sheetId", 0 if i == 0 else call.state.new_small_id(taken))
            taken.add(sheet_id)
            grid = props.get("gridProperties") or {}
            sheet = new_sheet(
                sheet_id,
                props.get("title") or f"Sheet{i + 1}",
                i,
                grid.get("rowCount", 1000),
                grid.get("columnCount", 26),
            )
            spreadsheet.sheets.append(sheet)
    return spreadsheet_json(spreadsheet, Evaluator(spreadsheet), include_grid=False, ranges=[])


# -- spreadsheets.get -------------------------------------------------------------


def spreadsheets_get(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    _, spreadsheet = open_spreadsheet(call, spreadsheet_id)
    fields = call.param("fields")
    mask = fieldmask.parse(fields) if fields else None
    include_grid = call.flag("includeGridData") or _mask_wants_grid(mask)
    result = spreadsheet_json(spreadsheet, Evaluator(spreadsheet), include_grid, call.params_list("ranges"),
                              cell_fields=fieldmask.subtree(mask, "sheets", "data", "rowData", "values"))
    return fieldmask.select(result, mask)


def _mask_wants_grid(mask: fieldmask.Tree | None) -> bool:
    """A field mask that names sheets.data asks for grid data even without
    includeGridData (that is how gspread reads notes and formats)."""
    if not mask:
        return False
    sheets = mask.get("sheets", False)
    if sheets is None or sheets is False:
        return False
    return "data" in sheets or "*" in sheets


def spreadsheet_json(
    spreadsheet: Spreadsheet, evaluator: Evaluator, include_grid: bool, ranges: list[str],
    cell_fields: fieldmask.Tree | None = None,
) -> dict[str, Any]:
    """The Spreadsheet resource; ``cell_fields`` (the mask under
    sheets.data.rowData.values, None for all) spares building cell fields that
    the field mask would drop anyway."""
    wanted: dict[int, list[Box]] = {}
    for text in ranges:
        sheet, rng = spreadsheet.resolve(text)
        wanted.setdefault(sheet.id, []).append(clip(sheet, rng))
    sheets = []
    for sheet in spreadsheet.sheets:
        if ranges and sheet.id not in wanted:
            continue
        entry = sheet_json(sheet)
        if include_grid:
            boxes = wanted.get(sheet.id) or [clip(sheet, a1.A1Range(sheet.title))]
            entry["data"] = [grid_data(evaluator, box, cell_fields) for box in boxes]
        sheets.append(entry)
    out: dict[str, Any] = {
        "spreadsheetId": spreadsheet.id,
        "properties": copy.deepcopy(spreadsheet.properties),
        "sheets": sheets,
    }
    if spreadsheet.named_ranges:
        out["namedRanges"] = [
            {**named, "range": grid_range_json(named["range"].get("sheetId", 0), named["range"])}
            for named in spreadsheet.named_ranges
        ]
    out["spreadsheetUrl"] = spreadsheet.url
    return out


def sheet_properties_json(sheet: Sheet) -> dict[str, Any]:
    props = copy.deepcopy(sheet.properties)
    for key in _DEFAULT_FALSE:
        if not props.get(key, True):
            del props[key]
    grid = props.get("gridProperties", {})
    for key in _GRID_DEFAULT_ZERO:
        if not grid.get(key, True):
            del grid[key]
    return props


def sheet_json(sheet: Sheet) -> dict[str, Any]:
    out: dict[str, Any] = {"properties": sheet_properties_json(sheet)}
    if sheet.merges:
        out["merges"] = [grid_range_json(sheet.id, m) for m in sheet.merges]
    if sheet.protected_ranges:
        out["protectedRanges"] = [
            {**p, "range": grid_range_json(sheet.id, p["range"])} for p in copy.deepcopy(sheet.protected_ranges)
        ]
    if sheet.basic_filter:
        basic = copy.deepcopy(sheet.basic_filter)
        basic["range"] = grid_range_json(sheet.id, basic["range"])
        out["basicFilter"] = basic
    return out


def grid_data(evaluator: Evaluator, box: Box, cell_fields: fieldmask.Tree | None = None) -> dict[str, Any]:
    """GridData of a box: rows up to the last one holding anything, each row
    up to its last non-empty cell, empty cells as {}."""
    sheet = box.sheet
    rows: list[dict[str, Any]] = []
    occupied = {(r, c) for (r, c), cell in sheet.cells.items() if cell}
    last_row = max(
        (r for r, c in occupied if box.start_row <= r < box.end_row and box.start_col <= c < box.end_col),
        default=None,
    )
    if last_row is not None:
        for r in range(box.start_row, last_row + 1):
            cols = [c for c in range(box.start_col, box.end_col) if (r, c) in occupied]
            if not cols:
                rows.append({})
                continue
            rows.append({"values": [evaluator.cell_data(sheet, r, c, cell_fields) for c in range(box.start_col, max(cols) + 1)]})
    out: dict[str, Any] = {}
    if box.start_row:
        out["startRow"] = box.start_row
    if box.start_col:
        out["startColumn"] = box.start_col
    if rows:
        out["rowData"] = rows
    out["rowMetadata"] = [
        sheet.row_meta.get(r, {"pixelSize": DEFAULT_ROW_PIXELS}) for r in range(box.start_row, box.end_row)
    ]
    out["columnMetadata"] = [
        sheet.column_meta.get(c, {"pixelSize": DEFAULT_COLUMN_PIXELS}) for c in range(box.start_col, box.end_col)
    ]
    return out


# -- reading values ------------------------------------------------------------------


def value_range(
    evaluator: Evaluator, box: Box, major: str, value_render: str, date_render: str
) -> dict[str, Any]:
    """A ValueRange with Google's trimming: trailing empty cells of each row
    and trailing empty rows go, "values" is left out when nothing is left."""
    # Only the bounding box of cells holding values can show anything; the
    # rest would be trimmed away, so it is never rendered.
    filled = [
        (r, c)
        for (r, c), cell in box.sheet.cells.items()
        if "userEnteredValue" in cell and box.start_row <= r < box.end_row and box.start_col <= c < box.end_col
    ]
    last_row = max((r for r, _ in filled), default=box.start_row - 1)
    last_col = max((c for _, c in filled), default=box.start_col - 1)
    matrix = [[""] * (last_col - box.start_col + 1) for _ in range(last_row - box.start_row + 1)]
    for r, c in filled:
        matrix[r - box.start_row][c - box.start_col] = evaluator.render(box.sheet, r, c, value_render, date_render)
    if major == "COLUMNS":
        matrix = [list(col) for col in zip(*matrix)]
    trimmed = []
    for line in matrix:
        while line and line[-1] == "":
            line.pop()
        trimmed.append(line)
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    out: dict[str, Any] = {"range": box.a1(), "majorDimension": major}
    if trimmed:
        out["values"] = trimmed
    return out


def _read_options(call: Call) -> tuple[str, str, str]:
    return (
        call.enum("majorDimension", DIMENSIONS, "ROWS", "Dimension"),
        call.enum("valueRenderOption", VALUE_RENDER, "FORMATTED_VALUE", "ValueRenderOption"),
        call.enum("dateTimeRenderOption", DATE_RENDER, "SERIAL_NUMBER", "DateTimeRenderOption"),
    )


def values_get(call: Call, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    _, spreadsheet = open_spreadsheet(call, spreadsheet_id)
    major, value_render, date_render = _read_options(call)
    sheet, rng = spreadsheet.resolve(range_text)
    return value_range(Evaluator(spreadsheet), clip(sheet, rng), major, value_render, date_render)


def values_batch_get(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    _, spreadsheet = open_spreadsheet(call, spreadsheet_id)
    major, value_render, date_render = _read_options(call)
    evaluator = Evaluator(spreadsheet)
    ranges = []
    for text in call.params_list("ranges"):
        sheet, rng = spreadsheet.resolve(text)
        ranges.append(value_range(evaluator, clip(sheet, rng), major, value_render, date_render))
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
    if ranges:
        out["valueRanges"] = ranges
    return out


# -- writing values --------------------------------------------------------------------


def _matrix(data: Any, field: str, major: str) -> list[list[Any]]:
    """Validate ``values`` (a list of lists) and turn it into rows."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise bad_field_value(field, data, LIST_VALUE)
    for i, line in enumerate(data):
        if not isinstance(line, list):
            raise bad_field_value(f"{field}[{i}]", line, LIST_VALUE)
    if major == "COLUMNS":
        width = max((len(line) for line in data), default=0)
        return [[line[r] if r < len(line) else None for line in data] for r in range(width)]
    return data


def write_matrix(sheet: Sheet, row0: int, col0: int, rows: list[list[Any]], input_option: str) -> dict[str, Any]:
    """Write rows at (row0, col0). ``None`` leaves a cell alone, "" clears
    it. Returns the update counters for the response."""
    written_rows, written_cols, cells = set(), set(), 0
    for i, line in enumerate(rows):
        for j, raw in enumerate(line):
            if raw is None:
                continue
            r, c = row0 + i, col0 + j
            if isinstance(raw, (dict, list)):
                raise invalid_argument(f"Invalid values[{i}][{j}]: {raw}")
            if input_option == "RAW":
                entered, number_format = values.raw_input(raw), None
            else:
                entered, number_format = values.user_entered_input(raw)
            cell = sheet.cell(r, c)
            if entered is None:
                cell.pop("userEnteredValue", None)
            else:
                cell["userEnteredValue"] = entered
            if number_format is not None:
                cell.setdefault("userEnteredFormat", {})["numberFormat"] = number_format
            sheet.drop_if_empty(r, c)
            written_rows.add(r)
            written_cols.add(c)
            cells += 1
    counts = {"updatedRows": len(written_rows), "updatedColumns": len(written_cols), "updatedCells": cells}
    return {k: v for k, v in counts.items() if v}


def _extent(rows: list[list[Any]]) -> tuple[int, int]:
    return len(rows), max((len(line) for line in rows), default=0)


def _update_one(
    spreadsheet: Spreadsheet, range_text: str, data: dict[str, Any], field: str, input_option: str
) -> tuple[dict[str, Any], Box]:
    sheet, rng = spreadsheet.resolve(range_text)
    major = data.get("majorDimension") or "ROWS"
    rows = _matrix(data.get("values"), field, major)
    height, width = _extent(rows)
    row0, col0 = rng.start_row or 0, rng.start_col or 0
    box = Box(sheet, row0, row0 + max(height, 1), col0, col0 + max(width, 1))
    limit = a1.format_original(rng, sheet.title)
    if rng.end_row is not None and not rng.anchor and row0 + height > rng.end_row:
        raise invalid_argument(
            f"Requested writing within range [{limit}], but tried writing to row [{rng.end_row + 1}]"
        )
    if rng.end_col is not None and not rng.anchor and col0 + width > rng.end_col:
        raise invalid_argument(
            f"Requested writing within range [{limit}], but tried writing to column [{a1.column_letters(rng.end_col)}]"
        )
    if box.end_row > sheet.row_count or box.end_col > sheet.column_count:
        raise exceeds_grid(sheet, a1.A1Range(sheet.title, box.start_row, box.end_row, box.start_col, box.end_col))
    counts = write_matrix(sheet, row0, col0, rows, input_option)
    return {"spreadsheetId": spreadsheet.id, "updatedRange": box.a1(), **counts}, box


def _input_option(value: str | None) -> str:
    if not value:
        raise invalid_argument("'valueInputOption' is required but not specified")
    if value not in INPUT_OPTIONS:
        raise invalid_argument(
            f"Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), \"{value}\""
        )
    return value


def _with_data(evaluator: Evaluator, response: dict[str, Any], box: Box, options: dict[str, Any]) -> None:
    if options.get("includeValuesInResponse") in (True, "true", "True"):
        response["updatedData"] = value_range(
            evaluator,
            box,
            "ROWS",
            options.get("responseValueRenderOption") or "FORMATTED_VALUE",
            options.get("responseDateTimeRenderOption") or "SERIAL_NUMBER",
        )


def values_update(call: Call, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    file, spreadsheet = open_spreadsheet(call, spreadsheet_id, write=True)
    input_option = _input_option(call.param("valueInputOption"))
    response, box = _update_one(spreadsheet, range_text, call.json_body(), "data.values", input_option)
    _with_data(Evaluator(spreadsheet), response, box, call.params.to_dict())
    call.state.touch(file)
    return response


def values_batch_update(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    file, spreadsheet = open_spreadsheet(call, spreadsheet_id, write=True)
    body = call.json_body()
    input_option = _input_option(body.get("valueInputOption"))
    responses, boxes = [], []
    with spreadsheet.atomic():
        for i, data in enumerate(body.get("data") or []):
            response, box = _update_one(spreadsheet, data.get("range", ""), data, f"data[{i}].values", input_option)
            responses.append(response)
            boxes.append(box)
    evaluator = Evaluator(spreadsheet)
    for response, box in zip(responses, boxes):
        _with_data(evaluator, response, box, body)
    totals = {
        "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
        "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
        "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
        "totalUpdatedSheets": len({box.sheet.id for box, r in zip(boxes, responses) if r.get("updatedCells")}),
    }
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.id, **{k: v for k, v in totals.items() if v}}
    if responses:
        out["responses"] = responses
    call.state.touch(file)
    return out


def find_table(sheet: Sheet, box: Box) -> Box | None:
    """The "table" values.append appends to: the block of non-empty cells
    (4-connected) around the last non-empty cell of the range. This mirrors
    Google, which appended after C1 (not A1) for a first row "a", "", "c"."""
    filled = {
        (r, c)
        for (r, c) in sheet.cells
        if box.start_row <= r < box.end_row and box.start_col <= c < box.end_col and sheet.has_value(r, c)
    }
    if not filled:
        return None
    seed = max(filled)
    seen, stack = {seed}, [seed]
    while stack:
        r, c = stack.pop()
        for neighbour in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if neighbour in filled and neighbour not in seen:
                seen.add(neighbour)
                stack.append(neighbour)
    rows = [r for r, _ in seen]
    cols = [c for _, c in seen]
    return Box(sheet, min(rows), max(rows) + 1, min(cols), max(cols) + 1)


def values_append(call: Call, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    file, spreadsheet = open_spreadsheet(call, spreadsheet_id, write=True)
    input_option = _input_option(call.param("valueInputOption"))
    insert_option = call.enum("insertDataOption", ("OVERWRITE", "INSERT_ROWS"), "OVERWRITE", "InsertDataOption")
    body = call.json_body()
    sheet, rng = spreadsheet.resolve(range_text)
    rows = _matrix(body.get("values"), "data.values", body.get("majorDimension") or "ROWS")
    table = find_table(sheet, clip(sheet, rng))
    if table is None:
        row0, col0 = rng.start_row or 0, rng.start_col or 0
    else:
        row0, col0 = table.end_row, table.start_col
    height, width = _extent(rows)
    if col0 + width > sheet.column_count:
        raise exceeds_grid(sheet, a1.A1Range(sheet.title, row0, row0 + height, col0, col0 + width))
    if insert_option == "INSERT_ROWS" and height:
        sheet.insert("ROWS", row0, height)
    elif row0 + height > sheet.row_count:
        # Appending grows the sheet instead of failing at the last row.
        sheet.grid["rowCount"] = row0 + height
    counts = write_matrix(sheet, row0, col0, rows, input_option)
    box = Box(sheet, row0, row0 + max(height, 1), col0, col0 + max(width, 1))
    updates = {"spreadsheetId": spreadsheet.id, "updatedRange": box.a1(), **counts}
    _with_data(Evaluator(spreadsheet), updates, box, call.params.to_dict())
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
    if table is not None:
        out["tableRange"] = table.a1()
    out["updates"] = updates
    call.state.touch(file)
    return out


def clear_box(box: Box) -> None:
    """Clear values (not formats) inside a box."""
    sheet = box.sheet
    for key in [k for k in sheet.cells if box.start_row <= k[0] < box.end_row and box.start_col <= k[1] < box.end_col]:
        sheet.cells[key].pop("userEnteredValue", None)
        sheet.drop_if_empty(*key)


def values_clear(call: Call, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    file, spreadsheet = open_spreadsheet(call, spreadsheet_id, write=True)
    sheet, rng = spreadsheet.resolve(range_text)
    box = clip(sheet, rng)
    clear_box(box)
    call.state.touch(file)
    return {"spreadsheetId": spreadsheet.id, "clearedRange": box.a1()}


def values_batch_clear(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    file, spreadsheet = open_spreadsheet(call, spreadsheet_id, write=True)
    cleared = []
    with spreadsheet.atomic():
        for text in call.json_body().get("ranges") or []:
            sheet, rng = spreadsheet.resolve(text)
            box = clip(sheet, rng)
            clear_box(box)
            cleared.append(box.a1())
    call.state.touch(file)
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
    if cleared:
        out["clearedRanges"] = cleared
    return out


def sheets_copy_to(call: Call, spreadsheet_id: str, sheet_id: str) -> dict[str, Any]:
    """Copy one sheet into another spreadsheet (at the end, "Copy of X")."""
    _, source = open_spreadsheet(call, spreadsheet_id)
    sheet = source.sheet_by_id(int(sheet_id))
    if sheet is None:
        raise invalid_argument(f"No grid with id: {sheet_id}")
    destination_id = call.json_body().get("destinationSpreadsheetId") or ""
    target_file, target = open_spreadsheet(call, destination_id, write=True)
    copied = copy.deepcopy(sheet)
    copied.protected_ranges = []
    copied.properties["sheetId"] = call.state.new_small_id({s.id for s in target.sheets})
    title, n = f"Copy of {sheet.title}", 2
    while target.sheet_by_title(title):
        title, n = f"Copy of {sheet.title} {n}", n + 1
    copied.properties["title"] = title
    target.sheets.append(copied)
    target.reindex()
    call.state.touch(target_file)
    return sheet_properties_json(copied)
