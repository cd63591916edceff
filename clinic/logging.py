"""A request id on every log line, so one patient's request can be followed without logging who they are."""

import contextvars
import logging
import re
import time
import uuid

from django.core.signals import request_finished

request_id_var = contextvars.ContextVar("request_id", default="-")

# No format here names the thread or process of a record: the documented switches of the
# "Optimization" section of Python's logging HOWTO leave them out of every record.
logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False

# Secrets that could reach a log line through a URL or a message: the self-service link's
# token (/manage/<token>/), any value signed by django.core.signing (the form's submission
# token, the link token anywhere else: "payload:timestamp:signature"), and session or CSRF
# cookies. A token in a log would give whoever reads the log the patient's page.
SECRETS = [
    (re.compile(r"(/manage/)[^/\s?#\"']+"), r"\1…"),
    # The "book again" link (/consultations/again/<token>/): it opens a form prefilled for one patient.
    (re.compile(r"(/consultations/again/)[^/\s?#\"']+"), r"\1…"),
    # A waitlist offer (/consultations/offer/<token>/): its button takes a time for one patient.
    (re.compile(r"(/consultations/offer/)[^/\s?#\"']+"), r"\1…"),
    # A provider's calendar feed (/calendar/<secret>.ics): the secret opens their schedule.
    (re.compile(r"(/calendar/)[^/\s?#\"']+"), r"\1…"),
    (re.compile(r"[\w.-]{8,}:[0-9A-Za-z]{5,}:[\w-]{20,}"), "…"),
    (re.compile(r"\b(sessionid|csrftoken|csrfmiddlewaretoken)=[^;&\s\"']+"), r"\1=…"),
]


# Every pattern above needs one of these (a signed value needs two colons): a line without
# them, such as nearly every access-log line, skips the regular expressions.
SECRET_HINTS = ("/manage/", "/calendar/", "/again/", "/offer/", "sessionid", "csrf")


def mask_secrets(text):
    if text.count(":") < 2 and not any(hint in text for hint in SECRET_HINTS):
        return text
    for pattern, replacement in SECRETS:
        text = pattern.sub(replacement, text)
    return text


class MaskSecretsFilter(logging.Filter):
    """Rewrites a record's message (and traceback) with every token masked.

    On the project's handler for Django's records ("Not Found: /consultations/manage/…/"),
    and on granian's access log (serve.py).
    """

    def filter(self, record):
        # Formatted once here; the handler's formatter then uses the (masked) text as it is.
        record.msg, record.args = mask_secrets(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        return True


class UTCFormatter(logging.Formatter):
    """time=2026-12-02T03:04:05.678Z: UTC with its zone, so lines from every node (and the
    clinic's own time zone, which Django sets for the process) sort and compare as they are."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


# What proxies send (hex, UUIDs with dashes, Heroku/nginx ids). Anything else is
# replaced: a free-form value could break the key=value log format or smuggle text into it.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


def request_id_from(meta):
    """The proxy's request id when it looks sane, else a new one (meta: a WSGI environ or request.META)."""
    incoming = meta.get("HTTP_X_REQUEST_ID", "")
    return incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def request_id_for(request):
    """The request's id (the proxy's when sane, else a new one), set for this request's log lines."""
    rid = getattr(request, "request_id", None)
    if rid is None:
        rid = request.request_id = request_id_from(request.META)
    # Not reset on the way out: Django logs 4xx/5xx responses ("Not Found: /x",
    # "Internal Server Error: /y") after the middleware chain has returned.
    # request_finished clears it once the response is done.
    request_id_var.set(rid)
    return rid


class RequestIdMiddleware:
    """Takes X-Request-ID from a trusted proxy when it looks sane, else makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request_id_for(request)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


def forget_request_id(**kwargs):
    request_id_var.set("-")


request_finished.connect(forget_request_id, dispatch_uid="clinic.logging.forget_request_id")
