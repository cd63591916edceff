"""A database that is locked or down gets a calm 503 page, not a 500 with a traceback."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger("clinic.database")

# OperationalError: SQLite "database is locked" after the busy timeout, PostgreSQL
# refusing connections or restarting. InterfaceError: a connection that went away.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable_response():
    # No request context: context processors might query the database that just failed.
    html = render_to_string("503.html", {"clinic": settings.CLINIC})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Never let a cache or proxy keep the outage page in place of the real one.
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage raised in a view into the 503 page.

    Errors raised outside views (a session saved on the way out) reach
    clinic.views.server_error, which gives the same page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG or not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        log_database_unavailable(request, exception)
        return database_unavailable_response()


def log_database_unavailable(request, exception):
    # The driver's message says what failed ("database is locked", "connection refused");
    # unlike IntegrityError/DataError it never quotes row values, so it is safe to log.
    message = str(exception).strip().replace("\n", " ")[:300]
    logger.error(
        "database unavailable method=%s path=%s error=%s: %s",
        request.method,
        request.path,
        type(exception).__name__,
        message,
    )
