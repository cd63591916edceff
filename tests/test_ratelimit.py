"""The intake rate limit: who the client is, what counts, and an exact count under concurrency."""

import contextlib
import socket
import subprocess
import threading
import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse

from clinic.clientip import client_ip
from consultations import ratelimit
from consultations.models import ConsultationRequest

from .factories import intake_post_data, make_precaution, make_treatment
from .missing import need
from .races import race

NEW = reverse("consultations:new")


@pytest.fixture
def treatment(db):
    treatment = make_treatment("testfill", name="Testfill")
    make_precaution(treatment, question="Have you had anaphylaxis?")
    return treatment


# --- The client's address ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "", "10.0.0.5"),
        (0, "203.0.113.9", "10.0.0.5"),  # never believed by default
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left part was written by the client
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.4", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.5"),  # fewer entries than proxies: only the peer is certain
        (1, "not-an-address", "10.0.0.5"),
    ],
)
def test_client_ip_follows_the_trusted_proxy_hops(rf, settings, hops, forwarded, expected):
    settings.CLINIC_TRUSTED_PROXY_HOPS = hops
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_rate_limit_ignores_x_forwarded_for_by_default(treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "1/h"
    first = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.1")
    second = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert first.post(NEW, intake_post_data(treatment)).status_code == 302
    assert second.post(NEW, intake_post_data(treatment)).status_code == 429


def test_rate_limit_behind_a_proxy_counts_each_patient_separately(treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "1/h"
    settings.CLINIC_TRUSTED_PROXY_HOPS = 1
    # Both come through the same nginx (REMOTE_ADDR), from different homes.
    first = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1")
    second = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert first.post(NEW, intake_post_data(treatment)).status_code == 302
    assert second.post(NEW, intake_post_data(treatment)).status_code == 302
    assert first.post(NEW, intake_post_data(treatment)).status_code == 429


def test_audit_and_lockout_use_the_same_client_address(rf, settings):
    from axes.helpers import get_client_ip_address

    settings.CLINIC_TRUSTED_PROXY_HOPS = 1
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert get_client_ip_address(request) == "203.0.113.7"


# --- What counts --------------------------------------------------------------------------------


def test_patient_correcting_mistakes_is_never_locked_out(client, treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "2/h"
    for _ in range(6):
        response = client.post(NEW, intake_post_data(treatment, goals=""))
        assert response.status_code == 200
        assert "Please tell us what you would like to change" in response.text
    assert client.post(NEW, intake_post_data(treatment)).status_code == 302
    assert ConsultationRequest.objects.count() == 1


def test_bot_trap_hits_count_toward_the_limit(client, treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "2/h"
    for _ in range(2):
        assert client.post(NEW, intake_post_data(treatment, website="https://spam.example")).status_code == 302
    assert client.post(NEW, intake_post_data(treatment)).status_code == 429
    assert ConsultationRequest.objects.count() == 0


# --- Atomic under concurrency -----------------------------------------------------------------


def count_in_threads(rf, threads=20):
    """`threads` posts from one client counted at the same instant; the numbers each one got."""
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def worker():
        try:
            request = rf.post(NEW, REMOTE_ADDR="198.51.100.20")
            barrier.wait(timeout=30)
            results.append(ratelimit.count(request, "intake"))
        except Exception as error:  # noqa: BLE001  reported by the assertion below
            errors.append(repr(error))
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    assert errors == []
    return sorted(results)


@pytest.mark.races
@pytest.mark.django_db(transaction=True)
def test_count_is_exact_under_concurrency_without_redis(rf, settings):
    # What the README offers without Redis: the database cache (whose incr() reads, then writes).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "clinic_cache"}
    }
    settings.CLINIC_SUBMISSION_RATE = "100/h"
    assert count_in_threads(rf) == list(range(1, 21))


@pytest.fixture
def redis_url():
    server = need("redis-server", "redis-server")
    port = next(port for port in range(18150, 18200) if _port_free(port))
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while _port_free(port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _port_free(port):
    with contextlib.closing(socket.socket()) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.races
@pytest.mark.django_db(transaction=True)
def test_count_is_exact_under_concurrency_with_redis(rf, settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    settings.CLINIC_SUBMISSION_RATE = "100/h"
    try:
        assert count_in_threads(rf) == list(range(1, 21))
        request = rf.post(NEW, REMOTE_ADDR="198.51.100.20")
        assert ratelimit.exceeded(request, "intake") is False
        settings.CLINIC_SUBMISSION_RATE = "20/h"
        assert ratelimit.exceeded(request, "intake") is True
    finally:
        caches["default"].close()


# --- Reserve, then store (finding 7 of issue 23) -----------------------------------------------------


def six_posts_at_once(treatment):
    """Six valid forms from one client sent at the same instant; their status codes (or errors)."""
    posts = [intake_post_data(treatment, email=f"race{i}@example.com") for i in range(6)]
    statuses = race(len(posts), lambda i: Client(REMOTE_ADDR="198.51.100.30").post(NEW, posts[i]).status_code)
    return sorted(statuses, key=str)  # an error (its repr) sorts beside the codes and fails the assertion


def use_two_of_four(treatment):
    client = Client(REMOTE_ADDR="198.51.100.30")
    for i in range(2):
        assert client.post(NEW, intake_post_data(treatment, email=f"before{i}@example.com")).status_code == 302


@pytest.mark.races
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_six_concurrent_posts_with_two_left_store_exactly_two_on_the_database_counter(settings):
    settings.CLINIC_SUBMISSION_RATE = "4/h"
    treatment = make_treatment("racefill", name="Racefill")
    use_two_of_four(treatment)
    assert six_posts_at_once(treatment) == [302, 302, 429, 429, 429, 429]
    assert ConsultationRequest.objects.count() == 4


@pytest.mark.races
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_six_concurrent_posts_with_two_left_store_exactly_two_on_redis(settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    settings.CLINIC_SUBMISSION_RATE = "4/h"
    try:
        treatment = make_treatment("racefill", name="Racefill")
        use_two_of_four(treatment)
        assert six_posts_at_once(treatment) == [302, 302, 429, 429, 429, 429]
        assert ConsultationRequest.objects.count() == 4
    finally:
        caches["default"].close()


def test_a_time_lost_to_someone_else_gives_the_unit_back(client, treatment, settings, monkeypatch):
    from consultations import booking, intake

    settings.CLINIC_SUBMISSION_RATE = "1/h"

    def lost_the_race(form, client="", ip=None):
        raise booking.SlotTaken

    monkeypatch.setattr(intake, "submit_request", lost_the_race)
    response = client.post(NEW, intake_post_data(treatment))
    assert response.status_code == 200
    assert "that time was just taken" in response.text
    monkeypatch.undo()
    assert client.post(NEW, intake_post_data(treatment)).status_code == 302


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::7", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_client_key_is_the_ipv4_address_or_the_ipv6_64(rf, address, key):
    from clinic.clientip import client_key

    assert client_key(rf.get("/", REMOTE_ADDR=address)) == key
