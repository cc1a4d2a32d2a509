"""Renaming, protecting and moving the tabs of an .xlsx package, as text edits of its parts.

The operations of :class:`~sync_service.stores.base.RenameTab`, ``ProtectTab`` and
``MoveTab`` on an unpacked package being edited (:class:`~sync_service.stores.xlsx.writer._Edit`):

- a rename changes the tab's ``name`` in the workbook part, and in the tab's own defined
  names (its print titles). Formulas of other tabs that
  name it are not rewritten (Excel would follow the rename; Google does): after a year's
  turn they name the new tab of that name, this year's, which is what a librarian's summary
  tab wants;
- protecting puts ``<sheetProtection>`` into the sheet (no password: the librarian sees the
  tab is read-only, and can unprotect it deliberately if she must), where the schema
  wants it, after ``<sheetData>`` and ``<sheetCalcPr>``;
- a move reorders the ``<sheet>`` elements and keeps what refers to tabs by position
  pointing at the same tabs: the defined names' ``localSheetId`` (print areas, filters)
  and the workbook view's active and first tab.
"""
from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, unescape

from sync_service.stores.xlsx import xmltext
from sync_service.stores.xlsx.package import FileRefused

if TYPE_CHECKING:
    from sync_service.stores.xlsx.writer import _Edit

PROTECTION = "sheetProtection"
# The children of <worksheet> that may stand before <sheetProtection>, last first.
_BEFORE_PROTECTION = ("sheetCalcPr", "sheetData")


def _index(edit: _Edit, title: str) -> int:
    for i, tab in enumerate(edit.package.tabs):
        if tab.name.casefold() == title.casefold():
            return i
    raise FileRefused("no_tab", title=title)


def rename(edit: _Edit, title: str, new_title: str) -> None:
    index = _index(edit, title)
    if new_title.casefold() != title.casefold() and any(
            t.name.casefold() == new_title.casefold() for t in edit.package.tabs):
        raise FileRefused("tab_taken", title=new_title)
    workbook = edit.text(edit.package.workbook_path)
    span = xmltext.find(workbook, ("workbook", "sheets", "sheet"))[index]
    workbook = xmltext.set_attribute(workbook, span, "name", escape(new_title, {'"': "&quot;"}))
    edit.put(edit.package.workbook_path, _renamed_in_names(workbook, index, edit.package.tabs[index].name, new_title))
    edit.package.tabs[index].name = new_title


def _renamed_in_names(workbook: str, index: int, old: str, new: str) -> str:
    """The tab's own defined names (print titles, print area, filter: ``localSheetId`` =
    ``index``) name the tab by its new name, as Excel does on a rename."""
    old_refs = {f"'{old.replace(chr(39), chr(39) * 2)}'!", f"{old}!"}
    new_ref = f"'{new.replace(chr(39), chr(39) * 2)}'!"
    for span in reversed(xmltext.find(workbook, ("workbook", "definedNames", "definedName"))):
        if xmltext.attributes(workbook, span).get("localSheetId") != str(index) or span.empty:
            continue
        text = unescape(workbook[span.open_end:span.close])
        parts = [next((new_ref + p[len(r):] for r in old_refs if p.startswith(r)), p) for p in text.split(",")]
        if parts != text.split(","):
            workbook = workbook[:span.open_end] + escape(",".join(parts)) + workbook[span.close:]
    return workbook


def protect(edit: _Edit, title: str) -> None:
    ref = edit.package.tabs[_index(edit, title)]
    if not ref.is_worksheet:
        raise FileRefused("not_a_worksheet", title=title)
    xml = edit.text(ref.path)
    present = xmltext.find(xml, ("worksheet", PROTECTION))
    children = {xmltext.local(s.name): s for s in xmltext.find(xml, ("worksheet", "*"))}
    anchor = next((children[name] for name in _BEFORE_PROTECTION if name in children), None)
    if anchor is None:
        raise FileRefused("not_xlsx")
    element = f'<{anchor.prefix}{PROTECTION} sheet="1" objects="1" scenarios="1"/>'
    if present:
        span = present[0]
        xml = xml[:span.start] + element + xml[span.end:]
    else:
        xml = xml[:anchor.end] + element + xml[anchor.end:]
    edit.parts[ref.path] = xml.encode("utf-8")


def move(edit: _Edit, title: str, index: int | None) -> None:
    """Put the tab at ``index`` (0 = first; None = last) of the tabs."""
    tabs = edit.package.tabs
    old = _index(edit, title)
    new = len(tabs) - 1 if index is None else max(0, min(index, len(tabs) - 1))
    if new == old:
        return
    order = list(range(len(tabs)))
    order.insert(new, order.pop(old))   # order[new position] = old position
    position = {before: after for after, before in enumerate(order)}
    workbook = edit.text(edit.package.workbook_path)
    spans = xmltext.find(workbook, ("workbook", "sheets", "sheet"))
    elements = [workbook[s.start:s.end] for s in spans]
    first, last = spans[0].start, spans[-1].end
    # Only the <sheet> elements move; what stands between them (white space) stays.
    pieces, cursor = [], first
    for span in spans:
        pieces.append(workbook[cursor:span.start])
        cursor = span.end
    rebuilt = "".join(gap + elements[order[i]] for i, gap in enumerate(pieces))
    workbook = workbook[:first] + rebuilt + workbook[last:]
    for span in reversed(xmltext.find(workbook, ("workbook", "definedNames", "definedName"))):
        local = xmltext.attributes(workbook, span).get("localSheetId", "")
        if local.isdigit() and int(local) in position:
            workbook = xmltext.set_attribute(workbook, span, "localSheetId", str(position[int(local)]))
    views = xmltext.find(workbook, ("workbook", "bookViews", "workbookView"))
    active = xmltext.attributes(workbook, views[0]).get("activeTab", "0") if views else "0"
    active = int(active) if active.isdigit() and int(active) < len(tabs) else 0
    if active == old and new > old:
        # The tab shown on opening moves back (last year's, to the end): the first tab is shown
        # instead, and only it is selected (two selected tabs are «grouped» in Excel, and
        # typing into one would type into both).
        shown = 0
        _select(edit, tabs[old], False)
        _select(edit, tabs[order[0]], True)
    else:
        shown = position[active]
    for i in range(len(views)):
        span = xmltext.find(workbook, ("workbook", "bookViews", "workbookView"))[i]
        first_sheet = xmltext.attributes(workbook, span).get("firstSheet")
        workbook = xmltext.set_attribute(workbook, span, "activeTab", str(shown))
        if first_sheet is not None and first_sheet.isdigit() and int(first_sheet) in position:
            span = xmltext.find(workbook, ("workbook", "bookViews", "workbookView"))[i]
            workbook = xmltext.set_attribute(workbook, span, "firstSheet", str(position[int(first_sheet)]))
    edit.put(edit.package.workbook_path, workbook)
    edit.package.tabs[:] = [tabs[i] for i in order]


def _select(edit: _Edit, ref, selected: bool) -> None:
    """Mark the tab selected or not in its first sheet view (a tab without one is left as it is)."""
    if not ref.is_worksheet:
        return
    xml = edit.text(ref.path)
    spans = xmltext.find(xml, ("worksheet", "sheetViews", "sheetView"))
    if spans:
        edit.parts[ref.path] = xmltext.set_attribute(xml, spans[0], "tabSelected",
                                                     "1" if selected else None).encode("utf-8")
