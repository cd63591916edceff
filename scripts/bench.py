"""`make bench`: how fast the production-like server is on this machine. Not a test: it prints figures.

For SQLite, and for PostgreSQL too when DATABASE_URL is a postgres:// URL (a throwaway
database is created beside it), it starts gunicorn as `make serve` would
(scripts/prodserver.py) and measures on loopback only:

- the Belotero page: requests/s and p50/p99 latency with wrk at 32 connections;
- the same HTML saved as a static file and served by the same stack (WhiteNoise),
  and the page/static ratio;
- intake submissions stored per second, each checked in the database (none lost);
- SQL queries per page, counted in-process, with a cold and a warm page cache.

Every run is bounded (wrk for a fixed time, a fixed number of submissions). The
figures and the machine go to BENCHMARKS.md. Goals: page >= 10 % of the static rate,
p99 < 50 ms, >= 200 submissions/s on SQLite.
"""

# ruff: noqa: S603, S607 - the commands are fixed local tools (manage.py, gunicorn, wrk, lighthouse), not input.

import argparse
import concurrent.futures
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from formdata import intake_post_data
from prodserver import ROOT, database, production_server

PAGE = "/treatments/belotero/"
STATIC_COPY = "bench/belotero.html"
FORM = "/consultations/new/"
QUERY_PAGES = {"home": "/", "belotero": PAGE, "form": FORM}
CONNECTIONS = 32
# What a browser sends; WhiteNoise then serves its pre-compressed copy and Django gzips the page.
ACCEPT_ENCODING = "gzip, deflate, br"
GOALS = {"ratio": 0.10, "p99_ms": 50.0, "submissions_per_s": 200.0}
NOTES_MARKER = "## Notes"
TRANSACTION = re.compile(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
SUBMIT_ENV = {"CLINIC_SUBMISSION_RATE": "off", "CLINIC_MIN_FILL_SECONDS": "0"}


# --- In-process measurements (Django set up against the benchmark's own database) ---------------


def setup_django(env):
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def count_queries():
    """Queries per page: first visit (cache empty) and the next one (from the page cache).

    Each figure is (the page's own queries, the database cache's queries and transactions).
    """
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cache_table = settings.CACHES["default"].get("LOCATION", "")
    cache.clear()
    counts = {}
    for name, path in QUERY_PAGES.items():
        visits = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = Client().get(path, HTTP_HOST="127.0.0.1")
            assert response.status_code == 200, (path, response.status_code)
            # Transaction statements come from the cache's writes (the pages themselves only read).
            to_cache = sum(
                1
                for query in queries
                if (cache_table and cache_table in query["sql"]) or TRANSACTION.match(query["sql"])
            )
            visits.append((len(queries) - to_cache, to_cache))
        counts[name] = {"cold": visits[0], "warm": visits[1]}
    return counts


def save_static_copy(static_root):
    """The Belotero page's HTML as a static file, compressed the way collectstatic does it."""
    from django.test import Client
    from whitenoise.compress import Compressor

    html = Client().get(PAGE, HTTP_HOST="127.0.0.1").content
    target = static_root / STATIC_COPY
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(html)
    for _ in Compressor(quiet=True).compress(str(target)):
        pass
    return len(html)


def stored_requests():
    from consultations.models import ConsultationRequest

    return ConsultationRequest.objects.count()


# --- Load: wrk for pages, a bounded thread pool for form submissions ----------------------------


def wrk(url, seconds, connections=CONNECTIONS):
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Accept-Encoding: {ACCEPT_ENCODING}",
            url,
        ],
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
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
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


def submissions(server, count, workers=16):
    """Fetch `count` forms first (untimed), then send them all at once and time only the sending."""
    parts = urlsplit(server.url)
    host, port = parts.hostname, parts.port
    before = stored_requests()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
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


def measure(kind, seconds, count):
    results = {"database": kind}

    def before_start(env, static_root):
        setup_django(env)
        results["queries"] = count_queries()
        results["page_bytes"] = save_static_copy(static_root)
        from django.db import connections

        connections.close_all()

    with database(kind) as url, production_server(url, extra_env=SUBMIT_ENV, before_start=before_start) as server:
        page_url, static_url = server.url + PAGE, f"{server.url}/static/{STATIC_COPY}"
        for url in (page_url, static_url):  # warm up workers, caches and connections
            wrk(url, 2, connections=8)
        results["page"] = wrk(page_url, seconds)
        results["static"] = wrk(static_url, seconds)
        results["ratio"] = round(results["page"]["rps"] / results["static"]["rps"], 3)
        results["submissions"] = submissions(server, count)
        results["server"] = gunicorn_settings(server.env)
    return results


def gunicorn_settings(env):
    code = "import runpy; c = runpy.run_path('gunicorn.conf.py'); print(c['workers'], c['threads'], c['worker_class'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    workers, threads, worker_class = out.stdout.split()
    return {"workers": int(workers), "threads": int(threads), "worker_class": worker_class}


# --- Report ---------------------------------------------------------------------------------------


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown",
    )
    versions = [version(name) for name in ("Django", "gunicorn", "whitenoise")]
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": versions[0],
        "gunicorn": versions[1],
        "whitenoise": versions[2],
        "wrk": wrk_version,
    }


def queries_text(counts):
    own, to_cache = counts
    return f"{own} + {to_cache} cache" if to_cache else str(own)


def verdict(ok):
    return "met" if ok else "**missed**"


def markdown(runs, info, seconds, count):
    lines = [
        "# Benchmarks",
        "",
        "Latest figures from `make bench` (scripts/bench.py): the production-like server (DEBUG off, "
        "gunicorn with gunicorn.conf.py, WhiteNoise, page cache in the database cache) on loopback, "
        "load from `wrk` on the same machine. Goals from issue 9. Numbers vary from run to run by "
        "some per cent; the machine is shared by the load generator and the server.",
        "",
        f"Run {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: wrk {seconds} s per URL at "
        f"{CONNECTIONS} connections, `Accept-Encoding: {ACCEPT_ENCODING}`; {count} intake submissions. "
        f"Load average at the end: {' / '.join(f'{load:.1f}' for load in os.getloadavg())} (1/5/15 min; "
        f"anything well above 1 means other work shared the CPUs).",
        "",
        "## Machine",
        "",
        f"- CPUs: {info['cpus']} ({info['cpu']}), memory {info['memory_gb']} GiB",
        f"- {info['os']}",
        f"- Python {info['python']}, Django {info['django']}, gunicorn {info['gunicorn']}, "
        f"WhiteNoise {info['whitenoise']}, {info['wrk']}",
    ]
    for run in runs:
        page, static, subs, server = run["page"], run["static"], run["submissions"], run["server"]
        lines += [
            "",
            f"## {run['database']}",
            "",
            f"gunicorn: {server['workers']} workers x {server['threads']} threads ({server['worker_class']}).",
            "",
            "| what | requests/s | p50 | p99 | errors |",
            "|---|---:|---:|---:|---:|",
            f"| Belotero page ({PAGE}, {run['page_bytes'] // 1024} KB HTML) | {page['rps']:.0f} | "
            f"{page['p50_ms']:.1f} ms | {page['p99_ms']:.1f} ms | {page['bad_responses']} |",
            f"| same HTML as a static file | {static['rps']:.0f} | {static['p50_ms']:.1f} ms | "
            f"{static['p99_ms']:.1f} ms | {static['bad_responses']} |",
            "",
            f"- Page / static: **{run['ratio']:.0%}** (goal ≥ {GOALS['ratio']:.0%}: "
            f"{verdict(run['ratio'] >= GOALS['ratio'])})",
            f"- Page p99: **{page['p99_ms']:.1f} ms** (goal < {GOALS['p99_ms']:.0f} ms: "
            f"{verdict(page['p99_ms'] < GOALS['p99_ms'])})",
            f"- Intake submissions: **{subs['per_s']:.0f}/s** ({subs['stored']} of {subs['sent']} stored in "
            f"{subs['seconds']} s, {subs['lost']} lost, HTTP {', '.join(map(str, subs['statuses']))})"
            + (
                f" (goal ≥ {GOALS['submissions_per_s']:.0f}/s: "
                f"{verdict(subs['per_s'] >= GOALS['submissions_per_s'] and subs['lost'] == 0)})"
                if run["database"] == "sqlite"
                else ""
            ),
            "",
            "SQL queries per page (in-process, `CaptureQueriesContext`):",
            "",
            "| page | first visit | next visit (page cache) |",
            "|---|---:|---:|",
            *(
                f"| {name} | {queries_text(q['cold'])} | {queries_text(q['warm'])} |"
                for name, q in run["queries"].items()
            ),
        ]
    return "\n".join(lines) + "\n"


def summary(runs):
    for run in runs:
        page, static, subs = run["page"], run["static"], run["submissions"]
        print(f"\n== {run['database']} ==")
        print(f"Belotero page:  {page['rps']:8.0f} req/s  p50 {page['p50_ms']:.1f} ms  p99 {page['p99_ms']:.1f} ms")
        print(
            f"static copy:    {static['rps']:8.0f} req/s  p50 {static['p50_ms']:.1f} ms  p99 {static['p99_ms']:.1f} ms"
        )
        print(f"page/static:    {run['ratio']:.1%}")
        print(f"submissions:    {subs['per_s']:8.0f} /s  ({subs['stored']}/{subs['sent']} stored, {subs['lost']} lost)")
        for name, q in run["queries"].items():
            print(f"queries {name + ':':9} first visit {queries_text(q['cold'])}, next {queries_text(q['warm'])}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per URL (default 10)")
    parser.add_argument("--submissions", type=int, default=600, help="intake forms to send (default 600)")
    parser.add_argument("--one", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()

    if not shutil.which("wrk"):
        sys.exit("make bench needs wrk (a load generator from Debian): apt-get install -y wrk")

    if args.one:  # a child: one database per process, since Django is set up once per process
        print(json.dumps(measure(args.one, args.seconds, args.submissions)))
        return

    kinds = ["sqlite"]
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        kinds.append("postgresql")
    runs = []
    for kind in kinds:
        print(f"Benchmarking on {kind} …", flush=True)
        child = subprocess.run(
            [sys.executable, __file__, "--one", kind, f"--seconds={args.seconds}", f"--submissions={args.submissions}"],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
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
