"""The head's pages (signed in only): «Обновить сейчас», sync history, the configuration
as the last sync read it, downloads, and the clock's job runs.

Admin pages may show personal data (librarians' names and e-mails); public pages never do.
No sync runs here: «Обновить сейчас» records a request that the clock process runs within
seconds (sync_service/sync/requests.py); the page shows the request and the run's progress.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from sqlalchemy import func, select

from jobs.models import OUTCOME_LABELS, JobRun
from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.report import plan_collections
from sync_service.sync import held, requests

from .auth import check_csrf, login_required
from .status import SYNC_LABELS

log = logging.getLogger("svod.web.admin")

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(check_csrf)

TRIGGER_LABELS = {"clock": "по расписанию", "web": "кнопка «Обновить сейчас»", "cli": "команда svod sync",
                  "run": "запуск make run"}
SCHOOL_OUTCOMES = {"read": "прочитана", "unchanged": "без изменений", "failed": "ошибка"}
JOB_LABELS = {"sync": "синхронизация", "reminders": "напоминания", "export": "выгрузка базы данных"}
HISTORY_LIMIT = 50
JOBS_LIMIT = 100


def svod() -> Svod:
    return current_app.extensions["svod"]


@bp.app_context_processor
def _labels() -> dict:
    return {"sync_labels": SYNC_LABELS, "trigger_labels": TRIGGER_LABELS, "school_outcomes": SCHOOL_OUTCOMES,
            "job_outcomes": OUTCOME_LABELS, "job_labels": JOB_LABELS}


# --- the dashboard and «Обновить сейчас» ------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    context = svod()
    with context.db.session() as session:
        runs = session.scalars(select(m.SyncRun).order_by(m.SyncRun.id.desc()).limit(5)).all()
        jobs = session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(5)).all()
        progress = with_text(requests.progress(session, context.clock()))
        change = held.held_change(session)
    from jobs.export import newest_export

    return render_template("admin/index.html", runs=runs, jobs=jobs, progress=progress, held_change=change,
                           consolidated=consolidated_info(context), export=newest_export(context.settings.export_dir))


@bp.route("/head-change/confirm", methods=["POST"])
@login_required
def confirm_head_change():
    """The head confirms the change of her workbook the last sync held back (the one she
    saw: its fingerprint); a sync is asked for at once, and it applies it."""
    context = svod()
    if held.confirm(context.db, request.form.get("fingerprint", "")) is None:
        flash("Это изменение уже не ждёт подтверждения: книга руководителя изменилась или синхронизация уже "
              "его применила. Посмотрите, что сообщает страница сейчас.", "error")
        return redirect(url_for("admin.index"))
    requests.request_sync(context.db, context.clock())
    flash("Изменение подтверждено: синхронизация, которая начнётся в течение нескольких секунд, его применит.", "ok")
    return redirect(url_for("admin.index"))


@bp.route("/sync", methods=["POST"])
@login_required
def sync_now():
    context = svod()
    with context.db.session() as session:
        running = requests.progress(session, context.clock())["run"]
    _id, new = requests.request_sync(context.db, context.clock())
    if running and running["status"] == "running":
        flash("Синхронизация уже идёт: новая начнётся сразу после неё.", "ok")
    elif new:
        flash("Синхронизация запрошена: она начнётся в течение нескольких секунд.", "ok")
    else:
        flash("Синхронизация уже запрошена: она начнётся в течение нескольких секунд.", "ok")
    return redirect(url_for("admin.index"))


@bp.route("/sync/progress")
@login_required
def sync_progress():
    """The newest request and run as JSON, for the dashboard to follow without reloading."""
    context = svod()
    with context.db.session() as session:
        return jsonify(with_text(requests.progress(session, context.clock())))


def with_text(progress: dict) -> dict:
    """The progress with one Russian sentence about it (``text``; empty when nothing is under way)."""
    request, run = progress["request"], progress["run"]
    parts = []
    if run and run["status"] == "running":
        counted = (f"школ обработано {run['done']} из {run['total']}" if run["total"]
                   else "читаю список школ и план")
        parts.append(f"Синхронизация № {run['id']} идёт: {counted}.")
    if request and request["status"] == "pending":
        at = datetime.fromisoformat(request["requested_at"]).strftime("%H:%M")
        if parts:
            parts.append("Ещё одна запрошена и начнётся сразу после неё.")
        elif request["untaken"]:
            parts.append(f"Синхронизация запрошена в {at}, но процесс расписания (clock) её ещё не начал: "
                         "проверьте, что он запущен (страница «Задания»).")
        else:
            parts.append(f"Синхронизация запрошена в {at} и начнётся в течение нескольких секунд.")
    elif request and request["status"] == "running" and not parts:
        parts.append("Синхронизация начинается.")
    return {**progress, "text": " ".join(parts)}


# --- sync history -------------------------------------------------------------------------------------

@bp.route("/history")
@login_required
def history():
    with svod().db.session() as session:
        runs = session.scalars(select(m.SyncRun).order_by(m.SyncRun.id.desc()).limit(HISTORY_LIMIT)).all()
    return render_template("admin/history.html", runs=runs)


@bp.route("/history/<int:run_id>")
@login_required
def run_detail(run_id: int):
    with svod().db.session() as session:
        run = session.get(m.SyncRun, run_id)
        if run is None:
            return render_template("error.html", code=404, title="Нет такой синхронизации",
                                   message=f"Синхронизации № {run_id} нет в истории."), 404
        outcomes = session.execute(select(m.SyncOutcome, m.School).join(m.School, m.School.id == m.SyncOutcome.school_id)
                                   .where(m.SyncOutcome.run_id == run_id).order_by(m.School.code)).all()
    return render_template("admin/run.html", run=run, outcomes=outcomes)


# --- configuration ---------------------------------------------------------------------------------------

@bp.route("/config")
@login_required
def config():
    context = svod()
    with context.db.session() as session:
        schools = session.scalars(select(m.School).order_by(m.School.in_registry.desc(), m.School.code)).all()
        collections = plan_collections(session, context.academic_year)
        events = session.scalars(select(m.PlanEvent).where(m.PlanEvent.academic_year == context.academic_year)
                                 .order_by(m.PlanEvent.date, m.PlanEvent.id)).all()
        synced_at = session.scalar(select(func.max(m.SyncRun.finished_at)))
    return render_template("admin/config.html", schools=schools, collections=collections, events=events,
                           settings=context.settings.public_dict(), academic_year=context.academic_year,
                           synced_at=synced_at)


# --- downloads ---------------------------------------------------------------------------------------------

def consolidated_info(context: Svod) -> dict:
    """Where this year's consolidated workbook is: a local file (xlsx) or a spreadsheet URL (google)."""
    settings, ident = context.settings, context.consolidated_workbook_id
    if settings.backend == "google":
        return {"url": f"https://docs.google.com/spreadsheets/d/{ident}/edit" if ident else None, "path": None}
    path = settings.workbooks_dir / ident
    return {"url": None, "path": path if path.is_file() else None}


@bp.route("/download/consolidated")
@login_required
def download_consolidated():
    info = consolidated_info(svod())
    if info["url"]:
        return redirect(info["url"])
    if info["path"] is None:
        flash("Сводной книги ещё нет: она появится после первой синхронизации.", "error")
        return redirect(url_for("admin.index"))
    return send_file(info["path"].resolve(), as_attachment=True, download_name=info["path"].name)


@bp.route("/download/export")
@login_required
def download_export():
    from jobs.export import export_database, newest_export

    context = svod()
    path = newest_export(context.settings.export_dir)
    if path is None:
        path = export_database(context.db, context.settings.export_dir, context.clock().date())
    return send_file(path.resolve(), as_attachment=True, download_name=path.name)


@bp.route("/download/forms")
@login_required
def download_forms():
    """The shipped forms in the layout of the head's «Формы» and «Правила», to copy one and adapt it."""
    from io import BytesIO

    from sync_service.forms.sheet_export import export_tabs
    from sync_service.stores.xlsx.writer import new_workbook

    data = new_workbook(export_tabs(svod().schema))
    return send_file(BytesIO(data), as_attachment=True, download_name="Формы Svod.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- the clock's job runs -------------------------------------------------------------------------------------

@bp.route("/jobs")
@login_required
def jobs():
    with svod().db.session() as session:
        runs = session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(JOBS_LIMIT)).all()
    return render_template("admin/jobs.html", runs=runs)
