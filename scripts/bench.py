"""`make bench`: how fast the production-like server is on this machine, against nginx. Not a test.

For SQLite, and for PostgreSQL too when DATABASE_URL is a postgres:// URL (a throwaway
database is created beside it), on loopback only:

1. Public pages (home, the Belotero page) with wrk at 32 connections, for each server
   (the one `make serve` ships and the others it was chosen against), and nginx serving
   the very bytes the app sent (same HTML, same brotli/gzip bodies) as the limit, in the
   same run: requests/s, p50/p99 and the share of nginx's rate.
2. The consultation form: GETs per second (wrk) and intake submissions stored per
   second (each checked in the database: none lost).
3. A clinic's data (scripts/bench_data.py: 50,000 requests with answers, flags, notes,
   audit rows; five years of bookings and days off), then the staff pages in-process:
   the queue (default, search by name and by reference, each filter), a request page,
   the CSV export, and the 4-week availability lookup: p50 and SQL queries.

Every run is bounded (wrk for a fixed time, a fixed number of submissions and repeats).
The figures, the goals, the machine and its load go to BENCHMARKS.md.
"""

# ruff: noqa: S603, S607 - the commands are fixed local tools (manage.py, servers, wrk, nginx), not input.

import argparse
import concurrent.futures
import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
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
# Issue 24: the app alone at 1.5x the best peer's share of nginx (Wagtail with its page cache,
# 2.9-6.2 %), the form GET rendered for each visitor (no copies) at 300/s, 200 submissions/s on both.
GOALS = {
    "ratio": 0.10,
    "p99_ms": 50.0,
    "submissions_per_s": {"sqlite": 200.0, "postgresql": 200.0},
    "form_get_per_s": 300.0,
    "staff_p50_ms": 300.0,
    "availability_p50_ms": 50.0,
}
NOTES_MARKER = "## Notes"
SUBMIT_ENV = {"CLINIC_SUBMISSION_RATE": "off", "CLINIC_MIN_FILL_SECONDS": "0", "CLINIC_STAFF_2FA": "off"}
STAFF_REPEATS = 7
# Per database; a quiet two-core machine needs about four minutes.
CHILD_TIMEOUT = 1800
SEED_REQUESTS = 50_000


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


# --- nginx: the same bytes, as fast as this machine serves a file ------------------------------


NGINX_CONF = """\
worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log;
{modules}
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp; fastcgi_temp_path {dir}/tmp;
  uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;
  default_type text/html;
  server {{
    listen 127.0.0.1:{port};
    root {dir}/www;
    gzip_static on;
    {brotli}
  }}
}}
"""
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def ensure_nginx():
    """nginx (and its brotli_static module, to send the app's own brotli bytes), from apt if missing."""
    if not shutil.which("nginx") or not BROTLI_MODULE.exists():
        print("Installing nginx with apt-get …", flush=True)
        subprocess.run(["apt-get", "install", "-y", "nginx", "libnginx-mod-http-brotli-static"], check=False)
    if not shutil.which("nginx"):
        sys.exit("make bench needs nginx: apt-get install -y nginx libnginx-mod-http-brotli-static")


@contextlib.contextmanager
def nginx(files):
    """nginx on a free loopback port serving {name: {suffix: bytes}} as /<name>.html(.gz/.br)."""
    with tempfile.TemporaryDirectory(prefix="clinic-nginx-") as tmp:
        tmp = Path(tmp)
        # nginx's workers drop root for www-data: they must be able to read the files.
        tmp.chmod(0o755)
        (tmp / "www").mkdir()
        (tmp / "tmp").mkdir()
        for name, bodies in files.items():
            for suffix, body in bodies.items():
                (tmp / "www" / f"{name}.html{suffix}").write_bytes(body)
        port = free_port()
        has_brotli = BROTLI_MODULE.exists()
        (tmp / "nginx.conf").write_text(
            NGINX_CONF.format(
                workers=len(os.sched_getaffinity(0)),
                dir=tmp,
                port=port,
                modules=f"load_module {BROTLI_MODULE};" if has_brotli else "",
                brotli="brotli_static on;" if has_brotli else "",
            )
        )
        process = subprocess.Popen(
            ["nginx", "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("HEAD", "/")
                    break
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


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


def measure(kind, seconds, count, servers):
    results = {"database": kind, "servers": {}}

    def before_start(env, static_root):
        setup_django(env)

    commands = server_commands()
    chosen = [name for name in commands if name in servers] if servers else list(commands)
    with (
        database(kind) as url,
        production_server(url, extra_env=SUBMIT_ENV, before_start=before_start, command=commands[SHIPPED]) as shipped,
    ):
        files = {name.replace(" ", "-"): page_bytes(shipped.url, path) for name, path in PAGES.items()}
        results["page_kb"] = {name: len(files[name.replace(" ", "-")][""]) // 1024 for name in PAGES}
        with nginx(files) as nginx_url:
            measure_servers(results, shipped, nginx_url, commands, chosen, seconds)
        results["form_get"] = wrk(shipped.url + FORM, seconds)
        results["submissions"] = submissions(shipped.url, count)
        print(f"  {kind}: seeding {SEED_REQUESTS} requests …", file=sys.stderr, flush=True)
        import bench_data

        start = time.perf_counter()
        bench_data.seed(SEED_REQUESTS)
        results["seed_seconds"] = round(time.perf_counter() - start, 1)
        results["staff"] = staff_figures()
        results["load_after"] = os.getloadavg()
    return results


def measure_servers(results, shipped, nginx_url, commands, chosen, seconds):
    for name in PAGES:
        wrk(f"{nginx_url}/{name.replace(' ', '-')}.html", 2)
    for name in chosen:
        with contextlib.ExitStack() as stack:
            server = shipped if name == SHIPPED else stack.enter_context(running(shipped.env, commands[name]))
            figures = {}
            for page, path in PAGES.items():
                wrk(server.url + path, 2, connections=8)  # warm up every worker's memory and connections
                # nginx right before the app, so both see the same machine load.
                limit = wrk(f"{nginx_url}/{page.replace(' ', '-')}.html", seconds)
                if limit["bad_responses"]:
                    sys.exit(
                        f"nginx answered {limit['bad_responses']} requests with an error: no limit to compare with."
                    )
                app = wrk(server.url + path, seconds)
                figures[page] = {"app": app, "nginx": limit, "ratio": round(app["rps"] / limit["rps"], 3)}
            results["servers"][name] = figures
            print(f"  {results['database']}, {name}: measured", file=sys.stderr, flush=True)


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


def verdict(ok):
    return "met" if ok else "**missed**"


def goal_lines(run):
    """Every figure against its goal, as (text, met) pairs."""
    lines = []
    for page, figures in run["servers"][SHIPPED].items():
        app, ratio = figures["app"], figures["ratio"]
        lines.append(
            (f"{page}: {ratio:.1%} of nginx on the same bytes (goal ≥ {GOALS['ratio']:.0%})", ratio >= GOALS["ratio"])
        )
        lines.append(
            (
                f"{page}: p99 {app['p99_ms']:.1f} ms at {CONNECTIONS} connections (goal < {GOALS['p99_ms']:.0f} ms)",
                app["p99_ms"] < GOALS["p99_ms"] and app["bad_responses"] == 0,
            )
        )
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


def markdown(runs, info, seconds, count):
    lines = [
        "# Benchmarks",
        "",
        "Latest figures from `make bench` (scripts/bench.py): the production-like server (DEBUG off, "
        "static files collected, page cache on) on loopback, load from `wrk` on the same machine, and "
        "nginx serving the very bytes the app sent (the same HTML and brotli body) as the limit, measured "
        "right before each app figure. Numbers vary from run to run; the machine is shared by the load "
        "generator, the servers and whatever else runs.",
        "",
        f"Run {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: wrk {seconds} s per URL at "
        f"{CONNECTIONS} connections, `Accept-Encoding: {ACCEPT_ENCODING}`; {count} intake submissions; "
        f"{SEED_REQUESTS:,} seeded requests for the staff pages. `make serve` ships **{SHIPPED}**.",
        "",
        "## Machine",
        "",
        f"- CPUs: {info['cpus']} ({info['cpu']}), memory {info['memory_gb']} GiB",
        f"- {info['os']}",
        f"- Python {info['python']}, {info['packages']}",
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
            "work shared the two CPUs).",
            "",
            "### Goals",
            "",
            *(f"- {text}: {verdict(met)}" for text, met in goal_lines(run)),
            "",
            "### Public pages, each server against nginx on the same bytes",
            "",
            "| server | page | req/s | p50 | p99 | nginx req/s | nginx p99 | share of nginx | errors |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for server, pages in run["servers"].items():
            for page, f in pages.items():
                app, limit = f["app"], f["nginx"]
                lines.append(
                    f"| {server}{' (shipped)' if server == SHIPPED else ''} | {page} "
                    f"({run['page_kb'][page]} KB HTML) | {app['rps']:.0f} | {app['p50_ms']:.1f} ms | "
                    f"{app['p99_ms']:.1f} ms | {limit['rps']:.0f} | {limit['p99_ms']:.1f} ms | {f['ratio']:.1%} | "
                    f"{app['bad_responses']} |"
                )
        lines += [
            "",
            f"### Staff pages on {SEED_REQUESTS:,} requests (seeded in {run['seed_seconds']} s), in-process, "
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
        for server, pages in run["servers"].items():
            for page, f in pages.items():
                app, limit = f["app"], f["nginx"]
                print(
                    f"{server:17} {page:15} {app['rps']:8.0f} req/s  p50 {app['p50_ms']:6.1f} ms  "
                    f"p99 {app['p99_ms']:6.1f} ms  | nginx {limit['rps']:8.0f} req/s  p99 {limit['p99_ms']:5.1f} ms "
                    f"| {f['ratio']:6.1%}"
                )
        print("-- goals --")
        for text, met in goal_lines(run):
            print(f"[{'met' if met else 'MISSED'}] {text}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=6, help="wrk duration per URL (default 6)")
    parser.add_argument("--submissions", type=int, default=800, help="intake forms to send (default 800)")
    parser.add_argument("--servers", help="comma-separated servers to compare (default: all installed)")
    parser.add_argument("--one", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()

    if not shutil.which("wrk"):
        print("Installing wrk with apt-get …", flush=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)
    if not shutil.which("wrk"):
        sys.exit("make bench needs wrk (a load generator from Debian): apt-get install -y wrk")
    ensure_nginx()
    servers = [name.strip() for name in args.servers.split(",")] if args.servers else []
    if SHIPPED not in servers and servers:
        servers.insert(0, SHIPPED)

    if args.one:  # a child: one database per process, since Django is set up once per process
        # SIGTERM (from the parent's time limit) unwinds the with-blocks: servers and databases go too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"{args.one}: stopped (time limit)"))
        load_before = os.getloadavg()
        result = measure(args.one, args.seconds, args.submissions, servers)
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
            [sys.executable, __file__, "--one", kind, f"--seconds={args.seconds}", f"--submissions={args.submissions}"]
            + ([f"--servers={args.servers}"] if args.servers else []),
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
        path.write_text(markdown(runs, machine(), args.seconds, args.submissions) + ("\n" + notes if notes else ""))
        print("\nWrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
