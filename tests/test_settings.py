"""The production configuration: `check --deploy` clean, clear failures when it is incomplete."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.settings import parse_proxy_ssl_header

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


def test_settings_refuse_to_start_without_secret_key():
    result = manage("check", DJANGO_SECRET_KEY=None)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


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
