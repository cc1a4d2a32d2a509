"""Provisioning on Google Sheets (``svod provision``): every active school of the head's
«Школы» gets a spreadsheet with the form tabs (header rows frozen and protected,
dropdowns, the «Готово» checkbox) and the protected «Проверка» tab, shared with its
librarian as editor; the consolidated spreadsheet is created when
SVOD_CONSOLIDATED_SPREADSHEET_ID is empty.

Idempotent and never destructive: an existing spreadsheet only gets the tabs it lacks, a
librarian who already has access is not shared with again, nothing is deleted, and a
second run makes no write at all.

Who may create: the head's own account (OAuth) anywhere in her Drive; a service account
only in a shared drive (SVOD_GOOGLE_DRIVE_ID), since Google gives it no storage. So the
run is planned first, and a service account without a shared drive that would have to
create anything stops before its first write with the Russian reason (adopting
spreadsheets made by hand and shared with it needs no creation and goes on). When there is
no head's spreadsheet yet (SVOD_HEAD_SPREADSHEET_ID empty), it creates «Настройки ОМО» with
empty «Школы» and the year's «План», prints its id and stops: the head fills in the schools. The link of a spreadsheet it creates goes into the
school's «Книга» cell only when that cell is empty; a typed value is never overwritten
(the report then lists the id for the head to paste).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.consolidate import SchoolLine, consolidated_tabs
from sync_service.district.registry import read_registry
from sync_service.forms.layout import CHECK_TAB, school_tabs
from sync_service.forms.reading import fill_merges, find_header
from sync_service.forms.validation import parse_form
from sync_service.model import titled_after
from sync_service.order.models import current_fpu
from sync_service.provision.workbooks import workbook_title
from sync_service.stores.base import StoreError, TabSpec, WorkbookUnavailable
from sync_service.stores.google import GoogleStore, spreadsheet_id_from

CHECK_PLACEHOLDER = TabSpec(
    title=CHECK_TAB, protected=True, widths={1: 80},
    rows=[["Проверка"], ["Svod ещё не проверял эту книгу: замечания появятся здесь после ближайшей синхронизации."]],
    bold_rows=(1,))
# The fact where the sync keeps the id of the consolidated spreadsheet it writes.
CONSOLIDATED_KEY = "consolidated_id"
SHARE_MESSAGE = ("Таблица школы для отчётов и мониторингов ОМО школьных библиотекарей. Заполняйте листы форм и "
                 "ставьте «Готово»; замечания Svod появятся на листе «Проверка».")


def spreadsheet_url(spreadsheet_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"


@dataclass
class ProvisionReport:
    created: list[tuple[str, str]] = field(default_factory=list)         # (school code, spreadsheet id)
    extended: dict[str, list[str]] = field(default_factory=dict)         # school code -> tabs added
    shared: list[tuple[str, str]] = field(default_factory=list)          # (school code, e-mail)
    linked: list[str] = field(default_factory=list)                      # codes whose «Книга» got the link
    unlinked: list[tuple[str, str]] = field(default_factory=list)        # (code, id) for the head to paste
    consolidated_id: str | None = None                                   # created by this run
    head_id: str | None = None                                           # «Настройки ОМО» created
    problems: list[str] = field(default_factory=list)                    # Russian, one line each
    stopped: str | None = None                                           # why nothing was done

    @property
    def changed(self) -> bool:
        return bool(self.created or self.extended or self.shared or self.linked or self.consolidated_id
                    or self.head_id)

    def lines(self) -> list[str]:
        """What to print, in Russian; the consolidated id (when created) is the last line."""
        if self.stopped:
            return [f"Ничего не создано и не изменено: {self.stopped}"]
        if self.head_id:
            return ["Создана книга руководителя «Настройки ОМО»: заполните в ней лист «Школы» (и проверьте «План»),",
                    "укажите её в SVOD_HEAD_SPREADSHEET_ID и запустите provision ещё раз:", self.head_id]
        out = [f"создана таблица школы {code}: {spreadsheet_url(wid)}" for code, wid in self.created]
        out += [f"добавлены листы у {code}: {', '.join(tabs)}" for code, tabs in self.extended.items()]
        out += [f"открыт доступ (редактор) у {code}: {email}" for code, email in self.shared]
        if self.linked:
            out.append(f"ссылки вписаны в «Книга» на листе «Школы»: {', '.join(self.linked)}")
        out += [f"{code}: вставьте ссылку в «Книга» сами (столбца нет или ячейка занята): {spreadsheet_url(wid)}"
                for code, wid in self.unlinked]
        out += [f"внимание: {problem}" for problem in self.problems]
        if not self.changed:
            out.append("Все таблицы на месте, доступы открыты: ничего не изменено.")
        if self.consolidated_id:
            out.append("Создана сводная таблица; укажите её в SVOD_CONSOLIDATED_SPREADSHEET_ID:")
            out.append(self.consolidated_id)
        return out


def provision(svod: Svod, *, notify: bool = True) -> ProvisionReport:
    """Create and share what is missing; see the module's docstring. ``notify``: Google
    e-mails each librarian the link when sharing."""
    store = svod.store
    if not isinstance(store, GoogleStore):
        raise StoreError("provision работает с таблицами Google (SVOD_BACKEND=google); для книг .xlsx — svod init")
    report = ProvisionReport()
    if not svod.head_workbook_id:
        return _head_workbook(svod, store, report)
    head = store.read(svod.head_workbook_id)
    registry = read_registry(head, svod.schema, academic_year=svod.academic_year)
    svod.db.upgrade()
    with svod.db.session() as session:
        fpu = current_fpu(session)  # the federal list in force: a dropdown on «Код ФПУ» columns
    tabs = [*school_tabs(registry.collections, fpu_codes=[e.code for e in fpu] if fpu else ()), CHECK_PLACEHOLDER]
    listing = {w.id: w for w in store.list_workbooks()}
    cells = _workbook_cells(svod, head)
    links: dict[tuple[str, int, int], str] = {}
    located = {s.code: _locate(s.code, s.workbook, listing) for s in registry.schools if s.active}
    to_create = [code for code, wid in located.items()
                 if wid is None and not next(s for s in registry.schools if s.code == code).workbook]
    if to_create or not _consolidated_target(svod):
        try:
            store.check_can_create()
        except StoreError as exc:
            report.stopped = str(exc)
            return report

    for school in registry.schools:
        if not school.active:
            continue
        workbook_id = located[school.code]
        try:
            if workbook_id is None and school.workbook:
                report.problems.append(f"{school.code}: таблица из «Книга» не найдена или не открыта сервисному "
                                       f"аккаунту {store.service_email}; новая не создана")
                continue
            if workbook_id is None:
                workbook_id = store.create_workbook(workbook_title(school.code, school.name), tabs)
                report.created.append((school.code, workbook_id))
                granted: dict[str, str] = {}
            else:
                added = store.add_missing_tabs(workbook_id, tabs)
                if added:
                    report.extended[school.code] = added
                granted = store.permissions(workbook_id)
            if not school.workbook:  # found by its title or just created: link it from «Книга»
                cell = cells.get(school.code)
                if cell is not None:
                    links[cell] = spreadsheet_url(workbook_id)
                    report.linked.append(school.code)
                else:
                    report.unlinked.append((school.code, workbook_id))
            if not school.email:
                report.problems.append(f"{school.code}: нет e-mail библиотекаря — доступ не открыт")
            elif school.email.lower() not in granted:
                store.share(workbook_id, school.email, "writer", notify=notify, message=SHARE_MESSAGE)
                report.shared.append((school.code, school.email))
        except WorkbookUnavailable as exc:
            report.problems.append(f"{school.code}: {exc.reason}")
        except StoreError as exc:  # a creation Google refused: the next would be refused the same way
            report.problems.append(f"{school.code}: {exc}")
            break
    if links:
        store.set_cells(svod.head_workbook_id, links)
    _consolidated(svod, store, registry, listing, report, notify=notify)
    return report


def _head_workbook(svod: Svod, store: GoogleStore, report: ProvisionReport) -> ProvisionReport:
    """«Настройки ОМО» for a head who has none yet (with the drive.file scope Svod sees only the
    spreadsheets it made, so it makes hers too): «Школы» empty, «План» with the year's forms."""
    from sync_service.district.registry import default_collections
    from sync_service.forms.layout import head_tab

    try:
        store.check_can_create()
    except StoreError as exc:
        report.stopped = str(exc)
        return report
    year = svod.academic_year
    plan = [[c.form.title, "", year, c.deadline, c.campaign.title if c.campaign else ""]
            for c in default_collections(svod.schema, year)]
    report.head_id = store.create_workbook("Настройки ОМО", [head_tab(svod.schema, "schools", []),
                                                          head_tab(svod.schema, "plan", plan)])
    if _head_elsewhere(svod, store):
        store.share(report.head_id, svod.settings.head_email, "writer", notify=True)
    return report


def _head_elsewhere(svod: Svod, store: GoogleStore) -> bool:
    """Whether SVOD_HEAD_EMAIL is another account than the one Svod acts as (her own files
    need no sharing with her)."""
    email = svod.settings.head_email.strip().lower()
    return bool(email) and email != store.service_email.lower()


def _consolidated_target(svod: Svod) -> str:
    with svod.db.session() as session:
        remembered = session.get(m.Meta, CONSOLIDATED_KEY)
        return svod.settings.consolidated_spreadsheet_id or (remembered.value if remembered else "")


def _locate(code: str, reference: str, listing: dict) -> str | None:
    """The school's spreadsheet: the one «Книга» names, else the only one titled «<code> …»."""
    if reference:
        wanted = spreadsheet_id_from(reference)
        if wanted is None:  # a title typed in «Книга»
            matches = [w.id for w in listing.values() if w.title.casefold() == reference.strip().casefold()]
            wanted = matches[0] if len(matches) == 1 else None
        return wanted if wanted in listing else None
    matches = [w.id for w in listing.values() if titled_after(w.title, code)]
    return matches[0] if len(matches) == 1 else None


def _workbook_cells(svod: Svod, head) -> dict[str, tuple[str, int, int]]:
    """School code -> (tab, row, column) of its «Книга» cell, for the rows where it is empty."""
    form = svod.schema.head["schools"]
    sheet = head.sheet(form.tab)
    if sheet is None:
        return {}
    header = find_header(fill_merges(sheet), form)
    if header is None or "workbook" not in header.positions:
        return {}
    column = header.positions["workbook"]
    out = {}
    for row in parse_form(form, sheet, tab=form.tab).rows:
        number = row["_row"]
        line = sheet.rows[number - 1] if number <= len(sheet.rows) else []
        typed = line[column - 1] if column <= len(line) else None
        if row.get("code") and (typed is None or str(typed).strip() == ""):
            out[row["code"]] = (sheet.title, number, column)
    return out


def _consolidated(svod: Svod, store: GoogleStore, registry, listing: dict, report: ProvisionReport, *,
                  notify: bool) -> None:
    """The consolidated spreadsheet: the configured one, else the one a sync created and
    remembered (the sync's ``consolidated_id`` fact), else a new one, remembered likewise."""
    wanted = _consolidated_target(svod)
    if wanted:
        if wanted not in listing:
            report.problems.append(f"сводная таблица {wanted} (SVOD_CONSOLIDATED_SPREADSHEET_ID) не найдена или не "
                                   f"открыта сервисному аккаунту {store.service_email}")
        return
    schools = [SchoolLine(s.code, s.name, None) for s in registry.schools if s.active]
    tabs = consolidated_tabs(registry.collections, schools, {}, {}) + _derived_tabs(svod, registry)
    try:
        report.consolidated_id = store.create_workbook(f"Свод ОМО {registry.academic_year}", tabs)
    except StoreError as exc:
        report.problems.append(f"сводная таблица: {exc}")
        return
    with svod.db.session() as session:
        session.merge(m.Meta(key=CONSOLIDATED_KEY, value=report.consolidated_id))
    if _head_elsewhere(svod, store):
        try:
            store.share(report.consolidated_id, svod.settings.head_email, "writer", notify=notify,
                        message="Сводная таблица Svod: её листы заполняет Svod после каждой синхронизации.")
        except WorkbookUnavailable as exc:
            report.problems.append(f"сводная таблица: {exc.reason}")


def _derived_tabs(svod: Svod, registry) -> list[TabSpec]:
    """The tabs the sync derives from the collections (the municipal order and friends), as
    they look before any data: created now, so that the first sync finds every tab it writes."""
    try:
        from sync_service.order.consolidate import derived_tabs
    except ImportError:
        return []
    with svod.db.session() as session:
        return derived_tabs(session, academic_year=registry.academic_year, statuses={},
                            collections=registry.collections, customer=svod.settings.customer)
