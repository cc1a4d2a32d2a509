"""Settings: defaults in code, overrides from the environment (see README and .env.example).

Every setting is listed in :data:`SETTINGS` with its variable, default and meaning, so
that the README table and the code cannot drift apart (a test checks both).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

# variable, attribute, default, description (English, for the developer docs)
SETTINGS: list[tuple[str, str, str, str]] = [
    ("SVOD_BACKEND", "backend", "xlsx", "Where the workbooks live: `xlsx` (a local folder) or `google` (Google Sheets)."),
    ("SVOD_WORKBOOKS_DIR", "workbooks_dir", "var/district", "The folder of .xlsx workbooks (xlsx backend)."),
    ("DATABASE_URL", "database_url", "sqlite:///var/svod.db", "SQLAlchemy URL: SQLite by default, `postgresql+psycopg://…` for PostgreSQL."),
    ("SVOD_HEAD_WORKBOOK", "head_workbook", "Настройки ОМО.xlsx", "The head's workbook with «Школы» and «План» (xlsx backend: a file name in the folder)."),
    ("SVOD_HEAD_SPREADSHEET_ID", "head_spreadsheet_id", "", "The head's spreadsheet id (google backend)."),
    ("SVOD_CONSOLIDATED_WORKBOOK", "consolidated_workbook", "Свод.xlsx", "The consolidated workbook Svod writes (xlsx backend), one per academic year with the year in its name: «Свод 2026-2027.xlsx»."),
    ("SVOD_CONSOLIDATED_SPREADSHEET_ID", "consolidated_spreadsheet_id", "", "The consolidated spreadsheet id (google backend; created by `provision` when empty); it is the first year's, every later year gets a new «Свод 2027-2028»."),
    ("SVOD_ACADEMIC_YEAR", "academic_year", "", "The academic year to track, e.g. `2026/2027`; by default the one containing today."),
    ("SVOD_SCHEMA_DIR", "schema_dir", "", "A folder of form definitions replacing the shipped `sheets_schema/`."),
    ("SVOD_TIMEZONE", "timezone", "Europe/Moscow", "The association's time zone: deadlines end at midnight there."),
    ("SVOD_READ_WORKERS", "read_workers", "4", "How many workbooks are read at once."),
    ("SVOD_HOST", "host", "127.0.0.1", "The address `serve` listens on."),
    ("PORT", "port", "8000", "The port `serve` listens on."),
    ("SVOD_PUBLIC_URL", "public_url", "http://127.0.0.1:8000", "The status page's address, used in e-mails."),
    ("SVOD_SECRET_KEY", "secret_key", "", "Flask's secret key for the head's session cookie (set it in production)."),
    ("SVOD_ADMIN_PASSWORD_HASH", "admin_password_hash", "", "The head's password hash (`svod create-admin` prints one)."),
    ("SVOD_TRUSTED_PROXIES", "trusted_proxies", "0", "How many reverse proxies in front of the web process to trust for the visitor's address and https (`X-Forwarded-*`); 0 trusts none."),
    ("SVOD_MAX_SCHOOLS_DROP", "max_schools_drop", "50", "The largest share (%) of the active schools one change of the head's «Школы» may take out of the work at once; a larger one (the tab deleted or emptied, most rows cut) is held until the head confirms it (admin page, or `svod sync --confirm-removal`), the last known list applying meanwhile. 100 turns the check off."),
    ("SVOD_MAX_COLLECTIONS_DROP", "max_collections_drop", "50", "The same for «План»: the largest share (%) of the year's collections one change may drop at once; a «План» gone or without a collection, where the head's own plan was, counts as all of them. 100 turns the check off."),
    ("SVOD_TOTALS_ACCEPTED_ONLY", "totals_accepted_only", "false", "«Свод»'s tabs of the collections (their rows and totals) hold only what the head accepted: each school's accepted version, also when the school changed it since, and nothing of a school she has not accepted; «Статус сдачи» still lists every school."),
    ("SVOD_SYNC_INTERVAL_MINUTES", "sync_interval_minutes", "15", "How often the clock process syncs."),
    ("SVOD_REMINDER_HOUR", "reminder_hour", "8", "The hour (local time) of the daily reminder run."),
    ("SVOD_REMINDER_DAYS_BEFORE", "reminder_days_before", "3", "Days before a deadline when librarians get a reminder."),
    ("SVOD_EXPORT_DIR", "export_dir", "var/exports", "Where the nightly database export goes."),
    ("SVOD_LOCK_FILE", "lock_file", "var/sync.lock", "The file lock that keeps two syncs from running at once."),
    ("SVOD_LOG_FILE", "log_file", "var/svod.log", "The log of `svod` commands, tracebacks included (the console shows one Russian line per failure); rotated at 1 MB, three old files kept. The clock and web processes log to their standard error (the journal)."),
    ("SVOD_SMTP_HOST", "smtp_host", "", "SMTP server for reminders; empty means reminders are only printed (dry run)."),
    ("SVOD_SMTP_PORT", "smtp_port", "25", "SMTP port."),
    ("SVOD_SMTP_USER", "smtp_user", "", "SMTP user name."),
    ("SVOD_SMTP_PASSWORD", "smtp_password", "", "SMTP password (never logged)."),
    ("SVOD_SMTP_STARTTLS", "smtp_starttls", "false", "Use STARTTLS."),
    ("SVOD_MAIL_FROM", "mail_from", "svod@localhost", "The sender of reminders."),
    ("SVOD_HEAD_EMAIL", "head_email", "", "Where the head's daily digest goes."),
    ("SVOD_CUSTOMER", "customer", "", "The customer the publishers' specifications and distribution lists name: the district's education office as in the contracts, e.g. «Управление образования администрации Энского муниципального района»; empty leaves a line to fill in by hand."),
    ("SVOD_DEMO_SCHOOLS", "demo_schools", "24", "How many schools `make run` generates on first run."),
    ("GOOGLE_APPLICATION_CREDENTIALS", "google_credentials", "", "Path to the service account's JSON key (google backend)."),
    ("SVOD_GOOGLE_API_URL", "google_api_url", "", "Point gspread at another API host, e.g. the local emulator `http://127.0.0.1:8765`."),
    ("SVOD_GOOGLE_QUOTA_PER_MINUTE", "google_quota_per_minute", "60", "Read and write requests a minute the Google client stays under."),
    ("SVOD_GOOGLE_DRIVE_ID", "google_drive_id", "", "A shared drive (Google Workspace), or a folder in one, where a service account creates the spreadsheets."),
    ("SVOD_GOOGLE_CLIENT_SECRETS", "google_client_secrets", "", "Path to the OAuth client JSON (type «Web application») with which the head connects her own Google account."),
    ("SVOD_GOOGLE_TOKEN_KEY", "google_token_key", "", "The key the head's Google token is encrypted with in the database; by default derived from `SVOD_SECRET_KEY` (never logged)."),
]

_INTS = {"read_workers", "port", "sync_interval_minutes", "reminder_hour", "reminder_days_before", "smtp_port",
         "demo_schools", "google_quota_per_minute", "trusted_proxies", "max_schools_drop", "max_collections_drop"}
_PERCENTS = {"max_schools_drop", "max_collections_drop"}
_BOOLS = {"smtp_starttls", "totals_accepted_only"}
_PATHS = {"workbooks_dir", "export_dir", "lock_file"}
SECRETS = frozenset({"secret_key", "admin_password_hash", "smtp_password", "google_token_key"})


class ConfigError(Exception):
    """A setting has a value Svod cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    backend: str = "xlsx"
    workbooks_dir: Path = Path("var/district")
    database_url: str = "sqlite:///var/svod.db"
    head_workbook: str = "Настройки ОМО.xlsx"
    head_spreadsheet_id: str = ""
    consolidated_workbook: str = "Свод.xlsx"
    consolidated_spreadsheet_id: str = ""
    academic_year: str = ""
    schema_dir: str = ""
    timezone: str = "Europe/Moscow"
    read_workers: int = 4
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = field(default="", repr=False)
    admin_password_hash: str = field(default="", repr=False)
    trusted_proxies: int = 0
    max_schools_drop: int = 50
    max_collections_drop: int = 50
    totals_accepted_only: bool = False
    sync_interval_minutes: int = 15
    reminder_hour: int = 8
    reminder_days_before: int = 3
    export_dir: Path = Path("var/exports")
    lock_file: Path = Path("var/sync.lock")
    log_file: str = "var/svod.log"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    mail_from: str = "svod@localhost"
    head_email: str = ""
    customer: str = ""
    demo_schools: int = 24
    google_credentials: str = ""
    google_api_url: str = ""
    google_quota_per_minute: int = 60
    google_drive_id: str = ""
    google_client_secrets: str = ""
    google_token_key: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if env is None else env
        values: dict = {}
        for variable, attribute, _default, _doc in SETTINGS:
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            values[attribute] = _convert(variable, attribute, raw.strip())
        values.update(overrides)
        settings = cls(**values)
        if settings.backend not in ("xlsx", "google"):
            raise ConfigError(f"SVOD_BACKEND={settings.backend!r}: expected xlsx or google")
        return settings

    def public_dict(self) -> dict:
        """The settings with secrets masked: safe for logs and the admin page."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ("***" if value else "") if f.name in SECRETS else str(value)
        return out


def _convert(variable: str, attribute: str, raw: str):
    if attribute in _INTS:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{variable}={raw!r}: expected a whole number") from None
        if attribute in _PERCENTS and not 0 <= value <= 100:
            raise ConfigError(f"{variable}={raw!r}: expected a percentage from 0 to 100")
        return value
    if attribute in _BOOLS:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{variable}={raw!r}: expected true or false")
    if attribute in _PATHS:
        return Path(raw).expanduser()
    return raw
