"""The .xlsx zip package as the reader and the writer see it: its parts, the workbook's
relationships and tabs, and what Svod refuses before reading or writing a file.

A package is understood when its workbook part is SpreadsheetML in the usual
(transitional) namespace and every tab it lists is a worksheet, chartsheet, macro or dialog
sheet with a name, an id and a relationship to a part that is there. Anything else — the
«Strict Open XML» flavour, the Excel 2007 beta namespace, a workbook part that is not
there or not XML — is refused with :class:`FileRefused` and a Russian reason, by the reader
and by the writer alike: Svod never writes into a file it could not read.
"""
from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date
from xml.etree import ElementTree as ET

from sync_service.stores.base import StoreError

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_BETA = "http://schemas.microsoft.com/office/excel/2006/2"   # Excel 2007 beta
REL_WORKSHEET = NS_REL + "/worksheet"
REL_STYLES = NS_REL + "/styles"
REL_SHARED_STRINGS = NS_REL + "/sharedStrings"
REL_CALC_CHAIN = NS_REL + "/calcChain"
_REL_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
# The other kinds of tab a workbook lists: not read, but their names and ids are taken.
_REL_OTHER_SHEETS = {NS_REL + "/chartsheet", NS_REL + "/dialogsheet",
                     "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
                     "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet"}

_MAX_PART = 512 * 1024 * 1024  # unpacked bytes of one part: more is a zip bomb, not a school's report

# Why a file's bytes cannot be used, for the head and the librarian: what is wrong with the
# file and what to do. The store adds the reasons of the folder (missing file, no access).
REASONS = {
    "empty": "файл пустой (0 байт) — возможно, он ещё сохраняется или копируется; если ошибка повторится, "
             "пересохраните книгу в Excel как .xlsx",
    "truncated": "файл повреждён или записан не до конца (возможно, он ещё копируется); "
                 "откройте его в Excel и пересохраните как .xlsx",
    "xls": "файл в старом формате Excel (.xls); откройте его в Excel и сохраните как «Книга Excel (.xlsx)»",
    "encrypted": "книга защищена паролем на открытие; снимите пароль (Файл → Сведения → Защита книги) "
                 "и сохраните её как .xlsx",
    "ods": "файл в формате OpenDocument (.ods); сохраните его как «Книга Excel (.xlsx)»",
    "not_xlsx": "файл повреждён или не является книгой Excel (.xlsx); пересохраните его в Excel как .xlsx",
    "too_big": "часть книги в распакованном виде больше 512 МБ — это не похоже на отчёт школы; "
               "удалите из книги лишнее (большие картинки, вложения) или пересохраните её",
    "strict": "книга сохранена в формате «Strict Open XML»; сохраните её как обычную «Книга Excel (.xlsx)»",
    "beta": "книга сохранена в формате пробной версии Excel 2007, который Svod не читает; откройте её "
            "в Excel или LibreOffice и сохраните как «Книга Excel (.xlsx)»",
    "not_a_worksheet": "лист «{title}» в книге — не обычный лист (диаграмма или макрос), и Svod не может "
                       "записать на его место; переименуйте или удалите его в Excel",
    "duplicate_tabs": "в книге несколько листов с именем «{title}», а Excel такого не допускает; удалите или "
                      "переименуйте лишние (сводную книгу можно просто удалить — Svod создаст её заново)",
    "no_tab": "в книге нет листа «{title}» (его переименовали или удалили, пока Svod работал с книгой); "
              "верните его или просто повторите — Svod прочитает книгу заново",
    "tab_taken": "в книге уже есть лист «{title}»; переименуйте его, чтобы Svod мог дать это имя своему листу",
    "styles": "в книге повреждена таблица стилей (styles.xml), и Svod не может записать в неё свой лист; "
              "откройте книгу в Excel или LibreOffice и пересохраните её как .xlsx",
}


class FileRefused(StoreError):
    """The bytes are not a workbook Svod can read or safely write; ``reason`` is Russian."""

    def __init__(self, key: str, **details: str):
        self.key = key
        self.reason = REASONS[key].format(**details)
        super().__init__(self.reason)


class TooBig(Exception):
    """A part of the package unpacks to more than ``_MAX_PART`` bytes."""


def _unpacked(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > _MAX_PART:
        raise TooBig(info.filename)
    return archive.read(info)


class _PackedParts(MutableMapping):
    """Part name -> bytes of a zip, each part unpacked when first asked for and kept; parts
    set, replaced (a sheet being streamed: None) or removed are kept apart from the zip, in
    the zip's order with new ones last, as a dict of every part would have them. An edit
    that replaces a sheet never unpacks the old one (a consolidated tab of 3 000 schools
    unpacks to hundreds of megabytes)."""

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self._infos = {info.filename: info for info in archive.infolist()}
        self._unpacked: dict[str, bytes | None] = {}
        self._names = dict.fromkeys(self._infos)   # the parts there now, in order

    def __getitem__(self, name: str) -> bytes:
        if name in self._unpacked:
            return self._unpacked[name]
        if name not in self._names:
            raise KeyError(name)
        found = self._unpacked[name] = _unpacked(self._archive, self._infos[name])
        return found

    def __setitem__(self, name: str, value: bytes | None) -> None:
        self._unpacked[name] = value
        self._names[name] = None

    def __delitem__(self, name: str) -> None:
        del self._names[name]
        self._unpacked.pop(name, None)

    def pop(self, name: str, *default):
        """Remove a part without unpacking it."""
        if name not in self._names:
            if default:
                return default[0]
            raise KeyError(name)
        value = self._unpacked.get(name)
        del self[name]
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self):
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


@dataclass
class SheetRef:
    """One ``<sheet>`` of the workbook part: a tab, whatever its kind."""

    name: str
    sheet_id: int
    rid: str
    path: str
    state: str
    kind: str   # the relationship type: a worksheet, a chartsheet, …

    @property
    def is_worksheet(self) -> bool:
        return self.kind == REL_WORKSHEET


def _resolve(folder: str, target: str) -> str:
    """A relationship's target as a part name: relative to ``folder``, or absolute (``/xl/…``)."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _xml(data: bytes) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError:   # broken XML, or an entity bomb expat refuses to expand
        raise FileRefused("not_xlsx") from None


class Package:
    """An .xlsx zip, part name -> bytes, with its workbook part found and checked."""

    def __init__(self, parts: dict[str, bytes] | _PackedParts):
        self.parts = parts
        if "_rels/.rels" not in parts:
            raise FileRefused("not_xlsx")
        target = next((r.get("Target") for r in _xml(parts["_rels/.rels"])
                       if r.get("Type") in (_REL_OFFICE_DOCUMENT, "http://purl.oclc.org/ooxml/officeDocument"
                                                                  "/relationships/officeDocument")), None)
        if target is None:
            raise FileRefused("not_xlsx")
        self.workbook_path = _resolve("", target)
        if self.workbook_path not in parts:
            raise FileRefused("not_xlsx")
        self.folder, name = posixpath.split(self.workbook_path)
        self.rels_path = posixpath.join(self.folder, "_rels", name + ".rels")
        root = _xml(parts[self.workbook_path])
        namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
        if namespace == NS_STRICT:
            raise FileRefused("strict")
        if namespace == NS_BETA:
            raise FileRefused("beta")
        if root.tag != f"{{{NS_MAIN}}}workbook":
            raise FileRefused("not_xlsx")
        self._workbook = root
        self.tabs = self._tabs()

    @classmethod
    def load(cls, data: bytes, *, lazy: bool = False) -> Package:
        """The package in ``data``: every part unpacked, or with ``lazy`` each part when it is
        first asked for (to be read, or edited: a part replaced is never unpacked)."""
        if lazy:
            return cls(_PackedParts(zipfile.ZipFile(io.BytesIO(data))))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return cls({info.filename: _unpacked(archive, info) for info in archive.infolist()})

    def text(self, name: str) -> str:
        return self.parts[name].decode("utf-8")

    def relationships(self) -> dict[str, tuple[str, str]]:
        """Workbook relationship id -> (type, part name); external targets (links) have no part."""
        found = {}
        if self.rels_path in self.parts:
            for rel in _xml(self.parts[self.rels_path]):
                external = rel.get("TargetMode") == "External"
                path = "" if external else _resolve(self.folder, rel.get("Target", ""))
                found[rel.get("Id")] = (rel.get("Type", ""), path)
        return found

    def _tabs(self) -> list[SheetRef]:
        rels = self.relationships()
        tabs = []
        listed = self._workbook.find(f"{{{NS_MAIN}}}sheets")
        for element in listed.findall(f"{{{NS_MAIN}}}sheet") if listed is not None else ():
            rid = element.get(f"{{{NS_REL}}}id")
            kind, path = rels.get(rid, ("", ""))
            name, sheet_id = element.get("name"), element.get("sheetId", "")
            if not name:
                raise FileRefused("not_xlsx")   # a tab Excel itself would «repair» away
            if path not in self.parts or not (kind == REL_WORKSHEET or kind in _REL_OTHER_SHEETS):
                kind, path = "", ""   # a tab left without its part (an old VBA module): not read, name kept
            tabs.append(SheetRef(name, int(sheet_id) if sheet_id.isdigit() else 0, rid, path,
                                 element.get("state", "visible"), kind))
        seen: set[str] = set()
        for tab in tabs:   # Excel compares tab names without case: «Фонд» and «фонд» are one name
            if tab.name.casefold() in seen:
                raise FileRefused("duplicate_tabs", title=tab.name)
            seen.add(tab.name.casefold())
        return tabs

    def sheets(self) -> list[SheetRef]:
        """The worksheets: the tabs with cells."""
        return [t for t in self.tabs if t.is_worksheet]

    def part_of(self, kind: str) -> str | None:
        """The part of the workbook relationship ``kind`` (styles, shared strings), None when absent."""
        return next((path for k, path in self.relationships().values() if k == kind and path in self.parts), None)

    def worksheet_parts(self) -> list[bytes]:
        return [self.parts[ref.path] for ref in self.sheets()]

    def epoch(self) -> date:
        pr = self._workbook.find(f"{{{NS_MAIN}}}workbookPr")
        return date(1904, 1, 1) if pr is not None and pr.get("date1904") in ("1", "true") else date(1899, 12, 30)


def diagnose(data: bytes) -> str:
    """The reason key for bytes that are not a readable .xlsx at all."""
    if not data:
        return "empty"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):   # an OLE file: old Excel or an encrypted one
        return "encrypted" if "EncryptionInfo".encode("utf-16-le") in data else "xls"
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                mimetype = archive.read("mimetype") if "mimetype" in archive.namelist() else b""
        except Exception:  # noqa: BLE001 - a zip that does not open is a broken or unfinished file
            return "truncated"
        if b"opendocument" in mimetype:
            return "ods"
    return "not_xlsx"


def refusal(data: bytes, exc: Exception) -> FileRefused:
    """What to tell about ``data`` that failed to read or write with ``exc``."""
    if isinstance(exc, FileRefused):
        return exc
    if isinstance(exc, TooBig):
        return FileRefused("too_big")
    reason = diagnose(data)
    if reason == "truncated" and zipfile.is_zipfile(io.BytesIO(data)):
        reason = "not_xlsx"  # a whole zip that is not a workbook (a renamed .docx)
    return FileRefused(reason)
