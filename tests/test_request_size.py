"""A request body over CLINIC_MAX_REQUEST_MB gets a 413 page before any of it is read."""

import io

import pytest
from django.urls import reverse

from consultations.models import ConsultationRequest

from .factories import intake_post_data, make_precaution, make_treatment

pytestmark = pytest.mark.django_db

NEW = reverse("consultations:new")
GIB = 1024**3


class UnreadableBody:
    """A wsgi.input that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


class CountingBody(io.BytesIO):
    """A streamed body that remembers how much of it was read."""

    read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk


def test_declared_one_gib_upload_gets_413_without_reading_the_body(client):
    response = client.generic(
        "POST",
        NEW,
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(GIB),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    assert "too much to send at once" in response.text
    assert "32 MB" in response.text
    assert "no-store" in response["Cache-Control"]


def test_limit_follows_the_setting(client, settings):
    settings.CLINIC_MAX_REQUEST_MB = 1
    response = client.generic("POST", NEW, CONTENT_LENGTH=str(1024 * 1024 + 1), **{"wsgi.input": UnreadableBody()})
    assert response.status_code == 413


def test_streamed_body_over_the_limit_gets_413_after_reading_no_more_than_the_limit(client, settings):
    settings.CLINIC_MAX_REQUEST_MB = 1
    body = CountingBody(b"x" * (5 * 1024 * 1024))
    response = client.generic(
        "POST",
        NEW,
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert body.read_bytes <= 1024 * 1024 + 64 * 1024


def test_streamed_body_under_the_limit_is_a_normal_form_post(client, settings):
    from urllib.parse import urlencode

    settings.CLINIC_MIN_FILL_SECONDS = 0
    treatment = make_treatment("testfill")
    make_precaution(treatment)
    body = io.BytesIO(urlencode(intake_post_data(treatment)).encode())
    response = client.generic(
        "POST",
        NEW,
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body},
    )
    assert response.status_code == 302
    assert ConsultationRequest.objects.count() == 1


def test_upload_of_three_maximum_photos_is_under_the_limit(settings):
    from consultations import photos

    assert photos.MAX_FILES * photos.MAX_BYTES < settings.CLINIC_MAX_REQUEST_MB * 1024 * 1024
