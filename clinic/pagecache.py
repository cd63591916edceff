"""Anonymous pages from process memory, before the rest of the middleware stack runs.

A view marks a response as shareable (education.views.cached_for_anonymous sets
``response.anonymous_page`` to the plain HTML). This middleware, first in MIDDLEWARE,
then keeps that page in this process's memory together with every header the full
stack gave it (CSP, HSTS, Referrer-Policy, COOP, Permissions-Policy, X-Frame-Options,
Vary, Content-Language ...), compressed once with gzip and brotli. The next anonymous
GET or HEAD of the same URL is answered from memory: no session, no database, no
template, no other middleware. Only the request id is new on each response.

Invalidation: an editor's save stores a new content version in the shared cache
(Redis with REDIS_URL, else the database cache; see education.signals). Each process
reads that version at most once a second and drops its pages when it changed, so a save
reaches every worker on every node within about a second. The process that saved drops
its own pages at once.
"""

import gzip
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field

import brotli
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http import HttpResponse, HttpResponseNotModified
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.http import http_date, parse_http_date_safe

from .logging import request_id_for

VERSION_KEY = "education:content-version"
# How often (seconds) a process asks the shared cache whether content changed.
VERSION_CHECK_SECONDS = 1.0
# Pages are few (home, list, one per treatment, per language); the bound only stops a
# flood of distinct hosts or paths from growing memory without end.
MAX_PAGES = 512
# Headers that are made per response, or per encoding, never replayed from memory.
PER_RESPONSE = {"content-length", "content-encoding", "x-request-id", "date", "server", "set-cookie", "etag"}


@dataclass
class Page:
    version: str
    headers: list
    bodies: dict  # encoding ("identity", "gzip", "br") -> bytes
    etag: str
    last_modified: float
    hits: int = field(default=0, compare=False)


class _Store:
    """This process's pages and the content version they belong to."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pages = {}
        self.version = None
        self.checked_at = float("-inf")

    def clear(self):
        with self.lock:
            self.pages = {}
            self.version = None
            self.checked_at = float("-inf")

    def current_version(self):
        """The shared content version, read from the shared cache at most once a second."""
        now = time.monotonic()
        if now - self.checked_at >= VERSION_CHECK_SECONDS:
            version = cache.get(VERSION_KEY)
            if version is None:
                cache.add(VERSION_KEY, secrets.token_hex(4), timeout=None)
                version = cache.get(VERSION_KEY)
            if version != self.version:
                with self.lock:
                    self.pages = {}
            self.version, self.checked_at = version, now
        return self.version


store = _Store()


def new_version():
    """Start a new content version everywhere: here at once, other processes within a second."""
    cache.set(VERSION_KEY, secrets.token_hex(4), timeout=None)
    store.clear()


def content_version():
    return store.current_version()


def _reset_on_cache_change(setting, **kwargs):
    if setting == "CACHES":
        store.clear()


setting_changed.connect(_reset_on_cache_change, dispatch_uid="clinic.pagecache.reset")


def accepted_encodings(header):
    """The content codings a client accepts (q > 0), from its Accept-Encoding header."""
    accepted = set()
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        quality = params.strip()
        if quality.startswith("q="):
            try:
                if float(quality[2:]) <= 0:
                    continue
            except ValueError:
                continue
        if coding:
            accepted.add(coding.strip().lower())
    return accepted


def request_language(request):
    """The language LocaleMiddleware would activate for this request (it reads no database)."""
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(urlconf)
    language = translation.get_language_from_request(request, check_path=i18n_patterns_used)
    if (
        i18n_patterns_used
        and not prefixed_default_language
        and not translation.get_language_from_path(request.path_info)
    ):
        language = settings.LANGUAGE_CODE
    return language


def is_anonymous_read(request):
    """A GET/HEAD without query string, session or pending message: the only kind served from memory."""
    return (
        request.method in ("GET", "HEAD")
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_anonymous_read(request):
            return self.get_response(request)
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        domain, _port = split_domain_port(host)
        # An unknown host gets the full stack (and its 400): the memory only holds allowed hosts' pages.
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return self.get_response(request)
        key = (request_language(request), request.scheme, host, request.path)
        try:
            version = store.current_version()
        except Exception:  # noqa: BLE001 - the shared cache is down: the full stack decides what to send
            return self.get_response(request)
        page = store.pages.get(key)
        if page is not None and page.version == version:
            return self.from_memory(request, page)
        response = self.get_response(request)
        html = getattr(response, "anonymous_page", None)
        if html is not None and response.status_code == 200 and not response.cookies:
            page = self.keep(key, version, response, html)
            response["ETag"] = page.etag
            response["Last-Modified"] = http_date(page.last_modified)
        return response

    def keep(self, key, version, response, html):
        headers = [(name, value) for name, value in response.items() if name.lower() not in PER_RESPONSE]
        if not any(name.lower() == "last-modified" for name, _ in headers):
            modified = time.time()
        else:
            modified = parse_http_date_safe(response["Last-Modified"]) or time.time()
            headers = [(name, value) for name, value in headers if name.lower() != "last-modified"]
        bodies = {"identity": html}
        # Compressed once per content version, at the highest levels: no per-request cost, and no
        # random padding is needed against BREACH, since a page shared by every visitor holds no secret.
        gzipped = gzip.compress(html, compresslevel=9, mtime=0)
        if len(gzipped) < len(html):
            bodies["gzip"] = gzipped
        brotlied = brotli.compress(html, quality=11)
        if len(brotlied) < len(html):
            bodies["br"] = brotlied
        etag = f'W/"{hashlib.blake2b(html, digest_size=12).hexdigest()}"'
        page = Page(version=version, headers=headers, bodies=bodies, etag=etag, last_modified=int(modified))
        with store.lock:
            if len(store.pages) >= MAX_PAGES:
                store.pages.clear()
            store.pages[key] = page
        return page

    def from_memory(self, request, page):
        if self.not_modified(request, page):
            response = HttpResponseNotModified()
            body = b""
            headers = [(name, value) for name, value in page.headers if name.lower() != "content-type"]
        else:
            accepted = accepted_encodings(request.META.get("HTTP_ACCEPT_ENCODING", ""))
            encoding = next((name for name in ("br", "gzip") if name in accepted and name in page.bodies), "identity")
            body = page.bodies[encoding]
            response = HttpResponse()
            headers = page.headers
            if encoding != "identity":
                response["Content-Encoding"] = encoding
        for name, value in headers:
            response[name] = value
        response["ETag"] = page.etag
        response["Last-Modified"] = http_date(page.last_modified)
        response["X-Request-ID"] = request_id_for(request)
        if response.status_code == 200:
            response["Content-Length"] = str(len(body))
            # HEAD: the length of the body a GET would get, and no body.
            if request.method == "GET":
                response.content = body
        return response

    @staticmethod
    def not_modified(request, page):
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            # Weak comparison (RFC 9110 13.1.2): a client may echo the tag with or without W/.
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or page.etag.removeprefix("W/") in tags
        since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
        return since is not None and since >= page.last_modified
