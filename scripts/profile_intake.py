"""CPU and SQL queries per consultation form GET and per stored submission, in-process. Not a test.

`make bench` measures requests per second through the app server, which on a shared machine
mostly measures the neighbours. This measures what one request costs this process:
`time.process_time()` per request (CPU, whoever else runs) and the SQL queries it sends, on
the settings `make serve` runs (DEBUG off, the same middleware, the demo data, collected static
files), through Django's WSGI handler with CSRF checks on:

    .venv/bin/python scripts/profile_intake.py                  # SQLite (a throwaway file)
    DATABASE_URL=postgres://… .venv/bin/python scripts/profile_intake.py   # a throwaway database
    .venv/bin/python scripts/profile_intake.py --profile post   # and where a submission's CPU goes

Each GET is a first visit (no cookie, as wrk sends it); each POST sends a form fetched before
the timing starts, filled as scripts/bench.py fills it (no preferred time, "No" to every
question). A POST that is not a redirect to the confirmation stops the run.
"""

import argparse
import copy
import cProfile
import functools
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import SUBMIT_ENV, filled_form, setup_django
from prodserver import database, prepare, server_env

FORM = "/consultations/new/"


@functools.cache
def client():
    """One client (one WSGI handler, its middleware loaded once, as in a server's worker)."""
    from django.test import Client

    return Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")


def get_form():
    """A first visit: no cookie."""
    client().cookies.clear()
    response = client().get(FORM)
    assert response.status_code == 200, response.status_code
    return response


def fetch(number):
    """(the cookies the form page set, the filled form): what a patient's browser holds."""
    response = get_form()
    # Sent urlencoded, as a browser sends a form without files (and as scripts/bench.py does).
    return copy.deepcopy(client().cookies), urlencode(filled_form(response.content.decode(), number))


def post(form):
    cookies, data = form
    client().cookies = cookies
    response = client().post(FORM, data, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302 and "/submitted/" in response["Location"], (
        response.status_code,
        response.content[:2000],
    )


def measure(label, action, items, profile=None):
    """CPU ms per item, queries per item (a second, shorter pass), optionally a cProfile of the timed pass."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counted, timed = items[:10], items[10:]
    queries = []
    for item in counted:
        with CaptureQueriesContext(connection) as captured:
            action(item)
        queries.append(captured.captured_queries)
    profiler = cProfile.Profile() if profile else None
    # In batches: the median of the batches' CPU per request is steadier than one long run
    # when other processes share the cores (caches, frequency).
    batches = [timed[i : i + 20] for i in range(0, len(timed), 20)]
    per_batch, wall = [], time.perf_counter()
    for batch in batches:
        start = time.process_time()
        if profiler:
            profiler.enable()
        for item in batch:
            action(item)
        if profiler:
            profiler.disable()
        per_batch.append((time.process_time() - start) * 1000 / len(batch))
    wall = (time.perf_counter() - wall) * 1000 / len(timed)
    per = sum(map(len, queries)) / len(counted)
    print(
        f"{label}: {statistics.median(per_batch):.2f} ms CPU (median of {len(batches)} batches, "
        f"min {min(per_batch):.2f}), {wall:.2f} ms wall-clock, {per:.1f} queries per request",
        flush=True,
    )
    if profiler:
        path = Path(tempfile.gettempdir()) / f"clinic-{label.replace(' ', '-')}.prof"
        profiler.dump_stats(path)
        print(f"(cProfile data in {path}: python -m pstats {path})")
        stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
    return queries[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="requests of each kind (default 300)")
    parser.add_argument("--profile", choices=["get", "post"], help="print a cProfile of the GETs or the POSTs")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one GET and one POST")
    args = parser.parse_args()
    kind = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    with database(kind) as url, tempfile.TemporaryDirectory(prefix="clinic-profile-") as tmp:
        env = server_env(Path(tmp), url, SUBMIT_ENV)
        prepare(env)
        setup_django(env)
        n = max(args.n, 20)
        for _ in range(20):  # warm up: imports, compiled templates, connections, the kept form
            get_form()
        print(f"{kind}, {n} form GETs and {n} submissions", flush=True)
        get_sql = measure("form GET", lambda _: get_form(), list(range(n)), args.profile == "get")
        forms = [fetch(number) for number in range(n)]
        post_sql = measure("submission", post, forms, args.profile == "post")
        if args.queries:
            for label, sql in (("GET", get_sql), ("POST", post_sql)):
                print(f"--- one {label}")
                for query in sql:
                    print(query["sql"][:300])


if __name__ == "__main__":
    main()
