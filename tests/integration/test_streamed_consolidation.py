"""The consolidated workbook streamed on the xlsx backend: its tabs' rows spooled to disk as
the stored snapshots are read a batch of schools at a time (sync_service/stores/rows.py,
sync/consolidate.py) write the same file, cell for cell and byte for byte, as the same tabs
held as lists; a failure midway leaves the previous workbook as it was; and rewriting the
workbook never unpacks the old tabs it replaces.

The batch sizes are made tiny here (a few rows a spool batch, one school a query) so that
a district of a few schools crosses every boundary a district of thousands does."""
from __future__ import annotations

import io
import random
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update

from sync_service import db as m
from sync_service.district.consolidate import SchoolLine, Snapshot, collection_tab, status_tab
from sync_service.forms.schema import load_schema
from sync_service.forms.table import Table
from sync_service.model import Collection
from sync_service.stores import rows as spool
from sync_service.stores.base import TabSpec
from sync_service.stores.rows import RowsUnreadable, SpooledRows
from sync_service.stores.xlsx import writer
from sync_service.stores.xlsx.package import FileRefused, Package
from sync_service.sync import consolidate
from sync_service.sync.consolidate import tabs_digest
from sync_service.sync.run import run_sync
from tests.integration.district import CONSOLIDATED, build_district, fill
from tests.unit.test_columnar import messy_values

SCHEMA = load_schema()
STATUSES = ["submitted", "submitted_late", "returned", "overdue", "in_progress", ""]


@pytest.fixture
def tiny_batches(monkeypatch):
    monkeypatch.setattr(spool, "BATCH", 3)
    monkeypatch.setattr(consolidate, "SNAPSHOT_BATCH", 1)


def stored(value):
    """A messy value as a snapshot holds it: the sync drops half an emoji when it parses, and
    a date column holds dates."""
    if isinstance(value, datetime):
        return value.date()
    return "".join(ch for ch in value if not "\ud800" <= ch <= "\udfff") if isinstance(value, str) else value


def random_tabs(seed: int) -> list[TabSpec]:
    """«Статус сдачи» and a tab per shipped form over 30 schools of messy stored snapshots."""
    rng = random.Random(seed)
    schools = [SchoolLine(f"sch{i:02d}", f"Школа №{i}", "файл повреждён" if i == 7 else None) for i in range(30)]
    collections = [Collection(form.key, form, "2026/2027", date(2026, 9, 30)) for _, form in sorted(SCHEMA.forms.items())]
    statuses = {(s.code, c.key): rng.choice(STATUSES) for s in schools for c in collections}
    tabs = [status_tab(collections, schools, statuses)]
    for collection in collections:
        form = collection.form
        snapshots = {}
        for school in schools[:-2]:
            count = 1 if form.shape == "record" else rng.randint(0, 9)
            records = [{**{c.key: stored(messy_values(c, rng, 1)[0]) for c in form.columns}, "_row": 5 + i}
                       for i in range(count)]
            if records and rng.random() < 0.3:   # dates as stored in JSON
                records = [{k: v.isoformat() if isinstance(v, date) else v for k, v in r.items()} for r in records]
            computed = ({c.key: rng.choice([None, 1, 2.5]) for c in form.computed} if form.shape == "record" else
                        {c.key: [rng.choice([None, 1, 2.5]) for _ in range(count)] for c in form.computed})
            snapshots[school.code] = Snapshot(Table.from_records(records), computed)
        tabs.append(collection_tab(collection, schools, snapshots,
                                   {s.code: statuses[(s.code, collection.key)] for s in schools}))
    return tabs


def spooled(tabs: list[TabSpec]) -> list[TabSpec]:
    """The same tabs made the sync's way: each row handed to a spool as it is made."""
    return [replace(tab, rows=SpooledRows(tab.rows)) for tab in tabs]


def sheets(data: bytes) -> dict[str, list[list]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book}


@pytest.mark.parametrize("seed", [1, 2])
def test_spooled_rows_make_the_same_tabs_and_digest_as_lists(tiny_batches, seed):
    listed = random_tabs(seed)
    assert sum(len(t.rows) for t in listed) > 200   # many spool batches
    schools = [SchoolLine(f"sch{i:02d}", f"Школа №{i}") for i in range(30)]
    collection = Collection("staffing", SCHEMA.forms["staffing"], "2026/2027", date(2026, 9, 30))
    rng = random.Random(seed)
    snapshots = {s.code: Snapshot(Table.from_records([{c.key: messy_values(c, rng, 1)[0] for c in
                                                       collection.form.columns} for _ in range(4)]), {})
                 for s in schools}
    statuses = {s.code: rng.choice(STATUSES) for s in schools}
    as_list = collection_tab(collection, schools, snapshots, statuses)
    streamed = collection_tab(collection, schools, snapshots, statuses, rows=SpooledRows())
    assert isinstance(streamed.rows, SpooledRows)
    assert replace(streamed, rows=[]) == replace(as_list, rows=[])     # widths, bold rows, filter …
    assert repr(list(streamed.rows)) == repr(as_list.rows)              # every value (NaN is not equal to itself)
    assert tabs_digest(spooled(listed)) == tabs_digest(listed)


@pytest.mark.parametrize("seed", [1, 2])
def test_spooled_tabs_write_the_same_workbook_byte_for_byte(tiny_batches, seed):
    listed = random_tabs(seed)
    made = writer.new_workbook(listed)
    assert writer.new_workbook(spooled(listed)) == made
    # rewriting the tabs of an existing workbook (a later sync): the same again
    older = writer.new_workbook(random_tabs(seed + 10))
    assert writer.write_tabs(older, spooled(listed)) == writer.write_tabs(older, listed)
    # and read back with openpyxl, every row of every tab is there
    read = sheets(made)
    assert [len(read[t.title]) for t in listed] == [len(t.rows) for t in listed]
    assert read["Статус сдачи"][2][:2] == ["sch00", "Школа №0"]


def district_synced(folder, schools: int = 4):
    district = build_district(folder, schools=schools)
    for code in ("sch01", "sch02", "sch04"):
        fill(district, code, "staffing")
        fill(district, code, "library_fund")
    fill(district, "sch03", "library_fund", ready=False)
    summary = run_sync(district.svod)
    assert summary.status == "ok" and summary.consolidated_written
    return district


def test_the_sync_streams_the_workbook_a_whole_read_would_write(tmp_path, monkeypatch):
    """Two copies of one district: one consolidated with a query per school and spools of
    three rows, the other in one query per collection and nothing spooled to disk."""
    monkeypatch.setattr(spool, "BATCH", 3)
    monkeypatch.setattr(consolidate, "SNAPSHOT_BATCH", 1)
    streamed = district_synced(tmp_path / "streamed" / "district")
    monkeypatch.setattr(spool, "BATCH", 10 ** 6)
    monkeypatch.setattr(consolidate, "SNAPSHOT_BATCH", 10 ** 6)
    whole = district_synced(tmp_path / "whole" / "district")
    data = (streamed.folder / CONSOLIDATED).read_bytes()
    assert data == (whole.folder / CONSOLIDATED).read_bytes()
    fund = sheets(data)["Фонд"]
    assert [row[0] for row in fund[1:4]] == ["sch01", "sch02", "sch03"] and fund[-2][0] == "Итого"
    # the digest taken as the rows streamed is the one of the whole: an idle sync writes nothing
    assert not run_sync(streamed.svod).consolidated_written


def test_a_failure_midway_leaves_the_previous_workbook(tmp_path, tiny_batches):
    """A stored version that cannot be read (the third school's, after two schools' rows
    were spooled): the run fails, and the consolidated workbook is the one written before."""
    district = district_synced(tmp_path / "district")
    path = district.folder / CONSOLIDATED
    before = path.read_bytes()
    with district.svod.db.session() as session:
        school = session.scalar(select(m.School.id).where(m.School.code == "sch04"))
        submissions = select(m.Submission.id).where(m.Submission.school_id == school)
        session.execute(update(m.SubmissionVersion).where(m.SubmissionVersion.submission_id.in_(submissions))
                        .values(rows={"columns": 5}))
    district.edit("sch01", "Фонд", {"B5": 12500})   # a change, so that the tab would be rewritten
    summary = run_sync(district.svod, force=True)
    assert summary.status == "failed" and not summary.consolidated_written
    assert path.read_bytes() == before
    assert not [p for p in district.folder.iterdir() if p.name.startswith(".~svod-")]


class FailingRows(list):
    """Rows whose reading stops after ``good`` of them, as a spool whose file broke would."""

    def __init__(self, rows, good: int):
        super().__init__(rows)
        self.good = good

    def __iter__(self):
        yield from list.__iter__(self[:self.good])
        raise OSError(5, "Input/output error")


def test_rows_that_cannot_be_read_refuse_nothing_and_write_nothing(tmp_path, tiny_batches):
    district = district_synced(tmp_path / "district")
    path = district.folder / CONSOLIDATED
    before = path.read_bytes()
    fund = next(t for t in random_tabs(3) if t.title == "Фонд")
    broken = replace(fund, rows=FailingRows(fund.rows, good=len(fund.rows) // 2))
    with pytest.raises(RowsUnreadable) as raised:   # not WorkbookRefused: the file is fine
        district.store.write_tabs(CONSOLIDATED, [broken])
    assert "«Фонд»" in str(raised.value) and "Input/output error" in str(raised.value)
    assert path.read_bytes() == before
    assert not [p for p in district.folder.iterdir() if p.name.startswith(".~svod-")]
    with pytest.raises(RowsUnreadable):
        district.store.create_workbook("Свод копия", [broken])
    assert not (district.folder / "Свод копия.xlsx").exists()


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The .xlsx ``data`` with its part ``name`` replaced by ``content``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == name else source.read(info))
    return out.getvalue()


def test_a_rewrite_reads_and_unpacks_only_the_sheets_it_keeps():
    """The consolidated workbook rewritten: its old tabs are neither read nor unpacked (at
    3 000 schools that was 1.3 GB); the tabs it keeps are still read, and refused if broken."""
    fund, status = (TabSpec("Фонд", [["Код школы"], ["sch01"]]), TabSpec("Статус сдачи", [["Код школы"], ["sch02"]]))
    data = writer.new_workbook([fund, status])
    path = {t.name: t.path for t in Package.load(data).tabs}["Фонд"]
    broken = with_part(data, path, b"<worksheet><sheetData><row")   # not XML a reader can read
    with pytest.raises(FileRefused):
        writer.write_tabs(broken, [replace(status, rows=[["Код школы"], ["sch03"]])])
    written = writer.write_tabs(broken, [replace(fund, rows=SpooledRows([["Код школы"], ["sch04"]]))])
    assert sheets(written) == {"Фонд": [["Код школы"], ["sch04"]], "Статус сдачи": [["Код школы"], ["sch02"]]}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a device that is always full")
def test_a_full_disk_is_not_a_broken_workbook():
    """The writer zips a workbook straight into the store's temporary file: a write that
    fails there is the disk's failure (WriteFailed, which the store reports as unwritable),
    never a refusal of the workbook written into."""
    tabs = random_tabs(4)
    data = writer.new_workbook(tabs)
    with open("/dev/full", "wb", buffering=0) as full:
        with pytest.raises(writer.WriteFailed):
            writer.new_workbook(spooled(tabs), out=full)
        with pytest.raises(writer.WriteFailed):
            writer.write_tabs(data, spooled(tabs), out=full)
    out = io.BytesIO()
    assert writer.write_tabs(data, spooled(tabs), out=out) is None and out.getvalue() == writer.write_tabs(data, tabs)
