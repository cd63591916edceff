"""Many patients at once against the real production server: nothing lost, nothing stored twice."""

import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import BACKENDS
from .harness import open_form, stored_emails


def open_forms(server, count):
    run = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(lambda n: open_form(server, f"load-{run}-{n}@example.com"), range(count)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_hundred_concurrent_submissions_are_all_stored(backend, make_database, make_server):
    database = make_database(backend)
    server = make_server(database)
    submissions = open_forms(server, 100)

    # All 100 POSTs leave together.
    start = threading.Barrier(len(submissions), timeout=60)

    def send(submission):
        start.wait()
        return submission.send(server)

    with ThreadPoolExecutor(max_workers=len(submissions)) as pool:
        list(pool.map(send, submissions))

    failures = [(s.email, s.status) for s in submissions if not s.succeeded]
    assert failures == []
    counts = stored_emails(database, [s.email for s in submissions])
    assert sorted(set(counts.values())) == [1]
    log = server.log()
    assert "Traceback" not in log
    assert "level=ERROR" not in log


@pytest.mark.parametrize("backend", BACKENDS)
def test_worker_killed_mid_burst_loses_no_confirmed_request(backend, make_database, make_server):
    database = make_database(backend)
    server = make_server(database)
    submissions = open_forms(server, 60)
    workers_before = server.worker_pids()
    finished = []
    enough_done = threading.Event()

    def send(submission):
        submission.send(server)
        finished.append(submission)
        if len(finished) >= 10:
            enough_done.set()
        return submission

    with ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(send, submission) for submission in submissions]
        assert enough_done.wait(timeout=60)
        killed = workers_before[0]
        os.kill(killed, signal.SIGKILL)
        done_at_kill = len(finished)
        for future in futures:
            future.result(timeout=90)

    # The kill landed in the middle of the burst, not before or after it.
    assert 0 < done_at_kill < len(submissions)
    confirmed = [s.email for s in submissions if s.succeeded]
    counts = stored_emails(database, [s.email for s in submissions])
    # Every patient who saw the confirmation has a stored request, and nobody has two.
    assert [email for email in confirmed if counts[email] != 1] == []
    assert max(counts.values()) == 1

    # The master replaces the worker; patients whose send broke press the button again
    # (same form, same submission token): each ends with exactly one request.
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) < len(workers_before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert killed not in server.worker_pids()
    assert len(server.worker_pids()) == len(workers_before)
    retried = [s.send(server) for s in submissions if not s.succeeded]
    assert [(s.email, s.status) for s in retried if not s.succeeded] == []
    counts = stored_emails(database, [s.email for s in submissions])
    assert sorted(set(counts.values())) == [1]
