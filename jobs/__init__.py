"""The clock process (``python -m jobs``): scheduled syncs, reminders and database exports.

Kept light on purpose: importing ``jobs`` (or ``jobs.models``) never starts or even
imports the scheduler, so the web and Alembic can use the tables safely.
"""
