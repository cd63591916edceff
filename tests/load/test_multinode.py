"""Two app nodes from one checkout behind the repository's nginx site, on PostgreSQL and Redis:
the guarantees that hold across threads hold across nodes.

Each node is what `make serve` runs (serve.py, started by tests/load/harness.py) with the same DATABASE_URL, REDIS_URL
and CLINIC_PRIVATE_MEDIA_ROOT; nginx is deploy/nginx rendered for loopback ports. Everything is
on 127.0.0.1 and every wait is bounded.
"""

import os
import re
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest

from scripts.formdata import post_form

from .conftest import POSTGRES_URL
from .harness import (
    PostgresDatabase,
    Server,
    cookie_header,
    cookies_from,
    manage,
    open_form,
    start_nginx,
    start_redis,
    start_server,
    stored_emails,
)

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="multi-node tests need PostgreSQL: set CLINIC_TEST_POSTGRES_URL (.ci/run does)",
)

STAFF = ("editor", "a-long-editor-password-for-tests")
SLOT_TAKEN = "Sorry, that time was just taken"
SETUP = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("createcachetable")
call_command("seed_demo")
call_command("createsuperuser", interactive=False)
"""


@dataclass
class Cluster:
    database: PostgresDatabase
    nodes: list
    nginx: object
    env: dict
    tmp: Path


@pytest.fixture(scope="module")
def cluster(prepared, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    redis = start_redis(tmp)
    database = PostgresDatabase(POSTGRES_URL, name=f"clinic_deploy_{uuid.uuid4().hex[:10]}")
    database.create()
    started = []
    nginx = None
    try:
        env = {
            **prepared.env,
            "DATABASE_URL": database.url,
            "REDIS_URL": redis.url,
            "CLINIC_PRIVATE_MEDIA_ROOT": str(tmp / "shared-private-media"),
            # Behind nginx, as deploy/clinic.env.example sets it.
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto,https",
            "CLINIC_TRUSTED_PROXY_HOPS": "1",
            "CLINIC_STAFF_2FA": "off",
            "DJANGO_SUPERUSER_USERNAME": STAFF[0],
            "DJANGO_SUPERUSER_PASSWORD": STAFF[1],
            "DJANGO_SUPERUSER_EMAIL": "editor@clinic.test",
        }
        # One process for what an operator runs one by one (migrate, createcachetable,
        # seed_demo, createsuperuser --noinput): each Django start-up costs seconds on a busy CI machine.
        manage(env, "shell", "-c", SETUP)
        for name in ("a", "b"):
            started.append(start_server(env, database, tmp / f"node-{name}.log", workers=2, threads=4))
        nginx = start_nginx(tmp, [f"127.0.0.1:{node.port}" for node in started], prepared.tmp / "static")
        yield Cluster(database, started, nginx, env, tmp)
    finally:
        if nginx is not None:
            nginx.stop()
        for node in started:
            node.stop()
        redis.stop()
        database.drop()


def posts_per_node(cluster):
    return [node.log().count('method=POST path="/consultations/new/"') for node in cluster.nodes]


def send_all(submissions, front, *, together=False, pool_size=40):
    start = threading.Barrier(len(submissions), timeout=60) if together else None

    def send(submission):
        if start is not None:
            start.wait()
        return submission.send(front)

    with ThreadPoolExecutor(max_workers=len(submissions) if together else pool_size) as pool:
        return list(pool.map(send, submissions))


def open_forms(front, count, label):
    run = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(lambda n: open_form(front, f"{label}-{run}-{n}@example.com"), range(count)))


def test_twenty_racers_for_one_time_across_both_nodes_get_one_winner(cluster):
    posts_before = posts_per_node(cluster)
    racers = open_forms(cluster.nginx, 20, "racer")
    slot = next(value for value, _selected in post_form_options(cluster.nginx) if value)
    for racer in racers:
        racer.pairs = [(name, slot if name == "preferred_time" else value) for name, value in racer.pairs]

    send_all(racers, cluster.nginx, together=True)

    winners = [racer for racer in racers if racer.succeeded]
    assert len(winners) == 1
    losers = [racer for racer in racers if not racer.succeeded]
    assert {racer.status for racer in losers} == {200}
    assert all(SLOT_TAKEN in racer.body for racer in losers)
    assert sum(stored_emails(cluster.database, [racer.email for racer in racers]).values()) == 1
    # Both nodes took part in the race.
    assert all(after > before for after, before in zip(posts_per_node(cluster), posts_before, strict=True))


def test_a_time_booked_through_one_node_is_gone_from_the_next_form_on_the_other(cluster):
    first, second = cluster.nodes
    # Both workers of the other node keep a form with the time first (bounded: a few GETs).
    slot = next(value for value, _selected in post_form_options(second) if value)
    for _request in range(4):
        assert slot in [value for value, _selected in post_form_options(second)]

    booking = open_form(first, f"times-{uuid.uuid4().hex[:8]}@example.com")
    booking.pairs = [(name, slot if name == "preferred_time" else value) for name, value in booking.pairs]
    assert booking.send(first).succeeded

    for _request in range(4):  # whichever of its workers answers
        assert slot not in [value for value, _selected in post_form_options(second)]


def post_form_options(front):
    _status, _headers, html = front.request("GET", "/consultations/new/")
    return post_form(html)["selects"]["preferred_time"]


def test_two_hundred_submissions_across_both_nodes_are_each_stored_once(cluster):
    posts_before = posts_per_node(cluster)
    submissions = open_forms(cluster.nginx, 200, "burst")

    send_all(submissions, cluster.nginx)

    assert [(s.email, s.status) for s in submissions if not s.succeeded] == []
    counts = stored_emails(cluster.database, [s.email for s in submissions])
    assert sorted(set(counts.values())) == [1]
    assert all(after > before for after, before in zip(posts_per_node(cluster), posts_before, strict=True))


def test_static_files_come_from_nginx_compressed_and_cached_for_a_year(cluster):
    _status, _headers, html = cluster.nginx.request("GET", "/")
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', html).group(1)
    status, headers, _body = cluster.nginx.request("GET", css, headers={"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["Content-Encoding"] in ("br", "gzip")
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    # Served by nginx: no app node saw the request.
    assert all(css not in node.log() for node in cluster.nodes)


def test_requests_larger_than_the_apps_limit_stop_at_nginx(cluster):
    connection = cluster.nginx.connection()
    try:
        connection.putrequest("POST", "/consultations/new/", skip_host=True)
        connection.putheader("Host", cluster.nginx.host_header)
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(33 * 1024 * 1024))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
    finally:
        connection.close()


def test_micro_cache_serves_anonymous_pages_and_never_private_ones(cluster):
    page = "/treatments/belotero/"
    statuses = []
    for _attempt in range(10):  # bounded: the entry lives one second
        statuses.append(cluster.nginx.request("GET", page)[1].get("X-Cache-Status"))
        if statuses[-1] == "HIT":
            break
    assert "HIT" in statuses
    for cookie in ("sessionid=someone", "messages=notice", "csrftoken=seen-a-form"):
        assert cluster.nginx.request("GET", page, headers={"Cookie": cookie})[1]["X-Cache-Status"] == "BYPASS"
    assert cluster.nginx.request("GET", f"{page}?utm_source=x")[1]["X-Cache-Status"] == "BYPASS"
    # A POST never gets the cached page.
    posted = cluster.nginx.request("POST", page, "a=1", {"Content-Type": "application/x-www-form-urlencoded"})
    assert posted[1].get("X-Cache-Status") != "HIT"
    for private in ("/consultations/new/", "/admin/login/"):
        for _attempt in range(2):
            assert "X-Cache-Status" not in cluster.nginx.request("GET", private)[1]


def test_metrics_add_up_every_worker_and_stay_off_the_public_site(cluster):
    node = cluster.nodes[0]
    for _request in range(10):
        assert node.request("GET", "/robots.txt")[0] == 200
    status, _headers, text = node.request("GET", "/metrics")  # Prometheus on the node's machine
    assert status == 200
    # Two workers answered those ten requests; /metrics counts all ten.
    assert 'clinic_http_requests_total{method="GET",route="robots_txt",status="200"} 10.0' in text
    assert cluster.nginx.request("GET", "/metrics")[0] == 403


def test_rate_limit_counts_across_nodes(cluster):
    limited = [
        start_server(
            {**cluster.env, "CLINIC_SUBMISSION_RATE": "4/h"},
            cluster.database,
            cluster.tmp / f"rate-{n}.log",
            workers=1,
            threads=2,
        )
        for n in range(2)
    ]
    try:
        results = []
        for n in range(6):
            node = limited[n % 2]
            results.append(open_form(node, f"rate-{n}-{uuid.uuid4().hex[:6]}@example.com").send(node).status)
        assert results == [302, 302, 302, 302, 429, 429]
    finally:
        for node in limited:
            node.stop()


class AdminForm(HTMLParser):
    """Every field of the admin's change form as a browser would send it."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.pairs, self._textarea, self._select, self._in_form = [], None, None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        kind = attrs.get("type", "text").lower()
        if tag == "input" and attrs.get("name") and kind not in ("submit", "button", "file"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self.pairs.append((attrs["name"], attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = [attrs.get("name"), ""]
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self.pairs.append((self._select, attrs.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.pairs.append(tuple(self._textarea))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def admin_login(node, password):
    """(status, cookies) after one sign-in attempt at /admin/login/ on this node."""
    status, headers, html = node.request("GET", "/admin/login/")
    assert status == 200, html[:300]
    jar = cookies_from(headers)
    pairs = [(name, value) for name, value in AdminForm(html).pairs if name == "csrfmiddlewaretoken"]
    pairs += [("username", STAFF[0]), ("password", password), ("next", "/admin/")]
    status, headers, _body = node.request(
        "POST",
        "/admin/login/?next=/admin/",
        urlencode(pairs),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(jar)},
    )
    return status, cookies_from(headers, jar)


APPROVE_BELOTERO = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from education.models import Reviewer, Treatment
user, _ = get_user_model().objects.get_or_create(username="multinode-reviewer", defaults={"is_staff": True})
user.user_permissions.add(Permission.objects.get(codename="approve_treatment"))
Reviewer.objects.get_or_create(user=user, defaults={"name": "Dr Multi Node", "credentials": "MD"})
Treatment.objects.get(slug="belotero").approve(by=get_user_model().objects.get(pk=user.pk))
"""


def test_editors_save_reaches_the_page_cache_of_both_nodes(cluster):
    page = "/treatments/belotero/"
    source_id, publisher = cluster.database.query(
        "SELECT s.id, s.publisher FROM education_source s "
        "JOIN education_section_sources ss ON ss.source_id = s.id "
        "JOIN education_section sec ON sec.id = ss.section_id "
        "JOIN education_treatment t ON t.id = sec.treatment_id WHERE t.slug = 'belotero' ORDER BY s.id LIMIT 1"
    )[0]
    for node in cluster.nodes:
        for _visit in range(2):  # the second visit is served from the node's page cache
            assert publisher in node.request("GET", page)[2]

    editor = cluster.nodes[0]
    status, jar = admin_login(editor, STAFF[1])
    assert status == 302
    change = f"/admin/education/source/{source_id}/change/"
    status, _headers, html = editor.request("GET", change, headers={"Cookie": cookie_header(jar)})
    assert status == 200
    renamed = f"Publisher {uuid.uuid4().hex[:8]}"
    # The English publisher (the admin shows one field per language since the Spanish edition).
    pairs = [
        (name, renamed if name in ("publisher", "publisher_en") else value) for name, value in AdminForm(html).pairs
    ]
    status, _headers, _body = editor.request(
        "POST",
        change,
        urlencode([*pairs, ("_save", "Save")]),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(jar)},
    )
    assert status == 302
    # Patients see an edit once a named reviewer approves it (issue 15): one does, from a third
    # process (a release job), so the new version reaches the nodes only through the shared cache.
    manage({**cluster.env, "DATABASE_URL": cluster.database.url}, "shell", "-c", APPROVE_BELOTERO)

    # Each node (and nginx's one-second micro-cache) shows the new text: poll, bounded.
    seen = {}
    deadline = time.monotonic() + 5
    while len(seen) < 3 and time.monotonic() < deadline:
        for name, front in (("node a", cluster.nodes[0]), ("node b", cluster.nodes[1]), ("nginx", cluster.nginx)):
            if name not in seen and renamed in front.request("GET", page)[2]:
                seen[name] = True
        time.sleep(0.1)
    assert sorted(seen) == ["nginx", "node a", "node b"]


def test_login_lockout_counts_across_nodes(cluster):
    # django-axes keeps failed sign-ins in the shared database: five wrong passwords spread over
    # both nodes lock the account on both, even for the right password.
    statuses = [admin_login(cluster.nodes[n % 2], "wrong-password")[0] for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert admin_login(cluster.nodes[1], STAFF[1])[0] == 429
    assert admin_login(cluster.nodes[0], STAFF[1])[0] == 429


def test_node_killed_mid_burst_loses_no_confirmed_request(cluster):
    """Last in this module: it takes node b down for good."""
    submissions = open_forms(cluster.nginx, 80, "kill")
    victim = cluster.nodes[1]
    finished, started_after_kill = [], []
    killed = threading.Event()
    enough_done = threading.Event()

    def send(submission):
        if killed.is_set():
            started_after_kill.append(submission)
        submission.send(cluster.nginx)
        finished.append(submission)
        if len(finished) >= 15:
            enough_done.set()
        return submission

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(send, submission) for submission in submissions]
        assert enough_done.wait(timeout=60)
        kill_node(victim)
        killed.set()
        for future in futures:
            future.result(timeout=90)

    assert 0 < len(started_after_kill) < len(submissions)
    confirmed = [s.email for s in submissions if s.succeeded]
    counts = stored_emails(cluster.database, [s.email for s in submissions])
    # Every patient who saw the confirmation has a stored request, and nobody has two.
    assert [email for email in confirmed if counts[email] != 1] == []
    assert max(counts.values()) == 1
    # nginx sent everything that came after the kill to the live node.
    assert [(s.email, s.status) for s in started_after_kill if not s.succeeded] == []
    # Those whose request was on the dying node press the button again and end with one request.
    retried = [s.send(cluster.nginx) for s in submissions if not s.succeeded]
    assert [(s.email, s.status) for s in retried if not s.succeeded] == []
    counts = stored_emails(cluster.database, [s.email for s in submissions])
    assert sorted(set(counts.values())) == [1]


def kill_node(node: Server):
    """SIGKILL the node's granian main process and workers (its own process group), and wait until its
    port refuses connections. (A killed worker's main thread can look dead while its other
    threads still hold the listening socket: only the port tells.)"""
    os.killpg(node.process.pid, signal.SIGKILL)
    node.process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", node.port), timeout=1).close()
        except ConnectionRefusedError:
            return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the node's port still accepts connections"
        time.sleep(0.05)
