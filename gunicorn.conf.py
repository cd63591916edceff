"""Gunicorn settings for `make serve` (and any deployment that runs gunicorn from the repository root).

Environment: PORT (default 8000), WEB_CONCURRENCY (worker processes), GUNICORN_THREADS,
GUNICORN_BIND (e.g. "0.0.0.0:8000" or "unix:/run/clinic.sock" behind a proxy on another host).
"""

import os

from gunicorn.glogging import Logger

from clinic.logging import MaskSecretsFilter


def _cores():
    # The CPUs this process may use (a container limit), not every CPU on the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


wsgi_app = "clinic.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"

# One worker per core plus one, capped: measured with `make bench` on 2 cores, 3 workers x 2
# threads beat the classic 2 x cores + 1 with 4 threads (fewer processes fighting over the
# CPUs: +10-20 % requests/s, lower p99, +20 % submissions/s). Every worker holds its own
# database connections, and a small clinic server is memory-bound long before CPU-bound.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(_cores() + 1, 8))
# Two threads per worker keep a slow client or a waiting SQLite writer from blocking a
# whole process.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 2)

timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200

# Several instances (tests, a second checkout) on one machine would fight over the
# default control socket in $HOME; nothing here uses it.
control_socket_disable = True

# Logs go to stdout/stderr for the service manager. The access line uses the path
# without its query string and no referrer: URLs carry no personal data by design,
# and this keeps it that way even if a link ever does. The request id matches the
# application's own log lines (clinic.logging).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    "time=%(t)s level=INFO logger=gunicorn.access request_id=%({x-request-id}o)s remote=%(h)s "
    'method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s duration_ms=%(M)s'
)


class MaskingLogger(Logger):
    """gunicorn's logger with the self-service token (and any signed value) masked in every
    access and error line: /consultations/manage/…/ instead of the patient's link."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(MaskSecretsFilter())


logger_class = MaskingLogger
