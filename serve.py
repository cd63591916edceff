"""The production server for `make serve`: granian running clinic.wsgi, configured from the environment.

Chosen with `make bench` (BENCHMARKS.md): the HTTP work is done in Rust and Python runs only
the application. What it guarantees:

- a worker that dies (killed, out of memory) is replaced at once (--respawn-failed-workers);
  the others go on serving, and a request is only confirmed once it is committed;
- workers are recycled after CLINIC_WORKER_LIFETIME seconds (default 6 h) so a slow leak
  cannot grow without bound; SIGHUP restarts the workers one by one, SIGTERM stops after
  the requests in flight (up to 30 s);
- slow clients cannot hold a worker: headers must arrive within 10 s, and the blocking
  threads only see complete requests;
- the access log has the method, the path without its query string, the status and the
  time, never a query string, a cookie or a referrer.

Environment: PORT (default 8000), CLINIC_BIND (e.g. "0.0.0.0:8000", or
"unix:/run/clinic.sock" behind a proxy; default 127.0.0.1:$PORT), WEB_CONCURRENCY (worker
processes, default cores + 1, at most 8), CLINIC_THREADS (threads per worker, default 2),
CLINIC_WORKER_LIFETIME. The older names GUNICORN_BIND and GUNICORN_THREADS are still read,
with a line on stderr saying which name replaces them.
Usage: `python serve.py` (`make serve` runs it after collectstatic and migrate).
"""

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def cores():
    # The CPUs this process may use (a container limit), not every CPU on the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# New name -> the name it replaces (from when gunicorn was the server), still read for a while.
RENAMED = {"CLINIC_BIND": "GUNICORN_BIND", "CLINIC_THREADS": "GUNICORN_THREADS"}


def setting(environ, name):
    """The variable `name`, else the old name it replaces (saying so on stderr), else None."""
    if environ.get(name):
        return environ[name]
    old = RENAMED.get(name)
    if old and environ.get(old):
        print(f"serve.py: {old} is deprecated and will stop working; set {name} instead.", file=sys.stderr)
        return environ[old]
    return None


def command(environ=os.environ):
    """granian's argv for this environment."""
    granian = shutil.which("granian", path=str(Path(sys.executable).parent)) or "granian"
    workers = environ.get("WEB_CONCURRENCY") or str(min(cores() + 1, 8))
    bind = setting(environ, "CLINIC_BIND") or f"127.0.0.1:{environ.get('PORT') or 8000}"
    if bind.startswith("unix:"):
        listen = ["--uds", bind.removeprefix("unix:")]
    else:
        host, _, port = bind.rpartition(":")
        listen = ["--host", host.strip("[]") or "127.0.0.1", "--port", port]
    return [
        granian,
        *("--interface", "wsgi", "clinic.wsgi:application"),
        *listen,
        *("--workers", workers, "--blocking-threads", setting(environ, "CLINIC_THREADS") or "2"),
        "--no-ws",
        "--respawn-failed-workers",
        *("--workers-lifetime", environ.get("CLINIC_WORKER_LIFETIME") or "21600"),
        *("--workers-kill-timeout", "30"),
        *("--http1-header-read-timeout", "10000"),
        "--access-log",
        *("--access-log-fmt", 'level=INFO logger=access method=%(method)s path="%(path)s" status=%(status)d '
          "duration_ms=%(dt_ms).1f"),
    ]  # fmt: skip


if __name__ == "__main__":
    os.chdir(ROOT)
    argv = command()
    os.execv(argv[0], argv)  # noqa: S606 - a fixed local program, configured from the environment
