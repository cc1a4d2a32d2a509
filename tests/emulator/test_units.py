"""Unit tests of the pure parts: A1 ranges, field masks, value parsing and
formatting, formulas, the Drive query language."""

from __future__ import annotations

import pytest

from sheets_emulator import a1, fieldmask, formulas, values
from sheets_emulator.drive_query import compile_query
from sheets_emulator.errors import ApiError
from sheets_emulator.state import DriveFile, parse_rfc3339, rfc3339

# -- A1 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Sheet1!A1:B2", a1.A1Range("Sheet1", 0, 2, 0, 2)),
        ("'My sheet'!B3", a1.A1Range("My sheet", 2, 3, 1, 2, anchor=True)),
        ("'It''s'!A:B", a1.A1Range("It's", None, None, 0, 2)),
        ("Sheet1!2:3", a1.A1Range("Sheet1", 1, 3, None, None)),
        ("Sheet1!A1:C", a1.A1Range("Sheet1", 0, None, 0, 3)),
        ("Sheet1!A1:1", a1.A1Range("Sheet1", 0, 1, 0, None)),
        ("'My sheet'", a1.A1Range("My sheet")),
        ("Data", a1.A1Range("Data")),
        ("B2:A1", a1.A1Range(None, 0, 2, 0, 2)),
        ("$A$1:$B$2", a1.A1Range(None, 0, 2, 0, 2)),
    ],
)
def test_a1_parse(text, expected):
    assert a1.parse(text) == expected


@pytest.mark.parametrize("text", ["Sheet1!A0", "Sheet1!", "'unterminated!A1", "Sheet1!A1:B2:C3", "Sheet1!AAAA1"])
def test_a1_parse_errors_are_google_400s(text):
    with pytest.raises(ApiError) as caught:
        a1.parse(text)
    assert caught.value.code == 400
    assert caught.value.message == f"Unable to parse range: {text}"


@pytest.mark.parametrize(
    "title, quoted",
    [("Sheet1", "Sheet1"), ("D3", "'D3'"), ("R1C1", "'R1C1'"), ("My sheet", "'My sheet'"),
     ("It's", "'It''s'"), ("2024", "'2024'"), ("Лист1", "Лист1"), ("🌵 x", "'🌵 x'"), ("ABCD1", "ABCD1")],
)
def test_quote_title_follows_google(title, quoted):
    assert a1.quote_title(title) == quoted


def test_format_range_shapes():
    assert a1.format_range("Sheet1", 0, 1000, 0, 26) == "Sheet1!A1:Z1000"
    assert a1.format_range("Sheet1", 1, 2, 1, 2) == "Sheet1!B2"
    assert a1.format_range("D3", 0, 4, 0, 4) == "'D3'!A1:D4"
    assert a1.column_letters(27) == "AB" and a1.column_index("AB") == 27


# -- field masks -------------------------------------------------------------


def test_fieldmask_nested_selection():
    doc = {
        "spreadsheetId": "x",
        "sheets": [
            {"properties": {"title": "A", "sheetId": 0, "index": 0}, "merges": [1], "data": [
                {"rowData": [{"values": [{"effectiveValue": 1, "formattedValue": "1", "note": "n"}]}]}
            ]}
        ],
    }
    mask = fieldmask.parse("sheets(properties(title,sheetId),data(rowData(values(formattedValue))))")
    assert fieldmask.select(doc, mask) == {
        "sheets": [{"properties": {"title": "A", "sheetId": 0}, "data": [{"rowData": [{"values": [{"formattedValue": "1"}]}]}]}]
    }
    assert fieldmask.select(doc, fieldmask.parse("sheets/properties/title")) == {"sheets": [{"properties": {"title": "A"}}]}


def test_fieldmask_apply_sets_and_clears_named_fields():
    target = {"gridProperties": {"rowCount": 5, "frozenRowCount": 2}, "title": "t"}
    fieldmask.apply(target, {"gridProperties": {"rowCount": 9}}, fieldmask.parse("gridProperties.rowCount,gridProperties.frozenRowCount"))
    assert target == {"gridProperties": {"rowCount": 9}, "title": "t"}


# -- values -------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, entered, number_format",
    [
        ("42", {"numberValue": 42}, None),
        ("0042", {"numberValue": 42}, None),
        ("-1.5e3", {"numberValue": -1500}, None),
        ("1,234.5", {"numberValue": 1234.5}, {"type": "NUMBER", "pattern": "#,##0.00"}),
        ("true", {"boolValue": True}, None),
        ("FALSE", {"boolValue": False}, None),
        ("12%", {"numberValue": 0.12}, {"type": "PERCENT", "pattern": "0%"}),
        ("2024-09-01", {"numberValue": 45536}, {"type": "DATE", "pattern": "yyyy-mm-dd"}),
        ("01.09.2024", {"numberValue": 45536}, {"type": "DATE", "pattern": "dd.mm.yyyy"}),
        ("9/1/2024", {"numberValue": 45536}, {"type": "DATE", "pattern": "M/d/yyyy"}),
        ("2024-02-31", {"stringValue": "2024-02-31"}, None),
        ("=1+2", {"formulaValue": "=1+2"}, None),
        ("'=1+2", {"stringValue": "=1+2"}, None),
        ("hello", {"stringValue": "hello"}, None),
    ],
)
def test_user_entered_parsing(typed, entered, number_format):
    assert values.user_entered_input(typed) == (entered, number_format)


def test_raw_input_keeps_text_as_typed():
    assert values.raw_input("=1+2") == {"stringValue": "=1+2"}
    assert values.raw_input("0042") == {"stringValue": "0042"}
    assert values.raw_input(1.5) == {"numberValue": 1.5}
    assert values.raw_input("") is None


@pytest.mark.parametrize(
    "number, number_format, shown",
    [
        (2.0, None, "2"),
        (1.5, None, "1.5"),
        (1 / 3, None, "0.3333333333"),
        (1e20, None, "1E+20"),
        (0.125, {"type": "PERCENT", "pattern": "0.00%"}, "12.50%"),
        (1234567.891, {"type": "NUMBER", "pattern": "#,##0.00"}, "1,234,567.89"),
        (45536, {"type": "DATE", "pattern": "dd.mm.yyyy"}, "01.09.2024"),
        (45536.5, {"type": "DATE_TIME", "pattern": "yyyy-mm-dd H:mm:ss"}, "2024-09-01 12:00:00"),
    ],
)
def test_number_formatting(number, number_format, shown):
    assert values.format_number(number, number_format) == shown


def _evaluate(formula, cells=None):
    cells = cells or {}

    def resolve(ref):
        _, rng = formulas.reference_bounds(ref)
        return [[cells.get((r, c)) for c in range(rng.start_col, rng.end_col)] for r in range(rng.start_row, rng.end_row)]

    return formulas.evaluate(formula, resolve)


@pytest.mark.parametrize(
    "formula, result",
    [
        ("=1+2*3", 7.0),
        ("=(1+2)*3", 9.0),
        ("=2^3^2", 64.0),
        ("=-2^2", 4.0),
        ("=50%", 0.5),
        ('="a"&1&TRUE', "a1TRUE"),
        ("=A1*2", 20.0),
        ("=SUM(A1:A3)", 13.0),
        ("=AVERAGE(A1:A2)", 6.0),
        ("=IF(A1>5, \"big\", \"small\")", "big"),
        ("=ROUND(2.5)", 3.0),
        ("=COUNTA(A1:A4)", 3.0),
        ("=A4", 0.0),
    ],
)
def test_formulas(formula, result):
    cells = {(0, 0): 10.0, (1, 0): 2.0, (2, 0): 1.0}
    assert _evaluate(formula, cells) == result


def test_formula_errors():
    assert _evaluate("=1/0").display == "#DIV/0!"
    unknown = _evaluate("=VLOOKUP(1, A1:B2, 2)")
    assert (unknown.type, unknown.display) == ("NAME", "#NAME?")
    assert _evaluate("=1+").display == "#ERROR!"
    assert _evaluate('=1+"x"').display == "#VALUE!"


# -- Drive queries -----------------------------------------------------------------


def _file(name, **extra):
    return DriveFile(id=name, name=name, mime_type=extra.pop("mime", "application/vnd.google-apps.spreadsheet"),
                     owner="me", created_ms=1000, modified_ms=extra.pop("modified", 1000), **extra)


@pytest.mark.parametrize(
    "query, matches",
    [
        ("name = 'Books 2024'", {"Books 2024"}),
        ('name contains "book"', {"Books 2024", "Old books"}),
        ("mimeType = 'application/vnd.google-apps.folder'", {"Folder"}),
        ("modifiedTime > '1970-01-01T00:00:01.500Z'", {"Old books"}),
        ("trashed = false and 'Folder' in parents", {"Books 2024"}),
        ('parents in "Folder"', {"Books 2024"}),
        ("(name = 'Folder' or name = 'Old books') and not trashed = true", {"Folder"}),
        ("'me' in owners and name contains 'Fold'", {"Folder"}),
    ],
)
def test_drive_query_language(query, matches):
    files = [
        _file("Books 2024", parents=["Folder"]),
        _file("Old books", modified=2000, trashed=True),
        _file("Folder", mime="application/vnd.google-apps.folder"),
    ]
    predicate = compile_query(query, "me", "me@emulator.invalid")
    assert {f.name for f in files if predicate(f)} == matches


@pytest.mark.parametrize("query", ["name =", "name ~ 'x'", "bogus = 'x'", "(name = 'x'", "modifiedTime > 'yesterday'"])
def test_drive_query_errors(query):
    with pytest.raises(ApiError) as caught:
        compile_query(query, "me", "me@x")
    assert caught.value.code == 400
    assert caught.value.drive_body()["error"]["errors"][0]["location"] == "q"


def test_rfc3339_round_trip():
    assert rfc3339(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
    assert parse_rfc3339("2023-11-14T22:13:20.123Z") == 1_700_000_000_123
