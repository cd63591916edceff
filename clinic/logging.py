"""A request id on every log line, so one patient's request can be followed without logging who they are."""

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished

request_id_var = contextvars.ContextVar("request_id", default="-")

# What proxies send (hex, UUIDs with dashes, Heroku/nginx ids). Anything else is
# replaced: a free-form value could break the key=value log format or smuggle text into it.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class RequestIdMiddleware:
    """Takes X-Request-ID from a trusted proxy when it looks sane, else makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = rid
        # Not reset on the way out: Django logs 4xx/5xx responses ("Not Found: /x",
        # "Internal Server Error: /y") after the middleware chain has returned.
        # request_finished clears it once the response is done.
        request_id_var.set(rid)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


def forget_request_id(**kwargs):
    request_id_var.set("-")


request_finished.connect(forget_request_id, dispatch_uid="clinic.logging.forget_request_id")
