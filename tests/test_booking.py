import datetime
import uuid
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from consultations import booking, notices, workflow
from consultations.availability import Slot, is_open
from consultations.models import AdditionalInfo, ConsultationRequest, InvalidTransition, Provider, Status, WorkingHours
from tests.factories import build_request, make_booked_request, make_treatment
from tests.races import race

NY = ZoneInfo("America/New_York")
# A Tuesday morning; the provider works every day 9–17, so Wednesday's times are all bookable.
NOW = datetime.datetime(2026, 12, 1, 6, 0, tzinfo=NY)
WEDNESDAY = datetime.date(2026, 12, 2)


@pytest.fixture
def provider(db):
    user = get_user_model().objects.create_user(f"provider-{uuid.uuid4().hex[:8]}", is_staff=True)
    provider = Provider.objects.create(user=user, display_name="Dr Test")
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=provider, weekday=day, start=datetime.time(9), end=datetime.time(17)) for day in range(7)
    )
    return provider


def at(provider, hour, minute=0, day=WEDNESDAY):
    start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY)
    return Slot(provider.pk, start, start + datetime.timedelta(minutes=30))


def new_request(**kwargs):
    """An unsaved request as the intake form builds it."""
    defaults = {
        # Letters no link or token can contain, so a random signed link never matches them.
        "first_name": "Zéphyrine",
        "last_name": "Ødegård",
        "email": "ann@example.com",
        "phone": "+12075550100",
        "date_of_birth": datetime.date(1990, 1, 1),
        "goals": "Smoother lines around the mouth",
    }
    return build_request(make_treatment(slug=f"t{uuid.uuid4().hex[:6]}"), **{**defaults, **kwargs})


def active_at(slot):
    return ConsultationRequest.objects.holding().filter(provider_id=slot.provider_id, slot_start=slot.start)


def ics_of(message):
    (attachment,) = message.attachments
    return attachment, icalendar.Calendar.from_ical(attachment.content)


# --- hold ------------------------------------------------------------------------------


def test_hold_saves_a_new_request_with_its_time(provider):
    request = booking.hold(new_request(), at(provider, 9, 40), now=NOW)
    request.refresh_from_db()
    assert request.pk is not None
    assert (request.provider, request.slot_start) == (provider, at(provider, 9, 40).start)
    assert request.slot_end - request.slot_start == datetime.timedelta(minutes=30)
    assert not is_open(at(provider, 9, 40), now=NOW)


def test_hold_gives_a_saved_request_a_time(provider):
    request = new_request()
    request.save()
    booking.hold(request, at(provider, 10, 20), now=NOW)
    assert ConsultationRequest.objects.get(pk=request.pk).slot_start == at(provider, 10, 20).start


def test_slot_cannot_be_held_twice(provider):
    booking.hold(new_request(), at(provider, 9, 40), now=NOW)
    with pytest.raises(booking.SlotTaken):
        booking.hold(new_request(), at(provider, 9, 40), now=NOW)
    assert ConsultationRequest.objects.count() == 1


def test_hold_lost_to_the_database_constraint_raises_slot_taken(provider, monkeypatch):
    # As if the other request committed between our check and our write.
    booking.hold(new_request(), at(provider, 9, 40), now=NOW)
    monkeypatch.setattr(booking, "is_held", lambda slot, exclude=None: False)
    loser = new_request()
    loser.save()
    with pytest.raises(booking.SlotTaken):
        booking.hold(loser, at(provider, 9, 40), now=NOW)
    assert (loser.provider_id, loser.slot_start) == (None, None)
    assert active_at(at(provider, 9, 40)).count() == 1


def test_hold_lost_inside_a_transaction_leaves_it_usable(provider, monkeypatch):
    # The intake form holds the time inside its own transaction and re-renders on SlotTaken.
    booking.hold(new_request(), at(provider, 9, 40), now=NOW)
    monkeypatch.setattr(booking, "is_held", lambda slot, exclude=None: False)
    with transaction.atomic():
        with pytest.raises(booking.SlotTaken):
            booking.hold(new_request(), at(provider, 9, 40), now=NOW)
        assert ConsultationRequest.objects.count() == 1
        booking.hold(new_request(), at(provider, 10, 20), now=NOW)
    assert ConsultationRequest.objects.count() == 2


@pytest.mark.parametrize(
    ("hour", "minute", "day"),
    [
        (9, 30, WEDNESDAY),  # between two times
        (18, 0, WEDNESDAY),  # after hours
        (9, 0, datetime.date(2026, 12, 1)),  # within the lead time
        (9, 0, datetime.date(2026, 11, 30)),  # in the past
    ],
)
def test_hold_refuses_a_time_the_rules_do_not_offer(provider, hour, minute, day):
    with pytest.raises(booking.SlotUnavailable):
        booking.hold(new_request(), at(provider, hour, minute, day), now=NOW)
    assert ConsultationRequest.objects.count() == 0


def test_hold_refuses_a_closed_request(provider):
    request = new_request(status=Status.CANCELLED)
    request.save()
    with pytest.raises(booking.SlotUnavailable):
        booking.hold(request, at(provider, 9, 40), now=NOW)


@pytest.mark.parametrize("status", [Status.DECLINED, Status.CANCELLED, Status.EXPIRED])
def test_closing_a_request_frees_its_time(provider, status):
    request = booking.hold(new_request(), at(provider, 9, 40), now=NOW)
    request.transition(status)
    assert is_open(at(provider, 9, 40), now=NOW)
    booking.hold(new_request(), at(provider, 9, 40), now=NOW)
    assert active_at(at(provider, 9, 40)).count() == 1


# --- reschedule ------------------------------------------------------------------------


def test_reschedule_moves_the_hold_and_frees_the_old_time(provider, mailoutbox, django_capture_on_commit_callbacks):
    request = make_booked_request(at(provider, 9, 40), reminder_sent_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reschedule(request, at(provider, 13, 0), now=NOW)
    request.refresh_from_db()
    assert request.slot_start == at(provider, 13, 0).start
    assert request.reschedule_count == 1
    assert request.reminder_sent_at is None
    assert is_open(at(provider, 9, 40), now=NOW)
    assert not is_open(at(provider, 13, 0), now=NOW)
    (message,) = mailoutbox
    assert request.reference in message.subject
    assert "Wed, Dec 2, 1:00 PM" in message.body
    assert message.attachments == []  # not approved yet: no calendar invitation


def test_reschedule_of_approved_booking_sends_updated_invitation(
    provider, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_booked_request(at(provider, 9, 40), status=Status.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reschedule(request, at(provider, 13, 0), now=NOW)
    (message,) = mailoutbox
    attachment, calendar = ics_of(message)
    event = calendar.events[0]
    assert attachment.mimetype.startswith("text/calendar")
    assert str(calendar["method"]) == "REQUEST"
    assert str(event["uid"]) == f"{request.reference}@clinic"
    assert event["sequence"] == 1
    assert event.start == at(provider, 13, 0).start


def test_reschedule_is_limited_for_patients(provider):
    request = make_booked_request(at(provider, 9, 40), reschedule_count=2)
    with pytest.raises(booking.RescheduleLimit):
        booking.reschedule(request, at(provider, 13, 0), now=NOW)
    request.refresh_from_db()
    assert request.slot_start == at(provider, 9, 40).start


def test_reschedule_by_staff_ignores_the_limit(provider):
    request = make_booked_request(at(provider, 9, 40), reschedule_count=2)
    booking.reschedule(request, at(provider, 13, 0), by_patient=False, now=NOW)
    request.refresh_from_db()
    assert request.slot_start == at(provider, 13, 0).start


def test_reschedule_to_a_taken_time_keeps_the_old_time(provider):
    request = make_booked_request(at(provider, 9, 40))
    make_booked_request(at(provider, 13, 0))
    with pytest.raises(booking.SlotTaken):
        booking.reschedule(request, at(provider, 13, 0), now=NOW)
    request.refresh_from_db()
    assert (request.slot_start, request.reschedule_count) == (at(provider, 9, 40).start, 0)


def test_reschedule_lost_to_the_database_constraint_keeps_the_old_time(provider, monkeypatch):
    request = make_booked_request(at(provider, 9, 40))
    make_booked_request(at(provider, 13, 0))
    monkeypatch.setattr(booking, "is_held", lambda slot, exclude=None: False)
    with pytest.raises(booking.SlotTaken):
        booking.reschedule(request, at(provider, 13, 0), now=NOW)
    request.refresh_from_db()
    assert (request.slot_start, request.reschedule_count) == (at(provider, 9, 40).start, 0)
    assert active_at(at(provider, 13, 0)).count() == 1


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.DECLINED, Status.COMPLETED, Status.EXPIRED])
def test_reschedule_refuses_a_closed_request(provider, status):
    request = make_booked_request(at(provider, 9, 40), status=status)
    with pytest.raises(booking.SlotUnavailable):
        booking.reschedule(request, at(provider, 13, 0), now=NOW)


def test_reschedule_refuses_once_the_time_has_begun(provider):
    request = make_booked_request(at(provider, 9, 40))
    with pytest.raises(booking.SlotUnavailable):
        booking.reschedule(request, at(provider, 13, 0), now=at(provider, 9, 45).start)


# --- cancel, confirm, add information ----------------------------------------------------


@pytest.mark.parametrize("status", [Status.NEW, Status.TRIAGED, Status.NEEDS_INFO])
def test_cancel_by_patient_frees_the_time_and_confirms_by_email(
    provider, status, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_booked_request(at(provider, 9, 40), status=status)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.cancel_by_patient(request)
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    assert request.status_changes.get().note == "Cancelled by patient"
    assert is_open(at(provider, 9, 40), now=NOW)
    (message,) = mailoutbox
    assert request.reference in message.subject
    assert message.attachments == []


def test_cancel_by_patient_of_approved_booking_sends_cancelling_invitation(
    provider, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_booked_request(at(provider, 9, 40), status=Status.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.cancel_by_patient(request)
    attachment, calendar = ics_of(mailoutbox[0])
    assert "method=CANCEL" in attachment.mimetype
    assert str(calendar["method"]) == "CANCEL"
    assert str(calendar.events[0]["status"]) == "CANCELLED"
    assert calendar.events[0]["sequence"] == 1


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.COMPLETED, Status.DECLINED])
def test_cancel_by_patient_refuses_a_closed_request(provider, status, mailoutbox):
    request = make_booked_request(at(provider, 9, 40), status=status)
    with pytest.raises(InvalidTransition):
        workflow.cancel_by_patient(request)
    assert mailoutbox == []


def test_send_confirmation_attaches_the_invitation(provider, mailoutbox, django_capture_on_commit_callbacks):
    request = make_booked_request(at(provider, 9, 40), status=Status.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        notices.booking_confirmed(request)
    (message,) = mailoutbox
    attachment, calendar = ics_of(message)
    assert attachment.filename == "consultation.ics"
    assert "method=REQUEST" in attachment.mimetype
    assert calendar.events[0]["sequence"] == 0
    assert "/consultations/manage/" in message.body


def test_add_information_returns_request_to_the_queue(provider, mailoutbox, django_capture_on_commit_callbacks):
    request = make_booked_request(at(provider, 9, 40), status=Status.NEEDS_INFO)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.add_information(request, "I stopped my blood thinners last week.")
    request.refresh_from_db()
    assert request.status == Status.TRIAGED
    assert AdditionalInfo.objects.get(consultation=request).text == "I stopped my blood thinners last week."
    (message,) = mailoutbox
    assert message.to == ["staff@clinic.test"]
    assert message.subject == f"{request.reference}: patient added information"
    assert "blood thinners" not in message.body
    assert "blood thinners" not in message.alternatives[0].content


def test_add_information_refuses_when_none_was_asked_for(provider):
    request = make_booked_request(at(provider, 9, 40), status=Status.APPROVED)
    with pytest.raises(InvalidTransition):
        workflow.add_information(request, "More")
    assert AdditionalInfo.objects.count() == 0


def test_patient_emails_carry_no_personal_or_health_data(provider, mailoutbox, django_capture_on_commit_callbacks):
    request = make_booked_request(at(provider, 9, 40), status=Status.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        notices.booking_confirmed(request)
        workflow.reschedule(request, at(provider, 13, 0), now=NOW)
        workflow.cancel_by_patient(request)
    assert len(mailoutbox) == 3
    for message in mailoutbox:
        for text in (message.subject, message.body, message.alternatives[0].content):
            for private in (
                "Zéphyrine",
                "Ødegård",
                "1990-01-01",
                "January 1, 1990",
                "Smoother lines",
                request.treatment.name,
            ):
                assert private not in text


# --- the race --------------------------------------------------------------------------


@pytest.mark.races
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("check_first", [True, False], ids=["checked", "constraint-only"])
def test_twenty_people_holding_the_same_time_get_it_once(provider, monkeypatch, check_first):
    if not check_first:
        # Everyone passes the friendly check, so only the database constraint stands between them.
        monkeypatch.setattr(booking, "is_held", lambda slot, exclude=None: False)
    slot = at(provider, 9, 40)
    requests = [new_request() for _ in range(20)]

    results = race(20, lambda i: (booking.hold(requests[i], slot, now=NOW), "won")[1], {booking.SlotTaken: "taken"})

    assert sorted(results) == ["taken"] * 19 + ["won"]
    assert active_at(slot).count() == 1
    assert ConsultationRequest.objects.count() == 1


@pytest.mark.races
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_people_moving_to_the_same_time_get_it_once(provider, monkeypatch):
    monkeypatch.setattr(booking, "is_held", lambda slot, exclude=None: False)
    old_slots = [at(provider, 9, 0, day=WEDNESDAY + datetime.timedelta(days=d)) for d in range(1, 21)]
    requests = [make_booked_request(slot) for slot in old_slots]
    target = at(provider, 13, 0)

    results = race(
        20, lambda i: (booking.reschedule(requests[i], target, now=NOW), "won")[1], {booking.SlotTaken: "taken"}
    )

    assert sorted(results) == ["taken"] * 19 + ["won"]
    assert active_at(target).count() == 1
    # Every loser still holds the time it had.
    winner = results.index("won")
    for i, (request, old) in enumerate(zip(requests, old_slots, strict=True)):
        request.refresh_from_db()
        assert request.slot_start == (target.start if i == winner else old.start)
