"""Settings from the environment, and the README documents every one of them."""
from pathlib import Path

import pytest

from sync_service.config import SETTINGS, ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_the_embedded_default():
    settings = Settings.from_env({})
    assert settings.backend == "xlsx"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.port == 8000


def test_environment_overrides():
    settings = Settings.from_env({"SVOD_BACKEND": "google", "PORT": "9000", "SVOD_SMTP_STARTTLS": "yes",
                                  "SVOD_WORKBOOKS_DIR": "/srv/district"})
    assert (settings.backend, settings.port, settings.smtp_starttls) == ("google", 9000, True)
    assert settings.workbooks_dir == Path("/srv/district")


@pytest.mark.parametrize("env, words", [
    ({"SVOD_BACKEND": "dropbox"}, "SVOD_BACKEND"),
    ({"PORT": "eighty"}, "PORT"),
    ({"SVOD_SMTP_STARTTLS": "maybe"}, "SVOD_SMTP_STARTTLS"),
])
def test_bad_values_name_the_variable(env, words):
    with pytest.raises(ConfigError, match=words):
        Settings.from_env(env)


def test_secrets_are_masked():
    shown = Settings.from_env({"SVOD_SMTP_PASSWORD": "hunter2", "SVOD_SECRET_KEY": "k"}).public_dict()
    assert shown["smtp_password"] == "***" and "hunter2" not in str(shown)
    assert "hunter2" not in repr(Settings.from_env({"SVOD_SMTP_PASSWORD": "hunter2"}))


@pytest.mark.parametrize("document", ["README.md", ".env.example"])
def test_every_setting_is_documented(document):
    text = (ROOT / document).read_text(encoding="utf-8")
    missing = [variable for variable, *_ in SETTINGS if variable not in text]
    assert missing == []


@pytest.mark.parametrize("raw", ["-1", "101", "half"])
def test_a_drop_limit_is_a_percentage(raw):
    with pytest.raises(ConfigError, match="SVOD_MAX_SCHOOLS_DROP"):
        Settings.from_env({"SVOD_MAX_SCHOOLS_DROP": raw})
    assert Settings.from_env({"SVOD_MAX_COLLECTIONS_DROP": "100"}).max_collections_drop == 100
