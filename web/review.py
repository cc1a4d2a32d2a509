"""The head's review of each school's submissions (signed in): «Принять» or «Вернуть на
доработку» with a comment, on the school's admin page. The action is recorded at once
(sync_service/sync/reviews.py); the school sees it in its «Проверка» after the next sync,
which the clock runs (the web never syncs), and in its next reminder.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from sync_service.context import Svod
from sync_service.district.review import ACTIONS
from sync_service.sync import reviews
from sync_service.sync.head_forms import run_schema

from .auth import check_csrf, login_required

bp = Blueprint("review", __name__, url_prefix="/admin/school")
bp.before_request(check_csrf)

REVIEWER = "руководитель ОМО"  # the one signed-in head (SVOD_ADMIN_PASSWORD_HASH)


def svod() -> Svod:
    return current_app.extensions["svod"]


def reviewer(context: Svod) -> str:
    """Who acts: the head, with her e-mail when it is set."""
    email = context.settings.head_email
    return f"{REVIEWER} ({email})" if email else REVIEWER


@bp.route("/<code>")
@login_required
def school(code: str):
    context = svod()
    with context.db.session() as session:  # the head's own forms («Формы») beside the shipped ones
        page = reviews.school_reviews(session, code, academic_year=context.academic_year, now=context.clock(),
                                      schema=run_schema(session, context.schema, active_only=False))
    if page is None:
        abort(404)
    return render_template("admin/school.html", page=page, actions=ACTIONS)


@bp.route("/<code>/review", methods=["POST"])
@login_required
def review(code: str):
    context = svod()
    key, action = request.form.get("collection", ""), request.form.get("action", "")
    try:
        with context.db.session() as session:
            reviews.review_submission(session, code, key, action, comment=request.form.get("comment", ""),
                                      about=request.form.get("about"), by=reviewer(context),
                                      academic_year=context.academic_year, now=context.clock())
    except reviews.ReviewRefused as refused:
        flash(str(refused), "error")
    else:
        flash(f"Отчёт {ACTIONS[action]}. Школа увидит решение и комментарий на листе «Проверка» после следующей "
              "синхронизации и в ближайшем напоминании.", "ok")
    # the collection's key as the form sent it: quoted, so that no typed text reaches the header
    return redirect(url_for("review.school", code=code) + f"#c-{quote(key, safe='')}")
