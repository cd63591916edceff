"""Test-wide settings and fixtures.

Test-only overrides live here rather than in a second settings module: a fast
password hasher, plain static storage, an in-process cache.
"""

import datetime
import sqlite3
import zoneinfo

import pytest
import time_machine

from tests.missing import pytest_runtest_makereport  # noqa: F401  (CI=true: a missing tool fails)

# The frozen "now" of the `clock` fixture: a Tuesday at 23:40 in the clinic's time zone, the late
# hour at which two tests that read the wall clock once failed (their "today" became tomorrow).
FROZEN_NOW = datetime.datetime(2026, 12, 8, 23, 40, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    # Photo.image bound its storage when the model loaded, before this override: point it
    # at the test's own private directory too.
    from django.core.files.storage import storages

    from consultations.models import Photo

    monkeypatch.setattr(Photo._meta.get_field("image"), "storage", storages["private"])
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"{tmp_path}/pages"},
    }
    # The content version this process last read belongs to the previous test's cache.
    from clinic import pagecache

    pagecache.forget()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # The clinic's booking rules, pinned so no test depends on the environment it runs in.
    settings.TIME_ZONE = "America/New_York"
    settings.CLINIC_CONSULTATION_MINUTES = 30
    settings.CLINIC_BUFFER_MINUTES = 10
    settings.CLINIC_BOOKING_LEAD_HOURS = 12
    settings.CLINIC_BOOKING_WEEKS = 4
    settings.CLINIC_MAX_RESCHEDULES = 2
    settings.CLINIC_LINK_MAX_AGE_DAYS = 60
    settings.CLINIC_REMINDER_HOURS = 24
    settings.CLINIC_CONFIRM_HOURS = 48
    settings.CLINIC_STAFF_EMAIL = "staff@clinic.test"
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    # Staff's second factor is under test in test_twofactor.py and tests/e2e/test_two_factor_journey.py
    # (the `staff_2fa` fixture turns it on); elsewhere staff sign in with the password alone.
    settings.CLINIC_STAFF_2FA = False
    # A request to a Spanish page leaves Spanish active in the thread (LocaleMiddleware never
    # deactivates): each test starts in English, as a new request or a management command does.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _site_mode_read(request, _test_settings):
    """Every page reads the demo-site flag (education.SiteMode, for its banner) once per cache, then
    from the cache. Read it here, in tests with a database, so the query counts tests measure are
    the pages' own, as on a running site."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None:
        database = "transactional_db" if marker.kwargs.get("transaction") else "db"
    elif "transactional_db" in request.fixturenames:
        database = "transactional_db"
    elif "db" in request.fixturenames:
        database = "db"
    else:
        return
    request.getfixturevalue(database)
    from clinic.templatetags.clinic_tags import is_demo_site

    is_demo_site()


@pytest.fixture
def storage():
    """The private storage patients' photos go to, in this test's own directory."""
    from consultations.models import Photo

    return Photo._meta.get_field("image").storage


@pytest.fixture
def belotero(db):
    """The Belotero page the migrations ship."""
    from education.models import Treatment

    return Treatment.objects.get(slug="belotero")


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.com", "a-long-test-password")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def staff_2fa(settings):
    """Second factor enforced, as in production (DEBUG off, CLINIC_STAFF_2FA unset)."""
    settings.CLINIC_STAFF_2FA = True


@pytest.fixture(autouse=True)
def django_db_serialized_rollback():
    """On PostgreSQL, transactional tests (browser, races) end by emptying the database; with this,
    every one of them puts back what the migrations created (content, roles, privacy notice) for
    the next. (On SQLite, django_db_setup below puts back a copy instead.)"""
    return True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Transactional tests (browser, races, backups) end by emptying the database, as Django's
    TransactionTestCase does: `flush`, whose post_migrate handlers put back what `migrate` created
    (the shipped content, the roles, the privacy notice and cancellation policy). On SQLite that
    takes a quarter of a second per test; copying back the pages of the freshly migrated database
    (sqlite3's backup API) gives the same rows in a few milliseconds. PostgreSQL keeps `flush`.
    tests/test_intake_form.py runs `flush` itself and checks it gives the same rows."""
    from django.db import connection
    from django.test import TransactionTestCase

    if connection.vendor != "sqlite":
        yield
        return
    with django_db_blocker.unblock():
        connection.ensure_connection()
        migrated = sqlite3.connect(":memory:")
        connection.connection.backup(migrated)
    # Nothing to deserialize at a test's start either: the copy already put everything back.
    if hasattr(connection, "_test_serialized_contents"):
        del connection._test_serialized_contents
    flush = TransactionTestCase._fixture_teardown

    def put_back_the_migrated_database(case):
        if set(case._databases_names(include_mirrors=False)) != {"default"} or case.available_apps is not None:
            return flush(case)
        connection.ensure_connection()
        migrated.backup(connection.connection)

    TransactionTestCase._fixture_teardown = put_back_the_migrated_database
    try:
        yield
    finally:
        TransactionTestCase._fixture_teardown = flush
        migrated.close()


@pytest.fixture
def clock():
    """Time stands still at FROZEN_NOW (time-machine): a test that books "tomorrow" or reads
    "today" gives the same answer at any hour it runs. `clock.shift(...)` moves it on."""
    with time_machine.travel(FROZEN_NOW, tick=False) as traveller:
        yield traveller
