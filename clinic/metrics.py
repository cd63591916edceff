"""Request count and latency for Prometheus, labelled by route name (never by path).

Paths can carry a patient's self-service token; a route name ("consultations:manage") cannot.
Methods outside the usual few and requests that matched no route (static files, 404s) are
folded into one label each, so no visitor can make the label set grow.

Under the app server every worker writes its numbers to PROMETHEUS_MULTIPROC_DIR (clinic/wsgi.py
sets it before this module is imported) and /metrics adds them up; elsewhere (tests, management
commands) they live in the process.
"""

import functools
import os
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client import REGISTRY as PROCESS_REGISTRY

# prometheus_client chose its storage when it was imported, from this same variable.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNROUTED = "(none)"

REQUESTS = Counter(
    "clinic_http_requests", "HTTP requests answered, by route name, method and status.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "clinic_http_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it, by route name and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def route_of(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        # A page from clinic.pagecache resolved no URL: the route name is kept with the page.
        return getattr(request, "cached_route", "") or UNROUTED
    return match.view_name or UNROUTED


class MetricsMiddleware:
    """First in MIDDLEWARE, so the time covers every other middleware too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        count(route_of(request), request.method, response.status_code, time.perf_counter() - started)
        return response


def count(route, method, status, seconds):
    """One answered request."""
    latency, requests = _series(route, method if method in METHODS else "other", status)
    latency.observe(seconds)
    requests.inc()


@functools.lru_cache(maxsize=4096)
def _series(route, method, status):
    # labels() takes a lock and builds a key on every call; a cached page is answered in microseconds.
    return LATENCY.labels(route, method), REQUESTS.labels(route, method, str(status))


def exposition():
    """(body, content type) in Prometheus' text format, summed over the app server's workers."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = PROCESS_REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
