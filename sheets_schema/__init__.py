"""Svod's forms as data: one YAML file per form of the yearly calendar.

The loader lives in :mod:`sync_service.forms.schema`; this package only locates the files so
that they ship with the code (and can be replaced with SVOD_SCHEMA_DIR).
"""
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent
