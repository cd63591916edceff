"""Static files as production serves them: collected, compressed, and cacheable for a year.

collectstatic runs once into a temporary STATIC_ROOT with the production storage;
requests then go through a fresh WSGI application, so WhiteNoise sees that root.
"""

import re
import wsgiref.util

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

# One worker collects once for all of these tests.
pytestmark = pytest.mark.xdist_group("collected-static")

PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
ONE_YEAR = 365 * 24 * 3600


def storages_with(backend, settings):
    return {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    from django.conf import settings

    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=storages_with(PRODUCTION_STORAGE, settings)):
        # Compressing the admin's files and Bootstrap's unused variants is
        # most of the work, and no public page uses them.
        skip = ["admin", "*rtl*", "bootstrap-*", "bootstrap.css*", "bootstrap*.js*"]
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=skip)
    return root


@pytest.fixture
def production_app(static_root, settings):
    settings.STATIC_ROOT = static_root
    settings.STORAGES = storages_with(PRODUCTION_STORAGE, settings)
    settings.DEBUG = False
    return WSGIHandler()


def wsgi_get(app, path, **headers):
    environ = {"PATH_INFO": path, "HTTP_HOST": "testserver", **headers}
    wsgiref.util.setup_testing_defaults(environ)
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = int(status.split()[0])
        captured["headers"] = {name.lower(): value for name, value in response_headers}

    # A real WSGI handler closes the database connection around each request, as in production;
    # keep the test's transaction open the way Django's test client does.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        body = b"".join(app(environ, start_response))
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    return captured["status"], captured["headers"], body


def hashed_url(html, name):
    match = re.search(rf'href="(/static/{name}\.[0-9a-f]{{12}}\.css)"', html)
    assert match, f"no hashed {name}.css link in the page"
    return match.group(1)


def test_collectstatic_writes_brotli_and_gzip_copies(static_root):
    css = [path for path in (static_root / "css").glob("clinic.*.css") if path.suffix == ".css"]
    assert css, "no hashed clinic.css"
    for path in css + list((static_root / "bootstrap" / "css").glob("bootstrap.min.*.css")):
        assert path.with_name(path.name + ".br").stat().st_size < path.stat().st_size
        assert path.with_name(path.name + ".gz").stat().st_size < path.stat().st_size


@pytest.mark.django_db
@pytest.mark.parametrize(("accept", "encoding"), [("br, gzip", "br"), ("gzip", "gzip"), ("", None)])
def test_page_stylesheets_are_served_compressed_and_immutable(production_app, accept, encoding):
    status, _, page = wsgi_get(production_app, "/")
    assert status == 200
    for name in ("bootstrap/css/bootstrap.min", "css/clinic"):
        url = hashed_url(page.decode(), name)
        status, headers, body = wsgi_get(production_app, url, HTTP_ACCEPT_ENCODING=accept)
        assert status == 200
        assert headers.get("content-encoding") == encoding
        assert "immutable" in headers["cache-control"]
        assert int(re.search(r"max-age=(\d+)", headers["cache-control"]).group(1)) >= ONE_YEAR
        assert "accept-encoding" in headers["vary"].lower()
        assert body


@pytest.mark.django_db
def test_unhashed_static_file_gets_the_configured_max_age(production_app, settings):
    # favicon.svg is also reachable by its plain name (e.g. a browser asking for it directly).
    status, headers, _ = wsgi_get(production_app, "/static/favicon.svg")
    assert status == 200
    assert headers["cache-control"] == f"max-age={settings.WHITENOISE_MAX_AGE}, public"
    assert settings.WHITENOISE_MAX_AGE >= ONE_YEAR


def test_collected_static_files_are_readable_by_the_web_server(tmp_path, settings):
    # Patients' photos are written 0600 (FILE_UPLOAD_PERMISSIONS); static files are public and
    # nginx, another user, must read them (every /static/ URL was 403 on the booted server).
    import os
    import stat

    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from clinic import settings as project_settings

    options = project_settings.STORAGES["staticfiles"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "OPTIONS": {**options, "location": str(tmp_path)},
        },
    }
    name = storages["staticfiles"].save("css/site.css", ContentFile(b"body{}"))
    assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) & 0o044 == 0o044
    assert stat.S_IMODE(os.stat(tmp_path / "css").st_mode) & 0o055 == 0o055
