"""Early answers: a request body over the size limit gets 413, a database outage a calm 503 page."""

import logging
import tempfile

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from clinic import conf

logger = logging.getLogger("clinic.database")

# OperationalError: SQLite "database is locked" after the busy timeout, PostgreSQL
# refusing connections or restarting. InterfaceError: a connection that went away.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable_response():
    # No request context: context processors might query the database that just failed.
    html = render_to_string("503.html", {"clinic": conf.clinic()})
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


# --- Request size -------------------------------------------------------------------------

CHUNK = 64 * 1024


def max_request_bytes():
    return settings.CLINIC_MAX_REQUEST_MB * 1024 * 1024


def request_too_large_response():
    # No request context: nothing here should touch the database or the session.
    html = render_to_string("413.html", {"clinic": conf.clinic(), "limit_mb": settings.CLINIC_MAX_REQUEST_MB})
    response = HttpResponse(html, status=413)
    add_never_cache_headers(response)
    return response


class RequestSizeLimitMiddleware:
    """Answers 413 before reading a body larger than CLINIC_MAX_REQUEST_MB.

    A declared Content-Length over the limit is refused from the headers alone, so none of
    the body is read, spooled to disk or held in memory. A streamed (chunked) body has no
    length up front: it is read into a temporary file only up to the limit, and refused as
    soon as it goes over; under the limit it becomes a normal body with a length, which
    Django would otherwise have read as empty.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = max_request_bytes()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or "")
        except ValueError:
            declared = None
        if declared is not None and declared > limit:
            return request_too_large_response()
        if declared is None and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = self._read_capped(request.META["wsgi.input"], limit)
            if body is None:
                return request_too_large_response()
            size = body.seek(0, 2)
            body.seek(0)
            request.META["CONTENT_LENGTH"] = str(size)
            request._stream = LimitedStream(body, size)  # what WSGIRequest builds from CONTENT_LENGTH
        return self.get_response(request)

    @staticmethod
    def _read_capped(stream, limit):
        """The body in a temporary file (memory first, disk beyond FILE_UPLOAD_MAX_MEMORY_SIZE),
        or None as soon as it exceeds `limit`."""
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115 (outlives this function)
        size = 0
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                body.close()
                return None
            body.write(chunk)
        return body
