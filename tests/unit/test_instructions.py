"""Instructions point to what exists (issue 15): every tab a form's help text or a finding's
message or hint sends a person to is a tab Svod gives that workbook («ФПУ» included — the
order's «Код — из листа «ФПУ»» — see sync_service/order/fpu_tab.py)."""
import re

import pytest

from sync_service.findings import CODES
from sync_service.forms.layout import CHECK_TAB
from sync_service.forms.schema import load_schema
from sync_service.forms.sheet_forms import LISTS_TAB
from sync_service.order.fpu_tab import FPU_TAB

SCHEMA = load_schema()
NAMED_TAB = re.compile(r"(?:лист|листа|листе|листом|листы|листах)\s+«([^»]+)»")
TABS = ({f.tab for f in SCHEMA.forms.values()} | {f.tab for f in SCHEMA.head.values()}
        | {CHECK_TAB, FPU_TAB, LISTS_TAB})


def texts():
    for form in [*SCHEMA.forms.values(), *SCHEMA.head.values()]:
        yield f"form {form.key}", form.help or ""
        for column in form.columns:
            yield f"form {form.key}, column {column.key}", column.help or ""
    for code, (_severity, message, hint) in CODES.items():
        yield f"code {code}", f"{message} {hint}"


@pytest.mark.parametrize("where, text", list(texts()))
def test_every_tab_an_instruction_names_exists(where, text):
    named = {name for name in NAMED_TAB.findall(text) if not name.startswith("{")}
    assert named <= TABS, f"{where} sends people to {named - TABS}"


def test_the_order_instruction_names_the_fpu_tab_svod_writes():
    assert f"из листа «{FPU_TAB}»" in SCHEMA.forms["textbook_order"].help
