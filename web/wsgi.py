"""The WSGI entry point: ``gunicorn web.wsgi:app`` (see the Procfile). Settings come
from the environment; the database is migrated at start."""
from web import create_app

app = create_app()
