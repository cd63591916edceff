"""Project-level pages: health and readiness probes, metrics, robots.txt, friendly error pages."""

import ipaddress
import logging
import os
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import pagecache
from .absolute import site_url
from .metrics import exposition
from .middleware import DATABASE_UNAVAILABLE, database_unavailable_response

logger = logging.getLogger("clinic.readiness")


def _database_answers():
    try:
        with connection.cursor() as cursor:
            # A table, not "SELECT 1": SQLite answers that even from an empty new file.
            cursor.execute("SELECT 1 FROM django_migrations LIMIT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


@never_cache
@require_GET
def healthz(request):
    if not _database_answers():
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def _cache_answers():
    # The content version read back (written only when it is missing): a cache that is down or
    # silently drops writes would break the rate limit and the page cache's invalidation across
    # nodes, and a probe every few seconds writes nothing.
    return pagecache.shared_version() is not None


def _storage_answers():
    storage = storages["private"]
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # Object storage: the bucket exists and these credentials may use it.
        bucket.meta.client.head_bucket(Bucket=bucket.name)
        return True
    # The photo directory on disk (or a shared mount) is there, or can be made, and is writable.
    # Made here as the first upload would make it, so a fresh install is ready before any photo.
    os.makedirs(storage.location, mode=settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS or 0o700, exist_ok=True)
    return os.access(storage.location, os.W_OK | os.X_OK)


READINESS_CHECKS = {"database": _database_answers, "cache": _cache_answers, "storage": _storage_answers}


@never_cache
@require_GET
def readyz(request):
    """For a load balancer: 200 when this node can serve every page (database, cache, photo
    storage), else 503 naming the part that failed. Only names: never a host, a URL or a key."""
    failed = []
    for name, check in READINESS_CHECKS.items():
        try:
            ready = check()
        except Exception as error:  # noqa: BLE001  any failure of a dependency means "not ready"
            logger.warning("readiness check failed part=%s error=%s", name, type(error).__name__)
            ready = False
        if not ready:
            failed.append(name)
    if failed:
        body = "".join(f"{name} unavailable\n" for name in failed)
        return HttpResponse(body, status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def _from_this_machine(request):
    # A proxy on this machine (nginx) also connects from loopback, but it always sets
    # X-Forwarded-For: only a direct local client (Prometheus on the node) has neither.
    try:
        local = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False
    return local and "HTTP_X_FORWARDED_FOR" not in request.META


@never_cache
@require_GET
def metrics(request):
    """Request counts and latency per route name (never a path: paths may carry a patient's
    link token) in Prometheus' text format, for a scraper on this machine or a staff member
    whom the admin would let in: a password alone is not enough when the second factor is on."""
    from django.contrib import admin  # the project's admin site: it knows the second step

    if not (_from_this_machine(request) or admin.site.has_permission(request)):
        raise PermissionDenied
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)


@require_GET
def robots_txt(request):
    lines = ["User-agent: *", "Disallow: /admin/"]
    # The form and the privacy notice are public pages (and in the sitemap); the rest is per patient.
    # The same in every language (Spanish under /es/).
    for code, _name in settings.LANGUAGES:
        with override(code):
            section = reverse("consultations:new").removesuffix("new/")
            lines += [f"Allow: {section}new/", f"Allow: {section}privacy/", f"Disallow: {section}"]
    lines.append(f"Sitemap: {site_url(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def csrf_failure(request, reason=""):
    # The reason is for developers; patients get a plain explanation and a way back.
    return render(request, "403_csrf.html", status=403)


def permission_denied(request, exception=None):
    """403: in the admin's own look inside the staff area (with the way back to the queue),
    in the site's look elsewhere. The reason is never shown: it may name a permission."""
    from django.contrib import admin

    if request.path.startswith(reverse("admin:index")):
        context = {**admin.site.each_context(request), "title": _("You do not have access to this page")}
        return render(request, "admin/403.html", context, status=403)
    return render(request, "403.html", status=403)


def server_error(request):
    # A database outage outside a view (a session saved on the way out) is still
    # "try again shortly", not "something broke": same 503 page as the middleware gives.
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        return database_unavailable_response()
    # No context processors that touch the database: the 500 page must render even when it is down.
    return render(request, "500.html", status=500)


def login_locked_out(request, original_response=None, credentials=None):
    # django-axes calls this once an account has too many failed sign-ins (AXES_LOCKOUT_CALLABLE).
    cooloff_seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": round(cooloff_seconds / 60)}
    response = render(request, "admin/lockout.html", context, status=429)
    response["Retry-After"] = str(cooloff_seconds)
    return response
