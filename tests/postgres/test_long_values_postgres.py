"""The long texts of tests/integration/test_long_values.py on PostgreSQL, which (unlike SQLite)
refuses a value longer than its column: there they failed the whole sync."""
from __future__ import annotations

from tests.integration import test_long_values as on_sqlite


def test_a_name_too_long_on_postgres(tmp_path, postgres_url):
    on_sqlite.test_a_name_too_long_is_the_heads_finding_and_the_school_keeps_its_place(
        tmp_path, database_url=postgres_url)


def test_a_book_no_file_system_takes_on_postgres(tmp_path, postgres_url):
    on_sqlite.test_a_book_no_file_system_takes_is_that_schools_error_not_the_districts(
        tmp_path, database_url=postgres_url)
