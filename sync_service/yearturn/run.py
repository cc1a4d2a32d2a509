"""The turn of the academic year, run as a journal of steps (``year_turns``, ``year_turn_steps``).

``svod new-year 2027/2028``, the head's button (a request the clock runs) and the clock
itself (when the head's «План» has rows for a year that has begun) all come here. Under the
sync lock, in order, each step recorded when done:

1. ``sync``: a last sync of the year that ends, so that what is stored is what the
   workbooks say at the turn;
2. ``school:<code>``, one per active school: its workbook read, its turn planned
   (:func:`~sync_service.yearturn.plan.school_turn`) and applied in one write — the store's
   ``change_tabs`` does all of a workbook's changes or none (xlsx: one file swap; Google:
   one batchUpdate, which Google applies whole or not at all);
3. ``head``: the head's «План» (:func:`~sync_service.yearturn.plan.head_turn`);
4. ``year``: the new year becomes the one Svod tracks (``meta.academic_year``).

Killed at any moment, it is run again from the first step not done; a step that was applied
but not recorded plans nothing the second time (each plan checks what the workbook holds).
A school whose workbook cannot be written now keeps its step ``failed``: every sync tries it
again first, and until it is done that workbook is not read as the new year's.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.registry import read_registry, shifted_year, year_start
from sync_service.forms.layout import head_tab
from sync_service.forms.schema import Schema
from sync_service.model import Collection, SchoolEntry
from sync_service.stores.base import Sheet, StoreError, Workbook, WorkbookUnavailable
from sync_service.sync.records import get_meta, set_meta, stored_year
from sync_service.yearturn.plan import Turn, head_turn, new_year_rows, school_turn

log = logging.getLogger("svod.yearturn")

PREVIEW, PREVIEWED, REQUESTED, RUNNING, PARTIAL, DONE = ("preview", "previewed", "requested", "running", "partial",
                                                         "done")
PREVIEW_LINES = 400   # lines of a stored preview (the page shows the first workbooks and counts the rest)
UNFINISHED = (REQUESTED, RUNNING, PARTIAL)
STEP_PENDING, STEP_DONE, STEP_FAILED, STEP_SKIPPED = "pending", "done", "failed", "skipped"
Progress = Callable[[int, int, str], None]   # done, total, step


class TurnRefused(Exception):
    """The turn cannot be made now; the message is the Russian reason."""


@dataclass
class TurnReport:
    from_year: str
    to_year: str
    status: str = DONE
    workbooks: dict[str, list[str]] = field(default_factory=dict)   # school code / «руководитель» -> lines
    failed: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        head = f"Переход с {self.from_year} на {self.to_year} учебный год"
        out = [head + {"done": ": сделан.", "partial": ": сделан не для всех школ.",
                       "preview": " (предпросмотр, ничего не изменено):"}.get(self.status, ":")]
        for name, lines in self.workbooks.items():
            out.append(f"  {name}:")
            out += [f"    {line}" for line in lines]
        for name, reason in self.failed.items():
            out.append(f"  {name}: не сделано — {reason}")
        return out


def check_turn(svod: Svod, to_year: str) -> str:
    """The year the turn starts from; :class:`TurnRefused` when ``to_year`` is not next."""
    if svod.settings.academic_year and svod.settings.academic_year != to_year:
        raise TurnRefused(f"Учебный год задан настройкой SVOD_ACADEMIC_YEAR={svod.settings.academic_year}: "
                          "уберите её из окружения, тогда Svod будет вести год, на который перешли.")
    current = svod.academic_year
    if current == to_year:
        return shifted_year(to_year, -1)
    if shifted_year(current, 1) != to_year:
        raise TurnRefused(f"Сейчас идёт {current} учебный год: перейти можно только на следующий, "
                          f"{shifted_year(current, 1)}.")
    return current


def due_year(svod: Svod, today: date) -> str | None:
    """The year the clock turns to by itself: the next one, once it has begun and the head's
    «План» has rows for it."""
    if svod.settings.academic_year:
        return None
    with svod.db.session() as session:
        current = stored_year(session)
        planned = (get_meta(session, "plan_years") or "").split(",")
        busy = session.scalar(select(m.YearTurn.id).where(m.YearTurn.status.in_(UNFINISHED)).limit(1))
    if current is None or busy is not None:
        return None
    following = shifted_year(current, 1)
    if following in planned and today >= date(year_start(following), 9, 1):
        return following
    return None


# --- the plan of every workbook ---------------------------------------------------------------

@dataclass
class Context:
    """What every step needs, read once: the schools, both years' collections, the listing."""

    from_year: str
    to_year: str
    entries: list[SchoolEntry]
    old: list[Collection]
    new: list[Collection]
    targets: dict[str, str | None]
    listing: dict
    fpu_codes: tuple[str, ...]
    head: Workbook
    schema: Schema   # the shipped forms and the head's («Формы»), as the last sync stored them


def prepare(svod: Svod, from_year: str, to_year: str) -> Context:
    from sync_service.order.models import current_fpu
    from sync_service.sync.head_forms import run_schema
    from sync_service.sync.plan import stored_registry
    from sync_service.sync.schools import locate_workbooks

    listing = {w.id: w for w in svod.store.list_workbooks()}
    try:
        head = svod.store.read(svod.head_workbook_id)
    except WorkbookUnavailable as exc:
        raise TurnRefused(f"Не удалось прочитать книгу руководителя ОМО: {exc.reason}") from exc
    with svod.db.session() as session:
        # The head's forms roll as the shipped ones do: their tabs renamed with the year, fresh ones made.
        schema = run_schema(session, svod.schema)
        entries, old, _ids = stored_registry(session, schema, from_year)
        fpu = current_fpu(session)
    if not old:
        raise TurnRefused(f"В базе нет сборов {from_year} учебного года: сначала синхронизируйте его (svod sync).")
    new = new_collections(schema, head, from_year, to_year)
    targets = locate_workbooks(entries, listing, svod.store.workbook_id_for)
    codes = tuple(e.code for e in fpu) if fpu is not None else ()
    return Context(from_year, to_year, entries, old, new, targets, listing, codes, head, schema)


def new_collections(schema: Schema, head: Workbook, from_year: str, to_year: str) -> list[Collection]:
    """The new year's collections, from the «План» it will have (its rows, or last year's moved)."""
    plan = head_tab(schema, "plan", new_year_rows(schema, head, from_year, to_year))
    schools = head.sheet(schema.head["schools"].tab)
    sheets = {plan.title: Sheet(plan.title, plan.rows)}
    if schools is not None:
        sheets[schools.title] = schools
    return read_registry(Workbook(head.id, head.title, sheets, head.marker), schema,
                         academic_year=to_year).collections


def plan_school(svod: Svod, ctx: Context, entry: SchoolEntry) -> tuple[str | None, Workbook | None, Turn | None]:
    workbook_id = ctx.targets.get(entry.code)
    if not workbook_id or workbook_id not in ctx.listing:
        return workbook_id, None, None
    workbook = svod.store.read(workbook_id)
    return workbook_id, workbook, school_turn(workbook, ctx.old, ctx.new, ctx.schema, ctx.from_year,
                                              fpu_codes=ctx.fpu_codes)


def preview(svod: Svod, to_year: str) -> TurnReport:
    """The dry run: what the turn would do to each workbook; nothing is written."""
    from_year = check_turn(svod, to_year)
    ctx = prepare(svod, from_year, to_year)
    report = TurnReport(from_year, to_year, PREVIEW)
    for entry in ctx.entries:
        try:
            workbook_id, _workbook, turn = plan_school(svod, ctx, entry)
        except StoreError as exc:
            report.failed[entry.code] = getattr(exc, "reason", str(exc))
            continue
        if turn is None:
            report.failed[entry.code] = f"нет книги «{workbook_id or entry.code}»"
        else:
            report.workbooks[entry.code] = turn.lines()
    report.workbooks["книга руководителя"] = head_turn(ctx.head, ctx.schema, from_year, to_year).lines()
    return report


# --- the journal -------------------------------------------------------------------------------

def request_turn(db, to_year: str, from_year: str, now: datetime, *, by: str, status: str = REQUESTED) -> int:
    """Record a turn to run (or a preview to make) for the clock; returns its id."""
    with db.session() as session:
        turn = session.scalar(select(m.YearTurn).where(m.YearTurn.to_year == to_year))
        if turn is None:
            turn = m.YearTurn(to_year=to_year, from_year=from_year, requested_at=now, requested_by=by, status=status)
            session.add(turn)
        elif turn.status not in (RUNNING, PARTIAL, DONE):   # a preview, a refused turn: asked again
            turn.status, turn.requested_at, turn.requested_by = status, now, by
        session.flush()
        return turn.id


def _step(session, turn_id: int, target: str) -> m.YearTurnStep:
    step = session.scalar(select(m.YearTurnStep).where(m.YearTurnStep.turn_id == turn_id,
                                                       m.YearTurnStep.target == target))
    if step is None:
        step = m.YearTurnStep(turn_id=turn_id, target=target, status=STEP_PENDING)
        session.add(step)
        session.flush()
    return step


def _record(svod: Svod, turn_id: int, target: str, status: str, detail=None, error: str | None = None) -> None:
    with svod.db.session() as session:
        step = _step(session, turn_id, target)
        step.status, step.detail, step.error = status, detail, error
        step.done_at = svod.clock() if status in (STEP_DONE, STEP_SKIPPED) else None


def _steps_done(svod: Svod, turn_id: int) -> dict[str, str]:
    with svod.db.session() as session:
        return {s.target: s.status for s in session.scalars(
            select(m.YearTurnStep).where(m.YearTurnStep.turn_id == turn_id))}


def turn_year(svod: Svod, to_year: str, *, by: str = "cli", progress: Progress | None = None) -> TurnReport:
    """Run (or go on with) the turn to ``to_year``; the caller holds the sync lock."""
    from sync_service.sync.run import execute

    from_year = check_turn(svod, to_year)
    turn_id = request_turn(svod.db, to_year, from_year, svod.clock(), by=by)
    with svod.db.session() as session:
        turn = session.get(m.YearTurn, turn_id)
        if turn.status == DONE:
            return TurnReport(turn.from_year, to_year, DONE)
        turn.status, turn.started_at = RUNNING, turn.started_at or svod.clock()
    done = _steps_done(svod, turn_id)
    report = TurnReport(from_year, to_year, RUNNING)
    if done.get("sync") != STEP_DONE and svod.academic_year == from_year:
        execute(svod, trigger="new-year", force=False, progress=None)
        _record(svod, turn_id, "sync", STEP_DONE)
    ctx = prepare(svod, from_year, to_year)
    targets = [f"school:{e.code}" for e in ctx.entries] + ["head", "year"]
    for index, entry in enumerate(ctx.entries):
        target = targets[index]
        if done.get(target) in (STEP_DONE, STEP_SKIPPED):
            continue
        if progress:
            progress(index, len(targets), target)
        try:
            workbook_id, workbook, turn_plan = plan_school(svod, ctx, entry)
            if turn_plan is None:
                _record(svod, turn_id, target, STEP_SKIPPED, {"reason": f"нет книги «{workbook_id or entry.code}»"})
                continue
            if not turn_plan.done:
                svod.store.change_tabs(workbook_id, list(turn_plan.changes), expect_marker=workbook.marker)
        except StoreError as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            log.warning("the year's turn of %s failed: %s", entry.code, reason)
            report.failed[entry.code] = reason
            _record(svod, turn_id, target, STEP_FAILED, error=reason)
            continue
        report.workbooks[entry.code] = turn_plan.lines()
        _record(svod, turn_id, target, STEP_DONE, _detail(turn_plan))
    if done.get("head") != STEP_DONE:
        if progress:
            progress(len(ctx.entries), len(targets), "head")
        head_plan = head_turn(ctx.head, ctx.schema, from_year, to_year)
        try:
            if not head_plan.done:
                svod.store.change_tabs(ctx.head.id, list(head_plan.changes), expect_marker=ctx.head.marker)
        except StoreError as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            report.failed["книга руководителя"] = reason
            _record(svod, turn_id, "head", STEP_FAILED, error=reason)
            return _finish(svod, turn_id, report, switched=False)
        report.workbooks["книга руководителя"] = head_plan.lines()
        _record(svod, turn_id, "head", STEP_DONE, _detail(head_plan))
    if progress:
        progress(len(targets) - 1, len(targets), "year")
    with svod.db.session() as session:
        set_meta(session, "academic_year", to_year)
        set_meta(session, "head_year", to_year)
    _record(svod, turn_id, "year", STEP_DONE)
    return _finish(svod, turn_id, report, switched=True)


def _detail(turn: Turn) -> dict:
    return {"renamed": [list(p) for p in turn.renamed], "created": list(turn.created), "carried": list(turn.carried)}


def _finish(svod: Svod, turn_id: int, report: TurnReport, *, switched: bool) -> TurnReport:
    steps = _steps_done(svod, turn_id)
    unfinished = {t: s for t, s in steps.items() if s not in (STEP_DONE, STEP_SKIPPED)}
    report.status = DONE if switched and not unfinished else PARTIAL
    with svod.db.session() as session:
        turn = session.get(m.YearTurn, turn_id)
        turn.status = report.status
        turn.finished_at = svod.clock()
        turn.error = "; ".join(f"{k}: {v}" for k, v in report.failed.items()) or None
    return report


def unfinished_turn(svod: Svod) -> str | None:
    """The year of a turn asked for or begun and not done (the next sync runs it first)."""
    with svod.db.session() as session:
        return session.scalar(select(m.YearTurn.to_year).where(m.YearTurn.status.in_(UNFINISHED))
                              .order_by(m.YearTurn.id).limit(1))


def unturned_schools(session, year: str) -> dict[str, str]:
    """School code -> why its workbook has not turned to ``year`` yet (a failed step)."""
    rows = session.execute(select(m.YearTurnStep.target, m.YearTurnStep.error).join(
        m.YearTurn, m.YearTurn.id == m.YearTurnStep.turn_id).where(
        m.YearTurn.to_year == year, m.YearTurnStep.status == STEP_FAILED,
        m.YearTurnStep.target.like("school:%")))
    return {target.split(":", 1)[1]: error or "" for target, error in rows}


def resume_turn(svod: Svod, *, by: str) -> TurnReport | None:
    """Run the turn asked for (by the head's button or the clock) or left unfinished (killed,
    or schools that failed), before a sync; the caller holds the sync lock. A turn refused
    now (the setting pins another year) is recorded as failed and not tried again."""
    year = unfinished_turn(svod)
    if year is None:
        return None
    try:
        return turn_year(svod, year, by=by)
    except TurnRefused as exc:
        log.warning("the turn to %s cannot be made: %s", year, exc)
        with svod.db.session() as session:
            turn = session.scalar(select(m.YearTurn).where(m.YearTurn.to_year == year))
            turn.status, turn.error, turn.finished_at = "failed", str(exc), svod.clock()
        return None


def make_preview(svod: Svod) -> bool:
    """The clock's part of «Показать, что изменится»: the dry run of a turn whose preview was
    asked for, stored for the head's page (bounded); False when none was asked for. The
    caller holds the sync lock."""
    with svod.db.session() as session:
        turn = session.scalar(select(m.YearTurn).where(m.YearTurn.status == PREVIEW).order_by(m.YearTurn.id).limit(1))
        if turn is None:
            return False
        turn_id, to_year = turn.id, turn.to_year
    try:
        report = preview(svod, to_year)
        stored = {"workbooks": [[name, lines[:20]] for name, lines in report.workbooks.items()][:PREVIEW_LINES // 5],
                  "count": len(report.workbooks), "failed": sorted(report.failed.items())[:100],
                  "failed_count": len(report.failed), "made_at": svod.clock().isoformat()}
        status, error = PREVIEWED, None
    except TurnRefused as exc:
        stored, status, error = None, "failed", str(exc)
    with svod.db.session() as session:
        turn = session.get(m.YearTurn, turn_id)
        turn.preview, turn.status, turn.error = stored, status, error
    return True


def preview_waiting(svod: Svod) -> bool:
    with svod.db.session() as session:
        return session.scalar(select(m.YearTurn.id).where(m.YearTurn.status == PREVIEW).limit(1)) is not None

