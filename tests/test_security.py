"""Security headers, cookies, the admin under a strict CSP, login lockout, passwords, outage pages."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.urls import reverse

from clinic import settings as configured

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/treatments/belotero/", "/consultations/new/", "/consultations/privacy/", "/admin/login/"]
PASSWORD = "correct-horse-battery-staple"


def csp_directives(response):
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_runs_under_csp(response):
    """Nothing in the page that a strict CSP (no 'unsafe-inline') would block."""
    html = response.text
    nonce_match = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    nonce = nonce_match.group(1) if nonce_match else None
    for tag in re.findall(r"<script\b[^>]*>", html):
        is_data = re.search(r'type="application/(ld\+)?json"', tag)
        assert "src=" in tag or is_data or (nonce and f'nonce="{nonce}"' in tag), tag
    for tag in re.findall(r"<style\b[^>]*>", html):
        assert nonce and f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"<[^>]+\sstyle\s*=", html), "style= attribute"
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), "inline event handler"
    assert "javascript:" not in html


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", PASSWORD)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_page_sends_strict_content_security_policy(client, path):
    response = client.get(path, secure=True)
    assert response.status_code == 200
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_page_sends_hardening_headers(client, settings, path):
    settings.SECURE_HSTS_SECONDS = configured.SECURE_HSTS_SECONDS
    response = client.get(path, secure=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = dict(item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(","))
    for feature in ("camera", "geolocation", "microphone", "payment", "usb", "display-capture", "browsing-topics"):
        assert policy[feature] == "()"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_page_has_no_inline_script_or_style(client, path):
    assert_runs_under_csp(client.get(path))


def test_hsts_is_not_sent_over_plain_http(client, settings):
    # Browsers ignore it there, and sending it would suggest the site works without TLS.
    settings.SECURE_HSTS_SECONDS = configured.SECURE_HSTS_SECONDS
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_https_redirect_spares_the_health_probe(client, settings):
    # On by default in production (tests/test_settings.py checks that with check --deploy).
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/treatments/")
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200


def test_cookies_are_secure_httponly_and_samesite(client, settings, staff_user):
    # tests/conftest.py relaxes Secure for plain-HTTP test requests; put production's values back.
    settings.SESSION_COOKIE_SECURE = configured.SESSION_COOKIE_SECURE
    settings.CSRF_COOKIE_SECURE = configured.CSRF_COOKIE_SECURE
    client.get(reverse("admin:login"), secure=True)
    response = client.post(reverse("admin:login"), {"username": "staff", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = response.cookies[name] if name in response.cookies else client.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


def test_admin_pages_run_under_csp(client, staff_user):
    client.force_login(staff_user)
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))]
    for url in urls:
        response = client.get(url)
        # 403: an add page the admin switches off on purpose (audit events are never added by hand).
        assert response.status_code in (200, 403), url
        if response.status_code == 200:
            assert_runs_under_csp(response)


# --- Accounts ---------------------------------------------------------------------


def failed_login(client, username="staff"):
    return client.post(reverse("admin:login"), {"username": username, "password": "wrong-password-123"})


def test_admin_login_locks_after_five_failures(client, staff_user):
    responses = [failed_login(client) for _ in range(5)]
    assert [r.status_code for r in responses[:4]] == [200] * 4
    assert responses[4].status_code == 429
    assert responses[4].headers["Retry-After"] == "1800"
    assert "Sign-in is paused" in responses[4].text


def test_locked_out_account_is_refused_even_with_right_password(client, staff_user):
    for _ in range(5):
        failed_login(client)
    response = client.post(reverse("admin:login"), {"username": "staff", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_page_is_friendly_and_says_how_long(client, staff_user):
    for _ in range(5):
        response = failed_login(client)
    assert "Please try again in 30 minutes." in response.text
    assert "administrator" in response.text
    assert response.headers["Content-Security-Policy"]
    assert_runs_under_csp(response)


def test_four_failures_do_not_lock_the_account(client, staff_user):
    for _ in range(4):
        failed_login(client)
    response = client.post(reverse("admin:login"), {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_user.pk)


def test_password_of_eleven_characters_is_rejected():
    with pytest.raises(ValidationError) as excinfo:
        validate_password("Tq8#vLm2!xZ")
    assert "password_too_short" in [error.code for error in excinfo.value.error_list]


def test_password_of_twelve_characters_is_accepted():
    assert validate_password("Tq8#vLm2!xZr") is None


# --- Database outages -------------------------------------------------------------


@pytest.fixture
def database_locked(monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(CursorWrapper, "execute", locked)
    monkeypatch.setattr(CursorWrapper, "executemany", locked)


def assert_outage_page(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "no-store" in response.headers["Cache-Control"]
    assert "We are busy for a moment" in response.text
    assert "it has not been sent yet" in response.text
    assert "Traceback" not in response.text
    assert "OperationalError" not in response.text


def test_database_locked_in_a_view_gives_the_503_page(client, database_locked, caplog):
    response = client.get("/treatments/belotero/")
    assert_outage_page(response)
    assert_runs_under_csp(response)
    errors = [record for record in caplog.records if record.name == "clinic.database"]
    assert "database is locked" in errors[0].getMessage()


def test_database_locked_while_saving_the_session_gives_the_503_page(client, monkeypatch):
    # Raised in SessionMiddleware on the way out, not in the view: handler500 gives the same page.
    session = client.session
    session["seen"] = True
    session.save()

    def locked(self, *args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.save", locked)
    client.raise_request_exception = False
    assert_outage_page(client.get("/treatments/"))


def test_other_errors_still_give_the_500_page(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    client.raise_request_exception = False
    response = client.get("/treatments/belotero/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "Retry-After" not in response.headers


def test_healthz_answers_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_healthz_is_503_when_database_fails(client, database_locked):
    response = client.get("/healthz")
    assert response.status_code == 503
