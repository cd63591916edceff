"""Project-level pages: health probe, robots.txt, friendly error pages."""

import sys

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .middleware import DATABASE_UNAVAILABLE, database_unavailable_response


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            # A table, not "SELECT 1": SQLite answers that even from an empty new file.
            cursor.execute("SELECT 1 FROM django_migrations LIMIT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        # The form and the privacy notice are public pages (and in the sitemap); the rest is per patient.
        "Allow: /consultations/new/",
        "Allow: /consultations/privacy/",
        "Disallow: /consultations/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def csrf_failure(request, reason=""):
    # The reason is for developers; patients get a plain explanation and a way back.
    return render(request, "403_csrf.html", status=403)


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
