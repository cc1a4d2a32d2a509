"""JSON: the status report (the same dict as ``svod status --json``) and a health check."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sync_service.district.overview import API_PER_PAGE, clamp_per_page, overview
from sync_service.district.report import plan_calendar, rate_history
from sync_service.district.school_page import school_detail

from .status import read, read_cached, read_collection, read_group, svod

bp = Blueprint("api", __name__)
log = logging.getLogger("svod.web")


@bp.route("/api/status")
def status():
    """A page of the report (``?page=``, ``?per_page=`` up to 200 schools); ``?collection=``
    and ``?status=`` narrow it as on the status page."""
    args = request.args
    return jsonify(read(overview, collection=args.get("collection") or None, status=args.get("status") or None,
                        page=args.get("page"), per_page=clamp_per_page(args.get("per_page"), API_PER_PAGE)))


@bp.route("/api/plan")
def plan():
    return jsonify(read_cached(plan_calendar))


@bp.route("/api/rates")
def rates():
    return jsonify(read_cached(rate_history))


@bp.route("/api/school/<code>")
def school(code: str):
    """A school with a page of its findings' groups (``?page=``)."""
    return jsonify(read(school_detail, code, schema=svod().schema, page=request.args.get("page")) or abort(404))


@bp.route("/api/school/<code>/findings")
def school_findings(code: str):
    """One group of a school's findings, a page at a time (``?collection=&column=&finding=&page=``)."""
    return jsonify(read_group(code) or abort(404))


@bp.route("/api/collection/<key>")
def collection(key: str):
    """A collection with a page of its schools (``?page=``)."""
    return jsonify(read_collection(key) or abort(404))


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
