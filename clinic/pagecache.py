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

import functools
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
from django.http import HttpResponse, HttpResponseNotModified, parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.http import http_date, parse_http_date_safe

from . import metrics
from .logging import request_id_for, request_id_from

VERSION_KEY = "education:content-version"
# How often (seconds) a process asks the shared cache whether content changed.
VERSION_CHECK_SECONDS = 1.0
# Pages are few (home, list, one per treatment, per language); the bound only stops a
# flood of distinct hosts or paths from growing memory without end.
MAX_PAGES = 512
# The ways of asking for those pages (Accept-Language strings, hosts ...), bounded the same way.
MAX_ALIASES = 4096
STATUS_LINES = {200: "200 OK", 304: "304 Not Modified"}
# Headers that are made per response, or per encoding, never replayed from memory.
PER_RESPONSE = {"content-length", "content-encoding", "x-request-id", "date", "server", "set-cookie", "etag"}


@dataclass
class Page:
    version: str
    headers: list
    bodies: dict  # encoding ("identity", "gzip", "br") -> bytes
    etag: str
    last_modified: float
    # The route name the full stack resolved, for /metrics (never the path: it may hold a token).
    route: str = ""
    hits: int = field(default=0, compare=False)

    def __post_init__(self):
        self.last_modified_http = http_date(self.last_modified)

    def answer(self, method, accept_encoding, if_none_match, if_modified_since, request_id):
        """(status, headers, body) for one request: a 304 to a matching revalidation, else the
        page in the best encoding the client accepts (HEAD: the length a GET gets, no body)."""
        if self.not_modified(if_none_match, if_modified_since):
            status, body = 304, b""
            headers = [(name, value) for name, value in self.headers if name.lower() != "content-type"]
        else:
            accepted = accepted_encodings(accept_encoding)
            encoding = next((name for name in ("br", "gzip") if name in accepted and name in self.bodies), "identity")
            status, body = 200, self.bodies[encoding]
            headers = list(self.headers)
            if encoding != "identity":
                headers.append(("Content-Encoding", encoding))
        headers += [("ETag", self.etag), ("Last-Modified", self.last_modified_http), ("X-Request-ID", request_id)]
        if status == 200:
            headers.append(("Content-Length", str(len(body))))
        return status, headers, body if method == "GET" else b""

    def not_modified(self, if_none_match, if_modified_since):
        if if_none_match is not None:
            # Weak comparison (RFC 9110 13.1.2): a client may echo the tag with or without W/.
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or self.etag.removeprefix("W/") in tags
        if not if_modified_since:
            return False
        since = parse_http_date_safe(if_modified_since)
        return since is not None and since >= self.last_modified


class SharedVersion:
    """A version token in the shared cache (Redis with REDIS_URL, else the database cache) that
    every worker on every node reads at most once a second: a change made anywhere reaches
    them all within about a second, and a request almost never waits on the cache."""

    def __init__(self, key):
        self.key = key
        self.value = None
        self.checked_at = float("-inf")

    def current(self):
        now = time.monotonic()
        if now - self.checked_at >= VERSION_CHECK_SECONDS:
            value = cache.get(self.key)
            if value is None:
                cache.add(self.key, secrets.token_hex(4), timeout=None)
                value = cache.get(self.key)
            self.value, self.checked_at = value, now
        return self.value

    def bump(self):
        """A new version in the shared cache: every process reads it within a second (this one at
        once after forget())."""
        # A random token rather than a counter: two workers bumping at once both end on a new version.
        cache.set(self.key, secrets.token_hex(4), timeout=None)

    def forget(self):
        """Read the shared version again on the next call."""
        self.value, self.checked_at = None, float("-inf")


class _Store:
    """This process's pages and the content version they belong to."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pages = {}
        # What a request looks like on the wire -> the key its page is kept under (see environ_key).
        self.aliases = {}
        self.content = SharedVersion(VERSION_KEY)
        self.version = None

    def clear(self):
        with self.lock:
            self.pages = {}
            self.aliases = {}
            self.version = None
            self.content.forget()

    def current_version(self):
        """The shared content version (read at most once a second); pages of an older one are dropped."""
        version = self.content.current()
        if version != self.version:
            with self.lock:
                self.pages = {}
            self.version = version
        return version


store = _Store()


def new_version():
    """Start a new content version everywhere: here at once, other processes within a second."""
    store.content.bump()
    store.clear()


def content_version():
    return store.current_version()


def _reset_on_setting_change(setting, **kwargs):
    # Tests change the cache, the hosts, the languages ...: pages kept under the old ones go.
    store.clear()
    environ_names.cache_clear()


setting_changed.connect(_reset_on_setting_change, dispatch_uid="clinic.pagecache.reset")


@functools.lru_cache(maxsize=256)
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
    return frozenset(accepted)  # cached: the same set answers every request with this header


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


def shares_pages(request):
    """No session and no pending message: nothing a page renders for this visitor is theirs alone."""
    return _shareable(request.COOKIES)


def _shareable(cookies):
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def is_anonymous_read(request):
    """A GET/HEAD without query string, session or pending message: the only kind served from memory."""
    return request.method in ("GET", "HEAD") and not request.META.get("QUERY_STRING") and shares_pages(request)


@functools.cache
def environ_names():
    """The WSGI variables Django reads to choose a page's key: scheme, proxy headers, host, path, languages."""
    names = ["wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO"]
    names += ["HTTP_ACCEPT_LANGUAGE", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT"]
    if settings.SECURE_PROXY_SSL_HEADER:
        names.append(settings.SECURE_PROXY_SSL_HEADER[0])
    return tuple(names)


def environ_key(environ, language_cookie):
    """A request as it arrives, before Django parses it: every input the page's key is made of.

    The full stack maps this to the page's key once (the host validated, the language chosen);
    the same inputs always give the same key, so a repeat visit needs no parsing at all.
    """
    return (language_cookie, *(environ.get(name) for name in environ_names()))


def anonymous_cookies(cookie_header):
    """(True, the language cookie) when the Cookie header lets this visitor share a page, else (False, None)."""
    if not cookie_header:
        return True, None
    cookies = parse_cookie(cookie_header)
    if not _shareable(cookies):
        return False, None
    return True, cookies.get(settings.LANGUAGE_COOKIE_NAME)


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
            self.remember(request, key)
            return self.from_memory(request, page)
        response = self.get_response(request)
        html = getattr(response, "anonymous_page", None)
        if html is not None and response.status_code == 200 and not response.cookies:
            page = self.keep(key, version, response, html, request)
            response["ETag"] = page.etag
            response["Last-Modified"] = page.last_modified_http
        return response

    @staticmethod
    def remember(request, key):
        """Lets MemoryFirst (the WSGI front) find this page from the raw request next time."""
        alias = environ_key(request.META, request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        with store.lock:
            if len(store.aliases) >= MAX_ALIASES:
                store.aliases.clear()
            store.aliases[alias] = key

    def keep(self, key, version, response, html, request):
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
        route = metrics.route_of(request)
        page = Page(version, headers, bodies, etag, last_modified=int(modified), route=route)
        with store.lock:
            if len(store.pages) >= MAX_PAGES:
                store.pages.clear()
            store.pages[key] = page
        self.remember(request, key)
        return page

    def from_memory(self, request, page):
        meta = request.META
        status, headers, body = page.answer(
            request.method,
            meta.get("HTTP_ACCEPT_ENCODING", ""),
            meta.get("HTTP_IF_NONE_MATCH"),
            meta.get("HTTP_IF_MODIFIED_SINCE"),
            request_id_for(request),
        )
        response = HttpResponseNotModified() if status == 304 else HttpResponse()
        for name, value in headers:
            response[name] = value
        if body:
            response.content = body
        return response


class MemoryFirst:
    """WSGI front of the application (clinic/wsgi.py): a page the middleware above keeps is sent
    straight from memory, before Django builds a request or runs a single middleware.

    Only a request whose raw inputs the full stack has already mapped to a page (the same
    host, path, scheme, proxy headers and languages: see environ_key) is answered here, with
    the same checks (GET/HEAD, no query string, no session or message cookie) and the same
    headers; anything else, and any error, goes to Django unchanged. It is what lets a
    cached page approach the speed of a static file (BENCHMARKS.md).
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        try:
            answer = self.answer(environ)
        except Exception:  # noqa: BLE001 - the shared cache or a header is broken: Django decides
            answer = None
        if answer is None:
            return self.application(environ, start_response)
        page, (status, headers, body) = answer
        start_response(STATUS_LINES[status], headers)
        metrics.count(page.route, environ["REQUEST_METHOD"], status, time.perf_counter() - started)
        return [body]

    @staticmethod
    def answer(environ):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return None
        anonymous, language_cookie = anonymous_cookies(environ.get("HTTP_COOKIE"))
        if not anonymous:
            return None
        key = store.aliases.get(environ_key(environ, language_cookie))
        if key is None:
            return None
        version = store.current_version()
        page = store.pages.get(key)
        if page is None or page.version != version:
            return None
        return page, page.answer(
            environ["REQUEST_METHOD"],
            environ.get("HTTP_ACCEPT_ENCODING", ""),
            environ.get("HTTP_IF_NONE_MATCH"),
            environ.get("HTTP_IF_MODIFIED_SINCE"),
            request_id_from(environ),
        )
