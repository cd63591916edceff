"""The intake form's preferred time: real open times, a hold on submit, and one time for one person."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from clinic import formatting
from consultations import availability
from consultations.availability import Slot
from consultations.models import ConsultationRequest, Status
from education.models import Treatment

from .factories import intake_post_data, make_provider
from .races import race

NEW = "/consultations/new/"


@pytest.fixture
def provider(db):
    return make_provider(display_name="Dr Rivera", weekdays=range(7))


def first_open(provider):
    return availability.open_slots(provider=provider)[0]


def test_form_offers_open_times_grouped_by_day(client, provider, belotero):
    html = client.get(NEW, {"treatment": "belotero"}).text
    slot = first_open(provider)
    assert '<label class="form-label fw-semibold" for="id_preferred_time">Preferred time</label>' in html
    assert f'<optgroup label="{formatting.day(availability._local_day(slot))}">' in html
    assert f'value="{slot.key}"' in html
    assert "No preference / please call me" in html


def test_choosing_a_time_holds_it_for_review(client, provider, belotero):
    slot = first_open(provider)
    response = client.post(NEW, intake_post_data(belotero, preferred_time=slot.key))
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()
    assert (consultation.status, consultation.provider_id, consultation.slot_start) == (
        Status.NEW,
        provider.pk,
        slot.start,
    )
    assert slot not in availability.open_slots(provider=provider)
    assert f'value="{slot.key}"' not in client.get(NEW).text


def test_no_preference_holds_no_time(client, provider, belotero):
    client.post(NEW, intake_post_data(belotero, preferred_time=""))
    assert ConsultationRequest.objects.get().slot_start is None


def test_time_taken_since_the_page_was_shown_rerenders_with_answers_kept(client, provider, belotero):
    slot = first_open(provider)
    assert Client().post(NEW, intake_post_data(belotero, preferred_time=slot.key)).status_code == 302
    response = client.post(NEW, intake_post_data(belotero, preferred_time=slot.key, goals="My own goals, kept."))
    assert response.status_code == 200
    assert "that time was just taken" in response.text
    assert "My own goals, kept." in response.text
    assert 'value="Quillfeather"' in response.text
    assert f'value="{slot.key}"' not in response.text  # the next open times are offered instead
    assert f'value="{availability.open_slots(provider=provider)[0].key}"' in response.text
    assert ConsultationRequest.objects.count() == 1


@pytest.mark.parametrize("key", ["garbage", "1|not-a-date", "999|2026-12-02T14:00:00+00:00"])
def test_unknown_or_forged_time_is_a_field_error(client, provider, belotero, key):
    response = client.post(NEW, intake_post_data(belotero, preferred_time=key))
    assert response.status_code == 200
    assert 'id="id_preferred_time_error"' in response.text
    assert ConsultationRequest.objects.count() == 0


def test_time_outside_working_hours_is_refused(client, provider, belotero):
    night = timezone.now().astimezone(availability.clinic_tz()).replace(hour=3, minute=0, second=0, microsecond=0)
    slot = Slot(provider.pk, night + datetime.timedelta(days=3), night + datetime.timedelta(days=3, minutes=30))
    response = client.post(NEW, intake_post_data(belotero, preferred_time=slot.key))
    assert "that time was just taken" in response.text
    assert ConsultationRequest.objects.count() == 0


@pytest.mark.races
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_patients_racing_for_one_time_through_the_form_get_it_once(provider, settings):
    settings.CLINIC_SUBMISSION_RATE = "off"  # twenty people, one test IP address
    belotero = Treatment.objects.get(slug="belotero")
    slot = first_open(provider)
    posts = [intake_post_data(belotero, preferred_time=slot.key, email=f"p{i}@example.com") for i in range(20)]

    def patient(i):
        response = Client().post(NEW, posts[i])
        return (response.status_code, "that time was just taken" in response.text)

    results = race(len(posts), patient)

    assert sorted(results) == [(200, True)] * 19 + [(302, False)]
    assert ConsultationRequest.objects.count() == 1
    assert ConsultationRequest.objects.holding().filter(slot_start=slot.start).count() == 1
