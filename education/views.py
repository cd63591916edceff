import gzip
import re
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, override

from clinic import seo

from .models import Treatment
from .signals import VERSION_KEY, content_version

ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def cached_for_anonymous(view):
    """Serve the rendered page from the cache to visitors without a session.

    Two levels: clinic.pagecache answers repeat visits from process memory before any
    other middleware runs; this decorator is the level below it, shared by all workers
    (a worker that just started, or just dropped its pages, renders nothing another
    worker already rendered).

    Only the HTML is cached (plain and gzipped): each response still goes through
    the middleware, so security headers are fresh. A visitor with a session or a
    pending message (staff previewing drafts, a patient after a form) is never
    served from the cache, nor are query strings (they would let anyone fill the
    cache) or pages that used a CSRF token or the CSP nonce. Each entry carries the content version
    it was rendered under; an editor's save starts a new version (education.signals),
    so every worker re-renders on its next request. Version and page come in one
    cache read: one query with the database cache.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        cacheable = (
            request.method in ("GET", "HEAD")
            and not request.GET
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and CookieStorage.cookie_name not in request.COOKIES
        )
        if not cacheable:
            return view(request, *args, **kwargs)
        # Scheme and host are in the key: canonical links and JSON-LD are absolute URLs.
        key = f"page:{get_language()}:{request.scheme}://{request.get_host()}{request.path}"
        found = cache.get_many([VERSION_KEY, key])
        version, entry = found.get(VERSION_KEY), found.get(key)
        if version is not None and entry is not None and entry[0] == version:
            response = _cached_response(request, *entry[1:])
            response.anonymous_page = entry[2]
            return response
        version = version or content_version()
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            # A page that used this response's CSP nonce cannot be sent with another response's header.
            and not get_nonce(request)
            and not response.has_header("Content-Encoding")
        ):
            # Compressed once here rather than on every request. No random padding is needed
            # against BREACH: a page shared by all visitors holds no secret.
            gzipped = gzip.compress(response.content, compresslevel=9, mtime=0)
            entry = (version, response["Content-Type"], response.content, gzipped)
            cache.set(key, entry, settings.CACHE_MIDDLEWARE_SECONDS)
            # For clinic.pagecache, first in the middleware: it keeps this page in process memory.
            response.anonymous_page = response.content
        return response

    return wrapper


def _cached_response(request, content_type, content, gzipped):
    response = HttpResponse(content_type=content_type)
    if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) and len(gzipped) < len(content):
        response.content = gzipped
        response["Content-Encoding"] = "gzip"
    else:
        response.content = content
    response["Content-Length"] = str(len(response.content))
    # The headers a fresh render gets: GZipMiddleware's, and SessionMiddleware's (the template
    # reads the empty message storage).
    patch_vary_headers(response, ["Accept-Encoding", "Cookie"])
    return response


def _cards():
    """Public treatments, each with the page its card shows (``card``) and that page's language."""
    language = get_language()
    treatments = Treatment.objects.public()
    if language != settings.LANGUAGE_CODE:
        treatments = treatments.with_reviews_in(language)
    treatments = list(treatments)
    for treatment in treatments:
        page, treatment.shown_language, _review = treatment.public_version(language)
        if page is None:
            # Nobody signed it yet: its name (in the reader's language), no medical summary.
            treatment.shown_language = language
            page = {"name": treatment.name, "summary": "", "waiting": True}
        treatment.card = page
    return treatments


@cached_for_anonymous
def home(request):
    return render(request, "education/home.html", {"treatments": _cards(), "jsonld": seo.clinic_page(request)})


@cached_for_anonymous
def treatment_list(request):
    return render(request, "education/treatment_list.html", {"treatments": _cards()})


@cached_for_anonymous
def treatment_detail(request, slug):
    """Patients get the version a reviewer approved, in their language when one was signed there;
    staff preview the current records."""
    treatment = get_object_or_404(Treatment.objects.visible_to(request.user).with_signed_languages(), slug=slug)
    preview = request.user.is_staff
    reader_language = get_language()
    if preview:
        page, content_language, review = treatment.page_for_preview(), reader_language, treatment.signed_approval
    else:
        page, content_language, review = treatment.public_version(reader_language)
    # Schema.org data and the canonical address in the page's own language; the site around it,
    # and the consultation link, stay in the reader's.
    with override(content_language):
        canonical = seo.absolute(request, treatment.get_absolute_url())
        # Waiting for the clinic's clinician: no medical page data, no reviewer, for anyone.
        jsonld = seo.clinic_page(request) if page is None else seo.treatment_page(request, treatment, page, review)
    waiting = page is None
    if waiting:
        page = {"name": treatment.name, "summary": "", "sections": [], "references": []}
    context = {
        "waiting": waiting,
        "help_section": treatment.waiting_help_section() if waiting else None,
        "treatment": treatment,
        "page": page,
        "preview": preview,
        "jsonld": jsonld,
        "review": review,
        "content_language": content_language,
        "canonical": canonical,
        "form_url": f"{reverse('consultations:new')}?treatment={treatment.slug}",
        # hreflang names only the languages the page really exists in.
        "page_languages": [
            code
            for code, _name in settings.LANGUAGES
            if code in (content_language, settings.LANGUAGE_CODE) or getattr(treatment, f"signed_{code}", False)
        ],
    }
    return render(request, "education/treatment_detail.html", context)
