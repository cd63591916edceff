"""Anonymous treatment pages and the home page come from the cache until an editor changes content."""

import gzip
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.csp import LazyNonce

from clinic import pagecache
from education.models import Section, SideEffect, SiteMode, Treatment
from education.views import cached_for_anonymous

from .factories import approve, make_section, make_side_effect, make_source, make_treatment

pytestmark = pytest.mark.django_db


@pytest.fixture
def treatment():
    treatment = make_treatment("cachefill", name="Cachefill")
    make_section(treatment, sources=[make_source()])
    make_section(treatment, Section.Kind.SIDE_EFFECTS)
    make_side_effect(treatment, name="Bruising")
    return treatment


@pytest.fixture
def editor(django_user_model):
    """A logged-in staff browser, separate from the anonymous `client`."""
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "a-long-test-password")
    browser = Client()
    browser.force_login(user)
    return browser


def rendered_fresh(client, url):
    """Whether the page was rendered (it ran queries) rather than served from the cache."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries) > 0


def test_treatment_page_second_visit_runs_no_query(client, treatment, django_assert_num_queries):
    first = client.get(treatment.get_absolute_url())
    with django_assert_num_queries(0):
        second = client.get(treatment.get_absolute_url())
    assert second.status_code == 200
    assert second.content == first.content


@pytest.mark.parametrize("url", ["/", "/treatments/"])
def test_home_and_list_second_visit_runs_no_query(client, treatment, url, django_assert_num_queries):
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert "Cachefill" in response.text


def test_cached_page_costs_one_query_on_the_database_cache(client, treatment, settings, django_assert_num_queries):
    # Production without Redis, in a worker that has not kept the page in memory yet (it just
    # started, or another worker rendered it): the content version and the page in one query,
    # however long the page. (Adapted for clinic.pagecache: a repeat visit in the same worker
    # now costs none, see test_page_from_memory_runs_no_query_on_the_database_cache.)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "page_cache"}}
    call_command("createcachetable", verbosity=0)
    client.get(treatment.get_absolute_url())
    pagecache.store.pages.clear()
    with django_assert_num_queries(1):
        short = client.get(treatment.get_absolute_url())
    for i in range(10):
        make_side_effect(treatment, name=f"Effect {i}")
    client.get(treatment.get_absolute_url())
    pagecache.store.pages.clear()
    with django_assert_num_queries(1):
        long = client.get(treatment.get_absolute_url())
    assert long.text.count('class="effect"') > short.text.count('class="effect"')


@pytest.mark.parametrize("url", ["/", "/treatments/"])
def test_list_pages_query_count_is_constant_as_treatments_grow(client, url, django_assert_num_queries):
    make_treatment("first")
    SiteMode.is_demo()  # read once, then from the cache (every page asks it for the demo banner)
    with django_assert_num_queries(1) as few:
        client.get(url)
    for i in range(8):
        make_treatment(f"more{i}")
    cache.clear()
    SiteMode.is_demo()
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert "More7" in response.text


# Since issue 15 the public sees only approved content, so each change below reaches the
# cached page when a reviewer approves it (approve() in the factories, as in the admin).


def test_saving_a_treatment_updates_the_cached_home_page(client, treatment):
    assert "Cachefill" in client.get("/").text
    treatment.name = "Renamedfill"
    treatment.save()
    approve(treatment)
    html = client.get("/").text
    assert "Renamedfill" in html
    assert "Cachefill" not in html


def test_editor_saving_a_source_in_the_admin_updates_the_cached_page(client, editor, treatment):
    source = treatment.sections.get(kind=Section.Kind.OVERVIEW).sources.get()
    assert "Test label" in client.get(treatment.get_absolute_url()).text
    response = editor.post(
        reverse("admin:education_source_change", args=[source.pk]),
        # The admin has one title field per language (django-modeltranslation).
        {"key": source.key, "title_en": "Revised label 2026", "publisher_en": source.publisher, "url": source.url},
    )
    assert response.status_code == 302
    approve(treatment)
    html = client.get(treatment.get_absolute_url()).text
    assert "Revised label 2026" in html
    assert "Test label" not in html


def test_citing_another_source_updates_the_cached_page(client, treatment):
    client.get(treatment.get_absolute_url())
    treatment.sections.get(kind=Section.Kind.OVERVIEW).sources.add(make_source("new-study", title="A new study"))
    approve(treatment)
    assert "A new study" in client.get(treatment.get_absolute_url()).text


def test_deleting_a_side_effect_updates_the_cached_page(client, treatment):
    assert "Bruising" in client.get(treatment.get_absolute_url()).text
    SideEffect.objects.filter(treatment=treatment).delete()
    approve(treatment)
    assert "Bruising" not in client.get(treatment.get_absolute_url()).text


def test_unpublishing_removes_the_cached_page_at_once(client, treatment):
    assert client.get(treatment.get_absolute_url()).status_code == 200
    treatment.published = False
    treatment.save()
    assert client.get(treatment.get_absolute_url()).status_code == 404


def test_staff_preview_is_never_cached_for_the_public(client, editor, treatment):
    draft = make_treatment("draftfill", published=False)
    make_section(draft, Section.Kind.OVERVIEW)
    assert "Draft preview" in editor.get(draft.get_absolute_url()).text
    assert client.get(draft.get_absolute_url()).status_code == 404
    # A published page that staff looked at was rendered for them, not stored for everyone.
    editor.get(treatment.get_absolute_url())
    assert rendered_fresh(client, treatment.get_absolute_url())


def test_staff_never_get_a_cached_page(client, editor, treatment):
    client.get(treatment.get_absolute_url())
    # Rows changed behind the cache's back (no signal): only a fresh render shows the new name.
    Treatment.objects.filter(pk=treatment.pk).update(name="Quietly renamed")
    assert "Quietly renamed" in editor.get(treatment.get_absolute_url()).text
    assert "Quietly renamed" not in client.get(treatment.get_absolute_url()).text


def test_query_string_is_never_served_from_the_cache(client, treatment):
    client.get(treatment.get_absolute_url() + "?utm_source=x")
    assert rendered_fresh(client, treatment.get_absolute_url() + "?utm_source=x")


def test_visitor_with_a_pending_message_is_not_served_from_the_cache(client, treatment):
    client.get("/")
    client.cookies["messages"] = "anything"
    assert rendered_fresh(client, "/")


def test_cached_page_still_gets_fresh_security_headers(client, treatment):
    first = client.get(treatment.get_absolute_url())
    second = client.get(treatment.get_absolute_url())
    for header in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "Content-Type"):
        assert second[header] == first[header]
    assert set(second["Vary"].split(", ")) == set(first["Vary"].split(", "))


def test_page_that_uses_a_csrf_token_is_not_cached(rf):
    renders = []

    @cached_for_anonymous
    def form_page(request):
        renders.append(1)
        return HttpResponse(f"<form>{get_token(request)}</form>")

    form_page(rf.get("/form/"))
    form_page(rf.get("/form/"))
    assert len(renders) == 2


def test_page_that_uses_the_csp_nonce_is_not_cached(rf):
    renders = []

    @cached_for_anonymous
    def page_with_inline_script(request):
        renders.append(1)
        return HttpResponse(f'<script nonce="{request._csp_nonce}"></script>')

    for _ in range(2):
        request = rf.get("/nonce/")
        request._csp_nonce = LazyNonce()
        page_with_inline_script(request)
    assert len(renders) == 2


def test_error_pages_are_not_cached(rf):
    renders = []

    @cached_for_anonymous
    def missing(request):
        renders.append(1)
        return HttpResponse("gone", status=404)

    missing(rf.get("/nothing/"))
    missing(rf.get("/nothing/"))
    assert len(renders) == 2


def test_cache_key_separates_hosts(rf):
    @cached_for_anonymous
    def page(request):
        return HttpResponse(request.get_host())

    page(rf.get("/p/", HTTP_HOST="localhost"))
    assert page(rf.get("/p/", HTTP_HOST="127.0.0.1")).content == b"127.0.0.1"


def test_cached_page_is_sent_gzipped_to_browsers_that_accept_it(client, treatment):
    client.get(treatment.get_absolute_url())
    response = client.get(treatment.get_absolute_url(), headers={"accept-encoding": "gzip, deflate"})
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content).decode().count("Cachefill") >= 1


# --- clinic.pagecache: repeat anonymous visits from process memory -----------------------------

# Every header the full stack sends a public page; the copy from memory must send the same set.
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
    "X-Frame-Options",
    "X-Request-ID",
)


def from_memory(client, url, **kwargs):
    """The response, and whether it came from process memory (and so ran no query at all)."""
    middleware = pagecache.AnonymousPageCacheMiddleware
    with (
        mock.patch.object(middleware, "from_memory", autospec=True, side_effect=middleware.from_memory) as served,
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(url, **kwargs)
    if served.called:
        assert len(queries) == 0
    return response, served.called


@pytest.fixture
def database_cache(settings):
    # The production default without Redis: a memory hit that still read the shared cache would show a query.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "page_cache"}}
    call_command("createcachetable", verbosity=0)


def test_page_from_memory_runs_no_query_on_the_database_cache(client, treatment, database_cache):
    first = client.get(treatment.get_absolute_url())
    second, hit = from_memory(client, treatment.get_absolute_url())
    assert hit
    assert second.content == first.content


def test_page_from_memory_sends_every_header_of_a_fresh_render(client, treatment, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    url = treatment.get_absolute_url()
    fresh = client.get(url, secure=True, headers={"accept-encoding": "gzip"})
    cached, hit = from_memory(client, url, secure=True, headers={"accept-encoding": "gzip"})
    assert hit
    assert set(cached.headers) == set(fresh.headers)
    for header in SECURITY_HEADERS:
        assert cached[header]
    # Made per response: the request id (and the length of the randomly padded gzip of a fresh render).
    for header in set(fresh.headers) - {"X-Request-ID", "Content-Length"}:
        assert cached[header] == fresh[header], header
    assert cached["X-Request-ID"] != fresh["X-Request-ID"]


def test_page_from_memory_keeps_a_proxys_request_id(client, treatment):
    client.get(treatment.get_absolute_url())
    response, hit = from_memory(client, treatment.get_absolute_url(), headers={"x-request-id": "proxy-id-42"})
    assert hit
    assert response["X-Request-ID"] == "proxy-id-42"


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("gzip, deflate, br", "br"), ("gzip, br;q=0", "gzip"), ("gzip;q=0, identity", None), ("", None)],
)
def test_page_from_memory_is_compressed_as_the_browser_accepts(client, treatment, accept, encoding):
    import brotli

    plain = client.get(treatment.get_absolute_url(), headers={"accept-encoding": ""}).content
    response, hit = from_memory(client, treatment.get_absolute_url(), headers={"accept-encoding": accept})
    assert hit
    assert response.get("Content-Encoding") == encoding
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding]
    assert decode(response.content) == plain
    assert response["Content-Length"] == str(len(response.content))
    assert "Accept-Encoding" in response["Vary"]


def test_page_from_memory_answers_a_revalidation_with_304(client, treatment):
    first = client.get(treatment.get_absolute_url())
    by_etag, hit = from_memory(client, treatment.get_absolute_url(), headers={"if-none-match": first["ETag"]})
    by_date = client.get(treatment.get_absolute_url(), headers={"if-modified-since": first["Last-Modified"]})
    other = client.get(treatment.get_absolute_url(), headers={"if-none-match": '"something-else"'})
    assert hit
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_etag["ETag"] == first["ETag"]
    assert by_etag["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert by_date.status_code == 304
    assert other.status_code == 200


def test_head_from_memory_sends_the_length_but_no_body(client, treatment):
    page = client.get(treatment.get_absolute_url(), headers={"accept-encoding": ""})
    with CaptureQueriesContext(connection) as queries:
        head = client.head(treatment.get_absolute_url(), headers={"accept-encoding": ""})
    assert len(queries) == 0
    assert (head.status_code, head.content) == (200, b"")
    assert head["Content-Length"] == str(len(page.content))


def test_another_workers_save_reaches_this_worker_within_a_second(client, treatment, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    client.get(treatment.get_absolute_url())
    # Another worker or node saved and a reviewer approved there: the rows and the shared version
    # changed, not this process's memory (its store is left alone while the edit is signed here).
    Treatment.objects.filter(pk=treatment.pk).update(name="Renamed elsewhere")
    with monkeypatch.context() as elsewhere:
        elsewhere.setattr(pagecache.store, "clear", lambda: None)
        approve(Treatment.objects.get(pk=treatment.pk))
    cache.set(pagecache.VERSION_KEY, "another-nodes-version")
    now[0] += 0.5
    assert "Renamed elsewhere" not in client.get(treatment.get_absolute_url()).text
    now[0] += 0.5
    assert "Renamed elsewhere" in client.get(treatment.get_absolute_url()).text


@pytest.mark.parametrize("url", ["/consultations/new/", "/consultations/privacy/", "/admin/login/"])
def test_form_admin_and_other_pages_never_come_from_memory(client, treatment, url, database_cache):
    client.get(treatment.get_absolute_url())
    client.get(url)
    _response, hit = from_memory(client, url)
    assert not hit
    assert all(key[3] != url for key in pagecache.store.pages)


def test_visitor_with_a_session_never_gets_the_page_from_memory(client, treatment, database_cache):
    client.get(treatment.get_absolute_url())
    client.cookies["sessionid"] = "anything"
    _response, hit = from_memory(client, treatment.get_absolute_url())
    assert not hit


def test_unknown_host_is_refused_even_when_the_page_is_in_memory(client, treatment, settings):
    settings.ALLOWED_HOSTS = ["clinic.test"]
    client.get(treatment.get_absolute_url(), HTTP_HOST="clinic.test")
    assert client.get(treatment.get_absolute_url(), HTTP_HOST="evil.test").status_code == 400


# --- clinic.pagecache.MemoryFirst: the WSGI front, before Django parses the request ---------------


class WsgiApp:
    """The application as the server calls it (clinic/wsgi.py), and whether Django ran behind it."""

    app = None

    def __call__(self, method, url, secure=False, **headers):
        if self.app is None:
            # Made at the first request, after the test's settings: middleware reads them when built.
            self.django = mock.Mock(side_effect=WSGIHandler())
            self.app = pagecache.MemoryFirst(self.django)
        request = RequestFactory().generic(method, url, secure=secure, headers=headers)
        started = {}

        def start_response(status, response_headers):
            started.update(status=status, headers=response_headers)

        self.django.reset_mock()
        # As Django's test client does: the test's database connection must outlive the request.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            with CaptureQueriesContext(connection) as queries:
                body = b"".join(self.app(request.environ, start_response))
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        headers = {}
        for name, value in started["headers"]:
            headers[name.lower()] = value
        return int(started["status"].split()[0]), headers, body, self.django.called, len(queries)


@pytest.fixture
def wsgi():
    return WsgiApp()


def test_wsgi_front_answers_a_repeat_visit_without_django_or_the_database(wsgi, treatment, database_cache, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    url = treatment.get_absolute_url()
    status, fresh, body, ran_django, _ = wsgi("GET", url, secure=True, accept_encoding="")
    assert (status, ran_django) == (200, True)

    status, cached, cached_body, ran_django, queries = wsgi("GET", url, secure=True, accept_encoding="")
    assert (status, ran_django, queries) == (200, False, 0)
    assert cached_body == body
    assert set(cached) == set(fresh)
    for header in set(fresh) - {"x-request-id"}:
        assert cached[header] == fresh[header], header
    for header in SECURITY_HEADERS:
        assert cached[header.lower()]
    assert cached["x-request-id"] != fresh["x-request-id"]


def test_wsgi_front_sends_the_encoding_revalidation_and_head_the_middleware_would(wsgi, treatment):
    import brotli

    url = treatment.get_absolute_url()
    _, first, plain, _, _ = wsgi("GET", url, accept_encoding="")
    _, headers, body, ran_django, _ = wsgi("GET", url, accept_encoding="gzip, deflate, br")
    assert not ran_django
    assert headers["content-encoding"] == "br"
    assert brotli.decompress(body) == plain
    assert headers["content-length"] == str(len(body))

    status, headers, body, ran_django, _ = wsgi("GET", url, accept_encoding="", if_none_match=first["etag"])
    assert (status, body, ran_django) == (304, b"", False)
    assert "content-type" not in headers
    assert headers["content-security-policy"] == first["content-security-policy"]

    status, headers, body, ran_django, _ = wsgi("HEAD", url, accept_encoding="")
    assert (status, body, ran_django) == (200, b"", False)
    assert headers["content-length"] == str(len(plain))


def test_wsgi_front_keeps_a_proxys_request_id(wsgi, treatment):
    wsgi("GET", treatment.get_absolute_url())
    _, headers, _, ran_django, _ = wsgi("GET", treatment.get_absolute_url(), x_request_id="proxy-id-42")
    assert not ran_django
    assert headers["x-request-id"] == "proxy-id-42"


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "{url}?utm=1", {}),
        ("POST", "{url}", {}),
        ("GET", "{url}", {"cookie": "sessionid=anything"}),
        ("GET", "{url}", {"cookie": "messages=anything"}),
        # Inputs the full stack has not mapped to a page yet: another language, host or scheme.
        ("GET", "{url}", {"accept_language": "es"}),
        ("GET", "{url}", {"cookie": "django_language=es"}),
        ("GET", "{url}", {"x_forwarded_proto": "http", "host": "localhost:8000"}),
    ],
)
def test_wsgi_front_leaves_everything_else_to_django(wsgi, treatment, method, url, headers):
    url = url.format(url=treatment.get_absolute_url())
    wsgi("GET", treatment.get_absolute_url())
    *_, ran_django, _ = wsgi(method, url, **headers)
    assert ran_django


def test_wsgi_front_never_answers_an_unknown_host(wsgi, treatment, settings):
    settings.ALLOWED_HOSTS = ["clinic.test"]
    wsgi("GET", treatment.get_absolute_url(), host="clinic.test")
    assert wsgi("GET", treatment.get_absolute_url(), host="clinic.test")[3] is False
    status, *_, ran_django, _ = wsgi("GET", treatment.get_absolute_url(), host="evil.test")
    assert (status, ran_django) == (400, True)


def test_wsgi_front_drops_a_page_within_a_second_of_another_nodes_save(wsgi, treatment, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    wsgi("GET", treatment.get_absolute_url())
    cache.set(pagecache.VERSION_KEY, "another-nodes-version")
    now[0] += 0.5
    assert wsgi("GET", treatment.get_absolute_url())[3] is False
    now[0] += 0.5
    assert wsgi("GET", treatment.get_absolute_url())[3] is True


def test_wsgi_front_counts_its_answers_by_route_name(wsgi, client, treatment):
    def served():
        text = client.get("/metrics").text
        line = 'clinic_http_requests_total{method="GET",route="education:treatment_detail",status="200"}'
        return next((float(row.split()[-1]) for row in text.splitlines() if row.startswith(line)), 0.0)

    wsgi("GET", treatment.get_absolute_url())
    before = served()
    assert wsgi("GET", treatment.get_absolute_url())[3] is False
    assert served() == before + 1


def test_the_shipped_application_is_the_wsgi_front():
    from clinic.wsgi import application

    assert isinstance(application, pagecache.MemoryFirst)
