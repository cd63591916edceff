"""Anonymous treatment pages and the home page come from the cache (clinic.pagecache) until an editor
changes content; no visitor ever gets another visitor's page, and no Host header adds entries."""

import gzip
import re
from unittest import mock

import brotli
import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.csp import LazyNonce

from clinic import pagecache
from clinic.templatetags.clinic_tags import is_demo_site
from education.models import Section, SideEffect, Treatment

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


@pytest.mark.parametrize("url", ["/", "/treatments/"])
def test_list_pages_query_count_is_constant_as_treatments_grow(client, url, django_assert_num_queries):
    make_treatment("first")
    is_demo_site()  # read once per content version (every page asks it for the demo banner)
    with django_assert_num_queries(1) as few:
        client.get(url)
    for i in range(8):
        make_treatment(f"more{i}")
    cache.clear()
    is_demo_site()
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


# --- Which responses are kept ----------------------------------------------------------------


def through_the_cache(view):
    """A view marked @shared_page behind the cache middleware, and the number of times it rendered."""
    renders = []

    @pagecache.shared_page
    def counted(request):
        renders.append(1)
        return view(request)

    return pagecache.AnonymousPageCacheMiddleware(counted), renders


def test_page_that_uses_a_csrf_token_is_not_cached(rf):
    middleware, renders = through_the_cache(lambda request: HttpResponse(f"<form>{get_token(request)}</form>"))
    middleware(rf.get("/form/"))
    middleware(rf.get("/form/"))
    assert len(renders) == 2


def test_page_that_uses_the_csp_nonce_is_not_cached(rf):
    middleware, renders = through_the_cache(
        lambda request: HttpResponse(f'<script nonce="{request._csp_nonce}"></script>')
    )
    for _ in range(2):
        request = rf.get("/nonce/")
        request._csp_nonce = LazyNonce()
        middleware(request)
    assert len(renders) == 2


def test_error_pages_are_not_cached(rf):
    middleware, renders = through_the_cache(lambda request: HttpResponse("gone", status=404))
    middleware(rf.get("/nothing/"))
    middleware(rf.get("/nothing/"))
    assert len(renders) == 2


def test_a_page_that_sets_a_cookie_is_not_cached(rf):
    def sets_cookie(request):
        response = HttpResponse("hello")
        response.set_cookie("visitor", "one")
        return response

    middleware, renders = through_the_cache(sets_cookie)
    middleware(rf.get("/cookie/"))
    middleware(rf.get("/cookie/"))
    assert len(renders) == 2


def test_a_view_not_marked_shared_is_not_cached(rf):
    renders = []

    def view(request):
        renders.append(1)
        return HttpResponse("for this visitor")

    middleware = pagecache.AnonymousPageCacheMiddleware(view)
    middleware(rf.get("/mine/"))
    middleware(rf.get("/mine/"))
    assert len(renders) == 2


def test_without_a_site_url_each_host_is_its_own_page(rf, settings):
    # Development only (production refuses to start without CLINIC_SITE_URL): links use the
    # request's own address, so each host needs its own page.
    settings.CLINIC_SITE_URL = ""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    client = Client()
    client.get("/", HTTP_HOST="localhost")
    assert "//127.0.0.1/" in client.get("/", HTTP_HOST="127.0.0.1").text


def test_cached_page_is_sent_compressed_to_browsers_that_accept_it(client, treatment):
    client.get(treatment.get_absolute_url())
    response = client.get(treatment.get_absolute_url(), headers={"accept-encoding": "gzip, deflate"})
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content).decode().count("Cachefill") >= 1


# --- What a kept page is sent with ---------------------------------------------------------------

# Every header the full stack sends a public page; a kept page must send the same set.
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


def from_cache(client, url, **kwargs):
    """The response, and whether it came from a kept page (a render runs queries; a page that is
    never kept has no ETag)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    return response, len(queries) == 0 and response.has_header("ETag")


@pytest.fixture
def database_cache(settings):
    # The production default without Redis: a kept page that read the shared cache would show a query.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "page_cache"},
        "pages": settings.CACHES["pages"],
    }
    call_command("createcachetable", verbosity=0)


def test_kept_page_reads_the_database_cache_at_most_once_a_second(
    client, treatment, database_cache, monkeypatch, django_assert_num_queries
):
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    first = client.get(treatment.get_absolute_url())
    with django_assert_num_queries(0):
        second = client.get(treatment.get_absolute_url())
    now[0] += 1
    # The content version, read again from the shared cache: one query, whatever the page's length.
    with django_assert_num_queries(1):
        client.get(treatment.get_absolute_url())
    assert second.content == first.content


def test_kept_page_sends_every_header_of_a_fresh_render(client, treatment, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    url = treatment.get_absolute_url()
    fresh = client.get(url, secure=True, headers={"accept-encoding": "gzip"})
    cached, hit = from_cache(client, url, secure=True, headers={"accept-encoding": "gzip"})
    assert hit
    assert set(cached.headers) == set(fresh.headers)
    for header in SECURITY_HEADERS:
        assert cached[header]
    for header in set(fresh.headers) - {"X-Request-ID"}:
        assert cached[header] == fresh[header], header
    assert cached["X-Request-ID"] != fresh["X-Request-ID"]


def test_kept_page_gets_the_security_headers_of_the_moment(client, treatment, settings):
    client.get(treatment.get_absolute_url())
    settings.SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin-allow-popups"
    # A new client builds its middleware again, with this setting (as a restarted worker would).
    response, hit = from_cache(Client(), treatment.get_absolute_url())
    assert hit
    assert response["Cross-Origin-Opener-Policy"] == "same-origin-allow-popups"


def test_kept_page_keeps_a_proxys_request_id(client, treatment):
    client.get(treatment.get_absolute_url())
    response, hit = from_cache(client, treatment.get_absolute_url(), headers={"x-request-id": "proxy-id-42"})
    assert hit
    assert response["X-Request-ID"] == "proxy-id-42"


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("gzip, deflate, br", "br"), ("gzip, br;q=0", "gzip"), ("identity", None), ("", None)],
)
def test_kept_page_is_compressed_as_the_browser_accepts(client, treatment, accept, encoding):
    plain = client.get(treatment.get_absolute_url(), headers={"accept-encoding": ""}).content
    response, hit = from_cache(client, treatment.get_absolute_url(), headers={"accept-encoding": accept})
    assert hit
    assert response.get("Content-Encoding") == encoding
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding]
    assert decode(response.content) == plain
    assert response["Content-Length"] == str(len(response.content))
    assert "Accept-Encoding" in response["Vary"]


def test_kept_page_answers_a_revalidation_with_304(client, treatment):
    first = client.get(treatment.get_absolute_url())
    by_etag, hit = from_cache(client, treatment.get_absolute_url(), headers={"if-none-match": first["ETag"]})
    by_date = client.get(treatment.get_absolute_url(), headers={"if-modified-since": first["Last-Modified"]})
    other = client.get(treatment.get_absolute_url(), headers={"if-none-match": '"something-else"'})
    assert hit
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_etag["ETag"] == first["ETag"]
    assert by_etag["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert by_date.status_code == 304
    assert other.status_code == 200


def test_head_of_a_kept_page_sends_the_length_but_no_body(client, treatment):
    page = client.get(treatment.get_absolute_url(), headers={"accept-encoding": ""})
    with CaptureQueriesContext(connection) as queries:
        head = client.head(treatment.get_absolute_url(), headers={"accept-encoding": ""})
    assert len(queries) == 0
    assert (head.status_code, head.content) == (200, b"")
    assert head["Content-Length"] == str(len(page.content))


@pytest.mark.parametrize("url", ["/", "/treatments/", "/treatments/cachefill/"])
def test_anonymous_pages_vary_on_cookie(client, treatment, url):
    # A visitor with a session gets another page at the same address (staff preview): a
    # browser or proxy cache must not give the anonymous one to them, or theirs to others.
    fresh = client.get(url)
    kept, hit = from_cache(client, url)
    assert hit
    for response in (fresh, kept):
        assert "Cookie" in re.split(r",\s*", response["Vary"])


def test_another_workers_save_reaches_this_worker_within_a_second(client, treatment, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    client.get(treatment.get_absolute_url())
    # Another worker or node saved and a reviewer approved there: the rows and the shared version
    # changed, not what this process last read.
    Treatment.objects.filter(pk=treatment.pk).update(name="Renamed elsewhere")
    with monkeypatch.context() as elsewhere:
        elsewhere.setattr(pagecache, "forget", lambda: None)
        approve(Treatment.objects.get(pk=treatment.pk))
    cache.set(pagecache.VERSION_KEY, "another-nodes-version")
    now[0] += 0.5
    assert "Renamed elsewhere" not in client.get(treatment.get_absolute_url()).text
    now[0] += 0.5
    assert "Renamed elsewhere" in client.get(treatment.get_absolute_url()).text


def kept_addresses():
    return list(caches["pages"]._cache)  # locmem's own dict: the test's pages alias


@pytest.mark.parametrize("url", ["/consultations/new/", "/consultations/privacy/", "/admin/login/"])
def test_form_admin_and_other_pages_are_never_kept(client, treatment, url):
    client.get(treatment.get_absolute_url())
    client.get(url)
    _response, hit = from_cache(client, url)
    assert not hit
    assert not any(key.endswith(pagecache.address_key(url)) for key in kept_addresses())


@pytest.mark.parametrize("cookie", ["sessionid", "messages", "csrftoken"])
def test_visitor_with_a_private_cookie_never_gets_a_kept_page(client, treatment, cookie):
    client.get(treatment.get_absolute_url())
    client.cookies[cookie] = "anything"
    _response, hit = from_cache(client, treatment.get_absolute_url())
    assert not hit


def test_unknown_host_is_refused_even_when_the_page_is_kept(client, treatment, settings):
    settings.ALLOWED_HOSTS = ["clinic.test"]
    client.get(treatment.get_absolute_url(), HTTP_HOST="clinic.test")
    assert client.get(treatment.get_absolute_url(), HTTP_HOST="evil.test").status_code == 400


def test_kept_pages_are_counted_by_route_name(client, treatment):
    def served():
        text = client.get("/metrics").text
        line = 'clinic_http_requests_total{method="GET",route="education:treatment_detail",status="200"}'
        return next((float(row.split()[-1]) for row in text.splitlines() if row.startswith(line)), 0.0)

    client.get(treatment.get_absolute_url())
    before = served()
    _response, hit = from_cache(client, treatment.get_absolute_url())
    assert hit
    assert served() == before + 1


# --- The site's own address, not the Host header (issue 23, findings 5 and 6) --------------------

SITE = "https://clinic.example.com"
# Each one passes ALLOWED_HOSTS (Django ignores case, a trailing dot and the port) and, before,
# each was kept as a page of its own with its own host in every link.
HOST_VARIANTS = [
    "clinic.example.com",
    "CLINIC.example.com",
    "clinic.example.com.:443",
    "localhost:9999",
    "LOCALHOST.:9999",
]


@pytest.fixture
def site(settings):
    settings.CLINIC_SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["clinic.example.com", "localhost"]


@pytest.mark.parametrize("url", ["/", "/treatments/", "/es/treatments/"])
def test_host_variants_share_one_kept_page(client, treatment, site, url):
    renders = [not from_cache(client, url, HTTP_HOST=host)[1] for host in HOST_VARIANTS]
    assert renders == [True] + [False] * (len(HOST_VARIANTS) - 1)
    assert len([key for key in kept_addresses() if key.endswith(pagecache.address_key(url))]) == 1


def test_a_forged_host_never_reaches_the_canonical_link(client, treatment, site):
    forged = client.get("/treatments/", HTTP_HOST="LOCALHOST.:9999").text
    after = client.get("/treatments/", HTTP_HOST="clinic.example.com").text
    for html in (forged, after):
        assert f'<link rel="canonical" href="{SITE}/treatments/">' in html
        assert f'<meta property="og:url" content="{SITE}/treatments/">' in html
        assert "localhost" not in html.lower()


def test_treatment_page_links_use_the_site_url_whatever_the_host(client, treatment, site):
    html = client.get(treatment.get_absolute_url(), HTTP_HOST="LOCALHOST.:9999").text
    assert f'<link rel="canonical" href="{SITE}{treatment.get_absolute_url()}">' in html
    assert "localhost" not in html.lower()


def test_sitemap_and_robots_use_the_site_url_whatever_the_host(client, treatment, site):
    sitemap = client.get("/sitemap.xml", HTTP_HOST="LOCALHOST.:9999").text
    robots = client.get("/robots.txt", HTTP_HOST="LOCALHOST.:9999").text
    assert f"<loc>{SITE}{treatment.get_absolute_url()}</loc>" in sitemap
    assert "localhost" not in sitemap.lower()
    assert f"Sitemap: {SITE}/sitemap.xml" in robots
    assert "localhost" not in robots.lower()


# --- One rule for who shares pages, and the probes ------------------------------------------------


def test_nginx_keeps_pages_from_the_same_visitors_as_the_app():
    from pathlib import Path

    template = (Path(__file__).resolve().parent.parent / "deploy/nginx/clinic.conf.template").read_text()
    private_visit = re.search(r"map \$http_cookie \$clinic_private_visit \{(.*?)\}", template, re.DOTALL).group(1)
    names = re.search(r"\(([\w|]+)\)=", private_visit).group(1).split("|")
    assert sorted(names) == sorted(pagecache.private_cookies())


def test_readiness_probes_read_the_cache_without_writing_to_it(client):
    backend = caches["default"]
    client.get("/readyz")  # the first one may store the content version
    with (
        mock.patch.object(backend, "set", wraps=backend.set) as set_,
        mock.patch.object(backend, "add", wraps=backend.add) as add,
    ):
        responses = [client.get("/readyz") for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert (set_.call_count, add.call_count) == (0, 0)


def test_readiness_probe_notices_a_cache_that_drops_writes(client, monkeypatch):
    backend = caches["default"]
    monkeypatch.setattr(backend, "get", lambda *args, **kwargs: None)
    response = client.get("/readyz")
    assert (response.status_code, response.text) == (503, "cache unavailable\n")


@pytest.mark.parametrize("url", ["/", "/treatments/", "/treatments/cachefill/"])
def test_the_language_comes_from_the_address_not_from_accept_language(client, treatment, url):
    english = client.get(url, headers={"accept-language": "en"})
    caches["pages"].clear()
    spanish_browser = client.get(url, headers={"accept-language": "es"})
    assert spanish_browser.content == english.content
    # So nginx keeps one copy, not one per Accept-Language a browser sends.
    assert "Accept-Language" not in english["Vary"]
    assert '<html lang="es">' in client.get("/es" + url, headers={"accept-language": "en"}).text


@pytest.mark.parametrize("path", ["/" + "a" * 400 + "/", "/treatments/%00/", "/tr\u00e9atments/ \t/"])
def test_any_path_gives_a_cache_key_every_backend_accepts(path):
    # The database cache's key column holds 255 characters; memcached refuses spaces and controls.
    key = f"{pagecache.content_version()}:{pagecache.address_key(path)}"
    assert len(key) < 250 and key.isascii() and key.isprintable() and " " not in key
