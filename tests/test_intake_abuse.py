"""Abuse of the intake form (issue 23): free photo decoding, invalid posts, the photo budget,
the per-process decode bound, IPv6 clients, and submission tokens that expire."""

import time
import uuid

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from consultations import photos
from consultations.forms.mixins import SALT
from consultations.models import ConsultationRequest, Photo

from .factories import intake_post_data, make_precaution, make_treatment, png_upload

NEW = reverse("consultations:new")


@pytest.fixture
def treatment(db):
    treatment = make_treatment("testfill", name="Testfill")
    make_precaution(treatment, question="Have you had anaphylaxis?")
    return treatment


@pytest.fixture
def decodes(monkeypatch):
    """Every photo the server decodes (the spy wraps the real decoder)."""
    decoded = []
    real = photos.clean_photo

    def spy(upload, *args, **kwargs):
        decoded.append(upload.name)
        return real(upload, *args, **kwargs)

    monkeypatch.setattr(photos, "clean_photo", spy)
    return decoded


def big_photos():
    # Large but quick to build: one colour compresses to a small file with many pixels.
    return [png_upload(f"big{i}.png", size=(4000, 4000)) for i in range(3)]


# --- Finding 1: photos are decoded only for an otherwise valid form -------------------------------


def test_post_with_only_large_photos_decodes_nothing(client, treatment, decodes):
    # The attack: a CSRF token and three large images, nothing else.
    response = client.post(NEW, {"csrfmiddlewaretoken": "x" * 32, "photos": big_photos()})
    assert response.status_code == 200
    assert decodes == []
    assert ConsultationRequest.objects.count() == 0


def test_photos_of_a_form_with_another_error_are_not_decoded(client, treatment, decodes):
    response = client.post(NEW, intake_post_data(treatment, goals="", photos=[png_upload()]))
    assert response.status_code == 200
    assert "Please tell us what you would like to change" in response.text
    assert decodes == []


def test_photos_of_a_form_with_a_tampered_token_are_not_decoded(client, treatment, decodes):
    response = client.post(NEW, intake_post_data(treatment, submission_token="forged", photos=[png_upload()]))
    assert response.status_code == 200
    assert "could not be checked" in response.text
    assert decodes == []


def test_photos_sent_to_the_bot_trap_are_not_decoded(client, treatment, decodes):
    data = intake_post_data(treatment, website="https://spam.example", photos=[png_upload()])
    assert client.post(NEW, data).status_code == 302
    assert decodes == []
    assert ConsultationRequest.objects.count() == 0


def test_photos_of_a_valid_form_are_decoded_and_stored(client, treatment, decodes):
    response = client.post(NEW, intake_post_data(treatment, photos=[png_upload("mine.png")]))
    assert response.status_code == 302
    assert decodes == ["mine.png"]
    assert Photo.objects.count() == 1


def test_invalid_posts_count_against_their_own_budget(client, treatment, settings, decodes):
    settings.CLINIC_INVALID_POST_RATE = "3/h"
    for _ in range(3):
        assert client.post(NEW, {"csrfmiddlewaretoken": "x" * 32, "photos": big_photos()}).status_code == 200
    assert client.post(NEW, {"csrfmiddlewaretoken": "x" * 32, "photos": big_photos()}).status_code == 429
    # Refused before any work: still nothing decoded, and a valid form from there is refused too.
    assert client.post(NEW, intake_post_data(treatment)).status_code == 429
    assert decodes == []
    assert ConsultationRequest.objects.count() == 0


def test_photo_posts_have_their_own_budget(client, treatment, settings, decodes):
    settings.CLINIC_SUBMISSION_RATE = "off"
    settings.CLINIC_PHOTO_POST_RATE = "2/h"
    for number in range(2):
        data = intake_post_data(treatment, email=f"p{number}@example.com", photos=[png_upload(f"{number}.png")])
        assert client.post(NEW, data).status_code == 302
    response = client.post(NEW, intake_post_data(treatment, email="p3@example.com", photos=[png_upload("3.png")]))
    # Refused with the form again, every answer kept, and no decode.
    assert response.status_code == 200
    assert "You have sent photos many times in a short while" in response.text
    assert 'value="p3@example.com"' in response.text
    assert decodes == ["0.png", "1.png"]
    assert ConsultationRequest.objects.count() == 2
    # Without photos the same patient gets through: the budget is for decoding only.
    assert client.post(NEW, intake_post_data(treatment, email="p3@example.com")).status_code == 302


def test_photo_decoding_is_bounded_per_process_with_a_clear_try_again(client, treatment, settings, decodes):
    settings.CLINIC_PHOTO_DECODES = 1
    settings.CLINIC_PHOTO_DECODE_WAIT_SECONDS = 0
    slots = photos._decode_slots()
    assert slots.acquire(timeout=5)  # another post is decoding its photos in this process
    try:
        response = client.post(NEW, intake_post_data(treatment, first_name="Busy", photos=[png_upload()]))
    finally:
        slots.release()
    assert response.status_code == 200
    assert "We are busy with other people" in response.text
    assert 'value="Busy"' in response.text
    assert decodes == []
    assert ConsultationRequest.objects.count() == 0
    # Once the other post is done, the same form goes through.
    assert client.post(NEW, intake_post_data(treatment, photos=[png_upload()])).status_code == 302


# --- Finding 2 (the client's key): one IPv6 /64 is one client ----------------------------------------


def test_addresses_in_one_ipv6_64_share_one_budget(treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "1/h"
    first = Client(REMOTE_ADDR="2001:db8:1:2::1")
    second = Client(REMOTE_ADDR="2001:db8:1:2:ffff:1234:5678:9abc")
    elsewhere = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert first.post(NEW, intake_post_data(treatment)).status_code == 302
    assert second.post(NEW, intake_post_data(treatment)).status_code == 429
    assert elsewhere.post(NEW, intake_post_data(treatment)).status_code == 302


# --- Finding 16: submission tokens expire ------------------------------------------------------------


def token_rendered(seconds_ago):
    """A submission token as the form rendered it `seconds_ago` (an explicit clock, not a sleep)."""
    return signing.dumps({"id": uuid.uuid4().hex, "at": int(time.time()) - seconds_ago}, salt=SALT)


def test_expired_submission_token_rerenders_the_form_with_answers_kept(client, treatment, settings):
    settings.CLINIC_SUBMISSION_TOKEN_HOURS = 24
    old = token_rendered(25 * 3600)
    response = client.post(NEW, intake_post_data(treatment, first_name="Winifred", submission_token=old))
    assert response.status_code == 200
    assert "This form was open for a long time" in response.text
    assert 'value="Winifred"' in response.text
    assert ConsultationRequest.objects.count() == 0
    # A fresh token in the page: sent again as it is, the form goes through.
    fresh = response.context["form"].submission_token_value
    assert fresh != old
    response = client.post(NEW, intake_post_data(treatment, first_name="Winifred", submission_token=fresh))
    assert response.status_code == 302
    assert ConsultationRequest.objects.get().first_name == "Winifred"


def test_submission_token_within_its_age_is_accepted(client, treatment, settings):
    settings.CLINIC_SUBMISSION_TOKEN_HOURS = 24
    response = client.post(NEW, intake_post_data(treatment, submission_token=token_rendered(23 * 3600)))
    assert response.status_code == 302


def test_an_old_page_sent_again_still_shows_the_request_it_created(client, treatment, settings):
    settings.CLINIC_SUBMISSION_TOKEN_HOURS = 24
    token = token_rendered(60)
    assert client.post(NEW, intake_post_data(treatment, submission_token=token)).status_code == 302
    settings.CLINIC_SUBMISSION_TOKEN_HOURS = 0  # the same page, sent again once its token is old
    response = client.post(NEW, intake_post_data(treatment, submission_token=token))
    assert response.status_code == 302
    assert ConsultationRequest.objects.count() == 1


def test_a_malformed_budget_is_refused_at_startup():
    import subprocess
    import sys

    from django.conf import settings

    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_DEBUG": "true",
        "DJANGO_ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "CLINIC_HOLD_BRAKE": "20 per hour",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert 'CLINIC_HOLD_BRAKE must look like "10/h"' in result.stderr
