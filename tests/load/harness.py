"""The real production server (serve.py: granian) on loopback, the production settings, a throwaway database, and an HTTP client.

Everything stays on 127.0.0.1 and every wait is bounded, so a hung server fails
the test instead of hanging the suite.
"""

import contextlib
import http.client
import os
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from scripts.prodserver import free_port, spawn
from tests.missing import need

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "load-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
REQUEST_TIMEOUT = 60


def base_env(static_root, tmp):
    """The production environment (DEBUG off, manifest static files), nothing inherited from the test run."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return {
        **env,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        # Never the developer's .env (`make run` writes one).
        "DJANGO_ENV_FILE": "",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The app server speaks plain HTTP here; production terminates TLS in front of it.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": str(static_root),
        "CLINIC_PRIVATE_MEDIA_ROOT": str(tmp / "private-media"),
        "EMAIL_URL": "dummymail://",
        "CLINIC_SUBMISSION_RATE": "off",
        # Hundreds of patients from one loopback address: the per-client budgets and caps on held
        # times (and the brake) would count them as one; the tests that need a limit set their own.
        "CLINIC_INVALID_POST_RATE": "off",
        "CLINIC_PHOTO_POST_RATE": "off",
        "CLINIC_HOLDS_PER_CLIENT": "0",
        "CLINIC_HOLDS_PER_PHONE": "0",
        "CLINIC_HOLD_BRAKE": "off",
        "CLINIC_MIN_FILL_SECONDS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def manage(env, *args, timeout=600):
    # Bounded, but generous: on a CI machine shared with other jobs, migrate and collectstatic
    # have been seen to take over three minutes.
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


# --- Databases ------------------------------------------------------------------------


@dataclass
class SqliteDatabase:
    path: Path

    @property
    def url(self):
        return f"sqlite:///{self.path}"

    def query(self, sql):
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as connection:
            return connection.execute(sql).fetchall()

    @contextlib.contextmanager
    def write_locked(self):
        """Hold SQLite's write lock from another connection, as a long migration or backup would."""
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()

    def drop(self):
        pass


@dataclass
class PostgresDatabase:
    """A fresh database next to the one CLINIC_TEST_POSTGRES_URL names (the role may create databases)."""

    admin_url: str
    name: str = field(default_factory=lambda: f"clinic_load_{uuid.uuid4().hex[:10]}")

    @property
    def url(self):
        return urlsplit(self.admin_url)._replace(path=f"/{self.name}").geturl()

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def create(self):
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')

    def query(self, sql):
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql).fetchall()

    def drop(self):
        """After the server has stopped. Not WITH (FORCE): that needs rights over autovacuum
        workers the test role lacks; PostgreSQL stops those itself, so a short retry is enough."""
        import psycopg

        for attempt in range(20):
            try:
                with self._admin() as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 19:
                    raise
                time.sleep(0.5)


# --- The server -----------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    log_path: Path
    database: object
    port: int = 0

    host = "127.0.0.1"

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text, timeout=10):
        """Until the server's log shows `text` (its workers write after answering), bounded."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            assert time.monotonic() < deadline, f"{text!r} never reached the server log"
            time.sleep(0.05)

    def worker_pids(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return sorted(int(pid) for pid in children)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # Only the group this harness started (start_new_session below).
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    # HTTP, one connection per request: like many separate browsers.
    def request(self, method, path, body=None, headers=None, timeout=REQUEST_TIMEOUT):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            # Header names are case-insensitive (granian sends them in lower case): an HTTPMessage, not a dict.
            return response.status, response.msg, response.read().decode("utf-8", "replace")
        finally:
            connection.close()


def start_server(env, database, log_path, *, workers=3, threads=4):
    """What `make serve` runs (serve.py) on a free loopback port; waits until /healthz answers."""
    process, port, _env = spawn(
        {**env, "DATABASE_URL": database.url, "WEB_CONCURRENCY": str(workers), "CLINIC_THREADS": str(threads)},
        log_path,
    )
    server = Server(process=process, log_path=log_path, database=database, port=port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited:\n{server.log()}")
        if len(server.worker_pids()) == workers:
            with contextlib.suppress(OSError):
                status, _headers, _body = server.request("GET", "/healthz")
                if status in (200, 503):
                    return server
        time.sleep(0.2)
    server.stop()
    raise AssertionError(f"the server did not come up within 60 s:\n{server.log()}")


# --- A patient's browser ----------------------------------------------------------------


def cookies_from(headers, jar=None):
    jar = dict(jar or {})
    for name, value in headers.items():
        if name.lower() == "set-cookie":
            for morsel in SimpleCookie(value).values():
                jar[morsel.key] = morsel.value
    return jar


def cookie_header(jar):
    return "; ".join(f"{name}={value}" for name, value in jar.items())


@dataclass
class Submission:
    """One patient's filled-in form: sent, maybe sent again, and what came back."""

    email: str
    action: str
    pairs: list
    cookies: dict
    status: object = None  # an HTTP status, or the exception text when the connection broke
    location: str = ""
    headers: dict = field(default_factory=dict)
    body: str = ""

    @property
    def succeeded(self):
        return self.status == 302 and self.location.endswith("/consultations/submitted/")

    def send(self, server):
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(self.cookies)}
        try:
            self.status, self.headers, self.body = server.request("POST", self.action, urlencode(self.pairs), headers)
        except (OSError, http.client.HTTPException) as error:
            self.status, self.headers, self.body = f"{type(error).__name__}: {error}", {}, ""
        self.location = self.headers.get("Location", "")
        return self


def open_form(server, email):
    """GET the form like a browser (CSRF cookie, hidden fields) and fill it in for one patient."""
    from scripts.formdata import PATIENT, intake_post_data

    status, headers, html = server.request("GET", "/consultations/new/")
    assert status == 200, html[:500]
    action, pairs = intake_post_data(html, {**PATIENT, "email": email})
    return Submission(email=email, action=action or "/consultations/new/", pairs=pairs, cookies=cookies_from(headers))


def stored_emails(database, emails):
    """{email: number of stored requests} for the given emails."""
    rows = database.query("SELECT email, COUNT(*) FROM consultations_consultationrequest GROUP BY email")
    counts = dict(rows)
    return {email: counts.get(email, 0) for email in emails}


# --- Several nodes: Redis and the repository's nginx site in front ---------------------------


def wait_for_port(port, process, log_path, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited:\n{Path(log_path).read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise AssertionError(
        f"{what} did not listen on {port} within {timeout} s:\n{Path(log_path).read_text(errors='replace')}"
    )


@dataclass
class Redis:
    process: subprocess.Popen
    port: int

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def start_redis(tmp):
    """Debian's redis-server on a free loopback port, in memory only."""
    need("redis-server", "redis-server")
    port = free_port()
    log_path = tmp / "redis.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(tmp), "--protected-mode", "yes"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process, log_path, "redis-server")
    return Redis(process, port)


def self_signed_certificate(tmp):
    certificate, key = tmp / "tls.crt", tmp / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"]
        + ["-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


def render_site(tmp, nodes, *, static_root, https_port, http_port, brotli="auto", extra=()):
    """deploy/nginx/render.py with this test's paths and ports, as an operator would run it."""
    certificate, key = self_signed_certificate(tmp)
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy/nginx/render.py"), "--server-name", "localhost 127.0.0.1"]
        + [argument for node in nodes for argument in ("--node", node)]
        + ["--env-file", str(tmp / "no-env-file"), "--static-root", str(static_root)]
        + ["--tls-certificate", str(certificate), "--tls-certificate-key", str(key)]
        + ["--cache-dir", str(tmp / "nginx-cache"), "--access-log", str(tmp / "nginx-access.log")]
        + ["--listen-address", "127.0.0.1", "--http-port", str(http_port), "--https-port", str(https_port)]
        + ["--brotli", brotli, *extra],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    site = tmp / "clinic-site.conf"
    site.write_text(result.stdout)
    return site


def nginx_main_config(tmp, site):
    """What Debian's /etc/nginx/nginx.conf does around a site (modules, mime types), with this
    test's own pid, logs and temporary paths so it runs beside any other nginx."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's private tmp dir
    temp = tmp / "nginx-temp"
    temp.mkdir(exist_ok=True)
    config = tmp / "nginx.conf"
    config.write_text(
        f"""{user}worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
include /etc/nginx/modules-enabled/*.conf;
events {{ worker_connections 512; }}
http {{
    sendfile on;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""
    )
    return config


def nginx_test(config):
    """`nginx -t`: (exit code, output)."""
    result = subprocess.run(
        ["nginx", "-t", "-q", "-c", str(config), "-e", str(config.parent / "nginx-error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.returncode, result.stdout + result.stderr


@dataclass
class Nginx:
    process: subprocess.Popen
    port: int
    http_port: int
    tmp: Path

    host = "127.0.0.1"

    @property
    def host_header(self):
        return f"localhost:{self.port}"

    def connection(self):
        context = ssl._create_unverified_context()  # noqa: S323  the test's own self-signed certificate
        return http.client.HTTPSConnection(self.host, self.port, timeout=REQUEST_TIMEOUT, context=context)

    def request(self, method, path, body=None, headers=None):
        """Like a browser on https://localhost:<port>: a POST says where it comes from (Django's
        CSRF check wants a same-origin Origin on HTTPS)."""
        connection = self.connection()
        sent = {"Host": self.host_header, **(headers or {})}
        if method == "POST":
            sent.setdefault("Origin", f"https://{self.host_header}")
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            # Case-insensitive names, repeated ones kept: nginx passes the app server's lower-case names on.
            return response.status, response.msg, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def access_log(self):
        path = self.tmp / "nginx-access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_nginx(tmp, nodes, static_root):
    need("nginx", "nginx")
    https_port, http_port = free_port(), free_port()
    site = render_site(tmp, nodes, static_root=static_root, https_port=https_port, http_port=http_port)
    config = nginx_main_config(tmp, site)
    code, output = nginx_test(config)
    assert code == 0, output
    log_path = tmp / "nginx-stderr.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["nginx", "-c", str(config), "-e", str(tmp / "nginx-error.log"), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(https_port, process, log_path, "nginx")
    return Nginx(process, https_port, http_port, tmp)
