"""Issue 27: the cancellation policy a patient accepts with a chosen time, and its window.

Inside the window (from `window_hours` before the time, once the time was taken, booked or moved
to, longer ago than the grace period) the patient's link offers "call us" instead of cancel or move; staff are not bound by it.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic import formatting
from consultations import availability, workflow
from consultations.models import (
    AuditEvent,
    CancellationPolicy,
    ConsultationRequest,
    InsideCancellationWindow,
    Status,
)
from consultations.signals import ensure_cancellation_policy
from tests.factories import (
    intake_post_data,
    make_booked_request,
    make_provider,
    make_request,
    make_staff,
    self_service,
)

pytestmark = pytest.mark.django_db

NEW = "/consultations/new/"
SHIPPED = "2026-12-1"


def booking(hours_ahead, *, policy=SHIPPED, status=Status.APPROVED, **kwargs):
    """An approved booking `hours_ahead` from now (the frozen clock), made now, under the shipped policy."""
    start = timezone.now() + datetime.timedelta(hours=hours_ahead)
    return make_booked_request(
        status=status, start=start, policy_version=policy, policy_accepted_at=timezone.now(), **kwargs
    )


# --- The shipped policy ------------------------------------------------------------------------


def test_fresh_migrate_publishes_the_policy_in_english_and_spanish():
    policy = CancellationPolicy.current()
    assert (policy.version, policy.window_hours, policy.grace_minutes) == (SHIPPED, 24, 60)
    assert "call the clinic" in policy.text_en and "No fees" not in policy.text_en
    assert "do not charge a fee" in policy.text_en
    assert "llame a la clínica" in policy.text_es and "No cobramos" in policy.text_es


def test_a_flushed_database_gets_the_policy_back():
    CancellationPolicy.objects.all().delete()
    ensure_cancellation_policy(sender=None)
    assert CancellationPolicy.current().version == SHIPPED


# --- The window rule, on the frozen clock ---------------------------------------------------------


@pytest.mark.usefixtures("clock")
def test_window_opens_exactly_window_hours_before_the_time(clock):
    consultation = booking(30)  # 30 h ahead, booked now: the window opens in 6 h
    clock.shift(datetime.timedelta(hours=6) - datetime.timedelta(seconds=1))
    assert not consultation.inside_cancellation_window()
    clock.shift(datetime.timedelta(seconds=1))
    assert consultation.inside_cancellation_window()


@pytest.mark.usefixtures("clock")
def test_grace_period_after_booking_lets_the_patient_change_their_mind(clock):
    consultation = booking(5)  # booked inside the window already
    assert not consultation.inside_cancellation_window()
    clock.shift(datetime.timedelta(minutes=60) - datetime.timedelta(seconds=1))
    assert not consultation.inside_cancellation_window()
    clock.shift(datetime.timedelta(seconds=1))
    assert consultation.inside_cancellation_window()


def first_time_between(provider, hours_from, hours_to):
    """An open time of `provider` that starts between these many hours from now (the frozen clock)."""
    now = timezone.now()
    return next(
        slot
        for slot in availability.open_slots(provider=provider)
        if now + datetime.timedelta(hours=hours_from) <= slot.start <= now + datetime.timedelta(hours=hours_to)
    )


@pytest.mark.usefixtures("clock")
def test_moving_into_the_window_gives_a_new_grace_period(clock):
    provider = make_provider(display_name="Dr Okafor", weekdays=range(7))
    consultation = booking(72, provider=provider)  # well outside the window, booked now
    clock.shift(datetime.timedelta(hours=3))
    # Moved by the patient to a time inside the window (the booking itself is three hours old).
    workflow.reschedule(consultation, first_time_between(provider, 12, 24))
    consultation.refresh_from_db()
    assert not consultation.inside_cancellation_window()  # they may still change their mind
    clock.shift(datetime.timedelta(minutes=60))
    assert consultation.inside_cancellation_window()


@pytest.mark.usefixtures("clock")
def test_a_time_chosen_later_inside_the_window_gives_a_grace_period(clock):
    provider = make_provider(display_name="Dr Okafor", weekdays=range(7))
    consultation = make_request()  # "No preference": no time, no policy yet
    clock.shift(datetime.timedelta(days=2))  # the request is two days old when the time is taken
    workflow.choose_time(consultation, first_time_between(provider, 12, 24), policy=CancellationPolicy.current())
    consultation.refresh_from_db()
    assert not consultation.inside_cancellation_window()
    taken = timezone.now()
    clock.shift(datetime.timedelta(minutes=60))
    assert consultation.inside_cancellation_window()
    assert consultation.time_taken_at == taken


@pytest.mark.usefixtures("clock")
def test_window_uses_the_version_the_patient_accepted(clock):
    CancellationPolicy.objects.create(version="strict", text="Call 48 h before.", window_hours=48, grace_minutes=0)
    strict, shipped = booking(40, policy="strict"), booking(40)
    clock.shift(datetime.timedelta(minutes=1))
    assert strict.inside_cancellation_window()
    assert not shipped.inside_cancellation_window()


@pytest.mark.usefixtures("clock")
def test_no_accepted_policy_means_no_window(clock):
    consultation = booking(2, policy="")
    clock.shift(datetime.timedelta(hours=1))
    assert not consultation.inside_cancellation_window()


# --- The self-service page and its POSTs ----------------------------------------------------------


@pytest.fixture
def inside(clock):
    consultation = booking(5)
    clock.shift(datetime.timedelta(hours=2))  # past the grace period, 3 h before the time
    return consultation


def test_page_inside_the_window_offers_call_us_instead_of_cancel_or_move(client, inside):
    html = client.get(self_service(client, inside)).text
    assert 'data-testid="call-us"' in html
    phones = formatting.clinic_phones()
    assert f'href="tel:{phones["PHONE_TEL"]}">Call us at {phones["PHONE"]}</a>' in html
    assert reverse("consultations:manage_cancel") not in html
    assert reverse("consultations:manage_move") not in html
    assert "less than 24 hours away" in html


def test_cancel_post_inside_the_window_is_refused_with_a_clear_page(client, inside):
    response = client.post(self_service(client, inside, "manage_cancel"))
    assert response.status_code == 409
    assert "Please call us to change your time" in response.text
    assert 'href="tel:' in response.text
    inside.refresh_from_db()
    assert inside.status == Status.APPROVED


def test_move_post_inside_the_window_is_refused_with_a_clear_page(client, inside):
    before = (inside.provider_id, inside.slot_start)
    response = client.post(self_service(client, inside, "manage_move"), {"slot": "anything"})
    assert response.status_code == 409
    assert "Please call us to change your time" in response.text
    inside.refresh_from_db()
    assert (inside.provider_id, inside.slot_start) == before


def test_cancel_use_case_refuses_inside_the_window(inside):
    with pytest.raises(InsideCancellationWindow):
        workflow.cancel_by_patient(inside)
    inside.refresh_from_db()
    assert inside.status == Status.APPROVED


def test_staff_can_still_cancel_inside_the_window(inside):
    workflow.cancel(inside, by=make_staff("Front desk"))
    inside.refresh_from_db()
    assert inside.status == Status.CANCELLED


@pytest.mark.usefixtures("clock")
def test_outside_the_window_the_patient_cancels_as_before(client):
    consultation = booking(30)
    response = client.post(self_service(client, consultation, "manage_cancel"))
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Status.CANCELLED


# --- On the form: shown, accepted, stored -------------------------------------------------------------


@pytest.fixture
def provider(db):
    return make_provider(display_name="Dr Rivera", weekdays=range(7))


def test_form_shows_the_policy_next_to_the_time_with_a_box_to_accept_it(client, provider, belotero):
    html = client.get(NEW, {"treatment": "belotero"}).text
    time_field = html.index('id="id_preferred_time"')
    details = html.index('data-testid="cancellation-policy"')
    assert time_field < details < html.index('name="accept_policy"')
    assert "<details" in html and "do not charge a fee" in html


def test_spanish_form_shows_the_spanish_policy(client, provider, belotero):
    html = client.get("/es/consultations/new/", {"treatment": "belotero"}).text
    assert "No cobramos ningún cargo" in html


def test_chosen_time_stores_the_accepted_policy_with_time_and_address(client, provider, belotero):
    slot = availability.open_slots(provider=provider)[0]
    response = client.post(
        NEW, intake_post_data(belotero, preferred_time=slot.key), REMOTE_ADDR="203.0.113.9", follow=False
    )
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()
    assert consultation.policy_version == SHIPPED
    assert consultation.policy_accepted_ip == "203.0.113.9"
    assert abs(consultation.policy_accepted_at - timezone.now()) < datetime.timedelta(minutes=1)


def test_chosen_time_without_accepting_the_policy_is_sent_back(client, provider, belotero):
    slot = availability.open_slots(provider=provider)[0]
    response = client.post(NEW, intake_post_data(belotero, preferred_time=slot.key, accept_policy=None))
    assert response.status_code == 200
    assert response.context["form"].has_error("accept_policy", code="policy_required")
    assert not ConsultationRequest.objects.exists()


def test_policy_changed_since_the_form_was_shown_asks_again(client, provider, belotero):
    slot = availability.open_slots(provider=provider)[0]
    response = client.post(NEW, intake_post_data(belotero, preferred_time=slot.key, policy_version="old"))
    assert response.context["form"].has_error("accept_policy", code="policy_changed")
    assert not ConsultationRequest.objects.exists()


def test_no_preference_needs_no_acceptance_and_stores_none(client, provider, belotero):
    response = client.post(NEW, intake_post_data(belotero, preferred_time="", accept_policy=None))
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()
    assert (consultation.policy_version, consultation.policy_accepted_at, consultation.policy_accepted_ip) == (
        "",
        None,
        None,
    )


def test_staff_see_the_accepted_version_and_time_on_the_request(staff_client, provider, belotero):
    slot = availability.open_slots(provider=provider)[0]
    staff_client.post(NEW, intake_post_data(belotero, preferred_time=slot.key), REMOTE_ADDR="203.0.113.9")
    consultation = ConsultationRequest.objects.get()
    html = staff_client.get(reverse("admin:consultations_consultationrequest_change", args=[consultation.pk])).text
    assert f'data-testid="policy-version">{SHIPPED}<' in html
    assert "Cancellation policy accepted" in html and "203.0.113.9" in html
    assert AuditEvent.objects.filter(consultation=consultation, action=AuditEvent.Action.VIEW).exists()
