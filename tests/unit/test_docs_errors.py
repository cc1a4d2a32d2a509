"""docs/errors.md lists every finding code, with its severity and Russian texts."""
import re
from pathlib import Path

import pytest

from sync_service.findings import CODES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def documented() -> dict[str, list[str]]:
    """code -> the cells of its table row."""
    rows = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([a-z0-9-]+)`\s*\|", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return rows


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_documented(code):
    assert code in documented(), f"{code} is missing from docs/errors.md"


@pytest.mark.parametrize("code", sorted(CODES))
def test_the_row_matches_the_code_table(code):
    row = documented().get(code)
    if row is None:
        pytest.skip("reported by test_every_code_is_documented")
    severity, message, hint = CODES[code]
    assert row[1] == severity
    assert row[2] == message
    assert row[3] == hint
    assert row[4], "say when the code fires"


def test_no_documented_code_is_unknown():
    assert set(documented()) <= set(CODES)
