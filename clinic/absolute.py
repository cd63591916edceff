"""Absolute URLs: canonical links, og:url, hreflang, the sitemap, robots.txt, emails, calendar files.

CLINIC_SITE_URL wins when it is set. Production must set it (clinic.checks; `make serve` refuses
to start without it), so no page, kept page or link ever carries the Host header a visitor sent.
Without it (a local `make run`, `PORT=8101 make run`, the tests), links use the scheme, host and
port of the request being answered, so a mailed link points where the patient actually was; a
message sent later without a request (a reminder from cron) uses the address stored with the
consultation request when it was sent.
"""

import contextvars

from django.conf import settings

FALLBACK = "http://127.0.0.1:8000"

_request_base = contextvars.ContextVar("request_base", default="")


def request_base():
    """Scheme://host:port of the request being answered, or "" outside a request."""
    return _request_base.get()


def site_url(path="", base=""):
    """path made absolute: CLINIC_SITE_URL, else this request's address, else `base`
    (stored with the data the link is about), else the local default."""
    root = settings.CLINIC_SITE_URL or request_base() or base or FALLBACK
    return root.rstrip("/") + path


class RequestBaseUrlMiddleware:
    """Remembers the request's own address for site_url() while the request is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # get_host() has already been checked against ALLOWED_HOSTS by CommonMiddleware's
        # turn, and is checked again here: a forged Host header never reaches an email.
        try:
            base = f"{request.scheme}://{request.get_host()}"
        except Exception:  # noqa: BLE001  DisallowedHost: answered with 400 further down the stack
            base = ""
        token = _request_base.set(base)
        try:
            return self.get_response(request)
        finally:
            _request_base.reset(token)
