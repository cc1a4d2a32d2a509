"""Svod's values and Google Sheets' JSON, both ways, as pure functions: a cell as people
see it (``cell_value``), a tab read (``sheet_from_json``), a typed value to write
(``cell_data``), and the batchUpdate requests that make a tab hold a :class:`TabSpec`
(``tab_requests``). No I/O here; :mod:`sync_service.stores.google` sends them.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sync_service.stores.base import (
    Dropdown,
    MoveTab,
    ProtectTab,
    RenameTab,
    Sheet,
    StoreError,
    TabChange,
    TabSpec,
    Value,
    Workbook,
)
from sync_service.stores.rows import read_back, row_width

SHEETS_EPOCH = datetime(1899, 12, 30)
# Rows and columns of a tab people type into; service tabs are sized to fit.
ROOMY_ROWS, ROOMY_COLUMNS = 1000, 26
# Longer dropdown lists go to a hidden tab and are referenced as a range.
LIST_LIMIT = 500
LIST_TAB_PREFIX = "Список "
PIXELS_PER_CHAR, PIXELS_PADDING = 7, 12
SERVICE_TAB_NOTE = "Служебный лист: его заполняет Svod"
HEADER_ROW_NOTE = "Строка формы: Svod находит столбцы по ней, не меняйте её"

_ID = re.compile(r"^[A-Za-z0-9_-]{20,}$")
_URL_ID = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")


# --- pure helpers: cells ---------------------------------------------------------------

def cell_value(cell: Mapping[str, Any]) -> Value:
    """One CellData as Svod sees it: percentages and errors as their text, dates as dates."""
    value = cell.get("effectiveValue")
    if not value:
        return None
    if "errorValue" in value:
        return cell.get("formattedValue") or "#" + value["errorValue"].get("type", "ERROR") + "!"
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "stringValue" in value:
        return value["stringValue"]
    number = value.get("numberValue")
    if number is None:
        return None
    kind = ((cell.get("effectiveFormat") or {}).get("numberFormat") or {}).get("type")
    if kind == "PERCENT" or kind == "TIME":
        return cell.get("formattedValue", _plain_number(number))
    if kind in ("DATE", "DATE_TIME"):
        moment = SHEETS_EPOCH + timedelta(days=float(number))
        moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
        return moment.date() if kind == "DATE" else moment
    return _plain_number(number)


def _plain_number(number: Any) -> int | float:
    if isinstance(number, float) and number.is_integer() and abs(number) < 2 ** 53:
        return int(number)
    return number


def sheet_from_json(data: Mapping[str, Any]) -> Sheet:
    """A Sheet from one ``sheets[]`` entry of spreadsheets.get with grid data."""
    title = data["properties"]["title"]
    cells: dict[tuple[int, int], Value] = {}
    for block in data.get("data") or []:
        top, left = block.get("startRow", 0), block.get("startColumn", 0)
        for r, row in enumerate(block.get("rowData") or []):
            for c, cell in enumerate(row.get("values") or []):
                value = cell_value(cell) if cell else None
                if value is not None and value != "":
                    cells[(top + r, left + c)] = value
    height = max((r for r, _ in cells), default=-1) + 1
    rows: list[list[Value]] = [[] for _ in range(height)]
    for (r, c), value in sorted(cells.items()):
        line = rows[r]
        line.extend([None] * (c - len(line)))
        line.append(value)
    merges = [(m.get("startRowIndex", 0) + 1, m.get("startColumnIndex", 0) + 1,
               m.get("endRowIndex", 0), m.get("endColumnIndex", 0)) for m in data.get("merges") or []]
    return Sheet(title=title, rows=rows, merges=merges)


def workbook_from_json(workbook_id: str, data: Mapping[str, Any], marker: str) -> Workbook:
    sheets = {s["properties"]["title"]: sheet_from_json(s) for s in data.get("sheets") or []}
    return Workbook(id=workbook_id, title=(data.get("properties") or {}).get("title", ""), sheets=sheets,
                    marker=marker)


def to_serial(value: date | datetime) -> float | int:
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    delta = moment.replace(tzinfo=None) - SHEETS_EPOCH
    serial = delta.days + delta.seconds / 86400
    return int(serial) if float(serial).is_integer() else serial


def colour_json(colour: str) -> dict[str, float]:
    """"#RRGGBB" as a Sheets Color (red, green, blue from 0 to 1)."""
    rgb = colour.lstrip("#")
    return {name: round(int(rgb[i:i + 2], 16) / 255, 4) for name, i in (("red", 0), ("green", 2), ("blue", 4))}


def cell_data(value: Value, *, bold: bool = False, colour: tuple[str, str] | None = None) -> dict[str, Any]:
    """A CellData holding ``value`` as a typed value: a string is always text (RAW);
    ``colour`` = (text colour, fill) as "#RRGGBB"."""
    out: dict[str, Any] = {}
    fmt: dict[str, Any] = {}
    if isinstance(value, bool):
        out["userEnteredValue"] = {"boolValue": value}
    elif isinstance(value, (int, float, Decimal)):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            out["userEnteredValue"] = {"stringValue": str(value)}
        else:
            out["userEnteredValue"] = {"numberValue": _plain_number(number)}
    elif isinstance(value, datetime):
        out["userEnteredValue"] = {"numberValue": to_serial(value)}
        fmt["numberFormat"] = {"type": "DATE_TIME", "pattern": "dd.mm.yyyy hh:mm"}
    elif isinstance(value, date):
        out["userEnteredValue"] = {"numberValue": to_serial(value)}
        fmt["numberFormat"] = {"type": "DATE", "pattern": "dd.mm.yyyy"}
    elif value is not None and value != "":
        out["userEnteredValue"] = {"stringValue": str(value)}
    if bold:
        fmt["textFormat"] = {"bold": True}
    if colour:
        fmt["textFormat"] = {**fmt.get("textFormat", {}), "foregroundColor": colour_json(colour[0])}
        fmt["backgroundColor"] = colour_json(colour[1])
    if fmt:
        out["userEnteredFormat"] = fmt
    return out


def number_format(excel: str) -> dict[str, str]:
    """An Excel number format of :class:`TabSpec` as a Sheets NumberFormat."""
    if excel == "@":
        return {"type": "TEXT", "pattern": "@"}
    if excel.endswith("%"):
        return {"type": "PERCENT", "pattern": excel}
    bare = re.sub(r'"[^"]*"', "", excel)
    if re.search(r"[dDyY]", bare):
        kind = "DATE_TIME" if re.search(r"[hHsS]", bare) else "DATE"
        return {"type": kind, "pattern": excel.lower()}
    return {"type": "NUMBER", "pattern": excel}


# --- pure helpers: ids and requests -------------------------------------------------------

def spreadsheet_id_from(reference: str) -> str | None:
    """The id in a spreadsheet URL or a bare id; None when ``reference`` is neither."""
    text = reference.strip()
    found = _URL_ID.search(text)
    if found:
        return found.group(1)
    return text if _ID.match(text) else None


def stable_sheet_id(title: str) -> int:
    """The sheetId Svod gives a tab it creates: the same for the same title in every
    workbook, so a service tab can be rewritten without first asking for the layout."""
    return zlib.crc32(title.encode("utf-8")) % (2 ** 31 - 2) + 1


def next_marker(marker: str | None) -> str | None:
    """The marker after one more change (``v42`` -> ``v43``); None when unknown."""
    if marker and marker.startswith("v") and marker[1:].isdigit():
        return f"v{int(marker[1:]) + 1}"
    return None


def _norm(title: str) -> str:
    return " ".join(title.split()).casefold()


def a1(title: str, row: int, column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return "'" + title.replace("'", "''") + f"'!{letters}{row}"


def list_tab_title(choices: Sequence[str]) -> str:
    digest = hashlib.sha1("\n".join(choices).encode("utf-8")).hexdigest()[:8]
    return LIST_TAB_PREFIX + digest


def list_tabs(tabs: Sequence[TabSpec]) -> list[TabSpec]:
    """The hidden, protected tabs holding dropdown lists longer than LIST_LIMIT."""
    out: dict[str, TabSpec] = {}
    for tab in tabs:
        for dropdown in tab.dropdowns:
            if len(dropdown.choices) > LIST_LIMIT:
                title = list_tab_title(dropdown.choices)
                out.setdefault(title, TabSpec(title=title, rows=[[c] for c in dropdown.choices],
                                              protected=True, hidden=True))
    return list(out.values())


@dataclass(frozen=True)
class SheetRef:
    sheet_id: int
    title: str


def grid_size(tab: TabSpec, *, roomy: bool) -> tuple[int, int]:
    """Rows and columns of a tab's grid: room to type for people's tabs, a snug fit for
    the service's (Google refuses to freeze every row, hence the spare row)."""
    width = max([row_width(tab.rows, tab.title), *tab.widths, *tab.number_formats, 1])
    height = max(len(tab.rows), tab.frozen_rows + 1, 1)
    for dropdown in tab.dropdowns:
        width, height = max(width, dropdown.column), max(height, dropdown.last_row)
    for row, column in tab.checkboxes:
        width, height = max(width, column), max(height, row)
    if roomy:
        return max(height, ROOMY_ROWS), max(width, ROOMY_COLUMNS)
    return height, width


def tab_requests(tab: TabSpec, sheet_id: int, *, new: bool, roomy: bool = False,
                 sheet_ids: Mapping[str, int] | None = None) -> list[dict]:
    """The batchUpdate requests that make tab ``sheet_id`` hold exactly ``tab`` (all of
    :func:`tab_request_stream`, for a tab small enough to hold them)."""
    return list(tab_request_stream(tab, sheet_id, new=new, roomy=roomy, sheet_ids=sheet_ids))


def tab_request_stream(tab: TabSpec, sheet_id: int, *, new: bool, roomy: bool = False,
                       sheet_ids: Mapping[str, int] | None = None) -> Iterator[dict]:
    """The batchUpdate requests that make tab ``sheet_id`` hold exactly ``tab``, made as
    they are taken: the values go in ``updateCells`` of at most :data:`ROWS_A_REQUEST` rows
    each (the first over the whole range, clearing what the rows do not cover; the others
    from their starting row), so that a tab of any size is never whole in memory as JSON.

    ``new``: add the sheet (with its protections). Otherwise the existing sheet is resized
    and all its values, formats and validations are replaced; protections stay as they are.
    ``sheet_ids`` (normalised title -> sheetId) are the tabs the spec's links may go to.
    """
    rows, columns = grid_size(tab, roomy=roomy)
    grid = {"rowCount": rows, "columnCount": columns, "frozenRowCount": tab.frozen_rows}
    if tab.frozen_columns:
        grid["frozenColumnCount"] = tab.frozen_columns
    whole = {"sheetId": sheet_id}
    first = {"index": 0} if tab.first else {}
    if new:
        yield {"addSheet": {"properties": {"sheetId": sheet_id, "title": tab.title, "hidden": tab.hidden,
                                           "gridProperties": grid, **first}}}
    else:
        yield {"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "title": tab.title, "hidden": tab.hidden, "gridProperties": grid,
                           **first},
            "fields": "title,hidden,gridProperties(rowCount,columnCount,frozenRowCount,frozenColumnCount)"
                      + (",index" if first else "")}}
        yield {"unmergeCells": {"range": whole}}
    span = dict(whole) if not new else {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": max(1, len(tab.rows)),
                                        "startColumnIndex": 0, "endColumnIndex": columns}
    fields = "userEnteredValue,userEnteredFormat,dataValidation"
    written = 0
    for row_data in _row_data(tab, sheet_ids or {}):
        where = {"range": span} if not written else {"start": {"sheetId": sheet_id, "rowIndex": written,
                                                               "columnIndex": 0}}
        yield {"updateCells": {**where, "rows": row_data, "fields": fields}}
        written += len(row_data)
    if not written and not new:   # no rows: the old values go all the same
        yield {"updateCells": {"range": span, "rows": [], "fields": fields}}
    yield from _presentation(tab, sheet_id, columns, new)


ROWS_A_REQUEST = 500   # rows of values in one updateCells


def _row_data(tab: TabSpec, sheet_ids: Mapping[str, int]) -> Iterator[list[dict]]:
    """The tab's rows as RowData, :data:`ROWS_A_REQUEST` at a time, links put in."""
    bold = set(tab.bold_rows)
    links = sorted(tab.links.items())
    piece: list[dict] = []
    first = 1   # the sheet row of piece[0]
    for i, line in enumerate(read_back(tab.rows, tab.title), start=1):
        if tab.colours:
            piece.append({"values": [cell_data(v, bold=i in bold, colour=tab.colour_of(i, c, v))
                                     for c, v in enumerate(line, start=1)]})
        else:
            piece.append({"values": [cell_data(v, bold=i in bold) for v in line]})
        if len(piece) == ROWS_A_REQUEST:
            _put_links(links, piece, first, sheet_ids)
            yield piece
            piece, first = [], i + 1
    if piece:
        _put_links(links, piece, first, sheet_ids)
        yield piece


def _presentation(tab: TabSpec, sheet_id: int, columns: int, new: bool) -> list[dict]:
    """The requests after the values: merges, borders, formats, validations, widths, the
    filter and the protections."""
    whole = {"sheetId": sheet_id}
    bold = set(tab.bold_rows)
    requests: list[dict] = []
    # Merged cells: a document's title rows and signatures, a demo tab's merges of the librarian's.
    # (Print settings — TabSpec.print_setup — are not in the Sheets API: nothing to write.)
    for top, left, bottom, right in tab.merges:
        requests.append({"mergeCells": {"mergeType": "MERGE_ALL", "range": {
            "sheetId": sheet_id, "startRowIndex": top - 1, "endRowIndex": bottom,
            "startColumnIndex": left - 1, "endColumnIndex": right}}})
    if tab.grid is not None:   # a table ruled as paperwork is
        top, left, bottom, right = tab.grid
        thin = {"style": "SOLID"}
        requests.append({"updateBorders": {"range": {
            "sheetId": sheet_id, "startRowIndex": top - 1, "endRowIndex": bottom,
            "startColumnIndex": left - 1, "endColumnIndex": right},
            **{side: thin for side in ("top", "bottom", "left", "right", "innerHorizontal", "innerVertical")}}})
    # Column formats cover the rows written here: Google recognises dates, percentages and
    # numbers as people type them, and formatting a thousand empty rows makes every read heavier.
    first_data = tab.frozen_rows or (max(bold) if bold else 0)
    for column, excel in sorted(tab.number_formats.items()) if len(tab.rows) > first_data else ():
        requests.append({"repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": first_data, "endRowIndex": len(tab.rows),
                      "startColumnIndex": column - 1, "endColumnIndex": column},
            "cell": {"userEnteredFormat": {"numberFormat": number_format(excel)}},
            "fields": "userEnteredFormat.numberFormat"}})
    wrapped = {"userEnteredFormat": {"wrapStrategy": "WRAP"}}
    for row in tab.wrap_rows:
        requests.append({"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row,
                                                  "startColumnIndex": 0, "endColumnIndex": columns},
                                        "cell": wrapped, "fields": "userEnteredFormat.wrapStrategy"}})
    for column in tab.wrap_columns:
        requests.append({"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": len(tab.rows),
                                                  "startColumnIndex": column - 1, "endColumnIndex": column},
                                        "cell": wrapped, "fields": "userEnteredFormat.wrapStrategy"}})
    for dropdown in tab.dropdowns:
        requests.append({"setDataValidation": {"range": _dropdown_range(sheet_id, dropdown),
                                               "rule": _list_rule(dropdown.choices)}})
    for row, column in tab.checkboxes:
        requests.append({"setDataValidation": {
            "range": {"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row,
                      "startColumnIndex": column - 1, "endColumnIndex": column},
            "rule": {"condition": {"type": "BOOLEAN"}}}})
    for column, chars in sorted(tab.widths.items()):
        requests.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": column - 1, "endIndex": column},
            "properties": {"pixelSize": chars * PIXELS_PER_CHAR + PIXELS_PADDING}, "fields": "pixelSize"}})
    if tab.autofilter:
        # Replaces the sheet's filter. People who may not edit a protected tab still make
        # their own filter views over it (Google: «Данные → Создать режим фильтрации»).
        first, last = tab.autofilter
        requests.append({"setBasicFilter": {"filter": {"range": {
            "sheetId": sheet_id, "startRowIndex": first - 1, "endRowIndex": max(first, last),
            "startColumnIndex": 0, "endColumnIndex": columns}}}})
    if new and tab.protected:
        requests.append({"addProtectedRange": {"protectedRange": {
            "range": whole, "description": SERVICE_TAB_NOTE, "warningOnly": False}}})
    elif new:
        for row in tab.protected_rows:
            requests.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row},
                "description": HEADER_ROW_NOTE, "warningOnly": True}}})
    return requests


def link_uri(sheet_id: int, cell: str) -> str:
    """The link to a range of the same spreadsheet as Google's own «Insert link > Sheets and
    named ranges» makes it: ``#gid=SHEETID&range=C4`` (docs/emulator.md, «Links»)."""
    return f"#gid={sheet_id}&range={cell}"


def _put_links(links: Sequence[tuple[tuple[int, int], tuple[str, str]]], row_data: list[dict], first: int,
               sheet_ids: Mapping[str, int]) -> None:
    """Each link of a tab falling in ``row_data`` (sheet rows from ``first`` on) as its cell's
    ``userEnteredFormat.textFormat.link`` (a cell-level link, never a =HYPERLINK formula);
    links to tabs the spreadsheet lacks are left out."""
    for (row, column), (title, cell) in links:
        sheet_id = sheet_ids.get(_norm(title))
        if sheet_id is None or not first <= row < first + len(row_data):
            continue
        values = row_data[row - first]["values"]
        while len(values) < column:
            values.append({})
        fmt = values[column - 1].setdefault("userEnteredFormat", {})
        fmt.setdefault("textFormat", {})["link"] = {"uri": link_uri(sheet_id, cell)}


def _dropdown_range(sheet_id: int, dropdown: Dropdown) -> dict:
    return {"sheetId": sheet_id, "startRowIndex": dropdown.first_row - 1, "endRowIndex": dropdown.last_row,
            "startColumnIndex": dropdown.column - 1, "endColumnIndex": dropdown.column}


def _list_rule(choices: Sequence[str]) -> dict:
    if len(choices) > LIST_LIMIT:
        source = a1(list_tab_title(choices), 1, 1).replace("!A1", f"!$A$1:$A${len(choices)}")
        condition = {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "=" + source}]}
    else:
        condition = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in choices]}
    # Not strict: a paste from last year's file stays, and Svod's findings say what is wrong.
    return {"condition": condition, "showCustomUi": True, "strict": False}


def change_requests(changes: Sequence[TabChange], tabs: Sequence[SheetRef]) -> list[dict]:
    """The batchUpdate requests making ``changes`` in order to a spreadsheet whose tabs are
    ``tabs`` (in their order): ``updateSheetProperties`` for a rename (``title``) and a move
    (``index``), ``addProtectedRange`` of the whole sheet, and a :class:`TabSpec` added as
    :func:`tab_requests` adds a new tab (with the hidden lists of long dropdowns it needs).
    Google applies a batch whole or not at all, so the changes are too. A change that does
    not fit the tabs is a :class:`StoreError` before anything is sent.

    ``index`` of a move is read by Google as a position in the list *before* the move
    (sheets.v4 ``SheetProperties.index``; the emulator does the same), so a tab moved right
    is sent one further than where it lands."""
    order = list(tabs)
    taken = {ref.sheet_id for ref in order}
    requests: list[dict] = []

    def find(title: str) -> int:
        for i, ref in enumerate(order):
            if _norm(ref.title) == _norm(title):
                return i
        raise StoreError(f"в таблице нет листа «{title}»")

    specs = [c for c in changes if isinstance(c, TabSpec)]
    lists = [t for t in list_tabs(specs) if all(_norm(r.title) != _norm(t.title) for r in order)]
    for item in [*lists, *changes]:
        if isinstance(item, TabSpec):
            if any(_norm(r.title) == _norm(item.title) for r in order):
                raise StoreError(f"в таблице уже есть лист «{item.title}»")
            sheet_id = stable_sheet_id(item.title)
            while sheet_id in taken:
                sheet_id = sheet_id % (2 ** 31 - 2) + 1
            taken.add(sheet_id)
            requests += tab_requests(item, sheet_id, new=True, roomy=not item.protected)
            order.append(SheetRef(sheet_id, item.title))
        elif isinstance(item, RenameTab):
            i = find(item.title)
            if _norm(item.new_title) != _norm(item.title) and any(_norm(r.title) == _norm(item.new_title)
                                                                  for r in order):
                raise StoreError(f"в таблице уже есть лист «{item.new_title}»")
            requests.append({"updateSheetProperties": {
                "properties": {"sheetId": order[i].sheet_id, "title": item.new_title}, "fields": "title"}})
            order[i] = SheetRef(order[i].sheet_id, item.new_title)
        elif isinstance(item, ProtectTab):
            ref = order[find(item.title)]
            requests.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": ref.sheet_id}, "description": item.note, "warningOnly": False}}})
        elif isinstance(item, MoveTab):
            i = find(item.title)
            target = len(order) - 1 if item.index is None else max(0, min(item.index, len(order) - 1))
            if target == i:
                continue
            requests.append({"updateSheetProperties": {
                "properties": {"sheetId": order[i].sheet_id, "index": target + 1 if target > i else target},
                "fields": "index"}})
            order.insert(target, order.pop(i))
        else:   # a defect of the caller
            raise TypeError(f"not a tab change: {item!r}")
    return requests

