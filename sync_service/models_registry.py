"""Imports every module that declares tables, so that Alembic sees them all."""
from jobs import models as _jobs_models  # noqa: F401  (job_runs, reminders_sent)
from sync_service import db  # noqa: F401
from sync_service.order import models as _order_models  # noqa: F401
from web import limiter as _web_limiter  # noqa: F401  (sign_in_limits)
