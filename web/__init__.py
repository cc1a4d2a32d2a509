"""Svod's web app: the status page the head opens every morning, and its JSON.

``create_app(test_config=None)`` follows Flask's tutorial: defaults in code, overrides
from the environment (``Settings.from_env``), or a ready :class:`~sync_service.context.Svod`
passed in as ``{"SVOD": svod}`` (the CLI's ``serve`` and the tests do that).

Config keys:
- ``SVOD``: the Svod context to serve; built from the environment when absent.
- ``SVOD_PAGE_CACHE``: keep built reports and the rendered status page in the process
  until a sync writes (default ``True``; see ``web.status.Cache``).
- anything else Flask knows (``TESTING``, ``SECRET_KEY`` — by default ``SVOD_SECRET_KEY``).

The pages only read the database: the web never touches the workbook store, so the
store of the context is never built here (syncs run in the CLI and the clock).

Workers never migrate the database: several of them starting at once would race through
the same migration. Migrations run once, before the workers start: in the Procfile's
``release`` step (``python -m sync_service db-upgrade``), and in ``svod serve`` / ``svod run``
(one process) before they serve. A worker that finds the database behind the code refuses
to start with a message saying so.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from sync_service.config import Settings
from sync_service.context import Svod

log = logging.getLogger("svod.web")

# Blueprints written elsewhere, registered when their module is there: the head's
# sign-in and admin pages, the textbook order area.
OPTIONAL_BLUEPRINTS = ("web.auth", "web.admin", "web.orders", "web.google_connect", "web.year", "web.review")


class DatabaseBehind(RuntimeError):
    """The database is older than the code: ``db-upgrade`` has not run."""


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(SVOD=None, SVOD_PAGE_CACHE=True)
    if test_config:
        app.config.update(test_config)
    svod: Svod = app.config["SVOD"] or Svod(Settings.from_env())
    if not app.config.get("SECRET_KEY") and svod.settings.secret_key:
        app.config["SECRET_KEY"] = svod.settings.secret_key
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["svod"] = svod
    check_database(svod)

    from . import api, security, status
    from .compress import compress

    app.register_blueprint(status.bp)
    app.register_blueprint(api.bp)
    for name in OPTIONAL_BLUEPRINTS:
        register_optional(app, name)

    app.register_error_handler(404, _error_page)
    app.register_error_handler(500, _error_page)
    app.after_request(compress)
    security.init_app(app)  # security headers on every answer; ProxyFix when proxies are trusted
    return app


def check_database(svod: Svod) -> None:
    """Refuse to serve a database that the release step has not migrated; an unreachable one
    is only logged (``/healthz`` says so, and the pages answer 503/500 until it is back)."""
    try:
        current = svod.db.is_current()
    except SQLAlchemyError as exc:
        log.warning("database not reachable at start: %s", exc.__class__.__name__)
        return
    if not current:
        raise DatabaseBehind("База данных не обновлена до схемы этой версии Svod: выполните "
                             "«python -m sync_service db-upgrade» (в Procfile это шаг release) и "
                             "перезапустите веб-процесс.")


def register_optional(app: Flask, module_name: str) -> bool:
    """Register ``module_name.bp`` if that module exists; a missing module is not an error."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # the module is there but broken: say so rather than hide the area
        return False
    blueprint = getattr(module, "bp", None)
    if blueprint is None:
        log.warning("%s has no blueprint `bp`; not registered", module_name)
        return False
    app.register_blueprint(blueprint)
    return True


# status code -> (short JSON code, page title, what to tell the reader)
ERRORS = {
    404: ("not_found", "Страница не найдена", "Такой страницы нет. Возможно, школа или сбор убраны из плана."),
    500: ("internal", "Внутренняя ошибка", "Что-то пошло не так. Попробуйте обновить страницу позже."),
}
JSON_MESSAGES = {404: "Не найдено", 500: "Внутренняя ошибка"}


def _error_page(error):
    """404 and 500 in Russian; JSON under /api/. A traceback goes to the log, never to the page."""
    code = 404 if getattr(error, "code", None) == 404 else 500
    name, title, message = ERRORS[code]
    if request.path.startswith("/api/") or request.path == "/healthz":
        return jsonify({"error": name, "message": JSON_MESSAGES[code]}), code
    return render_template("error.html", code=code, title=title, message=message), code
