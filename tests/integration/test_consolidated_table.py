"""«Свод» as a table people work with (issue 15), on real .xlsx files read back with openpyxl.

Three schools: sch01 submits its staff list and its fund, sch02 types a staff list without
ticking «Готово», sch03 does nothing. The consolidated workbook's totals count only what
is submitted and each column by its ``aggregate`` (a year of courses is not added up); every
data tab has a filter that its protection allows, frozen header rows and key columns,
fitted widths and statuses in the status page's colours; every title is unique and fits.
"""
from __future__ import annotations

import re
from datetime import date

import openpyxl
import pytest

from sync_service.district.status import OVERDUE, STATUS_COLOURS, SUBMITTED, SUBMITTED_LATE
from sync_service.sync.run import run_sync
from tests.integration.district import CONSOLIDATED, build_district, fill

STAFF = [["Иванова Анна Петровна", "Педагог-библиотекарь", 1, "Высшее библиотечное", 20, 12, "Первая", 2024,
          date(1975, 3, 4), "+7 912 345-67-89", "ivanova@example.ru"],
         ["Петрова Ольга Ивановна", "Библиотекарь", 0.5, "Высшее библиотечное", 31, 6, "Первая", 2021,
          date(1970, 1, 2), "+7 912 345-67-80", "petrova@example.ru"]]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    district = build_district(tmp_path_factory.mktemp("svod-table") / "district", schools=3)
    fill(district, "sch01", "staffing", rows=STAFF)
    fill(district, "sch01", "library_fund")
    fill(district, "sch02", "staffing", rows=STAFF[:1], ready=False)
    run_sync(district.svod)
    yield openpyxl.load_workbook(district.folder / CONSOLIDATED)
    district.svod.dispose()


def table(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def fill_of(cell) -> str:
    return cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else ""


def test_totals_count_the_submitted_and_each_column_by_its_aggregate(book):
    rows = table(book["Кадры"])
    header = rows[0]
    at = {label: header.index(label) for label in header}
    total, how = rows[-2], rows[-1]
    assert [r[0] for r in rows[1:-2]] == ["sch01", "sch01", "sch02"]     # every school's rows are shown
    assert total[:2] == ["Итого", "по 1 сдавшей школе из 3"]               # sch02's draft is not in them
    assert total[at["Год последних курсов"]] is None                      # today: 6069 (2024+2021+2024)
    assert total[at["Ставка"]] == 1.5 and how[at["Ставка"]] == "сумма"
    assert total[at["Общий стаж, лет"]] == 25.5 and how[at["Общий стаж, лет"]] == "среднее"
    assert total[at["Должность"]] == 2 and how[at["Должность"]] == "заполнено строк"
    assert book["Кадры"].cell(len(rows) - 1, 1).font.b    # the totals row is bold


def test_every_data_tab_filters_sorts_and_keeps_its_keys_in_view(book):
    for title in ("Статус сдачи", "Кадры", "Фонд"):
        sheet = book[title]
        rows = table(sheet)
        header = 2 if title == "Статус сдачи" else 1
        first, last = re.fullmatch(r"A(\d+):[A-Z]+(\d+)", sheet.auto_filter.ref).groups()
        assert int(first) == header, title
        assert str(rows[int(last) - 1][0]).startswith("sch"), title       # totals and rates stay below
        assert sheet.freeze_panes == f"C{header + 1}", title              # header rows and code + name
        protection = sheet.protection
        assert protection.sheet and not protection.password, title
        assert protection.autoFilter is False and protection.sort is False, title  # allowed, not forbidden
        widths = {letter: d.width for letter, d in sheet.column_dimensions.items() if d.width}
        assert all(8 <= w <= 60 for w in widths.values()), (title, widths)
    status = book["Статус сдачи"]
    name_width = status.column_dimensions["B"].width
    assert len("МБОУ СОШ №1") + 2 <= name_width <= 40


def test_statuses_have_the_status_pages_colours(book):
    status = book["Статус сдачи"]
    rows = table(status)
    staffing, fund = rows[0].index("Кадры") + 1, rows[0].index("Фонд") + 1
    by_code = {row[0]: r for r, row in enumerate(rows, start=1) if row[0]}
    submitted, late = status.cell(by_code["sch01"], fund), status.cell(by_code["sch01"], staffing)
    overdue = status.cell(by_code["sch03"], staffing)
    assert submitted.value == "сдан" and fill_of(submitted) == rgb(STATUS_COLOURS[SUBMITTED][1])
    assert late.value == "сдан с опозданием" and fill_of(late) == rgb(STATUS_COLOURS[SUBMITTED_LATE][1])
    assert overdue.value == "просрочен" and fill_of(overdue) == rgb(STATUS_COLOURS[OVERDUE][1])
    assert overdue.font.color.rgb == rgb(STATUS_COLOURS[OVERDUE][0])
    assert fill_of(status.cell(by_code["sch01"], 2)) == ""    # a school's name is not a status
    tab = book["Кадры"]
    assert tab.cell(2, 3).value == "сдан с опозданием" and fill_of(tab.cell(2, 3)) == rgb(STATUS_COLOURS[SUBMITTED_LATE][1])
    assert fill_of(tab.cell(1, 3)) == ""    # the header is not a status


def rgb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()


def test_tab_titles_are_unique_and_fit(book):
    titles = book.sheetnames
    assert len({t.casefold() for t in titles}) == len(titles)
    assert all(len(t) <= 31 for t in titles)
    # no title is another with a number stuck on («Обеспеченность» beside «Обеспеченность1»)
    bare = [re.sub(r"\s*\d+$", "", t).casefold() for t in titles]
    assert len(set(bare)) == len(bare), titles


def test_a_rewritten_tab_reuses_its_colours_and_styles():
    """Every sync that changes «Свод» rewrites its tabs: the fills, fonts and cell styles of
    the statuses are found again in styles.xml, not appended once more each time."""
    import io
    import zipfile

    from sync_service.district.consolidate import SchoolLine, status_tab
    from sync_service.model import Collection
    from sync_service.stores.xlsx.writer import new_workbook, write_tabs
    from tests.factory import shipped_schema

    schema = shipped_schema()
    collections = [Collection(key, schema.forms[key], "2026/2027", date(2026, 9, 30)) for key in ("staffing", "umk")]
    schools = [SchoolLine(f"sch{n:02d}", f"Школа №{n}") for n in range(1, 6)]
    statuses = {(s.code, c.key): status for s, status in zip(schools, ("submitted", "overdue", "returned",
                                                                        "in_progress", "not_started"))
                for c in collections}
    data = new_workbook([status_tab(collections, schools, statuses)])

    def styles(book: bytes) -> bytes:
        return zipfile.ZipFile(io.BytesIO(book)).read("xl/styles.xml")

    once = write_tabs(data, [status_tab(collections, schools, statuses)])
    twice = write_tabs(once, [status_tab(collections, schools, statuses)])
    assert styles(twice) == styles(once) == styles(data)
    sheet = openpyxl.load_workbook(io.BytesIO(twice))["Статус сдачи"]
    assert sheet["C4"].value == "просрочен" and sheet["C4"].fill.fgColor.rgb == rgb(STATUS_COLOURS[OVERDUE][1])
