"""JSON: the status report (the same dict as ``svod status --json``) and a health check."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sync_service.district.report import (
    build_report,
    collection_detail,
    filter_report,
    plan_calendar,
    rate_history,
    school_detail,
)

from .status import read, read_cached, svod

bp = Blueprint("api", __name__)
log = logging.getLogger("svod.web")


@bp.route("/api/status")
def status():
    """The report; ``?collection=`` and ``?status=`` narrow it as on the status page."""
    return jsonify(filter_report(read_cached(build_report), collection=request.args.get("collection") or None,
                                 status=request.args.get("status") or None))


@bp.route("/api/plan")
def plan():
    return jsonify(read_cached(plan_calendar))


@bp.route("/api/rates")
def rates():
    return jsonify(read_cached(rate_history))


@bp.route("/api/school/<code>")
def school(code: str):
    return jsonify(read(school_detail, code, schema=svod().schema) or abort(404))


@bp.route("/api/collection/<key>")
def collection(key: str):
    return jsonify(read(collection_detail, key, schema=svod().schema) or abort(404))


@bp.route("/healthz")
def healthz():
    """Cheap: one ``SELECT 1``. 503 when the database cannot be reached."""
    try:
        with svod().db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable: %s", exc)
        return jsonify({"status": "error", "database": "unavailable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
