"""The hostile district: every attack of issue 17 planted in one district, synced and served.

    python bench/hostile.py [--schools 50] [--rows 100000] [--runs 3] [--work DIR]

A demo district of ``--schools`` schools (``sync_service.demo``) with, planted as people
would plant them (openpyxl on the files, as Excel saves them):

- **formulas**: texts that a spreadsheet would run — «=HYPERLINK(…)», «=1+2», «+SUM(A1:A9)»,
  «@cmd», «-2+3» — typed as text into a school's «УМК» and «Мероприятия»;
- **XSS**: «<script>…</script>» in a school's name on «Школы», «<img onerror=…>» in cells;
- **path traversal** in «Книга»: «../../../etc/passwd», «/etc/shadow», «..\\..\\boot.ini»,
  «file:///etc/passwd», «C:\\Windows\\win.ini»;
- **1e308**, a 400-digit number and a 5 000-letter text in a school's «Фонд»;
- **100 000 rows** in one school's «Заказ учебников», every code unknown, the federal list loaded;
- **NUL and half an emoji** (``_x0000_``, ``_xD83D_``: how a .xlsx file carries them);
- **a duplicate code**: one school's code typed over the next one's, « SCHnn »;
- **a corrupt workbook**: one school's file cut to garbage bytes;
- then **the «Школы» tab deleted** from the head's workbook, and synced again.

What it checks (:func:`check`, also ``tests/integration/test_hostile_district.py``): no
crash (no run failed, no ``processing-error``, no page answering 500), no value a person
typed changed (every cell of every tab people type in, compared before and after each
sync), every page and API answer under 2 MB, the formulas written as text into «Свод»,
no script of the planted ones unescaped on a page, every letter bounded.

Printed, beside the same district without the attacks (the baseline: what the sync and the
pages cost when nobody attacks): the sync's time (best and median of ``--runs`` fresh
copies), the findings stored, the longest «Проверка», the largest page and the slowest.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from sync_service import db as m  # noqa: E402
from sync_service.config import Settings  # noqa: E402
from sync_service.context import Svod  # noqa: E402
from sync_service.demo.district import generate_demo  # noqa: E402
from sync_service.order import commands  # noqa: E402
from sync_service.stores.xlsx import XlsxStore  # noqa: E402

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0)
YEAR = "2026/2027"
CONSOLIDATED = "Свод 2026-2027.xlsx"   # SVOD_CONSOLIDATED_WORKBOOK «Свод.xlsx» with the year
LIMIT = 2 * 1024 * 1024  # every page and API answer
SERVICE_TABS = {"Проверка", "ФПУ"}  # the tabs Svod writes; everything else is typed by people
FORMULAS = ['=HYPERLINK("http://evil.example","жми")', "=1+2", "+SUM(A1:A9)", "@cmd|' /C calc'!A0", "-2+3"]
SCRIPT = '<script>alert("svod")</script>'
IMAGE = "<img src=x onerror=alert(1)>"
TRAVERSALS = ["../../../etc/passwd", "/etc/shadow", "..\\..\\boot.ini", "file:///etc/passwd", "C:\\Windows\\win.ini"]
PASSWORD = "hostile district 2026"


@dataclass
class Hostile:
    folder: Path
    head: str
    codes: list[str]                                        # the active schools' codes
    planted: dict[str, str] = field(default_factory=dict)   # attack -> where


def settings(work: Path, **overrides) -> Settings:
    from werkzeug.security import generate_password_hash

    return Settings.from_env({}, workbooks_dir=work / "district", database_url=f"sqlite:///{work / 'svod.db'}",
                             lock_file=work / "sync.lock", export_dir=work / "exports", academic_year=YEAR,
                             admin_password_hash=generate_password_hash(PASSWORD), secret_key="hostile",
                             **overrides)


def context(work: Path) -> Svod:
    from sync_service.forms.schema import load_schema

    return Svod(settings(work), schema=load_schema(), clock=lambda: NOW)


def build(work: Path, *, schools: int = 50, rows: int = 100_000, attacks: bool = True, seed: int = 1) -> Hostile:
    """The district in ``work/district``, its database migrated with the sample federal list."""
    folder = work / "district"
    folder.mkdir(parents=True, exist_ok=True)
    svod = context(work)
    made = generate_demo(XlsxStore(folder), svod.schema, schools=schools, seed=seed, today=TODAY)
    svod.db.upgrade()
    commands.fpu_import(svod.db, commands.sample_fpu_path())
    svod.dispose()
    district = Hostile(folder, made.head_workbook_id, [s.code for s in made.schools if s.active])
    if attacks:
        plant(district, {s.code: s.workbook_id for s in made.schools}, rows)
    return district


def _cell_text(cell, value: str) -> None:
    """A text as a person types it (a leading «=» stays text, as with Excel's apostrophe)."""
    cell.value = value
    cell.data_type = "s"


def _data_rows(sheet, rows: list[list]) -> None:
    """Type ``rows`` under the tab's header (row 4), from row 5."""
    for r, line in enumerate(rows, start=5):
        for c, value in enumerate(line, start=1):
            if isinstance(value, str):
                _cell_text(sheet.cell(r, c), value)
            else:
                sheet.cell(r, c).value = value


def plant(district: Hostile, workbooks: dict[str, str], rows: int) -> None:
    codes, folder = district.codes, district.folder
    head = folder / district.head
    book = openpyxl.load_workbook(head)
    sheet = book["Школы"]
    row_of = {str(sheet.cell(r, 1).value).strip(): r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value}
    _cell_text(sheet.cell(row_of[codes[0]], 2), f"{SCRIPT} МБОУ СОШ")
    district.planted["XSS in a school's name"] = f"«Школы» B{row_of[codes[0]]}"
    for code, ref in zip(codes[1:6], TRAVERSALS):
        _cell_text(sheet.cell(row_of[code], 5), ref)
    district.planted["path traversal in «Книга»"] = ", ".join(codes[1:6])
    _cell_text(sheet.cell(row_of[codes[6]], 1), f"  {codes[7].upper()} ")
    district.planted["a duplicate code"] = f"{codes[6]} typed as « {codes[7].upper()} »"
    book.save(head)

    def edit(code: str, change) -> None:
        path = folder / workbooks[code]
        school = openpyxl.load_workbook(path)
        change(school)
        school.save(path)

    umk = [["Математика", 5, "1.1.2.3.2.1", FORMULAS[0], FORMULAS[1], FORMULAS[2]],
           ["Русский язык", 6, "1.1.2.1.1.2", FORMULAS[3], IMAGE, FORMULAS[4]],
           ["История", 7, "1.1.2.1.1.1", "Иванов_x0000_И. И.", "Учебник _xD83D_ и _xDE00_", "Просвещение"]]
    edit(codes[8], lambda school: _data_rows(school["УМК"], umk))
    district.planted["formulas, XSS in cells, NUL and half an emoji"] = f"{codes[8]} «УМК»"
    events = next(name for name in openpyxl.load_workbook(folder / workbooks[codes[9]], read_only=True).sheetnames
                  if name.startswith("Мероприятия"))
    edit(codes[9], lambda school: _data_rows(school[events], [
        [TODAY, f"{SCRIPT}{FORMULAS[1]}", "Беседа", "5-7", 30, "javascript:alert(1)"],
        [TODAY, IMAGE, "Викторина", "8", 1e308, "http://photo.example/1"]]))
    district.planted["XSS and formulas in event titles"] = f"{codes[9]} «{events}»"

    def huge(school) -> None:
        sheet = school["Фонд"]
        labels = {sheet.cell(r, 1).value: r for r in range(5, sheet.max_row + 1)}
        for label, value in (("Фонд всего, экз.", 1e308), ("Учебники, экз.", "1" * 400),
                             ("Художественная литература, экз.", "я" * 5000)):
            if label in labels:
                cell = sheet.cell(labels[label], 2)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"
    edit(codes[10], huge)
    district.planted["1e308, 400 digits, 5 000 letters"] = f"{codes[10]} «Фонд»"

    def order(school) -> None:
        sheet = school["Заказ учебников"]
        sheet["B2"] = "да"
        for i in range(rows):
            sheet.append([f"9.9.{i // 1000}.{i % 1000}", "", "Учебник", 5, "", 10, None])
    edit(codes[11], order)
    district.planted[f"{rows:,} order lines".replace(",", " ") + ", every code unknown"] = f"{codes[11]} «Заказ учебников»"

    corrupt = folder / workbooks[codes[12]]
    corrupt.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    district.planted["a corrupt workbook"] = corrupt.name


# --- what people typed, before and after -------------------------------------------------------

def typed(folder: Path, seen: dict[bytes, dict] | None = None) -> dict[str, dict[str, list[tuple]]]:
    """Every value of every tab people type in, workbook by workbook («Свод» and Svod's own tabs left out).

    ``seen`` (the file's SHA-256 -> its tabs) spares reading again a file whose bytes are those of
    one read before: the same bytes are the same values (a sync leaves most files as they were)."""
    seen = {} if seen is None else seen
    found: dict[str, dict[str, list[tuple]]] = {}
    for path in sorted(folder.glob("*.xlsx")):
        if path.name == CONSOLIDATED:
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).digest()
        if digest not in seen:
            seen[digest] = _tabs(data)
        found[path.name] = seen[digest]
    return found


def _tabs(data: bytes) -> dict[str, list[tuple]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # the corrupt one: its bytes are what the person left
        return {"bytes": [(data,)]}
    try:
        return {name: [tuple(row) for row in book[name].iter_rows(values_only=True)]
                for name in book.sheetnames if name not in SERVICE_TABS}
    finally:
        book.close()


def changed_cells(before: dict, after: dict) -> list[str]:
    """Where ``after`` differs from ``before``: «file / tab / row N»."""
    out = []
    for name in sorted(set(before) | set(after)):
        tabs_before, tabs_after = before.get(name, {}), after.get(name, {})
        for tab in sorted(set(tabs_before) | set(tabs_after)):
            a, b = tabs_before.get(tab, []), tabs_after.get(tab, [])
            for number in range(max(len(a), len(b))):
                if (a[number] if number < len(a) else None) != (b[number] if number < len(b) else None):
                    out.append(f"{name} / {tab} / row {number + 1}")
    return out


# --- serving -----------------------------------------------------------------------------------------

def urls(app, codes: list[str], keys: list[str]) -> list[str]:
    """Every GET route of the app, with every school and collection of the district."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "static" in rule.rule:
            continue
        names = set(re.findall(r"<(?:\w+:)?(\w+)>", rule.rule))
        values = [{}]
        if "code" in names:
            values = [{"code": code} for code in codes]
        elif "key" in names:
            values = [{"key": key} for key in keys]
        elif names:
            values = [{name: "1" for name in names}]
        for value in values:
            found.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda match, value=value: value.get(match[1], "x"), rule.rule))
    return sorted(set(found)) + ["/?page=2", "/?status=overdue", "/debtors.txt?page=2"]


def serve(work: Path, codes: list[str]) -> dict:
    """GET every page as a visitor and as the head: status codes, sizes, times."""
    from web import create_app

    svod = context(work)
    app = create_app({"SVOD": svod, "TESTING": True})
    with svod.db.session() as session:
        keys = list(session.scalars(select(m.Collection.key).where(m.Collection.in_plan)))
    visitor, head = app.test_client(), app.test_client()
    form = head.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    head.post("/admin/login", data={"csrf_token": token, "password": PASSWORD})
    pages: dict[str, tuple[int, int, float]] = {}
    unescaped = []
    for url in urls(app, codes + [codes[11] + "/findings?collection=textbook_order&column=fpu_code"
                                  "&finding=fpu-unknown-code"], keys):
        for who, client in (("", visitor), ("head ", head)):
            started = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - started
            body = response.get_data()
            if response.headers.get("Content-Disposition", "").startswith("attachment"):
                continue  # a file the head downloads (the database export, «Свод»), not a page
            pages[who + url] = (response.status_code, len(body), seconds)
            html = response.mimetype == "text/html"  # JSON escapes «<», text/plain is served nosniff
            if html and (SCRIPT.encode() in body or IMAGE.encode() in body):
                unescaped.append(who + url)
    svod.dispose()
    return {"pages": pages, "unescaped": unescaped}


# --- one whole round ---------------------------------------------------------------------------------

def sync(work: Path):
    from sync_service.sync.run import run_sync

    svod = context(work)
    try:
        started = time.perf_counter()
        summary = run_sync(svod)
        return summary, time.perf_counter() - started
    finally:
        svod.dispose()


def letters(work: Path) -> list[int]:
    from sync_service.district.reminders import send_reminders

    svod = Svod(settings(work, head_email="head@omo.example"), schema=context(work).schema, clock=lambda: NOW)
    try:
        result = send_reminders(svod, dry_run=True, out=io.StringIO())
        return [len(message.body.encode()) for message in result.messages]
    finally:
        svod.dispose()


def stored(work: Path) -> dict:
    svod = context(work)
    try:
        with svod.db.session() as session:
            findings = session.scalar(select(func.count()).select_from(m.FindingRecord))
            errors = session.scalar(select(func.count()).select_from(m.FindingRecord).where(
                m.FindingRecord.code == "processing-error"))
            failed = session.scalar(select(func.count()).select_from(m.SyncRun).where(m.SyncRun.status == "failed"))
            schools = session.scalar(select(func.count()).select_from(m.School).where(
                m.School.in_registry, m.School.active))
        return {"findings": findings, "processing_errors": errors, "failed_runs": failed, "active_schools": schools}
    finally:
        svod.dispose()


def longest_check(folder: Path) -> int:
    longest = 0
    for path in folder.glob("*.xlsx"):
        try:
            book = openpyxl.load_workbook(path, read_only=True)
        except Exception:
            continue
        if "Проверка" in book.sheetnames:
            longest = max(longest, book["Проверка"].max_row or 0)
        book.close()
    return longest


def formulas_as_text(folder: Path) -> tuple[int, int]:
    """(cells of «Свод» holding a planted formula text, how many of them a formula)."""
    book = openpyxl.load_workbook(folder / CONSOLIDATED, read_only=True)  # a formula cell is still type «f»
    try:
        for sheet in book:
            sheet.reset_dimensions()  # every cell there is, as the full load reads them, whatever the dimension says
        cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row
                 if isinstance(cell.value, str) and cell.value in FORMULAS]
        return len(cells), sum(cell.data_type == "f" for cell in cells)
    finally:
        book.close()


def delete_schools_tab(district: Hostile) -> None:
    book = openpyxl.load_workbook(district.folder / district.head)
    del book["Школы"]
    book.save(district.folder / district.head)


def check(work: Path, district: Hostile) -> dict:
    """Sync, serve, sync again after «Школы» is deleted, serve again: the figures of :mod:`hostile`."""
    seen: dict[bytes, dict] = {}
    before = typed(district.folder, seen)
    summary, seconds = sync(work)
    after = typed(district.folder, seen)
    first = {"status": summary.status, "seconds": seconds, "changed": changed_cells(before, after),
             **stored(work), "longest_check": longest_check(district.folder),
             "formulas": formulas_as_text(district.folder), "letters": letters(work), **serve(work, district.codes)}
    delete_schools_tab(district)
    before = typed(district.folder, seen)
    summary, seconds = sync(work)
    second = {"status": summary.status, "seconds": seconds, "error": summary.error,
              "changed": changed_cells(before, typed(district.folder, seen)), **stored(work),
              **serve(work, district.codes)}
    return {"first": first, "second": second}


# --- the benchmark -----------------------------------------------------------------------------------

def _largest(pages: dict) -> tuple[str, int]:
    url = max(pages, key=lambda u: pages[u][1])
    return url, pages[url][1]


def _slowest(pages: dict) -> tuple[str, float]:
    url = max(pages, key=lambda u: pages[u][2])
    return url, pages[url][2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path)
    options = parser.parse_args()
    work = options.work or Path(tempfile.mkdtemp(prefix="svod-hostile-"))
    print(f"hostile district: {options.schools} schools, {options.rows:,} order lines; work in {work}")
    results = {}
    for side, attacks in (("baseline (no attacks)", False), ("hostile", True)):
        template = work / side.split()[0]
        shutil.rmtree(template, ignore_errors=True)
        district = build(template, schools=options.schools, rows=options.rows, attacks=attacks)
        times, checked = [], None
        for run in range(options.runs):
            copy = work / f"{side.split()[0]}-run{run}"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(template, copy)
            copied = Hostile(copy / "district", district.head, district.codes, district.planted)
            if run == 0:
                checked = check(copy, copied)
                times.append(checked["first"]["seconds"])
            else:
                times.append(sync(copy)[1])
            shutil.rmtree(copy, ignore_errors=True)
        results[side] = (district, checked, times)

    for side, (district, checked, times) in results.items():
        first, second = checked["first"], checked["second"]
        print(f"\n== {side}")
        for attack, where in district.planted.items():
            print(f"   planted: {attack} — {where}")
        print(f"   first sync: {first['status']}, best {min(times):.2f} s, median {statistics.median(times):.2f} s "
              f"({len(times)} fresh copies)")
        print(f"   findings stored: {first['findings']}; longest «Проверка»: {first['longest_check']} rows; "
              f"letters: {len(first['letters'])}, largest {max(first['letters'] or [0]) / 1024:.1f} KB")
        pages = first["pages"]
        crashes = [u for u, (code, _size, _t) in {**pages, **second["pages"]}.items() if code >= 500]
        url, size = _largest(pages)
        slow, seconds = _slowest(pages)
        print(f"   pages: {len(pages)}; largest {size / 1024:.1f} KB ({url}); slowest {seconds * 1000:.0f} ms ({slow}); "
              f"over 2 MB: {sum(s >= LIMIT for _c, s, _t in pages.values())}")
        print(f"   crashes: {first['processing_errors'] + second['processing_errors']} processing errors, "
              f"{second['failed_runs']} failed runs, {len(crashes)} pages answering 5xx")
        print(f"   typed values changed: {len(first['changed']) + len(second['changed'])}; "
              f"formula texts in «Свод»: {first['formulas'][0]}, written as formulas: {first['formulas'][1]}; "
              f"scripts unescaped on pages: {len(first['unescaped']) + len(second['unescaped'])}")
        print(f"   «Школы» deleted, synced again: {second['status']}, schools kept {second['active_schools']}")
    if not options.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
