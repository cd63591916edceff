"""Start Clinic the way `make serve` does, on a throwaway database and static root, to measure it.

Shared by scripts/lighthouse.py and scripts/bench.py. DEBUG is off, static files are
collected (hashed and compressed) into a temporary directory, a fresh database is
migrated and given the demo data, and what `make serve` runs (serve.py) listens on a free
loopback port. Everything is removed afterwards; nothing touches db.sqlite3.

`spawn()` is the one way a server process is started for measuring or testing: the load and
multi-node tests (tests/load/harness.py) use it too.

With a PostgreSQL DATABASE_URL, a new database is created beside the one named
(the role needs CREATEDB) and dropped afterwards: benchmark requests never land in
real data.
"""

# ruff: noqa: S603, S607 - the commands are fixed local tools (manage.py, serve.py, wrk, lighthouse), not input.

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# What `make serve` ends with.
SERVE = [sys.executable, "serve.py"]


@dataclass
class Server:
    url: str
    env: dict
    static_root: Path
    log: Path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(tmp, database_url, extra=None):
    return {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        # Mail would go to the console by default; the figures are about the web server.
        "EMAIL_URL": "dummymail://",
        **(extra or {}),
    }


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env):
    """What `make serve` does before its app server, plus the demo data (content, a provider, hours)."""
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo")


def wait_until_up(url, process, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode}; its log:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    sys.exit(f"the server did not answer {url} within {timeout} s; its log:\n{log.read_text()}")


@contextlib.contextmanager
def throwaway_postgres(url):
    """A fresh database on the server DATABASE_URL points at, dropped afterwards."""
    import psycopg

    parts = urlsplit(url)
    # Named after the database given, so it is plain whose throwaway it is.
    name = f"{parts.path.lstrip('/') or 'clinic'}_bench_{secrets.token_hex(4)}"
    admin_url = urlunsplit(parts._replace(path="/" + (parts.path.lstrip("/") or "postgres")))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database(kind):
    """A database URL for `kind` ("sqlite" or "postgresql") that lives as long as the block."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="clinic-db-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'db.sqlite3'}"
    else:
        with throwaway_postgres(os.environ["DATABASE_URL"]) as url:
            yield url


@contextlib.contextmanager
def production_server(database_url, extra_env=None, before_start=None, command=None):
    """Yield a running Server; before_start(env, static_root) may add files before it starts.

    command: the server's argv, or a function of the port giving it (default: what `make serve`
    runs); PORT is in its environment too.
    """
    with tempfile.TemporaryDirectory(prefix="clinic-serve-") as tmp:
        tmp = Path(tmp)
        env = server_env(tmp, database_url, extra_env)
        env.pop("CLINIC_BIND", None)
        env.pop("GUNICORN_BIND", None)
        prepare(env)
        if before_start:
            before_start(env, tmp / "static")
        with running(env, command, tmp / "server.log") as server:
            server.static_root = tmp / "static"
            yield server


def spawn(env, log, command=None):
    """Start one server process on a free loopback port, in a session of its own (so it and its
    workers can be signalled together), its output in `log`. Returns (process, port, env).

    command: the argv, or a function of the port giving it; default what `make serve` runs.
    """
    port = free_port()
    env = {**env, "PORT": str(port)}
    with Path(log).open("wb") as log_file:
        process = subprocess.Popen(
            (command(port) if callable(command) else command) or SERVE,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, port, env


@contextlib.contextmanager
def running(env, command=None, log=None, ready="/healthz"):
    """One server process on a free loopback port, stopped (with its workers) at the end of the block.
    ready: the path that answers 200 once it serves (a peer of the benchmark has no /healthz)."""
    log = log or Path(tempfile.mkstemp(prefix="clinic-server-", suffix=".log")[1])
    process, port, env = spawn(env, log, command)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + ready, process, log)
        yield Server(url=url, env=env, static_root=Path(env["DJANGO_STATIC_ROOT"]), log=log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
