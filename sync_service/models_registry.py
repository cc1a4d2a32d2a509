"""Imports every module that declares tables, so that Alembic sees them all."""
from . import db  # noqa: F401
