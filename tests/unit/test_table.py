"""Rows kept as columns: the same rows as dicts, stored as JSON, read back in both formats."""
from datetime import date

from sync_service.forms.table import Table


def test_records_are_the_rows_as_dicts_with_their_sheet_rows():
    table = Table({"grade": [5, 6], "subject": ["Математика", None]}, [5, 7])
    assert len(table) == 2
    assert table.records() == [{"grade": 5, "subject": "Математика", "_row": 5},
                               {"grade": 6, "subject": None, "_row": 7}]
    assert table.records() is table.records()  # built once
    assert table.column("copies") == [None, None]  # a column the table lacks
    assert Table.from_records(table.records()) == table


def test_a_record_forms_row_has_no_sheet_row():
    table = Table({"fund_total": [12000], "readers": [None]}, [None])
    assert table.records() == [{"fund_total": 12000, "readers": None}]
    assert Table.from_records(table.records()) == table


def test_json_keeps_dates_as_iso_text_and_reads_both_formats():
    table = Table({"date": [date(2026, 9, 1), "01.13.2026"], "title": ["Неделя книги", "Акция"]}, [5, 6])
    stored = table.to_json()
    assert stored == {"columns": {"date": ["2026-09-01", "01.13.2026"], "title": ["Неделя книги", "Акция"]},
                      "rows": [5, 6]}
    assert table.columns["date"][0] == date(2026, 9, 1)  # the table itself is not changed
    assert Table.from_json(stored).records() == [{"date": "2026-09-01", "title": "Неделя книги", "_row": 5},
                                                 {"date": "01.13.2026", "title": "Акция", "_row": 6}]
    legacy = [{"date": "2026-09-01", "title": "Неделя книги", "_row": 5}]  # versions before revision 0004
    assert Table.from_json(legacy) == Table({"date": ["2026-09-01"], "title": ["Неделя книги"]}, [5])
    assert len(Table.from_json(None)) == len(Table.from_json([])) == 0
