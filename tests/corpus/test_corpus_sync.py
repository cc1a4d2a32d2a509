"""A district whose schools' workbooks are real files of the corpus (issue 19's last «Done
when»): after a sync every school has its «Проверка» written with its other tabs unchanged,
or a visible error naming why — never «успешно» with nothing written; and a school whose
«Проверка» was refused is tried again by the next sync."""
from __future__ import annotations

import io
import zipfile

from sync_service.district.report import build_report
from sync_service.stores.xlsx.package import Package
from sync_service.sync.run import describe, run_sync
from tests.corpus.test_corpus import data_of
from tests.integration.district import NOW, YEAR, build_district

# School -> its workbook, a real file (sch06: one with its chart sheet named «Проверка»; sch07
# keeps the workbook Svod made).
FILES = {
    "sch01": "poi/47889.xlsx",                      # an empty <styleSheet/>
    "sch02": "poi/56278.xlsx",                      # no styles part
    "sch03": "poi/dataValidationTableRange.xlsx",   # <dxfs> number formats
    "sch04": "poi/sample-beta.xlsx",                # the Excel 2007 beta namespace: not read
    "sch05": "poi/stress002.xlsx",                  # merges hiding values; VBA
}
CHART_AS_CHECK = "poi/chart_sheet.xlsx"


def renamed_tab(data: bytes, old: str, new: str) -> bytes:
    """``data`` with the tab ``old`` renamed ``new``, as a librarian renames it in Excel."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in parts.items():
            archive.writestr(name, part)
    return out.getvalue()


def worksheet_parts(data: bytes) -> dict[str, bytes]:
    """The librarian's tabs as XML parts, by title."""
    package = Package.load(data)
    return {t.name: package.parts[t.path] for t in package.sheets()}


def test_every_school_is_written_or_says_why(tmp_path):
    district = build_district(tmp_path / "district", schools=7)
    originals = {code: data_of(name) for code, name in FILES.items()}
    originals["sch06"] = renamed_tab(data_of(CHART_AS_CHECK), "Chart1", "Проверка")
    for code, data in originals.items():
        district.path(code).write_bytes(data)

    summary = run_sync(district.svod)
    with district.svod.db.session() as session:
        schools = {s["code"]: s for s in build_report(session, academic_year=YEAR, now=NOW)["schools"]}
    written, failed = set(), {}
    for code, school in schools.items():
        data = district.path(code).read_bytes()
        if school["sync_error"]:
            failed[code] = school["sync_error"]
            assert data == originals.get(code, data)   # left as it was
        else:
            titles = [t.name for t in Package.load(data).tabs]
            assert "Проверка" in titles, code
            if code in originals:
                before = worksheet_parts(originals[code])
                assert {t: p for t, p in worksheet_parts(data).items() if t in before} == before
            written.add(code)
    assert written == {"sch01", "sch02", "sch03", "sch05", "sch07"}
    assert "пробной версии Excel 2007" in failed.pop("sch04")
    assert schools["sch04"]["sync_error_kind"] != "write"
    reason = failed.pop("sch06")
    assert "«Проверка»" in reason and "диаграмма" in reason and schools["sch06"]["sync_error_kind"] == "write"
    assert failed == {}
    # Svod's own cells read back as written: its title, and each collection's line with its counts
    for code in written:
        rows = district.store.read(district.path(code).name).sheets["Проверка"].rows
        assert rows[0] == [f"Проверка Svod — {dict(district.schools)[code]}"]
        header = rows.index(["Сбор", "Лист", "Срок сдачи", "Статус", "Ошибок", "Предупреждений"])
        assert all(isinstance(row[4], int) for row in rows[header + 1:header + 4])
    assert summary.status == "partial" and summary.failed == 2
    assert "успешно" not in describe(summary)

    # nothing changed: the refused «Проверка» is tried again (and refused again), the others not rewritten
    again = run_sync(district.svod)
    assert (again.read, again.failed, again.checks_written) == (0, 2, 0) and "sch06" in again.failures
    # the librarian renames her chart: the next sync writes «Проверка»
    district.path("sch06").write_bytes(renamed_tab(originals["sch06"], "Проверка", "Диаграмма"))
    last = run_sync(district.svod)
    assert "sch06" not in last.failures and last.checks_written == 1
    assert "Проверка" in [t.name for t in Package.load(district.path("sch06").read_bytes()).tabs]
