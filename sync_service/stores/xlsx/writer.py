"""Writing Svod's tabs into an .xlsx: the file's bytes and the tabs in, the new bytes out.

A workbook is never loaded and re-saved with openpyxl: that would drop the cached values of
the librarian's formulas (Svod would then read them as empty), shapes, comments' layout and
whatever else openpyxl does not model. Instead the service-owned tabs are rendered to sheet
XML here and put into the workbook's zip package next to the untouched parts of everything
else (photos and other media stored as they are, not compressed again); the few styles
Svod's tabs use (bold, number formats) are appended to ``styles.xml`` (made when the file
has none, completed when it lacks a list Excel needs). What the package model of
:mod:`.package` refuses is refused here too, so Svod never writes into a file it could not
read; every refusal is a :class:`FileRefused` with a Russian reason.
"""
from __future__ import annotations

import contextlib
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, BinaryIO
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils import get_column_letter

from sync_service.stores.base import MoveTab, ProtectTab, RenameTab, TabChange, TabSpec
from sync_service.stores.rows import RowsUnreadable
from sync_service.stores.xlsx import arrange, xmltext
from sync_service.stores.xlsx.package import (
    NS_MAIN,
    NS_PKG_REL,
    NS_REL,
    REL_CALC_CHAIN,
    REL_STYLES,
    REL_WORKSHEET,
    FileRefused,
    Package,
    SheetRef,
    refusal,
)
from sync_service.stores.xlsx.reader import read_package
from sync_service.stores.xlsx.render import LISTS_TAB, lists_spec, print_titles, quote_sheet, render_sheet

__all__ = ["write_tabs", "add_missing_tabs", "change_tabs", "new_workbook"]

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

# --- styles ------------------------------------------------------------------------------------------

_BUILTIN_IDS = {fmt: fmt_id for fmt_id, fmt in BUILTIN_FORMATS.items()}
_FIRST_CUSTOM_FORMAT = 164   # ids below are Excel's built-in formats
_MINIMAL_STYLES = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   f'<styleSheet xmlns="{NS_MAIN}"/>')
# The lists of a style sheet in the order the schema requires, and the default entries of
# those Excel needs: a file may leave any of them out (Excel and LibreOffice use defaults).
_STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                "tableStyles", "colors", "extLst")
_DEFAULT_ENTRIES = {
    "fonts": ('<{p}font><{p}sz val="11"/><{p}name val="Calibri"/><{p}family val="2"/></{p}font>',),
    "fills": ('<{p}fill><{p}patternFill patternType="none"/></{p}fill>',
              '<{p}fill><{p}patternFill patternType="gray125"/></{p}fill>'),
    "borders": ("<{p}border><{p}left/><{p}right/><{p}top/><{p}bottom/><{p}diagonal/></{p}border>",),
    "cellStyleXfs": ('<{p}xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>',),
    "cellXfs": ('<{p}xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',),
    "cellStyles": ('<{p}cellStyle name="Normal" xfId="0" builtinId="0"/>',),
}
_REFERRED_BY = {"fonts": "fontId", "fills": "fillId", "borders": "borderId", "cellStyleXfs": "xfId"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _lists(xml: str) -> dict[str, xmltext.Span]:
    """The style sheet's lists by local name."""
    return {xmltext.local(span.name): span for span in xmltext.find(xml, ("styleSheet", "*"))}


def _put_list(xml: str, p: str, name: str, entries: Sequence[str]) -> str:
    """``xml`` with the list ``name`` of ``entries`` where the schema wants it."""
    block = f'<{p}{name} count="{len(entries)}">{"".join(entries)}</{p}{name}>'
    present = _lists(xml)
    for later in _STYLE_LISTS[_STYLE_LISTS.index(name) + 1:]:
        if later in present:
            return xmltext.insert_before(xml, present[later], block)
    (root,) = xmltext.find(xml, ("styleSheet",))
    return xmltext.append(xml, root, [block])


def _complete_styles(xml: str, root: ET.Element, styles_in_use: Callable[[], int]) -> str:
    """``xml`` with the lists Excel needs that it lacks, each with as many default entries as
    the file refers to (so that a cell's style keeps meaning what it meant)."""
    present = {_local(child.tag) for child in root}
    p = xmltext.find(xml, ("styleSheet",))[0].prefix
    for name, defaults in _DEFAULT_ENTRIES.items():
        if name in present:
            continue
        if name == "cellXfs":
            needed = styles_in_use()
        elif name == "cellStyles":
            needed = 1
        else:
            ids = [int(v) for xf in root.iter(f"{{{NS_MAIN}}}xf") if (v := xf.get(_REFERRED_BY[name], "")).isdigit()]
            needed = max(ids, default=-1) + 1
        entries = [e.format(p=p) for e in defaults]
        entries += [entries[0]] * max(0, needed - len(entries))
        xml = _put_list(xml, p, name, entries)
    return xml


class _Styles:
    """Finds or appends the few cell formats Svod's tabs use (bold, number formats)."""

    def __init__(self, xml: str, styles_in_use: Callable[[], int]):
        try:
            root = ET.fromstring(xml.encode("utf-8"))
        except ET.ParseError:
            raise FileRefused("styles") from None
        if root.tag != f"{{{NS_MAIN}}}styleSheet":
            raise FileRefused("styles")
        self.xml = xml = _complete_styles(xml, root, styles_in_use)
        self.p = xmltext.find(xml, ("styleSheet",))[0].prefix
        root = ET.fromstring(xml.encode("utf-8"))
        lists = {_local(e.tag): e for e in root}
        self.formats = {n.get("formatCode"): int(n.get("numFmtId")) for n in lists.get("numFmts", ())
                        if n.get("numFmtId", "").isdigit()}
        self.format_count = len(lists.get("numFmts", ()))
        # New ids go above every id in use, those of conditional formats (<dxfs>) included:
        # Excel keeps one table of number formats for both.
        self.next_format = max([_FIRST_CUSTOM_FORMAT - 1] + [
            int(n.get("numFmtId")) for n in root.iter(f"{{{NS_MAIN}}}numFmt")
            if n.get("numFmtId", "").isdigit()]) + 1
        fonts, xfs = lists["fonts"], lists["cellXfs"]
        self.fonts = [self._font_key(f) for f in fonts]
        self.xfs = [self._xf_key(dict(x.attrib), [(_local(c.tag), dict(c.attrib)) for c in x]) for x in xfs]
        self.base_font = list(fonts[0]) if len(fonts) else []
        self.cache: dict[tuple[bool, str | None, bool, tuple[str, str] | None, bool], int] = {}
        self.border_count = len(lists["borders"])
        self.thin_border: int | None = None
        self.new_borders: list[str] = []
        self.fill_count = len(lists["fills"])
        # the solid fills already there, so that a rewritten tab reuses them (and its styles)
        self.fills: dict[str, int] = {}
        for i, fill in enumerate(lists["fills"]):
            pattern = fill.find(f"{{{NS_MAIN}}}patternFill")
            colour = pattern.find(f"{{{NS_MAIN}}}fgColor") if pattern is not None else None
            rgb = colour.get("rgb", "") if colour is not None else ""
            if pattern is not None and pattern.get("patternType") == "solid" and len(rgb) == 8:
                self.fills.setdefault("#" + rgb[2:].upper(), i)
        self.new_fills: list[str] = []
        self.new_formats: list[str] = []
        self.new_fonts: list[str] = []
        self.new_xfs: list[str] = []

    @staticmethod
    def _xf_key(attrs: dict, children: list[tuple[str, dict]]) -> tuple:
        return (frozenset(attrs.items()), tuple((tag, frozenset(a.items())) for tag, a in children))

    @staticmethod
    def _font_key(font) -> frozenset:
        return frozenset((_local(c.tag), tuple(sorted(c.attrib.items()))) for c in font)

    # A font's children in the order the schema requires (CT_Font is a sequence).
    _FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
                   "name", "family", "charset", "scheme")

    def _font(self, bold: bool, colour: str | None = None) -> int:
        """The base font, bold and/or in ``colour`` ("#RRGGBB"): found or appended."""
        children = [(_local(c.tag), tuple(sorted((k, v) for k, v in c.attrib.items() if "}" not in k)))
                    for c in self.base_font if _local(c.tag) not in ("b", "color")]
        if bold:
            children.append(("b", ()))
        if colour:
            children.append(("color", (("rgb", "FF" + colour.lstrip("#").upper()),)))
        rank = {name: i for i, name in enumerate(self._FONT_ORDER)}
        children.sort(key=lambda child: rank.get(child[0], len(rank)))
        key = frozenset(children)
        if key in self.fonts:
            return self.fonts.index(key)
        self.fonts.append(key)
        body = "".join(f"<{self.p}{tag}" + "".join(f" {k}={quoteattr(v)}" for k, v in attrs) + "/>"
                       for tag, attrs in children)
        self.new_fonts.append(f"<{self.p}font>{body}</{self.p}font>")
        return len(self.fonts) - 1

    def _bold_font(self) -> int:
        return self._font(True)

    def _fill(self, colour: str) -> int:
        """A solid fill of ``colour`` ("#RRGGBB"), appended once per colour."""
        colour = "#" + colour.lstrip("#").upper()
        if colour not in self.fills:
            rgb = "FF" + colour.lstrip("#").upper()
            self.new_fills.append(f'<{self.p}fill><{self.p}patternFill patternType="solid">'
                                  f'<{self.p}fgColor rgb="{rgb}"/><{self.p}bgColor indexed="64"/>'
                                  f'</{self.p}patternFill></{self.p}fill>')
            self.fills[colour] = self.fill_count + len(self.new_fills) - 1
        return self.fills[colour]

    def _format(self, fmt: str) -> int:
        if fmt in _BUILTIN_IDS:
            return _BUILTIN_IDS[fmt]
        if fmt not in self.formats:
            self.formats[fmt] = self.next_format
            self.next_format += 1
            self.new_formats.append(f'<{self.p}numFmt numFmtId="{self.formats[fmt]}" formatCode={quoteattr(fmt)}/>')
        return self.formats[fmt]

    def _thin(self) -> int:
        """Thin lines on the four sides, appended once."""
        if self.thin_border is None:
            p = self.p
            sides = "".join(f'<{p}{side} style="thin"><{p}color indexed="64"/></{p}{side}>'
                            for side in ("left", "right", "top", "bottom"))
            self.new_borders.append(f"<{p}border>{sides}<{p}diagonal/></{p}border>")
            self.thin_border = self.border_count + len(self.new_borders) - 1
        return self.thin_border

    def __call__(self, bold: bool, fmt: str | None, wrap: bool = False, colour: tuple[str, str] | None = None,
                 ruled: bool = False) -> int:
        """The cellXfs index of a cell: bold or not, number format, wrapped, (text colour, fill)
        or None, and ``ruled`` (thin lines around it)."""
        key = (bold, fmt, wrap, colour, ruled)
        if key not in self.cache:
            font = self._font(bold, colour[0]) if colour else (self._bold_font() if bold else 0)
            attrs = {"numFmtId": str(self._format(fmt) if fmt else 0),
                     "fontId": str(font),
                     "fillId": str(self._fill(colour[1])) if colour else "0",
                     "borderId": str(self._thin()) if ruled else "0", "xfId": "0"}
            if fmt:
                attrs["applyNumberFormat"] = "1"
            if bold or colour:
                attrs["applyFont"] = "1"
            if colour:
                attrs["applyFill"] = "1"
            if ruled:
                attrs["applyBorder"] = "1"
            children = []
            if wrap:   # text wrapped in the column's width (its last line level with the row's numbers)
                attrs["applyAlignment"] = "1"
                children.append(("alignment", {"wrapText": "1"}))
            key = self._xf_key(attrs, children)
            if key in self.xfs:   # the same style written before (a rewritten tab) is used again
                index = self.xfs.index(key)
            else:
                self.xfs.append(key)
                head = f"<{self.p}xf " + " ".join(f'{k}="{v}"' for k, v in attrs.items())
                body = "".join(f"<{self.p}{tag} " + " ".join(f'{k}="{v}"' for k, v in a.items()) + "/>"
                               for tag, a in children)
                self.new_xfs.append(f"{head}>{body}</{self.p}xf>" if body else f"{head}/>")
                index = len(self.xfs) - 1
            self.cache[key] = index
        return self.cache[key]

    def finish(self) -> str:
        xml = self.xml
        for name, added, count in (("numFmts", self.new_formats, self.format_count + len(self.new_formats)),
                                   ("fonts", self.new_fonts, len(self.fonts)),
                                   ("fills", self.new_fills, self.fill_count + len(self.new_fills)),
                                   ("borders", self.new_borders, self.border_count + len(self.new_borders)),
                                   ("cellXfs", self.new_xfs, len(self.xfs))):
            if not added:
                continue
            span = _lists(xml).get(name)
            if span is None:
                xml = _put_list(xml, self.p, name, added)
                continue
            xml = xmltext.append(xml, span, added)
            xml = xmltext.set_attribute(xml, _lists(xml)[name], "count", str(count))
        return xml


# --- the package ------------------------------------------------------------------------------------

_EMPTY_PACKAGE = {
    "[Content_Types].xml":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '</Types>',
    "_rels/.rels":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{NS_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
    "xl/workbook.xml":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews><sheets></sheets><calcPr calcId="191029"/></workbook>',
    "xl/_rels/workbook.xml.rels":
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{NS_PKG_REL}"></Relationships>',
}

PRINT_TITLES = "_xlnm.Print_Titles"
# The children of <workbook> that stand after <definedNames>, in the schema's order.
_AFTER_DEFINED_NAMES = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                        "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")

# Parts in formats that are compressed already (pictures, media): stored as they are.
_PACKED_FORMATS = frozenset({".jpeg", ".jpg", ".png", ".gif", ".webp", ".mp3", ".mp4", ".m4a", ".zip"})
_S_ATTRIBUTE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\ss="(\d+)"')


def _zip_info(name: str) -> zipfile.ZipInfo:
    # Excel's own fixed time stamp: the same content gives the same bytes.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    # photos are compressed already: deflating them again costs seconds, saves nothing
    info.compress_type = (zipfile.ZIP_STORED if posixpath.splitext(name)[1].lower() in _PACKED_FORMATS
                          else zipfile.ZIP_DEFLATED)
    return info


class WriteFailed(Exception):
    """The new file could not be written where it was going (a full disk): ``error`` says
    why. Never a refusal of the workbook written into."""

    def __init__(self, error: OSError):
        self.error = error
        super().__init__(str(error))


class _Output:
    """The file a new workbook is zipped into, its failures as :class:`WriteFailed`."""

    def __init__(self, file: BinaryIO):
        self.file = file

    def write(self, data) -> int:
        try:
            return self.file.write(data)
        except OSError as exc:
            raise WriteFailed(exc) from exc

    def __getattr__(self, name: str):   # tell, seek, seekable, flush: as the file has them
        return getattr(self.file, name)


class _Edit:
    """An unpacked package being changed part by part (the parts are text-edited).

    With ``stream``, each sheet Svod writes is compressed into the new file as it is rendered
    (its part then holds None), so that no tab's XML is ever whole in memory, however many
    schools it has; the other parts follow in :meth:`to_bytes`. Without, the sheets are parts
    like the others (for edits that change a sheet again after writing it)."""

    def __init__(self, package: Package, *, stream: bool = False, out: BinaryIO | None = None):
        self.package = package
        self.parts = package.parts   # unpacked as asked for: a replaced sheet never is
        # ``out``: the new file goes there as it is made (the store's temporary file), not into memory
        self._buffer = io.BytesIO() if out is None else _Output(out)
        self._archive = zipfile.ZipFile(self._buffer, "w") if stream else None
        self._streamed: set[str] = set()

    def _put_sheet(self, path: str, chunks: Iterable[str]) -> None:
        if self._archive is None:
            self.parts[path] = "".join(chunks).encode("utf-8")
            return
        self.parts[path] = None   # the old sheet's XML is let go before the new one is rendered
        with self._archive.open(_zip_info(path), "w") as out:
            for chunk in chunks:
                out.write(chunk.encode("utf-8"))
        self._streamed.add(path)

    def discard(self) -> None:
        """Close a new file left unfinished (a refusal midway, or nothing to write)."""
        if self._archive is not None and self._archive.fp is not None:
            with contextlib.suppress(ValueError):   # a sheet's stream still open: the bytes are thrown away anyway
                self._archive.close()

    def text(self, name: str) -> str:
        return self.parts[name].decode("utf-8")

    def put(self, name: str, xml: str) -> None:
        self.parts[name] = xml.encode("utf-8")

    def _add_relationship(self, kind: str, path: str) -> str:
        """Relate the workbook to the part ``path``; returns the relationship's id."""
        rels_path = self.package.rels_path
        if rels_path not in self.parts:
            self.put(rels_path, _EMPTY_PACKAGE["xl/_rels/workbook.xml.rels"])
        xml = self.text(rels_path)
        taken = {xmltext.attributes(xml, s).get("Id") for s in xmltext.find(xml, ("Relationships", "Relationship"))}
        rid = next(f"rId{i}" for i in range(1, len(taken) + 2) if f"rId{i}" not in taken)
        (root,) = xmltext.find(xml, ("Relationships",))
        target = posixpath.relpath(path, self.package.folder or ".")
        self.put(rels_path, xmltext.append(xml, root, [
            f'<{root.prefix}Relationship Id="{rid}" Type="{kind}" Target="{target}"/>']))
        return rid

    def _add_content_type(self, path: str, content_type: str) -> None:
        xml = self.text("[Content_Types].xml")
        (root,) = xmltext.find(xml, ("Types",))
        self.put("[Content_Types].xml", xmltext.append(xml, root, [
            f'<{root.prefix}Override PartName="/{path}" ContentType="{content_type}"/>']))

    def _free_part(self, folder: str, stem: str) -> str:
        n = 1
        while posixpath.join(folder, f"{stem}{n}.xml") in self.parts:
            n += 1
        return posixpath.join(folder, f"{stem}{n}.xml")

    def styles(self) -> tuple[str, _Styles]:
        """The style sheet's part and its styles; a package without one gets a new part."""
        path = self.package.part_of(REL_STYLES)
        if path is None:
            path = posixpath.join(self.package.folder, "styles.xml")
            if path in self.parts:
                path = self._free_part(self.package.folder, "styles")
            self.put(path, _MINIMAL_STYLES)
            self._add_relationship(REL_STYLES, path)
            self._add_content_type(path, CT_STYLES)
        return path, _Styles(self.text(path), self._styles_in_use)

    def _styles_in_use(self) -> int:
        """How many cell styles the worksheets refer to (their highest ``s`` + 1)."""
        used = [int(n) for ref in self.package.sheets() if ref.path not in self._streamed   # (Svod's own styles)
                for n in _S_ATTRIBUTE.findall(self.parts[ref.path])]
        return max(used, default=0) + 1

    def replace_sheet(self, ref: SheetRef, xml: Iterable[str], hidden: bool) -> None:
        self._put_sheet(ref.path, xml)
        folder, name = posixpath.split(ref.path)
        # The old sheet's drawings, comments and tables are no longer referenced by it.
        self.parts.pop(posixpath.join(folder, "_rels", name + ".rels"), None)
        self._drop_calc_chain()
        if (ref.state != "visible") != hidden:
            self._set_state(ref, "hidden" if hidden else None)

    def add_sheet(self, title: str, xml: Iterable[str], hidden: bool) -> None:
        path = self._free_part(posixpath.join(self.package.folder, "worksheets"), "sheet")
        self._put_sheet(path, xml)
        rid = self._add_relationship(REL_WORKSHEET, path)
        self._add_content_type(path, CT_WORKSHEET)
        workbook = self.text(self.package.workbook_path)
        found = xmltext.find(workbook, ("workbook", "sheets"))
        if not found:
            raise FileRefused("not_xlsx")
        (sheets,) = found
        # Ids over every kind of tab (a chart sheet's too): two tabs of one id make Excel «repair» the file.
        sheet_id = max([t.sheet_id for t in self.package.tabs] + [0]) + 1
        state = ' state="hidden"' if hidden else ""
        element = (f'<{sheets.prefix}sheet name={quoteattr(title)} sheetId="{sheet_id}"{state} '
                   f'xmlns:svodr="{NS_REL}" svodr:id="{rid}"/>')
        self.put(self.package.workbook_path, xmltext.append(workbook, sheets, [element]))
        self.package.tabs.append(SheetRef(title, sheet_id, rid, path, "hidden" if hidden else "visible",
                                          REL_WORKSHEET))

    def set_print_titles(self, title: str, rows: str | None) -> None:
        """The rows the tab ``title`` repeats on every printed page: the defined name
        _xlnm.Print_Titles local to the tab (its position among the tabs), replaced, or
        removed for None."""
        index = next(i for i, tab in enumerate(self.package.tabs) if tab.name.casefold() == title.casefold())
        workbook = self.text(self.package.workbook_path)
        for span in reversed(xmltext.find(workbook, ("workbook", "definedNames", "definedName"))):
            attrs = xmltext.attributes(workbook, span)
            if attrs.get("name", "").casefold() == PRINT_TITLES.casefold() and attrs.get("localSheetId") == str(index):
                workbook = xmltext.remove(workbook, span)
        if rows is not None:
            (root,) = xmltext.find(workbook, ("workbook",))
            p = root.prefix
            element = f'<{p}definedName name="{PRINT_TITLES}" localSheetId="{index}">{escape(rows)}</{p}definedName>'
            names = xmltext.find(workbook, ("workbook", "definedNames"))
            if names:
                workbook = xmltext.append(workbook, names[0], [element])
            else:
                children = {xmltext.local(c.name): c for c in xmltext.find(workbook, ("workbook", "*"))}
                block = f"<{p}definedNames>{element}</{p}definedNames>"
                later = next((children[n] for n in _AFTER_DEFINED_NAMES if n in children), None)
                workbook = (xmltext.insert_before(workbook, later, block) if later is not None
                            else xmltext.append(workbook, root, [block]))
        self.put(self.package.workbook_path, workbook)

    def _set_state(self, ref: SheetRef, state: str | None) -> None:
        workbook = self.text(self.package.workbook_path)
        spans = xmltext.find(workbook, ("workbook", "sheets", "sheet"))
        span = spans[self.package.tabs.index(ref)]   # the tabs were read from these elements, in order
        self.put(self.package.workbook_path, xmltext.set_attribute(workbook, span, "state", state))

    def _drop_calc_chain(self) -> None:
        """Excel rebuilds the calculation chain; a stale one makes it «repair» the file."""
        for rid, (kind, path) in self.package.relationships().items():
            if kind != REL_CALC_CHAIN:
                continue
            self.parts.pop(path, None)
            rels = self.text(self.package.rels_path)
            for span in xmltext.find(rels, ("Relationships", "Relationship")):
                if xmltext.attributes(rels, span).get("Id") == rid:
                    self.put(self.package.rels_path, xmltext.remove(rels, span))
                    break
            types = self.text("[Content_Types].xml")
            for span in xmltext.find(types, ("Types", "Override")):
                if xmltext.attributes(types, span).get("PartName") == "/" + path:
                    self.put("[Content_Types].xml", xmltext.remove(types, span))
                    break

    def to_bytes(self) -> bytes | None:
        """The new file: the sheets streamed already, then every other part."""
        with self._archive or zipfile.ZipFile(self._buffer, "w") as archive:
            for name in sorted(self.parts, key=lambda n: n != "[Content_Types].xml"):
                if name not in self._streamed:
                    archive.writestr(_zip_info(name), self.parts[name])
        return self._buffer.getvalue() if isinstance(self._buffer, io.BytesIO) else None


def _existing_lists(package: Package) -> list[tuple[str, ...]]:
    """The lists already on «Списки», one per column, so their ranges stay where they are."""
    sheet = read_package(package, {LISTS_TAB}).get(LISTS_TAB)
    width = max((len(r) for r in sheet.rows), default=0) if sheet else 0
    lists = []
    for c in range(width):
        values = []
        for row in sheet.rows:
            value = row[c] if c < len(row) else None
            if value is None:
                break
            values.append(str(value))
        lists.append(tuple(values))
    return lists


def _by_title(package: Package) -> dict[str, SheetRef]:
    """The tabs by title as Excel compares them: «проверка» is the tab «Проверка»."""
    return {tab.name.casefold(): tab for tab in package.tabs}


def _apply(edit: _Edit, tabs: Sequence[TabSpec]) -> list[str]:
    """Put ``tabs`` into the package: replace the tabs of those titles, add the others at the
    end. Returns the titles added."""
    package = edit.package
    existing = _by_title(package)
    for spec in tabs:
        held = existing.get(spec.title.casefold())
        if held is not None and not held.is_worksheet:
            raise FileRefused("not_a_worksheet", title=held.name)
    styles_path, styles = edit.styles()
    epoch = package.epoch()
    lists = _existing_lists(package) if LISTS_TAB.casefold() in existing else []
    lists_before = len(lists)

    def list_ref(choices: tuple[str, ...]) -> str:
        if choices not in lists:
            lists.append(choices)
        letter = get_column_letter(lists.index(choices) + 1)
        return f"{quote_sheet(LISTS_TAB)}!${letter}$1:${letter}${max(len(choices), 1)}"

    titles = {tab.name.casefold(): tab.name for tab in package.tabs if tab.is_worksheet}
    titles.update({spec.title.casefold(): spec.title for spec in tabs if spec.title.casefold() not in titles})
    added: list[str] = []

    def put(spec: TabSpec, titles: Mapping[str, str] | None) -> None:   # rendered as it is written
        xml = render_sheet(spec, styles, list_ref, epoch, titles)          # (styles and lists grow meanwhile)
        held = existing.get(spec.title.casefold())
        if held is not None:
            edit.replace_sheet(held, xml, spec.hidden)
        else:
            edit.add_sheet(spec.title, xml, spec.hidden)
            added.append(spec.title)
        if spec.print_setup is not None or held is not None:   # a rewritten tab drops its old print titles
            edit.set_print_titles(spec.title, print_titles(spec))

    for spec in tabs:
        put(spec, titles)
    if len(lists) > lists_before:
        held = existing.get(LISTS_TAB.casefold())
        if held is not None and not held.is_worksheet:
            raise FileRefused("not_a_worksheet", title=held.name)
        put(lists_spec(lists), None)
    edit.put(styles_path, styles.finish())
    for spec in tabs:
        if spec.first:   # as MoveTab(title, 0) does: the tab Excel opens on stays the one it was saved on
            arrange.move(edit, spec.title, 0)
    return added


def _check(tabs: Sequence[TabSpec]) -> None:
    titles = [t.title.casefold() for t in tabs]
    if len(set(titles)) != len(titles):   # a defect of the caller, not of the file
        raise ValueError(f"two tabs of one title: {[t.title for t in tabs]}")


def _edited(data: bytes, tabs: Sequence[TabSpec], change: Callable[[_Edit], Any], read: bool, *,
            stream: bool = False, replaced: bool = False, out: BinaryIO | None = None) -> Any:
    """Open ``data`` for editing and run ``change``; any failure is a :class:`FileRefused`.

    Parts are unpacked as they are asked for, so a sheet that is replaced is never unpacked.
    With ``read``, every worksheet is read first (``replaced``: every one but those ``tabs``
    replace, whose content goes unread and unwritten): a file the reader does not
    understand (a broken sheet, an entity bomb in its strings) is refused, not written into."""
    _check(tabs)
    try:
        package = Package.load(data, lazy=True)
        if read:
            gone = {t.title.casefold() for t in tabs} if replaced else set()
            read_package(package, {ref.name for ref in package.sheets() if ref.name.casefold() not in gone})
        edit = _Edit(package, stream=stream, out=out)
        try:
            return change(edit)
        finally:
            edit.discard()
    except (RowsUnreadable, WriteFailed):   # the rows or the new file, not the old one: nothing refused
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a file we do not understand makes us raise
        raise refusal(data, exc) from None


def write_tabs(data: bytes, tabs: Sequence[TabSpec], *, read: bool = True, out: BinaryIO | None = None) -> bytes | None:
    """The workbook ``data`` with ``tabs`` written: the tabs of those titles replaced, the
    others added at the end; every other part as it was. ``read=False`` skips reading the
    sheets first, for bytes the caller has just read without a refusal. With ``out`` the
    new file is written there as it is made (None is returned)."""
    def change(edit: _Edit) -> bytes | None:
        _apply(edit, tabs)
        return edit.to_bytes()

    return _edited(data, tabs, change, read, stream=True, replaced=True, out=out)


def add_missing_tabs(data: bytes, tabs: Sequence[TabSpec], *, read: bool = True) -> tuple[bytes | None, list[str]]:
    """The workbook ``data`` with those of ``tabs`` it lacks added, and their titles; None and
    no titles when it has them all. ``read`` as for :func:`write_tabs`."""
    def change(edit: _Edit) -> tuple[bytes | None, list[str]]:
        present = _by_title(edit.package)
        wanted = [t for t in tabs if t.title.casefold() not in present]
        if not wanted:
            return None, []
        added = _apply(edit, wanted)
        return edit.to_bytes(), [title for title in added if title in {t.title for t in tabs}]

    return _edited(data, tabs, change, read, stream=True)


def change_tabs(data: bytes, changes: Sequence[TabChange], *, read: bool = True) -> bytes:
    """The workbook ``data`` with ``changes`` made in order (:mod:`.arrange`): tabs renamed,
    protected, moved, and each :class:`TabSpec` added as a new tab at the end (a tab of its
    title already there is refused, never overwritten). All or nothing: a refusal writes nothing.
    ``read`` as for :func:`write_tabs`."""
    specs = [c for c in changes if isinstance(c, TabSpec)]

    def change(edit: _Edit) -> bytes:
        for item in changes:
            if isinstance(item, TabSpec):
                held = _by_title(edit.package).get(item.title.casefold())
                if held is not None:
                    raise FileRefused("tab_taken", title=held.name)
                _apply(edit, [item])   # (one at a time: a rename before it may free its title)
            elif isinstance(item, RenameTab):
                arrange.rename(edit, item.title, item.new_title)
            elif isinstance(item, ProtectTab):
                arrange.protect(edit, item.title)
            elif isinstance(item, MoveTab):
                arrange.move(edit, item.title, item.index)
            else:   # a defect of the caller
                raise TypeError(f"not a tab change: {item!r}")
        return edit.to_bytes()

    return _edited(data, specs, change, read)


def new_workbook(tabs: Sequence[TabSpec], *, out: BinaryIO | None = None) -> bytes | None:
    """A new workbook of ``tabs`` (written into ``out`` as it is made, when given: None is returned)."""
    _check(tabs)
    edit = _Edit(Package({name: text.encode("utf-8") for name, text in _EMPTY_PACKAGE.items()}), stream=True,
                 out=out)
    try:
        _apply(edit, tabs)
        return edit.to_bytes()
    finally:
        edit.discard()
