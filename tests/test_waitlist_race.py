"""Two waitlisted patients press "take this time" on the same offered time at once: the database
constraint behind booking gives it to one; the other is told it was just taken and stays listed.
Real threads on a real database (SQLite here, PostgreSQL with DATABASE_URL, as in CI)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from consultations import booking, waitlist, workflow
from consultations.availability import Slot
from consultations.models import ConsultationRequest, OfferState, WaitlistOffer
from tests.factories import make_booked_request, make_provider, make_request
from tests.races import race

NY = ZoneInfo("America/New_York")
THURSDAY = datetime.date(2026, 12, 10)


def at(provider, hour, minute=0, day=THURSDAY):
    start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY)
    return Slot(provider.pk, start, start + datetime.timedelta(minutes=30))


@pytest.mark.races
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("holding", [False, True], ids=["without-a-time", "moving-a-time"])
@pytest.mark.parametrize("check_first", [True, False], ids=["checked", "constraint-only"])
def test_two_patients_taking_the_same_offered_time_get_it_once(clock, settings, monkeypatch, holding, check_first):
    settings.CLINIC_WAITLIST_OFFER_BATCH = 2
    provider = make_provider(display_name="Dr Race", weekdays=range(7))
    if holding:
        old = [at(provider, 9, day=THURSDAY + datetime.timedelta(days=d)) for d in (1, 2)]
        patients = [make_booked_request(slot, email=f"p{i}@example.com") for i, slot in enumerate(old)]
    else:
        old = [None, None]
        patients = [make_request(email=f"p{i}@example.com") for i in range(2)]
    for patient in patients:
        waitlist.join(patient)
    slot = at(provider, 11)
    offers = waitlist.offer_time(slot.provider_id, slot.start, slot.end)
    assert [offer.entry.consultation_id for offer in offers] == [patient.pk for patient in patients]
    if not check_first:
        # Both pass the friendly check, so only the database constraint stands between them.
        monkeypatch.setattr(booking, "is_held", lambda slot, exclude=None: False)

    results = race(2, lambda i: (workflow.accept_offer(offers[i]), "won")[1], {booking.SlotTaken: "taken"})

    assert sorted(results) == ["taken", "won"]
    assert ConsultationRequest.objects.holding().filter(provider_id=provider.pk, slot_start=slot.start).count() == 1
    winner, loser = (0, 1) if results[0] == "won" else (1, 0)
    states = {offer.pk: offer.state for offer in WaitlistOffer.objects.all()}
    assert states[offers[winner].pk] == OfferState.ACCEPTED
    assert states[offers[loser].pk] == OfferState.TAKEN
    # The loser keeps what they had and stays on the list; the winner left it.
    patients[loser].refresh_from_db()
    assert patients[loser].slot_start == (old[loser].start if holding else None)
    assert waitlist.entry_of(patients[loser]) is not None
    assert waitlist.entry_of(patients[winner]) is None
