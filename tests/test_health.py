"""/healthz stays cheap, /readyz names the part that failed, /metrics counts routes without paths."""

import pytest
from django.db import OperationalError

from clinic import views
from consultations.links import make_token

from .factories import make_request, make_staff, pass_second_step

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: a connection there is refused at once, like a stopped Redis.
DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


def test_healthz_answers_ok_with_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")


def test_readyz_is_ok_when_database_cache_and_storage_answer(client):
    response = client.get("/readyz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert "no-cache" in response["Cache-Control"]


def test_readyz_names_the_cache_when_redis_is_down(client, settings):
    settings.CACHES = DEAD_REDIS
    response = client.get("/readyz")
    assert (response.status_code, response.text) == (503, "cache unavailable\n")


def test_readyz_names_the_database_when_it_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 10.0.0.9 (secret-host) refused")

    monkeypatch.setattr(views.connection, "cursor", refuse)
    response = client.get("/readyz")
    assert (response.status_code, response.text) == (503, "database unavailable\n")


def test_readyz_names_storage_that_cannot_be_written(client, settings, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the photo directory should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": str(blocked)}},
    }
    response = client.get("/readyz")
    assert (response.status_code, response.text) == (503, "storage unavailable\n")


def test_readyz_lists_every_failed_part_and_no_secret(client, settings, monkeypatch):
    settings.CACHES = DEAD_REDIS
    monkeypatch.setitem(views.READINESS_CHECKS, "database", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.text == "database unavailable\ncache unavailable\n"
    assert "redis://" not in response.text


def test_metrics_from_this_machine_count_requests_by_route_name_not_path(client):
    consultation = make_request()
    token = make_token(consultation)
    client.get(f"/consultations/manage/{token}/")
    client.get("/treatments/")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.text
    assert 'clinic_http_requests_total{method="GET",route="consultations:manage",status="302"}' in text
    assert 'clinic_http_request_duration_seconds_count{method="GET",route="education:treatment_list"}' in text
    for private in (token, consultation.reference, consultation.email, "/consultations/manage/"):
        assert private not in text


def test_metrics_through_the_proxy_are_refused_to_anonymous_visitors(client):
    # nginx connects from loopback too, but always says whom it forwards for.
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 403


def test_metrics_through_the_proxy_are_shown_to_staff(client):
    client.force_login(make_staff())
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 200


def test_metrics_through_the_proxy_are_refused_to_staff_without_the_second_step(client, staff_2fa):
    # Finding 11 (issue 23): a password alone is not enough.
    client.force_login(make_staff())
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 403


def test_metrics_through_the_proxy_are_shown_to_staff_past_the_second_step(client, staff_2fa):
    pass_second_step(client, make_staff(username="dr-priya"))
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 200
