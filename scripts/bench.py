"""`make bench`: how fast the production-like server is on this machine, against nginx and peers. Not a test.

For SQLite, and for PostgreSQL too when DATABASE_URL is a postgres:// URL (a throwaway
database is created beside it), on loopback only, with wrk at 32 connections:

1. Through the shipped nginx config: deploy/nginx/render.py's site (TLS with a throwaway
   self-signed certificate, its access log, its micro-cache) in front of two `make serve`
   nodes, for the home and the Belotero page over https; the same nginx serving the same bytes
   as a static file on a TLS listener of its own, in the same run: the share and p99.
2. `make serve` alone (one node, plain HTTP) and its peers served the same way (granian WSGI,
   the same workers and threads, DEBUG off: a plain Django project and Wagtail with its page
   cache, scripts/peers/, from their own virtualenv build/bench-peers/), each against the same
   nginx serving its own bytes as a static file: each one's share of nginx.
3. The consultation form: GETs per second (wrk) and intake submissions stored per
   second (each checked in the database: none lost).
4. A clinic's data (scripts/bench_data.py: 50,000 requests with answers, flags, notes,
   audit rows; five years of bookings and days off), then the staff pages in-process:
   the queue (default, search by name and by reference, each filter), a request page,
   the CSV export, and the 4-week availability lookup: p50 and SQL queries.

Every run is bounded (wrk for a fixed time, a fixed number of submissions and repeats).
The figures, the goals (GOALS, issue 24), the machine and its load go to BENCHMARKS.md.
`--seconds 2 --submissions 50 --seed-requests 2000` is a short run to try it out.
"""

# ruff: noqa: S603, S607 - the commands are fixed local tools (manage.py, servers, wrk, nginx), not input.

import argparse
import concurrent.futures
import contextlib
import datetime
import functools
import getpass
import glob
import http.client
import importlib.util
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from formdata import intake_post_data
from prodserver import BIN, ROOT, database, free_port, production_server, running

PAGES = {"home": "/", "treatment page": "/treatments/belotero/"}
FORM = "/consultations/new/"
QUEUE = "/admin/consultations/consultationrequest/"
CONNECTIONS = 32
# What a browser sends: the app answers with its brotli copy, nginx with the same bytes.
ACCEPT_ENCODING = "gzip, deflate, br"
# Issue 24. Through the shipped nginx config, a page reaches 80 % of the same nginx sending its
# bytes as a file, p99 < 50 ms; the app alone reaches 1.5x the best peer's share of nginx (each
# on its own bytes, same run); the form GET rendered for each visitor (no copies) at 300/s; 200
# submissions/s on both databases, none lost; staff pages as before.
GOALS = {
    "edge_share": 0.80,
    "p99_ms": 50.0,
    "peer_factor": 1.5,
    "submissions_per_s": {"sqlite": 200.0, "postgresql": 200.0},
    "form_get_per_s": 300.0,
    "staff_p50_ms": 300.0,
    "availability_p50_ms": 50.0,
}
NOTES_MARKER = "## Notes"
SUBMIT_ENV = {"CLINIC_SUBMISSION_RATE": "off", "CLINIC_MIN_FILL_SECONDS": "0", "CLINIC_STAFF_2FA": "off"}
STAFF_REPEATS = 7
# Per database; a quiet two-core machine needs about six minutes.
CHILD_TIMEOUT = 2400
SEED_REQUESTS = 50_000
# scripts/bench_data.py keeps its newest 300 requests open: a smaller seed has no past to spread.
MIN_SEED_REQUESTS = 1000
RENDER = ROOT / "deploy/nginx/render.py"
# The peers (scripts/peers/), each from build/bench-peers/ (make bench installs it from
# scripts/peers/requirements.txt), served by granian as serve.py serves the app.
PEERS_DIR = ROOT / "scripts/peers"
PEERS_BIN = ROOT / "build/bench-peers/bin"
PEERS = {
    "plain Django": {
        "dir": "plain",
        "app": "plainsite.wsgi:application",
        "settings": "plainsite.settings",
        "pages": {"home": "/", "treatment page": "/treatments/belotero/"},
        "setup": [],
    },
    "Wagtail 8 (page cache)": {
        "dir": "wagtailpeer",
        "app": "wagtailsite.wsgi:application",
        "settings": "wagtailsite.settings",
        "pages": {"home": "/", "treatment page": "/belotero/"},
        "setup": [["manage.py", "migrate", "--noinput", "--verbosity", "0"], ["manage.py", "setup_peer"]],
    },
}


def workers():
    return min(len(os.sched_getaffinity(0)) + 1, 8)


# The servers compared; the first is what `make serve` runs (SHIPPED).
def server_commands():
    w = str(workers())
    commands = {
        # What `make serve` runs.
        "granian wsgi": lambda port: [sys.executable, "serve.py"],
        "granian asgi": lambda port: [
            str(BIN / "granian"),
            *("--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers", w),
            *("--no-ws", "clinic.asgi:application"),
        ],
        "uvicorn asgi": lambda port: [
            str(BIN / "uvicorn"),
            *("--host", "127.0.0.1", "--port", str(port), "--workers", w, "--no-access-log"),
            "clinic.asgi:application",
        ],
    }
    return {name: cmd for name, cmd in commands.items() if name == SHIPPED or Path(cmd(0)[0]).exists()}


SHIPPED = "granian wsgi"


# --- In-process work (Django set up against the benchmark's own database) ------------------------


def setup_django(env):
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def page_bytes(server_url, path):
    """The page exactly as the running app sends it: the plain, gzip and brotli bodies."""
    parts = urlsplit(server_url)
    bodies = {}
    for encoding, suffix in (("identity", ""), ("gzip", ".gz"), ("br", ".br")):
        for _ in range(workers() * 3):  # until it comes from a worker's page cache (no random gzip padding)
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("GET", path, headers={"Accept-Encoding": encoding})
            response = conn.getresponse()
            body = response.read()
            conn.close()
        assert response.status == 200, (path, response.status)
        if response.getheader("Content-Encoding", "identity") == encoding:
            bodies[suffix] = body
    return bodies


def staff_figures():
    """p50 and queries of the staff pages on the seeded data, with a superuser's session."""
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from consultations import availability
    from consultations.models import ConsultationRequest

    user = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.create_superuser(
        "bench-admin", "bench-admin@example.com", "bench-password-0123456789"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    sample = ConsultationRequest.objects.filter(status="new").order_by("created_at").first()
    treatment_id = sample.treatment_id
    pages = {
        "queue (default)": QUEUE,
        "queue: open requests": f"{QUEUE}?status=open",
        "search by last name": f"{QUEUE}?q={sample.last_name}",
        "search by reference": f"{QUEUE}?q={sample.reference}",
        **{f"filter status={s}": f"{QUEUE}?status={s}" for s in ("new", "needs_info", "completed")},
        "filter flag=any": f"{QUEUE}?flag=any",
        "filter flag=none": f"{QUEUE}?flag=none",
        "filter flag (a kind)": f"{QUEUE}?flag={sample.__class__._meta.get_field('worst_flag').choices[0][0]}",
        "filter assigned=nobody": f"{QUEUE}?assigned=nobody",
        "filter slot=week": f"{QUEUE}?slot=week",
        "filter slot=past": f"{QUEUE}?slot=past",
        "filter treatment": f"{QUEUE}?treatment__id__exact={treatment_id}",
        "request page": f"{QUEUE}{sample.pk}/change/",
        "CSV export (open requests)": f"{QUEUE}export.csv?status=open",
    }
    figures = {}
    for name, url in pages.items():
        times = []
        for attempt in range(STAFF_REPEATS + 1):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if attempt:  # the first one warms templates and connections
                times.append(elapsed)
        figures[name] = {"p50_ms": round(statistics.median(times), 1), "queries": len(queries)}
    times = []
    for _ in range(STAFF_REPEATS + 1):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            slots = availability.open_slots(weeks=4)
            times.append((time.perf_counter() - start) * 1000)
    reset_queries()
    figures["availability, 4 weeks"] = {
        "p50_ms": round(statistics.median(times[1:]), 1),
        "queries": len(queries),
        "slots": len(slots),
    }
    return figures


def stored_requests():
    from consultations.models import ConsultationRequest

    return ConsultationRequest.objects.count()


# --- nginx: the shipped site in front of two nodes, and the same bytes as static files ----------


def ensure_tools():
    """wrk, nginx (with Debian's brotli modules, which the shipped site and the static copies use)
    and openssl (the throwaway certificate), from apt if missing."""
    needed = {"wrk": "wrk", "nginx": "nginx", "openssl": "openssl"}
    missing = [package for tool, package in needed.items() if not shutil.which(tool)]
    if missing or not glob.glob("/etc/nginx/modules-enabled/*brotli*"):
        packages = [*missing, "libnginx-mod-http-brotli-filter", "libnginx-mod-http-brotli-static"]
        print(f"Installing {' '.join(packages)} with apt-get …", flush=True)
        subprocess.run(["apt-get", "install", "-y", *packages], check=False)
    still = [tool for tool in needed if not shutil.which(tool)]
    if still:
        sys.exit(
            f"make bench needs {', '.join(still)}: apt-get install -y wrk nginx libnginx-mod-http-brotli-filter "
            "libnginx-mod-http-brotli-static openssl"
        )


def load_render():
    """deploy/nginx/render.py as a module (the operator's renderer, not a copy of it)."""
    spec = importlib.util.spec_from_file_location("clinic_nginx_render", RENDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_argv(tmp, nodes, *, static_root, https_port, http_port, certificate, key):
    """render.py's arguments for the bench: loopback ports and paths in `tmp`, the rest as shipped
    (TLS, HTTP/2, the access log, the 1-second micro-cache, brotli when installed)."""
    return [
        *("--server-name", "localhost 127.0.0.1"),
        *(argument for node in nodes for argument in ("--node", node)),
        *("--env-file", str(tmp / "no-env-file"), "--static-root", str(static_root)),
        *("--tls-certificate", str(certificate), "--tls-certificate-key", str(key)),
        *("--cache-dir", str(tmp / "cache"), "--access-log", str(tmp / "access.log")),
        *("--listen-address", "127.0.0.1", "--http-port", str(http_port), "--https-port", str(https_port)),
    ]


def main_config(tmp, site, *, static_tls_port, static_port, certificate, key, http2_listen, workers, user):
    """nginx.conf around the rendered site (what Debian's /etc/nginx/nginx.conf does: modules, mime
    types), with the bench's own pid, logs and temporary paths, so it runs beside any other nginx,
    as the current user. Two more servers send the pages' bytes as files from tmp/www: on TLS with
    the site's certificate, settings and access log (the limit for the page through the site), and
    on plain HTTP without a log (the limit for an app server alone, which speaks plain HTTP)."""
    www, temp = tmp / "www", tmp / "temp"
    static = f"""root {www};
        default_type text/html;
        gzip_static on;
        brotli_static on;"""
    return f"""{"user root;" if user == "root" else ""}
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
include /etc/nginx/modules-enabled/*.conf;
events {{ worker_connections 1024; }}
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
    server {{
        listen 127.0.0.1:{static_tls_port} ssl{" http2" if http2_listen else ""};
        server_tokens off;
        access_log {tmp}/access.log clinic;
        ssl_certificate {certificate};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:bench_static_tls:10m;
        ssl_session_tickets off;
        {static}
    }}
    server {{
        listen 127.0.0.1:{static_port};
        access_log off;
        {static}
    }}
}}
"""


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


def wait_for_port(port, process, log, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"nginx exited with {process.returncode}:\n{Path(log).read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    sys.exit(f"nginx did not listen on {port} within {timeout} s")


@dataclass
class Front:
    """The running nginx: the site (https), the static TLS and plain listeners, and their files."""

    site_url: str
    static_tls_url: str
    static_url: str
    www: Path

    def put(self, name, bodies):
        """The bytes of one page ({suffix: bytes}) as /<name>.html(.gz/.br) on both static listeners."""
        for suffix, body in bodies.items():
            (self.www / f"{name}.html{suffix}").write_bytes(body)


@contextlib.contextmanager
def front(nodes, static_root):
    """nginx with deploy/nginx's site rendered for two app nodes (host:port) and the static listeners."""
    render = load_render()
    with tempfile.TemporaryDirectory(prefix="clinic-nginx-") as tmp:
        tmp = Path(tmp)
        for directory in ("www", "temp", "cache"):
            (tmp / directory).mkdir()
        certificate, key = self_signed_certificate(tmp)
        https_port, http_port, static_tls_port, static_port = (free_port() for _ in range(4))
        argv = render_argv(
            tmp,
            nodes,
            static_root=static_root,
            https_port=https_port,
            http_port=http_port,
            certificate=certificate,
            key=key,
        )
        site = tmp / "site.conf"
        site.write_text(render.render(render.parse_args(argv)))
        config = tmp / "nginx.conf"
        config.write_text(
            main_config(
                tmp,
                site,
                static_tls_port=static_tls_port,
                static_port=static_port,
                certificate=certificate,
                key=key,
                http2_listen=render.nginx_version() < (1, 25, 1),
                workers=len(os.sched_getaffinity(0)),
                user=getpass.getuser(),
            )
        )
        nginx = ["nginx", "-c", str(config), "-e", str(tmp / "error.log")]
        checked = subprocess.run([*nginx, "-t", "-q"], capture_output=True, text=True, timeout=30)
        if checked.returncode:
            sys.exit(f"nginx refused the bench's configuration:\n{checked.stdout}{checked.stderr}")
        log = tmp / "stderr.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [*nginx, "-g", "daemon off;"], stdout=stderr, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            for port in (https_port, static_tls_port, static_port):
                wait_for_port(port, process, log)
            yield Front(
                site_url=f"https://127.0.0.1:{https_port}",
                static_tls_url=f"https://127.0.0.1:{static_tls_port}",
                static_url=f"http://127.0.0.1:{static_port}",
                www=tmp / "www",
            )
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def cache_status(url, path):
    """nginx's X-Cache-Status for an anonymous GET of `path` on the site (HIT once the micro-cache holds it)."""
    parts = urlsplit(url)
    context = ssl._create_unverified_context()  # noqa: S323  the bench's own throwaway certificate
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=30, context=context)
    conn.request("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.getheader("X-Cache-Status", "none")


# --- Load: wrk for pages, a bounded thread pool for form submissions ----------------------------


def wrk(url, seconds, connections=CONNECTIONS, accept_encoding=ACCEPT_ENCODING):
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
        + ["-H", f"Accept-Encoding: {accept_encoding}", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    out = result.stdout
    latency = {pct: to_ms(value) for pct, value in re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        # No latency lines when nothing came back in time.
        "p50_ms": latency.get("50", float("inf")),
        "p99_ms": latency.get("99", float("inf")),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "bad_responses": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def to_ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def filled_form(html, number):
    """A complete, valid answer to the form in `html`: "No" to every health question, no preferred time."""
    patient = {
        "first_name": "Bench",
        "last_name": f"Patient {number}",
        "email": f"bench{number}@example.com",
        "phone": "(207) 774-1234",
        "date_of_birth": "1985-06-15",
        "goals": "Softer lines around the mouth, measured by the benchmark.",
    }
    _action, pairs = intake_post_data(html, patient)
    return pairs


def fetch_form(host, port, number):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", FORM)
    response = conn.getresponse()
    html = response.read().decode()
    cookies = "; ".join(
        header.split(";", 1)[0] for name, header in response.getheaders() if name.lower() == "set-cookie"
    )
    conn.close()
    assert response.status == 200, response.status
    return cookies, urlencode(filled_form(html, number))


def submit(host, port, cookies, body):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies}
    conn.request("POST", FORM, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, response.getheader("Location", "")


def submissions(server_url, count, threads=16):
    """Fetch `count` forms first (untimed), then send them all at once and time only the sending."""
    parts = urlsplit(server_url)
    host, port = parts.hostname, parts.port
    before = stored_requests()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        forms = list(pool.map(lambda n: fetch_form(host, port, n), range(count)))
        start = time.perf_counter()
        results = list(pool.map(lambda form: submit(host, port, *form), forms))
        elapsed = time.perf_counter() - start
    accepted = sum(1 for status, location in results if status == 302 and "/submitted/" in location)
    stored = stored_requests() - before
    return {
        "sent": count,
        "accepted": accepted,
        "stored": stored,
        "lost": count - stored,
        "seconds": round(elapsed, 2),
        "per_s": round(stored / elapsed, 1),
        "statuses": sorted({status for status, _ in results}),
    }


# --- One database: start, measure, stop ------------------------------------------------------------


def measure(kind, options):
    seconds, servers = options.seconds, options.servers
    results = {"database": kind, "servers": {}}

    def before_start(env, static_root):
        setup_django(env)

    commands = server_commands()
    chosen = [name for name in commands if name in servers]
    with (
        database(kind) as url,
        production_server(url, extra_env=SUBMIT_ENV, before_start=before_start, command=commands[SHIPPED]) as shipped,
    ):
        pages = {name: page_bytes(shipped.url, path) for name, path in PAGES.items()}
        results["page_kb"] = {name: len(bodies[""]) // 1024 for name, bodies in pages.items()}
        # A second node on the same database, as deploy/ runs them (clinic@8001, clinic@8002).
        with (
            running(shipped.env) as second,
            front([node_address(shipped), node_address(second)], shipped.static_root) as nginx,
        ):
            for name, bodies in pages.items():
                nginx.put(static_name(name), bodies)
            results["edge"] = measure_edge(nginx, seconds)
            measure_servers(results, shipped, nginx, commands, chosen, seconds)
            if options.peers:
                results["peers"] = measure_peers(nginx, seconds)
        results["form_get"] = wrk(shipped.url + FORM, seconds)
        results["submissions"] = submissions(shipped.url, options.submissions)
        print(f"  {kind}: seeding {options.seed_requests} requests …", file=sys.stderr, flush=True)
        import bench_data

        start = time.perf_counter()
        bench_data.seed(options.seed_requests)
        results["seed_seconds"] = round(time.perf_counter() - start, 1)
        results["seed_requests"] = options.seed_requests
        results["staff"] = staff_figures()
        results["load_after"] = os.getloadavg()
    return results


def node_address(server):
    return server.url.removeprefix("http://")


def static_name(page, server=SHIPPED):
    return f"{server}-{page}".replace(" ", "-").replace("(", "").replace(")", "")


def against(limit_url, server_url, path, seconds):
    """wrk on nginx's static copy right before the server, so both see the same machine load."""
    limit = wrk(limit_url, seconds)
    if limit["bad_responses"]:
        sys.exit(f"nginx answered {limit['bad_responses']} requests with an error: no limit to compare with.")
    app = wrk(server_url + path, seconds)
    return {"app": app, "nginx": limit, "ratio": round(app["rps"] / limit["rps"], 3)}


def measure_edge(nginx, seconds):
    """The pages through the shipped site (two nodes behind it) against the same nginx sending
    their bytes as files over TLS."""
    figures = {}
    for page, path in PAGES.items():
        wrk(nginx.site_url + path, 2, connections=8)  # warm: TLS sessions, both nodes, the micro-cache
        wrk(f"{nginx.static_tls_url}/{static_name(page)}.html", 2, connections=8)
        figures[page] = against(f"{nginx.static_tls_url}/{static_name(page)}.html", nginx.site_url, path, seconds)
        figures[page]["cache"] = cache_status(nginx.site_url, path)
    print("  through nginx: measured", file=sys.stderr, flush=True)
    return figures


def measure_servers(results, shipped, nginx, commands, chosen, seconds):
    for page in PAGES:
        wrk(f"{nginx.static_url}/{static_name(page)}.html", 2)
    for name in chosen:
        with contextlib.ExitStack() as stack:
            server = shipped if name == SHIPPED else stack.enter_context(running(shipped.env, commands[name]))
            figures = {}
            for page, path in PAGES.items():
                wrk(server.url + path, 2, connections=8)  # warm up every worker's memory and connections
                figures[page] = against(f"{nginx.static_url}/{static_name(page)}.html", server.url, path, seconds)
            results["servers"][name] = figures
            print(f"  {results['database']}, {name}: measured", file=sys.stderr, flush=True)


def peer_command(peer, environ, port):
    """What serve.py runs for the app (granian WSGI, its workers, threads, timeouts and access
    log), for the peer's WSGI application from the peers' virtualenv, on `port`."""
    sys.path.insert(0, str(ROOT))
    import serve

    argv = serve.command({**environ, "PORT": str(port)})
    argv[0] = str(PEERS_BIN / "granian")
    argv[argv.index("clinic.wsgi:application")] = peer["app"]
    return [*argv, "--working-dir", str(PEERS_DIR / peer["dir"])]


def peer_env(peer, tmp):
    # Only what a peer needs (no DATABASE_URL or settings of the clinic's), with the app's server settings.
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env.update({key: os.environ[key] for key in ("WEB_CONCURRENCY", "CLINIC_THREADS") if key in os.environ})
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": peer["settings"],
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PEER_DATABASE": str(tmp / "peer.sqlite3"),
        "DJANGO_STATIC_ROOT": str(tmp),
        "PYTHONPATH": f"{PEERS_DIR}:{PEERS_DIR / peer['dir']}",
    }


def measure_peers(nginx, seconds):
    """Each peer served as `make serve` serves the app, against nginx sending its own bytes."""
    if not (PEERS_BIN / "granian").exists():
        sys.exit(
            "The peers' virtualenv is missing: make bench creates build/bench-peers/ (scripts/peers/requirements.txt)."
        )
    results = {}
    for name, peer in PEERS.items():
        with tempfile.TemporaryDirectory(prefix="clinic-peer-") as tmp:
            tmp = Path(tmp)
            env = peer_env(peer, tmp)
            for step in peer["setup"]:
                subprocess.run(
                    [str(PEERS_BIN / "python"), *step],
                    cwd=PEERS_DIR / peer["dir"],
                    env=env,
                    check=True,
                    stdout=subprocess.DEVNULL,
                    timeout=600,
                )
            first = next(iter(peer["pages"].values()))
            command = functools.partial(peer_command, peer, env)
            with running(env, command, tmp / "server.log", ready=first) as server:
                figures = {}
                for page, path in peer["pages"].items():
                    nginx.put(static_name(page, name), page_bytes(server.url, path))
                    wrk(server.url + path, 2, connections=8)
                    figures[page] = against(
                        f"{nginx.static_url}/{static_name(page, name)}.html", server.url, path, seconds
                    )
                    figures[page]["kb"] = len((nginx.www / f"{static_name(page, name)}.html").read_bytes()) // 1024
                results[name] = figures
        print(f"  peer {name}: measured", file=sys.stderr, flush=True)
    return results


# --- Report ---------------------------------------------------------------------------------------


def package_version(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown",
    )
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": ", ".join(
            f"{name} {package_version(name)}" for name in ("Django", "granian", "uvicorn", "whitenoise")
        ),
        "tools": f"{wrk_version}, {nginx_version.replace('nginx version: ', '')}",
    }


def peer_packages():
    """The peers' versions, from their own virtualenv."""
    if not (PEERS_BIN / "python").exists():
        return "not installed"
    code = (
        "from importlib.metadata import version; "
        "print(', '.join(f'{n} {version(n)}' for n in ('Django', 'wagtail', 'granian')))"
    )
    result = subprocess.run([str(PEERS_BIN / "python"), "-c", code], capture_output=True, text=True, timeout=60)
    return result.stdout.strip() or "unknown"


def verdict(ok):
    return "met" if ok else "**missed**"


def edge_goal_lines(edge):
    """Through the shipped nginx config: each page's share of the same nginx's static copy over TLS, and p99."""
    lines = []
    for page, f in edge.items():
        app = f["app"]
        lines.append(
            (
                f"{page} through the shipped nginx config: {app['rps']:.0f} req/s, {f['ratio']:.1%} of the same "
                f"nginx sending it as a file over TLS ({f['nginx']['rps']:.0f} req/s; goal ≥ {GOALS['edge_share']:.0%})",
                f["ratio"] >= GOALS["edge_share"],
            )
        )
        lines.append(
            (
                f"{page} through the shipped nginx config: p99 {app['p99_ms']:.1f} ms at {CONNECTIONS} connections, "
                f"{app['bad_responses']} errors (goal < {GOALS['p99_ms']:.0f} ms)",
                app["p99_ms"] < GOALS["p99_ms"] and app["bad_responses"] == 0,
            )
        )
    return lines


def peer_goal_lines(app, peers):
    """`make serve` alone against the best peer, page by page: each one's share of nginx on its own bytes."""
    lines = []
    for page, f in app.items():
        shares = {name: figures[page]["ratio"] for name, figures in peers.items() if page in figures}
        if not shares:
            continue
        best = max(shares, key=shares.get)
        factor = f["ratio"] / shares[best] if shares[best] else float("inf")
        lines.append(
            (
                f"{page}, `make serve` alone: {f['ratio']:.1%} of nginx, {factor:.1f}× the best peer's share "
                f"({best}: {shares[best]:.1%}; goal ≥ {GOALS['peer_factor']}×)",
                factor >= GOALS["peer_factor"] and f["app"]["bad_responses"] == 0,
            )
        )
    return lines


def goal_lines(run):
    """Every figure against its goal, as (text, met) pairs."""
    lines = edge_goal_lines(run.get("edge", {}))
    lines += peer_goal_lines(run["servers"][SHIPPED], run.get("peers", {}))
    subs = run["submissions"]
    goal = GOALS["submissions_per_s"][run["database"]]
    lines.append(
        (
            f"intake: {subs['per_s']:.0f} stored submissions/s, {subs['stored']} of {subs['sent']} stored, "
            f"{subs['lost']} lost (goal ≥ {goal:.0f}/s, 0 lost)",
            subs["per_s"] >= goal and subs["lost"] == 0,
        )
    )
    form = run["form_get"]
    lines.append(
        (
            f"form page GET: {form['rps']:.0f}/s, p99 {form['p99_ms']:.0f} ms (goal ≥ {GOALS['form_get_per_s']:.0f}/s)",
            form["rps"] >= GOALS["form_get_per_s"] and form["bad_responses"] == 0,
        )
    )
    for name, figures in run["staff"].items():
        goal = GOALS["availability_p50_ms"] if name.startswith("availability") else GOALS["staff_p50_ms"]
        lines.append(
            (
                f"{name}: p50 {figures['p50_ms']:.1f} ms, {figures['queries']} queries (goal < {goal:.0f} ms)",
                figures["p50_ms"] < goal,
            )
        )
    return lines


def comparison_rows(name, pages, kb):
    """Table rows of one server's pages against nginx; kb: {page: size of its HTML in KB}."""
    for page, f in pages.items():
        app, limit = f["app"], f["nginx"]
        yield (
            f"| {name} | {page} ({kb[page]} KB) | {app['rps']:.0f} | {app['p50_ms']:.1f} ms | "
            f"{app['p99_ms']:.1f} ms | {limit['rps']:.0f} | {limit['p99_ms']:.1f} ms | {f['ratio']:.1%} | "
            f"{app['bad_responses']} |"
        )


def markdown(runs, info, options):
    lines = [
        "# Benchmarks",
        "",
        "Latest figures from `make bench` (scripts/bench.py), on loopback with the load from `wrk` on the same "
        "machine. The production-like server (`make serve`: DEBUG off, static files collected, page cache on) "
        "is measured twice: two nodes behind the shipped nginx config (deploy/nginx rendered by render.py: "
        "TLS with a throwaway certificate, its access log, its micro-cache) against the same nginx sending the "
        "same bytes as a file over TLS; and one node alone, with its peers served the same way (granian WSGI, "
        "same workers and threads, DEBUG off), each against nginx sending its own bytes as a file. Numbers "
        "vary from run to run; the machine is shared by the load generator, the servers and whatever else runs.",
        "",
        f"Run {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: wrk {options.seconds} s per URL at "
        f"{CONNECTIONS} connections, `Accept-Encoding: {ACCEPT_ENCODING}`; {options.submissions} intake "
        f"submissions; {options.seed_requests:,} seeded requests for the staff pages. `make serve` ships "
        f"**{SHIPPED}**.",
        "",
        "## Machine",
        "",
        f"- CPUs: {info['cpus']} ({info['cpu']}), memory {info['memory_gb']} GiB",
        f"- {info['os']}",
        f"- Python {info['python']}, {info['packages']}",
        f"- Peers (build/bench-peers/): {info['peers']}",
        f"- {info['tools']}",
    ]
    for run in runs:
        load = " / ".join(f"{value:.1f}" for value in run["load_before"])
        load_after = " / ".join(f"{value:.1f}" for value in run["load_after"])
        lines += [
            "",
            f"## {run['database']}",
            "",
            f"Load average (1/5/15 min) before: {load}, after: {load_after} (anything well above 0 means other "
            "work shared the CPUs).",
            "",
            "### Goals",
            "",
            *(f"- {text}: {verdict(met)}" for text, met in goal_lines(run)),
        ]
        if run.get("edge"):
            lines += [
                "",
                "### Through the shipped nginx config (two nodes), against the same nginx sending the bytes as a file over TLS",
                "",
                "| front | page | req/s | p50 | p99 | static TLS req/s | static p99 | share | errors |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|",
                *comparison_rows("nginx site (https)", run["edge"], run["page_kb"]),
                "",
                "X-Cache-Status after the run: "
                + ", ".join(f"{page} {f.get('cache', '?')}" for page, f in run["edge"].items())
                + ".",
            ]
        lines += [
            "",
            "### One server alone and its peers, each against nginx on its own bytes (plain HTTP)",
            "",
            "| server | page | req/s | p50 | p99 | nginx req/s | nginx p99 | share of nginx | errors |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for server, pages in run["servers"].items():
            label = f"{server} (`make serve`)" if server == SHIPPED else server
            lines += comparison_rows(label, pages, run["page_kb"])
        for peer, pages in run.get("peers", {}).items():
            lines += comparison_rows(f"peer: {peer}", pages, {page: f["kb"] for page, f in pages.items()})
        lines += [
            "",
            f"### Staff pages on {run['seed_requests']:,} requests (seeded in {run['seed_seconds']} s), in-process, "
            f"p50 of {STAFF_REPEATS}",
            "",
            "| page | p50 | SQL queries |",
            "|---|---:|---:|",
            *(f"| {name} | {f['p50_ms']:.1f} ms | {f['queries']} |" for name, f in run["staff"].items()),
        ]
    return "\n".join(lines) + "\n"


def summary(runs):
    for run in runs:
        print(f"\n== {run['database']} (load before {run['load_before'][0]:.1f}, after {run['load_after'][0]:.1f}) ==")
        groups = [("nginx site", run.get("edge", {}))]
        groups += list(run["servers"].items()) + [(f"peer {n}", p) for n, p in run.get("peers", {}).items()]
        for server, pages in groups:
            for page, f in pages.items():
                app, limit = f["app"], f["nginx"]
                print(
                    f"{server[:22]:22} {page:15} {app['rps']:8.0f} req/s  p50 {app['p50_ms']:6.1f} ms  "
                    f"p99 {app['p99_ms']:6.1f} ms  | nginx {limit['rps']:8.0f} req/s  p99 {limit['p99_ms']:5.1f} ms "
                    f"| {f['ratio']:6.1%}"
                )
        print("-- goals --")
        for text, met in goal_lines(run):
            print(f"[{'met' if met else 'MISSED'}] {text}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=6, help="wrk duration per URL (default 6)")
    parser.add_argument("--submissions", type=int, default=800, help="intake forms to send (default 800)")
    parser.add_argument(
        "--seed-requests",
        type=int,
        default=SEED_REQUESTS,
        help=f"requests seeded for the staff pages ({SEED_REQUESTS:,})",
    )
    parser.add_argument(
        "--servers",
        default=SHIPPED,
        help=f"comma-separated app servers to measure alone (default {SHIPPED!r}, what make serve runs; "
        f"'all' for every installed one: {', '.join(server_commands())})",
    )
    parser.add_argument("--no-peers", dest="peers", action="store_false", help="leave the peers out (a quicker try)")
    parser.add_argument("--one", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if args.seed_requests < MIN_SEED_REQUESTS:
        parser.error(f"--seed-requests: at least {MIN_SEED_REQUESTS} (the newest 300 are the open ones)")
    names = list(server_commands()) if args.servers == "all" else [n.strip() for n in args.servers.split(",")]
    args.servers = [SHIPPED] + [name for name in names if name != SHIPPED]
    return args


def main():
    args = parse_args()
    ensure_tools()

    if args.one:  # a child: one database per process, since Django is set up once per process
        # SIGTERM (from the parent's time limit) unwinds the with-blocks: servers and databases go too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"{args.one}: stopped (time limit)"))
        load_before = os.getloadavg()
        result = measure(args.one, args)
        print(json.dumps({**result, "load_before": load_before}))
        return

    kinds = ["sqlite"]
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        kinds.append("postgresql")
    runs = []
    for kind in kinds:
        print(f"Benchmarking on {kind} …", flush=True)
        # Bounded: a child past its time is stopped with SIGTERM, so it stops its servers on the way out.
        child = subprocess.Popen(
            [sys.executable, __file__, "--one", kind, *sys.argv[1:]],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            out, _ = child.communicate(timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.terminate()
            child.communicate(timeout=120)
            sys.exit(f"The {kind} benchmark took more than {CHILD_TIMEOUT} s (is the machine busy?); stopped.")
        if child.returncode:
            sys.exit(f"The {kind} benchmark failed (exit {child.returncode}).")
        runs.append(json.loads(out.strip().splitlines()[-1]))
    summary(runs)
    if not args.no_write:
        path = ROOT / "BENCHMARKS.md"
        # Hand-written notes below the marker survive a new run; the figures above it are replaced.
        old = path.read_text() if path.exists() else ""
        notes = old[old.index(NOTES_MARKER) :] if NOTES_MARKER in old else ""
        info = {**machine(), "peers": peer_packages()}
        path.write_text(markdown(runs, info, args) + ("\n" + notes if notes else ""))
        print("\nWrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
