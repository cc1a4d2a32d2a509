"""The head's year page (signed in): the turn to the next academic year with a preview and a
confirmation, and the annual analysis to download.

No turn runs here, nor its preview (reading every school's workbook takes minutes on
Google): «Показать, что изменится» records a request the clock makes the preview for, and
«Перейти на …», once the head has seen it and confirmed, one it runs (with a sync right
after) — sync_service/yearturn/run.py, jobs/scheduler.py. The analysis is read from the
database only, so it is made here when asked for.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.registry import is_academic_year, shifted_year
from sync_service.sync import requests
from sync_service.yearturn import run as turns

from .auth import check_csrf, login_required

bp = Blueprint("year", __name__, url_prefix="/admin/year")
bp.before_request(check_csrf)

STATUS_TEXTS = {turns.PREVIEW: "предпросмотр запрошен: процесс расписания готовит его",
                turns.PREVIEWED: "предпросмотр готов: проверьте его и подтвердите переход",
                turns.REQUESTED: "переход запрошен: процесс расписания выполнит его в течение нескольких секунд",
                turns.RUNNING: "переход идёт", turns.PARTIAL: "переход сделан не для всех школ: Svod повторяет "
                "его при каждой синхронизации", turns.DONE: "переход сделан", "failed": "переход невозможен"}
PREVIEW_SHOWN = 60   # workbooks of the preview on the page; the rest are counted


def svod() -> Svod:
    return current_app.extensions["svod"]


def years(context: Svod) -> tuple[str, str]:
    """(the year Svod tracks, the next one)."""
    current = context.academic_year
    return current, shifted_year(current, 1)


@bp.route("/")
@login_required
def index():
    context = svod()
    current, following = years(context)
    with context.db.session() as session:
        turn = session.scalar(select(m.YearTurn).where(m.YearTurn.to_year.in_([following, current]))
                              .order_by(m.YearTurn.id.desc()).limit(1))
        steps = session.execute(select(m.YearTurnStep.status, m.YearTurnStep.target, m.YearTurnStep.error)
                                .where(m.YearTurnStep.turn_id == turn.id)).all() if turn else []
        held = sorted(set(session.scalars(select(m.Collection.academic_year).distinct())), reverse=True)
    preview = (turn.preview or {}) if turn is not None and turn.to_year == following else {}
    return render_template("admin/year.html", current=current, following=following, turn=turn, steps=steps,
                           status_texts=STATUS_TEXTS, preview=preview, shown=PREVIEW_SHOWN, years=held,
                           pinned=context.settings.academic_year)


@bp.route("/preview", methods=["POST"])
@login_required
def ask_preview():
    context = svod()
    current, following = years(context)
    turns.request_turn(context.db, following, current, context.clock(), by="web", status=turns.PREVIEW)
    flash("Предпросмотр запрошен: он появится здесь через несколько секунд (обновите страницу).", "ok")
    return redirect(url_for("year.index"))


@bp.route("/turn", methods=["POST"])
@login_required
def ask_turn():
    context = svod()
    current, following = years(context)
    with context.db.session() as session:
        turn = session.scalar(select(m.YearTurn).where(m.YearTurn.to_year == following))
        ready = turn is not None and turn.status == turns.PREVIEWED
    if not ready:
        flash("Сначала посмотрите, что изменится: нажмите «Показать, что изменится».", "error")
    elif request.form.get("confirm") != following:
        flash(f"Подтвердите переход: отметьте, что проверили предпросмотр перехода на {following}.", "error")
    else:
        turns.request_turn(context.db, following, current, context.clock(), by="web")
        requests.request_sync(context.db, context.clock())   # the sync that runs it, and reads the new year
        flash(f"Переход на {following} учебный год запрошен: он начнётся в течение нескольких секунд.", "ok")
    return redirect(url_for("year.index"))


@bp.route("/analysis.<kind>")
@login_required
def analysis(kind: str):
    from sync_service.district.annual_docs import annual_documents, file_name

    if kind not in ("docx", "xlsx"):
        return redirect(url_for("year.index"))
    context = svod()
    year = (request.args.get("year") or context.academic_year).replace("-", "/")
    if not is_academic_year(year):
        year = context.academic_year
    import io

    word, excel = annual_documents(context, year)
    mimetype = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document" if kind == "docx" else
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return send_file(io.BytesIO(word if kind == "docx" else excel), mimetype=mimetype, as_attachment=True,
                     download_name=file_name(year, kind))
