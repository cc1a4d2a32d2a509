"""The WSGI entry point: ``gunicorn web.wsgi:app`` (see the Procfile). Settings come from
the environment; the database must have been migrated by the release step
(``python -m sync_service db-upgrade``): workers never migrate it themselves."""
from web import create_app

app = create_app()
