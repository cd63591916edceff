"""The app's one page cache: public pages kept for visitors who share them, dropped on every content save.

In front of it, nginx keeps the same pages for a second (deploy/nginx/clinic.conf.template).

- Who shares a page: a visitor with none of PRIVATE_COOKIES (a session, a pending message, a
  CSRF cookie). nginx's map $clinic_private_visit names the same cookies (tests/test_page_cache.py
  compares them).
- What is kept: a 200 from a view marked @shared_page, asked for with GET or HEAD and no query
  string, that set no cookie and used no CSRF token or CSP nonce.
- Where: Django's cache alias "pages" (CACHES; each process's memory unless configured otherwise).
  The key is the site's own address (CLINIC_SITE_URL, never the Host header, so no Host variant
  can add entries), the path (which holds the language), and the content version.
- How: AnonymousPageCacheMiddleware sits in MIDDLEWARE below the security and CSP middleware, so
  those run on every request; the headers of everything below it (locale, X-Frame-Options ...)
  are kept with the page. The body is compressed once (brotli, gzip) when the page is kept.
- Invalidation: education.signals calls new_content_version() on every content save. The version
  lives in the shared cache ("default": Redis or the database); each process reads it at most once
  a second, so a save reaches every worker on every node within about a second.
"""

import gzip
import hashlib
import secrets
import time
from functools import wraps

import brotli
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from .absolute import site_url

VERSION_KEY = "clinic:content-version"
# How often (seconds) a process asks the shared cache whether content changed.
VERSION_CHECK_SECONDS = 1.0
# Made per response or per encoding: never kept with a page.
PER_RESPONSE = {"content-length", "content-encoding", "etag", "last-modified", "date", "set-cookie"}


def private_cookies():
    """The cookies that make a visit private: its page may show something that is this visitor's alone."""
    return (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name, settings.CSRF_COOKIE_NAME)


def shares_pages(request):
    """No session, no pending message, no CSRF cookie: nothing a page renders is this visitor's alone."""
    return not any(name in request.COOKIES for name in private_cookies())


# --- The content version: one key in the shared cache ------------------------------------------

_version = {"value": None, "read_at": float("-inf")}


def shared_version(key=VERSION_KEY):
    """The version as the shared cache holds it now (one read; a write only when it is missing).
    key: another version kept the same way (the form's open times: consultations.formpage)."""
    value = cache.get(key)
    if value is None:
        cache.add(key, secrets.token_hex(4), timeout=None)
        value = cache.get(key)
    return value


def content_version():
    """The content version, read from the shared cache at most once a second in this process."""
    now = time.monotonic()
    if now - _version["read_at"] >= VERSION_CHECK_SECONDS:
        _version.update(value=shared_version(), read_at=now)
    return _version["value"]


def new_content_version(**kwargs):
    """Content changed: a new version everywhere (this process at once, the others within a second)."""
    # A random token rather than a counter: two workers saving at once both end on a new version.
    cache.set(VERSION_KEY, secrets.token_hex(4), timeout=None)
    forget()


def forget():
    """Read the shared version again on the next call."""
    _version.update(value=None, read_at=float("-inf"))


# --- The pages --------------------------------------------------------------------------------


def shared_page(view):
    """Marks a view whose pages are the same for every visitor who shares_pages()."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.shared_page = True
        return response

    return wrapper


def _keepable(request, response):
    return (
        getattr(response, "shared_page", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Content-Encoding")
        # The page holds this visitor's CSRF token, or a nonce only this response's CSP allows.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not get_nonce(request)
    )


def _page(request, response):
    """What is kept: (headers, {encoding: body}, ETag, Last-Modified, route name)."""
    # Cookie: a visitor with a session gets another page at this address. Accept-Encoding: set here,
    # as GZipMiddleware leaves a response that is already compressed alone. Not Accept-Language
    # (LocaleMiddleware's, for addresses without a language prefix): the language comes from the
    # address, so each Accept-Language a browser sends would only be another copy in nginx.
    vary = [name.strip() for name in response.get("Vary", "").split(",")]
    vary = [name for name in vary if name and name.lower() != "accept-language"]
    del response["Vary"]
    patch_vary_headers(response, [*vary, "Cookie", "Accept-Encoding"])
    headers = [(name, value) for name, value in response.items() if name.lower() not in PER_RESPONSE]
    html = response.content
    bodies = {"identity": html}
    # Compressed once, at the highest levels. No random padding against BREACH is needed: a page
    # shared by every visitor holds no secret.
    for encoding, body in (("br", brotli.compress(html, quality=11)), ("gzip", gzip.compress(html, 9, mtime=0))):
        if len(body) < len(html):
            bodies[encoding] = body
    etag = f'W/"{hashlib.blake2b(html, digest_size=12).hexdigest()}"'
    match = request.resolver_match
    return headers, bodies, etag, int(time.time()), match.view_name if match else ""


def _encoding(accept_encoding, bodies):
    """brotli, else gzip, else the plain page, as the client's Accept-Encoding allows (q=0 refuses)."""
    accepted = set()
    for part in accept_encoding.split(","):
        coding, _, quality = part.partition(";")
        try:
            refused = quality.strip().startswith("q=") and float(quality.strip()[2:]) <= 0
        except ValueError:
            refused = True
        if not refused:
            accepted.add(coding.strip().lower())
    return next((name for name in ("br", "gzip") if name in accepted and name in bodies), "identity")


def _answer(request, page):
    headers, bodies, etag, last_modified, route = page
    encoding = _encoding(request.META.get("HTTP_ACCEPT_ENCODING", ""), bodies)
    body = bodies[encoding]
    response = HttpResponse(body if request.method == "GET" else b"")
    for name, value in headers:
        response[name] = value
    if encoding != "identity":
        response["Content-Encoding"] = encoding
    response["Content-Length"] = str(len(body))  # a HEAD gets the length a GET would
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    request.cached_route = route  # for /metrics (clinic.metrics): no URL was resolved
    return get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)


def address_key(path):
    """The kept page's name: the canonical address (CLINIC_SITE_URL and the path, never the Host
    header), hashed so any path fits every cache backend's key rules (length, characters)."""
    return hashlib.sha256(site_url(path).encode()).hexdigest()


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING") or not shares_pages(request):
            return self.get_response(request)
        try:
            request.get_host()  # an unknown host gets the full stack's 400, never a kept page
            pages = caches["pages"]
            key = f"{content_version()}:{address_key(request.path)}"
            page = pages.get(key)
        except DisallowedHost:
            return self.get_response(request)
        except Exception:  # noqa: BLE001 - the shared cache is down: pages are rendered as without it
            return self.get_response(request)
        if page is not None:
            return _answer(request, page)
        response = self.get_response(request)
        if not _keepable(request, response):
            return response
        page = _page(request, response)
        pages.set(key, page, settings.CACHE_MIDDLEWARE_SECONDS)
        return _answer(request, page)
