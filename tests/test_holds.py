"""Nobody can hold every bookable time (issue 23, finding 2): caps on held times per email, phone
and client (an IPv6 /64), a brake when many times are held in a short while, receipts to one
address bounded, and a held time the patient never confirms lapses, with the patient told."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultations import availability, booking, links, workflow
from consultations.models import AuditEvent, ConsultationRequest, Status, StatusChange

from .factories import intake_post_data, make_provider, make_request, make_treatment, self_service

pytestmark = pytest.mark.django_db

NEW = reverse("consultations:new")
CONFIRMATION = reverse("consultations:confirmation")


@pytest.fixture
def provider(db):
    return make_provider(display_name="Dr Rivera", weekdays=range(7))


@pytest.fixture
def treatment(db):
    return make_treatment("testfill", name="Testfill")


@pytest.fixture
def send(treatment, django_capture_on_commit_callbacks, mailoutbox):
    """Post a form (from `address`) with its emails sent; returns (response, the request stored)."""

    def send(address="198.51.100.7", **overrides):
        client = Client(REMOTE_ADDR=address)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(NEW, intake_post_data(treatment, **overrides))
        assert response.status_code == 302, response.content
        return client, ConsultationRequest.objects.order_by("-pk").first()

    return send


def open_times(provider):
    return availability.open_slots(provider=provider)


def hold_for(provider, slot, **kwargs):
    """A request already holding `slot`, as an earlier send left it."""
    return make_request(provider=provider, slot_start=slot.start, slot_end=slot.end, **kwargs)


# --- Caps ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "earlier", "now_sent"),
    [
        ("CLINIC_HOLDS_PER_EMAIL", {"email": "ada@example.com"}, {"email": "ADA@example.com"}),
        ("CLINIC_HOLDS_PER_PHONE", {"phone": "+12077741234"}, {"phone": "(207) 774-1234"}),
    ],
)
def test_over_the_cap_a_request_is_stored_without_a_time(send, provider, settings, setting, earlier, now_sent):
    settings.CLINIC_HOLDS_PER_EMAIL = settings.CLINIC_HOLDS_PER_PHONE = 0
    setattr(settings, setting, 1)
    times = open_times(provider)
    hold_for(provider, times[0], **earlier)
    client, consultation = send(preferred_time=times[1].key, **now_sent)
    assert (consultation.slot_start, consultation.unheld_time) == (None, times[1].start)
    assert consultation.status == Status.NEW
    assert availability.is_open(times[1])
    page = client.get(CONFIRMATION)
    assert "We could not hold this time for you right now" in page.text


def test_addresses_in_one_ipv6_64_share_the_cap_on_held_times(send, provider, settings):
    settings.CLINIC_HOLDS_PER_CLIENT = 2
    settings.CLINIC_SUBMISSION_RATE = "off"
    times = open_times(provider)
    held = []
    for number in range(5):
        _client, consultation = send(
            address=f"2001:db8:7:7::{number + 1:x}",
            email=f"fake{number}@example.com",
            phone=f"(207) 774-12{number:02d}",
            preferred_time=times[number].key,
        )
        held.append(consultation.slot_start is not None)
    assert held == [True, True, False, False, False]
    # Another home is not affected.
    _client, other = send(address="2001:db8:7:8::1", email="other@example.com", preferred_time=times[9].key)
    assert other.slot_start == times[9].start


def test_within_the_caps_the_time_is_held(send, provider):
    times = open_times(provider)
    client, consultation = send(preferred_time=times[0].key)
    assert consultation.slot_start == times[0].start
    assert consultation.unheld_time is None
    page = client.get(CONFIRMATION)
    assert "Please confirm that you want this time through the link in our email within 24 hours" in page.text


# --- The brake ---------------------------------------------------------------------------------------


def test_brake_stores_new_requests_without_a_time_and_tells_staff_once(send, provider, settings, mailoutbox):
    settings.CLINIC_HOLD_BRAKE = "2/h"
    times = open_times(provider)
    hold_for(provider, times[0], email="a@example.com", phone="+12077741201")
    hold_for(provider, times[1], email="b@example.com", phone="+12077741202")
    _client, first = send(address="203.0.113.1", email="c@example.com", preferred_time=times[2].key)
    _client, second = send(address="203.0.113.2", email="d@example.com", preferred_time=times[3].key)
    assert [first.slot_start, second.slot_start] == [None, None]
    assert [first.unheld_time, second.unheld_time] == [times[2].start, times[3].start]
    brake_mails = [m for m in mailoutbox if m.subject == "Many consultation times asked for in a short while"]
    assert len(brake_mails) == 1
    assert brake_mails[0].to == [settings.CLINIC_STAFF_EMAIL]
    # PHI-free: no name, no address, no reference.
    text = brake_mails[0].body + "".join(content for content, _type in brake_mails[0].alternatives)
    for value in ("Ada", "Quillfeather", "c@example.com", first.reference, second.reference):
        assert value not in text


def test_brake_counts_only_recent_holds(send, provider, settings):
    settings.CLINIC_HOLD_BRAKE = "2/h"
    times = open_times(provider)
    for number in range(2):
        old = hold_for(provider, times[number], email=f"{number}@example.com", phone=f"+1207774120{number}")
        ConsultationRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=2))
    _client, consultation = send(preferred_time=times[2].key)
    assert consultation.slot_start == times[2].start


# --- Receipts to an address anyone can type ------------------------------------------------------------


def test_receipts_to_one_address_are_bounded_by_its_cap(send, settings, mailoutbox):
    settings.CLINIC_HOLDS_PER_EMAIL = 2
    settings.CLINIC_SUBMISSION_RATE = "off"
    for number in range(5):
        send(address=f"203.0.113.{number + 1}", email="victim@example.com")
    assert ConsultationRequest.objects.count() == 5  # every request is stored
    assert sum(message.to == ["victim@example.com"] for message in mailoutbox) == 2
    assert sum(message.to == [settings.CLINIC_STAFF_EMAIL] for message in mailoutbox) == 5


# --- An unconfirmed hold lapses ------------------------------------------------------------------------


NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def held_request(provider, sent_hours_ago, starts_in_hours=72, **kwargs):
    start = NOW + datetime.timedelta(hours=starts_in_hours)
    consultation = make_request(
        provider=provider, slot_start=start, slot_end=start + datetime.timedelta(minutes=30), **kwargs
    )
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        created_at=NOW - datetime.timedelta(hours=sent_hours_ago)
    )
    consultation.refresh_from_db()
    return consultation


def run_expire_holds(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_holds", stdout=(out := io.StringIO()))
    return out.getvalue().splitlines()


def test_unconfirmed_hold_lapses_and_the_patient_is_told(
    clock, provider, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CLINIC_HOLD_CONFIRM_HOURS = 24
    consultation = held_request(provider, sent_hours_ago=25, first_name="Perpetua", email="p@example.com")
    start = consultation.slot_start
    assert run_expire_holds(django_capture_on_commit_callbacks) == [
        "1 unconfirmed hold(s) released.",
        "0 request(s) expired.",
    ]
    consultation.refresh_from_db()
    # The time is free, the request stays in the queue with the time it asked for.
    assert (consultation.status, consultation.slot_start, consultation.unheld_time) == (Status.NEW, None, start)
    assert StatusChange.objects.filter(consultation=consultation, note__startswith="Held time released").exists()
    assert AuditEvent.objects.filter(consultation=consultation, detail__contains="held time released").exists()
    [message] = mailoutbox
    assert message.to == ["p@example.com"]
    assert consultation.reference in message.subject
    assert links.manage_path(consultation) in message.body
    assert "Perpetua" not in message.body
    # The patient can choose a time again (the self-service page offers it).
    patient = Client()
    page = patient.get(self_service(patient, consultation))
    assert "Choose a time" in page.text


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"sent_hours_ago": 23}, "not old enough"),
        ({"sent_hours_ago": 25, "status": Status.APPROVED}, "the clinic confirmed it"),
        ({"sent_hours_ago": 25, "hold_confirmed_at": NOW - datetime.timedelta(hours=20)}, "the patient confirmed it"),
    ],
)
def test_hold_does_not_lapse_when(clock, provider, settings, kwargs, why, django_capture_on_commit_callbacks):
    settings.CLINIC_HOLD_CONFIRM_HOURS = 24
    consultation = held_request(provider, **kwargs)
    assert run_expire_holds(django_capture_on_commit_callbacks)[0] == "0 unconfirmed hold(s) released.", why
    consultation.refresh_from_db()
    assert consultation.slot_start is not None


def test_hold_whose_time_began_expires_instead_of_lapsing(
    clock, provider, settings, django_capture_on_commit_callbacks
):
    settings.CLINIC_HOLD_CONFIRM_HOURS = 24
    consultation = held_request(provider, sent_hours_ago=30, starts_in_hours=-1)
    assert run_expire_holds(django_capture_on_commit_callbacks) == [
        "0 unconfirmed hold(s) released.",
        "1 request(s) expired.",
    ]
    consultation.refresh_from_db()
    assert consultation.status == Status.EXPIRED


def test_patient_confirms_the_held_time_through_their_link(
    clock, provider, settings, django_capture_on_commit_callbacks, client
):
    settings.CLINIC_HOLD_CONFIRM_HOURS = 24
    consultation = held_request(provider, sent_hours_ago=2)
    page = client.get(self_service(client, consultation))
    assert "Do you want this time?" in page.text
    response = client.post(reverse("consultations:manage_confirm"))
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.hold_confirmed_at == NOW
    assert StatusChange.objects.filter(
        consultation=consultation, by_patient=True, note__startswith="Confirmed"
    ).exists()
    # Confirmed: a day later it does not lapse, and the page no longer asks.
    with time_machine.travel(NOW + datetime.timedelta(hours=30), tick=False):
        assert run_expire_holds(django_capture_on_commit_callbacks)[0] == "0 unconfirmed hold(s) released."
    assert "Do you want this time?" not in client.get(reverse("consultations:manage_page")).text


def test_lapse_rechecks_under_the_lock(clock, provider, settings):
    settings.CLINIC_HOLD_CONFIRM_HOURS = 24
    consultation = held_request(provider, sent_hours_ago=25)
    stale = ConsultationRequest.objects.get(pk=consultation.pk)
    assert workflow.confirm_hold(consultation, now=NOW) is True
    assert workflow.lapse_hold(stale, now=NOW) is False
    assert ConsultationRequest.objects.get(pk=consultation.pk).slot_start is not None


def test_a_time_chosen_through_the_link_needs_no_confirmation(clock, provider, settings):
    consultation = make_request()
    slot = open_times(provider)[0]
    workflow.choose_time(consultation, slot)
    consultation.refresh_from_db()
    assert consultation.hold_confirmed_at == NOW
    assert not booking.due_to_lapse(NOW + datetime.timedelta(days=2)).filter(pk=consultation.pk).exists()


def test_staff_see_the_time_asked_for_but_not_held(send, provider, settings, client):
    from .factories import make_staff

    settings.CLINIC_HOLDS_PER_EMAIL = 1
    times = open_times(provider)
    hold_for(provider, times[0], email="ada@example.com")
    _client, consultation = send(email="ada@example.com", preferred_time=times[1].key)
    client.force_login(make_staff("Front desk"))
    page = client.get(reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]))
    assert "not held (over a limit on held times, or not confirmed by the patient in time)" in page.text
