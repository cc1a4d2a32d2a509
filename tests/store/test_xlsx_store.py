"""XlsxStore on real files: what is read, what is written, and what is never touched."""
from __future__ import annotations

import os
import stat
import time
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

from sync_service.district.registry import default_collections
from sync_service.forms.layout import school_tabs
from sync_service.forms.schema import load_schema
from sync_service.stores.base import Dropdown, StoreError, TabSpec, WorkbookChanged, WorkbookUnavailable
from sync_service.stores.xlsx import LISTS_TAB, XlsxStore

YEAR = "2026/2027"


@pytest.fixture
def store(tmp_path):
    return XlsxStore(tmp_path)


def librarian_workbook(path, **sheets):
    """A workbook saved by openpyxl (as Excel would): ``{title: rows}``."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def spec(title="Проверка", rows=None, **kwargs) -> TabSpec:
    return TabSpec(title, rows if rows is not None else [["Итог", 1]], **kwargs)


# --- ids and markers ----------------------------------------------------------------------------

def test_ids_listing_and_markers(store, tmp_path):
    wid = store.create_workbook("sch07 МБОУ СОШ №7", [spec("Кадры")])
    (tmp_path / "~$sch07 МБОУ СОШ №7.xlsx").write_bytes(b"excel owner file")
    (tmp_path / "notes.txt").write_text("x")
    assert wid == "sch07 МБОУ СОШ №7.xlsx"
    [info] = store.list_workbooks()
    assert (info.id, info.title) == (wid, "sch07 МБОУ СОШ №7")
    assert store.markers([wid, "nope.xlsx"]) == {wid: info.marker, "nope.xlsx": None}
    for typed in ("sch07 МБОУ СОШ №7", "sch07 МБОУ СОШ №7.xlsx", " «sch07 МБОУ СОШ №7.xlsx» ",
                  str(tmp_path / wid), r"C:\Users\head\Documents\sch07 МБОУ СОШ №7.xlsx", "sch07"):
        assert store.workbook_id_for(typed) == wid, typed
    assert store.workbook_id_for("sch08") == "sch08.xlsx"
    assert store.workbook_id_for("old.xls") == "old.xls"


def test_create_refuses_to_overwrite(store):
    store.create_workbook("sch01", [spec("Кадры")])
    with pytest.raises(StoreError):
        store.create_workbook("sch01", [spec("Кадры")])
    with pytest.raises(StoreError):
        store.create_workbook("a/b", [spec("Кадры")])


# --- reading ------------------------------------------------------------------------------------------

def test_read_plain_values_merges_percent_and_errors(store, tmp_path):
    path = librarian_workbook(tmp_path / "sch01.xlsx", Обеспеченность=[
        ["Обеспеченность"], [], ["Класс", "Предмет", "Учеников", "Экз.", "%"],
        [5, "Математика", 50, 45, 0.125], [None, "Русский язык", 50.5, None, None, None],
    ], Прочее=[["x"]])
    book = openpyxl.load_workbook(path)
    sheet = book["Обеспеченность"]
    sheet["E4"].number_format = "0.0%"
    sheet["F4"] = date(2024, 9, 1)
    sheet["G4"] = True
    sheet["H4"] = "=SUM(C4:D4)"     # a formula without a cached value
    sheet["D5"] = "#REF!"
    sheet["D5"].data_type = "e"     # a cached formula error
    sheet["A7"] = None
    sheet.merge_cells("A4:A5")
    book.save(path)

    workbook = store.read("sch01.xlsx")
    assert list(workbook.sheets) == ["Обеспеченность", "Прочее"]
    got = workbook.sheet(" обеспеченность ")
    assert got.rows[0] == ["Обеспеченность"]
    assert got.rows[1] == []
    assert got.rows[3] == [5, "Математика", 50, 45, "12,5%", date(2024, 9, 1), True]
    assert got.rows[4] == [None, "Русский язык", 50.5, "#REF!"]
    assert len(got.rows) == 5          # trailing empty rows and cells trimmed
    assert got.merges == [(4, 1, 5, 1)]
    assert workbook.marker == store.markers(["sch01.xlsx"])["sch01.xlsx"]


@pytest.mark.parametrize("content, words", [
    (b"this is not a zip file", "xlsx"),
    ("Отчёт библиотеки".encode(), "xlsx"),
    (b"", "пустой"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + b"\0" * 600, "паролем"),
])
def test_unusable_files_have_a_russian_reason(store, tmp_path, content, words):
    (tmp_path / "bad.xlsx").write_bytes(content)
    with pytest.raises(WorkbookUnavailable) as caught:
        store.read("bad.xlsx")
    assert words in caught.value.reason
    assert caught.value.workbook_id == "bad.xlsx"
    with pytest.raises(WorkbookUnavailable):
        store.write_tabs("bad.xlsx", [spec()])


def test_truncated_zip_a_renamed_docx_and_a_missing_file(store, tmp_path):
    whole = librarian_workbook(tmp_path / "whole.xlsx", Лист=[[n] for n in range(2000)]).read_bytes()
    (tmp_path / "half.xlsx").write_bytes(whole[: len(whole) // 2])
    with zipfile.ZipFile(tmp_path / "letter.xlsx", "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    reasons = {}
    for name in ("half.xlsx", "letter.xlsx", "gone.xlsx", "../outside.xlsx"):
        with pytest.raises(WorkbookUnavailable) as caught:
            store.read(name)
        reasons[name] = caught.value.reason
    assert "не до конца" in reasons["half.xlsx"] and ".xlsx" in reasons["half.xlsx"]
    assert "не является книгой Excel" in reasons["letter.xlsx"]
    assert "не найден" in reasons["gone.xlsx"]
    assert reasons["../outside.xlsx"]
    for reason in reasons.values():
        assert reason == reason.strip() and not reason.isascii()


def _with_part(source, target, name, content: bytes) -> None:
    """A copy of the workbook ``source`` with the part ``name`` added or replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != name:
                new.writestr(info, old.read(info))
        new.writestr(name, content)


def test_pictures_in_a_workbook_are_not_unpacked_to_read_it(store, tmp_path):
    """Librarians paste photos of their events into workbooks: reading one costs what its
    sheets cost, not its megabytes of pictures."""
    import tracemalloc

    plain = librarian_workbook(tmp_path / "plain.xlsx", Кадры=[["ФИО"], ["Иванова Анна"]])
    _with_part(plain, tmp_path / "photos.xlsx", "xl/media/image1.jpeg", os.urandom(30_000_000))
    tracemalloc.start()
    try:
        sheets = store.read("photos.xlsx").sheets
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sheets["Кадры"].rows == [["ФИО"], ["Иванова Анна"]]
    # the file's bytes are held once; the picture is not unpacked beside them (30 MB more)
    assert peak < (tmp_path / "photos.xlsx").stat().st_size + 5_000_000


def test_writing_beside_photos_keeps_them_and_does_not_compress_them_again(store, tmp_path):
    """A photo is compressed already: it is kept byte for byte and stored as it is (deflating
    megabytes of photos again on every «Проверка» took seconds); the sheets stay deflated."""
    plain = librarian_workbook(tmp_path / "plain.xlsx", Мероприятия=[["Неделя детской книги"]])
    photo = os.urandom(200_000)
    _with_part(plain, tmp_path / "sch01.xlsx", "xl/media/image1.JPEG", photo)

    store.write_tabs("sch01.xlsx", [spec()])
    with zipfile.ZipFile(tmp_path / "sch01.xlsx") as archive:
        assert archive.read("xl/media/image1.JPEG") == photo
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
    assert kinds["xl/media/image1.JPEG"] == zipfile.ZIP_STORED
    assert kinds["xl/worksheets/sheet1.xml"] == zipfile.ZIP_DEFLATED
    assert list(store.read("sch01.xlsx").sheets) == ["Мероприятия", "Проверка"]


def test_a_part_that_unpacks_to_too_much_is_refused(store, tmp_path, monkeypatch):
    """A zip bomb (a small file that unpacks to gigabytes) is refused before it is unpacked:
    here the limit is lowered to 1 MB instead of making a file of over 512 MB."""
    from sync_service.stores.xlsx import package

    monkeypatch.setattr(package, "_MAX_PART", 1_000_000)
    plain = librarian_workbook(tmp_path / "plain.xlsx", Кадры=[["ФИО"]])
    with zipfile.ZipFile(plain) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    _with_part(plain, tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml", sheet + b" " * 2_000_000)
    with pytest.raises(WorkbookUnavailable) as caught:
        store.read("bomb.xlsx")
    assert "512 МБ" in caught.value.reason
    assert store.read("plain.xlsx").sheets["Кадры"].rows == [["ФИО"]]


def test_a_file_that_cannot_be_opened(store, tmp_path):
    """No permission (root reads any file, so as root only the other case runs) or any other
    error of the system on open (here a symbolic link to itself: ELOOP, for root too)."""
    (tmp_path / "loop.xlsx").symlink_to(tmp_path / "loop.xlsx")
    unopenable = ["loop.xlsx"]
    path = librarian_workbook(tmp_path / "locked.xlsx", Лист=[[1]])
    path.chmod(0)
    if os.geteuid() != 0:
        unopenable.append("locked.xlsx")
    try:
        for name in unopenable:
            with pytest.raises(WorkbookUnavailable) as caught:
                store.read(name)
            # what the system said, not a guess: ELOOP is not a lock of another program
            expected = "нет прав доступа" if name == "locked.xlsx" else "ошибка файловой системы (Too many levels"
            assert caught.value.reason.startswith(f"файл не открывается: {expected}"), caught.value.reason
    finally:
        path.chmod(0o644)


# --- creating ---------------------------------------------------------------------------------------

def test_created_school_workbook_has_its_formatting(store, tmp_path):
    schema = load_schema()
    tabs = school_tabs(default_collections(schema, YEAR))
    wid = store.create_workbook("sch01 МБОУ СОШ №1", tabs)
    book = openpyxl.load_workbook(tmp_path / wid)
    assert book.sheetnames == [t.title for t in tabs] + [LISTS_TAB]
    assert book[LISTS_TAB].sheet_state == "hidden" and book[LISTS_TAB].protection.sheet
    provision = book["Обеспеченность"]
    assert provision.freeze_panes == "A5"
    assert provision["A4"].font.b and provision["A1"].font.b and not provision["A5"].font.b
    assert provision.column_dimensions["B"].width == 30
    assert provision["B2"].value == "нет"   # «Готово»: a да/нет dropdown
    validations = {str(v.sqref): v.formula1 for v in provision.data_validations.dataValidation}
    assert validations["B2"] == '"да,нет"'
    subjects = validations["B5:B504"]   # 26 subjects: too long for an inline list
    assert subjects.startswith(f"'{LISTS_TAB}'!$")
    column = subjects.split("$")[1]
    listed = [c.value for c in book[LISTS_TAB][column] if c.value]
    assert listed == list(schema.lists["subjects"])
    fund = book["Фонд"]
    assert fund["A5"].value == "Фонд всего, экз."
    staffing = book["Кадры"]
    assert staffing.column_dimensions["I"].number_format == "DD.MM.YYYY"  # birth dates
    # and it reads back as the reader expects
    read = store.read(wid)
    assert read.sheets["Обеспеченность"].rows[1][:3] == ["Готово", "нет", "Дата сдачи"]


def test_spec_presentation_round_trip(store, tmp_path):
    tab = TabSpec("Итоги", [["Школа", "Дата", "Доля", "Готово"], ["sch01", date(2026, 9, 30), 0.5, None],
                            ["sch02", datetime(2026, 10, 1, 9, 30), 12.25, True]],
                  frozen_rows=1, bold_rows=(1,), widths={1: 20, 2: 14},
                  dropdowns=(Dropdown(1, 2, 10, ("sch01", "sch02")),), checkboxes=((2, 4), (3, 4)),
                  protected=True, number_formats={3: "0.0"})
    wid = store.create_workbook("Свод", [tab, TabSpec("Скрытый", [["x"]], hidden=True)])
    book = openpyxl.load_workbook(tmp_path / wid)
    sheet = book["Итоги"]
    assert sheet.freeze_panes == "A2" and sheet.protection.sheet and not sheet.protection.password
    assert sheet.column_dimensions["A"].width == 20 and sheet["B1"].font.b
    assert sheet["C2"].number_format == "0.0" and sheet["B2"].number_format == "DD.MM.YYYY"
    assert book["Скрытый"].sheet_state == "hidden"
    read = store.read(wid).sheets["Итоги"]
    assert read.rows[1:] == [["sch01", date(2026, 9, 30), 0.5, "нет"],
                             ["sch02", datetime(2026, 10, 1, 9, 30), 12.25, "да"]]


# --- writing service tabs ------------------------------------------------------------------------------

def test_write_tabs_keeps_everything_else(store, tmp_path):
    path = librarian_workbook(tmp_path / "sch01.xlsx", Кадры=[["ФИО", "Ставка"], ["Иванова", 1]],
                              Проверка=[["старое"], ["ещё старое"]])
    book = openpyxl.load_workbook(path)
    sheet = book["Кадры"]
    validation = DataValidation(type="list", formula1='"0,25,0,5,1"', allow_blank=True)
    validation.add("B2:B50")
    sheet.add_data_validation(validation)
    sheet.column_dimensions["A"].width = 33
    sheet["B2"].number_format = "0.00"
    sheet["C2"] = "=B2*2"
    book.save(path)
    # A cached formula value, as Excel leaves it: openpyxl cannot write one, so patch the XML.
    patch_cached_value(path, "Кадры", "C2", "2")
    before = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist() if "sheet1" in n}
    marker = store.read("sch01.xlsx").marker

    new_marker = store.write_tabs("sch01.xlsx", [spec("Проверка", [["=HYPERLINK(\"http://evil\")"], ["новое"]]),
                                                 spec("Свежий", [["добавлен"]])], expect_marker=marker)
    assert new_marker != marker and new_marker == store.markers(["sch01.xlsx"])["sch01.xlsx"]
    after = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist() if "sheet1" in n}
    assert after == before   # the librarian's sheet is the same bytes
    read = store.read("sch01.xlsx")
    assert read.sheets["Кадры"].rows == [["ФИО", "Ставка"], ["Иванова", 1, 2]]   # the cached value survives
    assert read.sheets["Проверка"].rows == [["=HYPERLINK(\"http://evil\")"], ["новое"]]
    assert list(read.sheets) == ["Кадры", "Проверка", "Свежий"]
    book = openpyxl.load_workbook(path)
    assert book["Проверка"]["A1"].data_type == "s"        # text, not a formula
    assert book["Кадры"]["C2"].value == "=B2*2"
    assert book["Кадры"].column_dimensions["A"].width == 33
    assert book["Кадры"]["B2"].number_format == "0.00"
    assert [str(v.sqref) for v in book["Кадры"].data_validations.dataValidation] == ["B2:B50"]
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]  # no temporary files left


def patch_cached_value(path, title, ref, value):
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    index = openpyxl.load_workbook(path).sheetnames.index(title) + 1
    name = f"xl/worksheets/sheet{index}.xml"
    xml = parts[name].decode()
    start = xml.index(f'r="{ref}"')
    end = xml.index("</c>", start)
    # openpyxl writes the empty value as <v/>, or as <v></v> when lxml is installed (python-docx brings it)
    cell = xml[start:end].replace("<v />", "").replace("<v/>", "").replace("<v></v>", "")
    parts[name] = (xml[:start] + cell + f"<v>{value}</v>" + xml[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, data in parts.items():
            archive.writestr(n, data)


def test_write_tabs_refuses_when_the_file_changed(store, tmp_path):
    path = librarian_workbook(tmp_path / "sch01.xlsx", Кадры=[["ФИО"]])
    marker = store.read("sch01.xlsx").marker
    time.sleep(0.01)
    librarian_workbook(path, Кадры=[["ФИО"], ["Петрова"]])   # the librarian saved meanwhile
    with pytest.raises(WorkbookChanged):
        store.write_tabs("sch01.xlsx", [spec()], expect_marker=marker)
    assert store.read("sch01.xlsx").sheets == {"Кадры": store.read("sch01.xlsx").sheets["Кадры"]}
    assert store.read("sch01.xlsx").sheets["Кадры"].rows == [["ФИО"], ["Петрова"]]


def test_rewriting_a_tab_many_times_does_not_grow_the_styles(store, tmp_path):
    wid = store.create_workbook("sch01", [spec("Кадры")])
    for n in range(5):
        store.write_tabs(wid, [spec("Проверка", [["Заголовок"], [n]], bold_rows=(1,), number_formats={1: "0.0"})])
    styles = zipfile.ZipFile(tmp_path / wid).read("xl/styles.xml").decode()
    assert styles.count("<xf ") <= 6


def test_add_missing_tabs_only_adds(store, tmp_path):
    path = librarian_workbook(tmp_path / "sch01.xlsx", Кадры=[["мои данные"]])
    added = store.add_missing_tabs("sch01.xlsx", [spec("Кадры", [["пустая форма"]]),
                                                  spec("Фонд", [["форма"]], dropdowns=(
                                                      Dropdown(1, 2, 3, tuple(f"вариант {n}" for n in range(40))),))])
    assert added == ["Фонд"]
    read = store.read("sch01.xlsx")
    assert read.sheets["Кадры"].rows == [["мои данные"]]
    assert LISTS_TAB in read.sheets
    assert store.add_missing_tabs("sch01.xlsx", [spec("Кадры"), spec("Фонд")]) == []
    assert path.exists()


def test_ten_thousand_rows_and_a_hundred_workbooks_read_time(store, tmp_path):
    rows = [["Массовая работа", f"Книжная выставка №{n}", "5–9 классы", "Октябрь", n] for n in range(10_000)]
    store.create_workbook("big", [spec("План работы", [["Направление", "Мероприятие", "Для кого", "Срок", "№"],
                                                      *rows])])
    started = time.perf_counter()
    sheet = store.read("big.xlsx").sheets["План работы"]
    big = time.perf_counter() - started
    assert len(sheet.rows) == 10_001 and sheet.rows[-1][-1] == 9_999

    schema = load_schema()
    tabs = school_tabs(default_collections(schema, YEAR))
    first = store.create_workbook("sch000", tabs)
    data = (tmp_path / first).read_bytes()
    for n in range(1, 100):
        (tmp_path / f"sch{n:03d}.xlsx").write_bytes(data)
    started = time.perf_counter()
    for n in range(100):
        store.read(f"sch{n:03d}.xlsx")
    many = time.perf_counter() - started
    print(f"\nread: 10 000-row tab {big:.2f} s; 100 school workbooks ({len(tabs)} tabs each) {many:.2f} s")


def test_rewriting_keeps_the_files_permissions(store, tmp_path):
    """A workbook on a shared folder stays readable by the others after Svod rewrites it:
    the rewritten file has the mode the workbook had, and a new one what the umask gives."""
    wid = store.create_workbook("sch01", [spec("Кадры")])
    path = tmp_path / wid
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    for mode in (0o664, 0o640):
        os.chmod(path, mode)
        store.write_tabs(wid, [spec("Проверка", [["замечаний нет"]])])
        assert stat.S_IMODE(path.stat().st_mode) == mode
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
