"""The published status page (tests/web/test_publish.py) on PostgreSQL: the pages kept as
bytea, the marker and the index read in one statement."""
from __future__ import annotations

import pytest

from tests.web import test_publish as on_sqlite


@pytest.mark.parametrize("test", [on_sqlite.test_published_pages_are_the_live_pages,
                                  on_sqlite.test_a_published_page_is_served_only_while_it_holds,
                                  on_sqlite.test_publishing_again_rewrites_what_changed_and_drops_what_is_gone,
                                  on_sqlite.test_what_the_head_does_between_syncs_is_shown_at_once])
def test_published_status_page_on_postgres(test, tmp_path, postgres_url):
    with on_sqlite.made_district(tmp_path, database_url=postgres_url) as district:
        test(district)
