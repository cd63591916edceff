"""The production configuration: `check --deploy` clean, clear failures when it is incomplete."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.settings import parse_bool, parse_proxy_ssl_header

ROOT = Path(__file__).resolve().parent.parent

# What a deployment sets (see `make check` and the README).
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "kq3J7vT0xR9wZp2LmN8bC4yH6sD1fG5aE0uI7oP3lK9jQ2rS6tV8",
    "DJANGO_ALLOWED_HOSTS": "clinic.example.com",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "EMAIL_URL": "smtp://mail.example.com:587",
    "CLINIC_SITE_URL": "https://clinic.example.com",
    # A line answered at all hours, not the office number (education.W003).
    "CLINIC_EMERGENCY_PHONE": "+1 207 555 0199",
    # Never the developer's .env (`make run` writes one): what these processes see is set here.
    "DJANGO_ENV_FILE": "",
}


def manage(*args, **env_overrides):
    """Run manage.py in a fresh process with only the production environment
    (not the test run's variables); an override of None removes a variable."""
    inherited = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env = {**inherited, **PRODUCTION_ENV, **env_overrides}
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_in_production_env():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_redirect_is_off():
    # The twin of the test above: the command really does fail on a warning.
    result = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_processes_the_tests_start_never_read_the_developers_env_file(tmp_path):
    # `make run` then `make test` in one checkout: the .env's key made manage.py start where a test
    # expected it to refuse. The test run itself ignores .env (pyproject's DJANGO_ENV_FILE=); the
    # production-like processes it starts must too.
    from tests.load import harness

    script = "from clinic import settings; print(repr(settings.ENV_FILE))"
    assert manage("shell", "-c", script).stdout.splitlines()[-1] == "''"
    env = {**harness.base_env(tmp_path / "static", tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert harness.manage(env, "shell", "-c", script, timeout=120).stdout.splitlines()[-1:] == ["''"]


def test_settings_refuse_to_start_without_secret_key():
    result = manage("check", DJANGO_SECRET_KEY=None)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_a_misspelt_switch_stops_startup_naming_the_variable():
    result = manage("check", DJANGO_SECURE_SSL_REDIRECT="ture")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECURE_SSL_REDIRECT must be one of" in result.stderr
    assert "not 'ture'" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), (" Yes ", True), ("1", True), ("On", True)]
    + [("false", False), ("False", False), ("no", False), ("0", False), ("OFF", False)],
)
def test_switch_words_in_any_case(value, expected):
    assert parse_bool("X", value, default=not expected) is expected


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_unset_switch_takes_its_default(value):
    assert parse_bool("X", value, default=True) is True
    assert parse_bool("X", value, default=False) is False


@pytest.mark.parametrize("value", ["ture", "flase", "2", "enabled", "y"])
def test_any_other_switch_word_is_refused_with_the_name(value):
    with pytest.raises(ImproperlyConfigured, match=r"^DJANGO_DEBUG must be one of"):
        parse_bool("DJANGO_DEBUG", value)


def test_settings_reject_malformed_proxy_ssl_header():
    result = manage("check", DJANGO_SECURE_PROXY_SSL_HEADER="https")
    assert result.returncode != 0
    assert "X-Forwarded-Proto,https" in result.stderr


@pytest.mark.parametrize(
    "value",
    ["X-Forwarded-Proto,https", "HTTP_X_FORWARDED_PROTO,https", " x-forwarded-proto , https "],
)
def test_proxy_ssl_header_accepts_header_or_meta_name(value):
    assert parse_proxy_ssl_header(value) == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.parametrize("value", ["https", "X-Forwarded-Proto,", ",https"])
def test_proxy_ssl_header_without_header_and_value_is_refused(value):
    with pytest.raises(ImproperlyConfigured):
        parse_proxy_ssl_header(value)
