"""The waitlist (issue 27): matching freed times, offers in batches, accepting through the emailed
link, the cascade, and the patient's join / change / leave page.

The clock stands at FROZEN_NOW (Tue Dec 8 2026, 23:40 in New York); the provider works 9-17 every
day, so from Wednesday noon on (the 12-hour lead time) their times are bookable.
"""

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from consultations import booking, waitlist, workflow
from consultations.availability import Slot
from consultations.models import (
    AuditEvent,
    CancellationPolicy,
    ClosedDay,
    DayPart,
    DeclineReason,
    OfferState,
    Status,
    WaitlistEntry,
    WaitlistOffer,
)
from tests.factories import (
    BEATRIX,
    intake_post_data,
    make_booked_request,
    make_provider,
    make_request,
    make_staff,
    make_treatment,
    self_service,
)

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
THURSDAY = datetime.date(2026, 12, 10)
FRIDAY = datetime.date(2026, 12, 11)


@pytest.fixture
def provider(clock, settings):
    settings.CLINIC_WAITLIST_OFFER_MINUTES = 120
    settings.CLINIC_WAITLIST_OFFER_BATCH = 2
    return make_provider(display_name="Dr Wait", weekdays=range(7))


def at(provider, hour, minute=0, day=THURSDAY):
    start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY)
    return Slot(provider.pk, start, start + datetime.timedelta(minutes=30))


_joined = iter(range(1, 10_000))


def waiting(slot=None, first_name="Ada", **choices):
    """A request (holding `slot`, or no time) that joined the waitlist a minute after the previous one."""
    consultation = make_booked_request(slot, first_name=first_name) if slot else make_request(first_name=first_name)
    joined = datetime.datetime(2026, 12, 1, 9, tzinfo=NY) + datetime.timedelta(minutes=next(_joined))
    waitlist.join(consultation, now=joined, **choices)
    return consultation


def offers_to(consultation):
    return list(WaitlistOffer.objects.filter(entry__consultation=consultation))


def free(slot, capture):
    """A booked request at `slot` is cancelled by its patient: the time frees through the workflow."""
    holder = make_booked_request(slot)
    with capture(execute=True):
        workflow.cancel_by_patient(holder)
    return holder


def offer_link(message):
    return re.search(r"https?://[^/\s]+(/\S*/offer/\S+/)", message.body).group(1)


# --- Matching ------------------------------------------------------------------------------------


def test_matching_reads_days_and_parts_of_the_day_in_the_clinics_zone(provider):
    thursday_evenings = waiting(days=[3], parts=[DayPart.EVENING])
    fridays = waiting(days=[4])
    mornings = waiting(parts=[DayPart.MORNING])
    any_time = waiting()
    # 20:00 on Thursday in New York is 01:00 on Friday in UTC: still a Thursday evening to the clinic.
    thursday_8pm = datetime.datetime(2026, 12, 10, 20, tzinfo=NY)
    matched = WaitlistEntry.objects.matching(provider.pk, thursday_8pm)
    assert [entry.consultation for entry in matched] == [thursday_evenings, any_time]
    # 11:30 in New York is 16:30 UTC: a morning to the clinic.
    friday_1130 = datetime.datetime(2026, 12, 11, 11, 30, tzinfo=NY)
    matched = WaitlistEntry.objects.matching(provider.pk, friday_1130)
    assert [entry.consultation for entry in matched] == [fridays, mornings, any_time]


def test_matching_offers_only_earlier_times_and_the_chosen_provider(provider):
    other = make_provider(display_name="Dr Other", weekdays=range(7))
    holds_friday = waiting(at(provider, 9, day=FRIDAY))
    holds_thursday_early = waiting(at(provider, 9, 40))
    only_other = waiting(provider=other)
    matched = WaitlistEntry.objects.matching(provider.pk, at(provider, 11).start)
    assert [entry.consultation for entry in matched] == [holds_friday]
    assert holds_thursday_early and only_other


# --- Offering a freed time -------------------------------------------------------------------------


def test_a_cancelled_time_is_offered_to_the_first_batch_in_order_of_joining(
    provider, django_capture_on_commit_callbacks
):
    first, second, third = waiting(), waiting(), waiting()
    slot = at(provider, 11)
    free(slot, django_capture_on_commit_callbacks)

    assert [len(offers_to(c)) for c in (first, second, third)] == [1, 1, 0]
    offer = offers_to(first)[0]
    assert (offer.provider_id, offer.start, offer.state) == (provider.pk, slot.start, OfferState.PENDING)
    assert offer.expires_at - offer.sent_at == datetime.timedelta(minutes=120)
    offer_mails = [message for message in mail.outbox if "/offer/" in message.body]
    assert sorted(message.to[0] for message in offer_mails) == sorted([first.email, second.email])


@pytest.mark.parametrize("step", ["patient_cancel", "release", "staff_cancel", "decline", "move", "lapse"])
def test_every_step_that_frees_a_time_offers_it(provider, django_capture_on_commit_callbacks, settings, step):
    patient = waiting()
    slot = at(provider, 11)
    holder = make_booked_request(slot)
    staff = make_staff("Provider", username="dr-decider")
    with django_capture_on_commit_callbacks(execute=True):
        if step == "patient_cancel":
            workflow.cancel_by_patient(holder)
        elif step == "release":  # confirm or release (issue 27): "No, release my time", on an approved booking
            type(holder).objects.filter(pk=holder.pk).update(status=Status.APPROVED)
            holder.refresh_from_db()
            workflow.release_by_patient(holder)
        elif step == "staff_cancel":
            workflow.cancel(holder, by=staff)
        elif step == "decline":
            workflow.decline(holder, by=staff, reason=DeclineReason.OTHER)
        elif step == "move":
            workflow.reschedule(holder, at(provider, 13, 40), by_patient=True)
        else:
            settings.CLINIC_HOLD_CONFIRM_HOURS = 1
            type(holder).objects.filter(pk=holder.pk).update(created_at=holder.created_at - datetime.timedelta(hours=2))
            assert workflow.lapse_hold(holder)
    assert [(o.start, o.state) for o in offers_to(patient)] == [(slot.start, OfferState.PENDING)]


def test_no_offers_for_past_blocked_or_held_times(provider, django_capture_on_commit_callbacks, clock):
    patient = waiting()
    past = at(provider, 9, day=datetime.date(2026, 12, 7))
    ClosedDay.objects.create(date=FRIDAY, name="Staff training")
    closed = at(provider, 10, day=FRIDAY)
    held = at(provider, 11)
    make_booked_request(held)
    for slot in (past, closed, held):
        assert waitlist.offer_time(slot.provider_id, slot.start, slot.end) == []
    assert offers_to(patient) == []


def test_an_expired_batch_passes_the_time_to_the_next_one(provider, django_capture_on_commit_callbacks, clock):
    first, second, third = waiting(), waiting(), waiting()
    slot = at(provider, 11)
    free(slot, django_capture_on_commit_callbacks)
    clock.shift(datetime.timedelta(minutes=121))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_waitlist_offers", stdout=(out := io.StringIO()))

    assert out.getvalue().splitlines() == ["2 waitlist offer(s) expired.", "1 new waitlist offer(s) sent."]
    assert [o.state for o in offers_to(first) + offers_to(second)] == [OfferState.EXPIRED] * 2
    assert [(o.start, o.state) for o in offers_to(third)] == [(slot.start, OfferState.PENDING)]
    # The first two let it pass: they are still on the list, but this time is not offered to them again.
    assert waitlist.entry_of(first) is not None
    assert waitlist.offer_time(slot.provider_id, slot.start, slot.end) == []


def test_expiry_sends_nothing_when_the_time_was_booked_meanwhile(provider, django_capture_on_commit_callbacks, clock):
    waiting(), waiting(), waiting()
    slot = at(provider, 11)
    free(slot, django_capture_on_commit_callbacks)
    make_booked_request(slot)  # booked on the form by someone not on the list
    clock.shift(datetime.timedelta(minutes=121))
    assert waitlist.expire_offers() == (2, 0)


# --- Accepting -------------------------------------------------------------------------------------


def test_opening_the_offer_link_changes_nothing(provider, client, django_capture_on_commit_callbacks):
    patient = waiting(at(provider, 15, day=FRIDAY))
    slot = at(provider, 11)
    free(slot, django_capture_on_commit_callbacks)
    (offer,) = offers_to(patient)

    response = client.get(reverse("consultations:waitlist_offer", kwargs={"token": offer.token}))

    assert response.status_code == 200
    assert "Yes, give me this time" in response.text
    assert response["Referrer-Policy"] == "same-origin"
    offer.refresh_from_db()
    patient.refresh_from_db()
    assert offer.state == OfferState.PENDING
    assert patient.slot_start == at(provider, 15, day=FRIDAY).start


def test_pressing_the_button_takes_the_time_and_cascades(provider, client, django_capture_on_commit_callbacks):
    old = at(provider, 15, day=FRIDAY)
    patient = waiting(old)
    later_patient = waiting()
    free(at(provider, 11), django_capture_on_commit_callbacks)
    (offer,) = offers_to(patient)
    url = reverse("consultations:waitlist_offer", kwargs={"token": offer.token})
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"policy_version": CancellationPolicy.current().version})

    assert response.status_code == 303 and response["Location"] == url
    patient.refresh_from_db()
    assert patient.slot_start == at(provider, 11).start
    assert patient.hold_confirmed_at is not None
    offer.refresh_from_db()
    assert offer.state == OfferState.ACCEPTED
    assert waitlist.entry_of(patient) is None
    assert AuditEvent.objects.filter(consultation=patient, detail="took a time offered from the waitlist").count() == 1
    assert patient.status_changes.filter(note__startswith="Took").count() == 1
    # The usual "new time" email, and the cascade: the old time goes to the next one waiting.
    assert any(patient.reference in message.subject and message.to == [patient.email] for message in mail.outbox)
    assert [(o.start, o.state) for o in offers_to(later_patient)] == [
        (at(provider, 11).start, OfferState.TAKEN),
        (old.start, OfferState.PENDING),
    ] or [(o.start, o.state) for o in offers_to(later_patient)] == [
        (old.start, OfferState.PENDING),
        (at(provider, 11).start, OfferState.TAKEN),
    ]
    assert "This time is yours" in client.get(url).text


def test_taking_an_offered_time_accepts_the_cancellation_policy_the_page_shows(
    provider, client, django_capture_on_commit_callbacks
):
    """Issue 27: a time taken from the waitlist is booked under the policy shown with the button."""
    patient = waiting()  # asked for no time on the form: no policy accepted yet
    free(at(provider, 11), django_capture_on_commit_callbacks)
    (offer,) = offers_to(patient)
    url = reverse("consultations:waitlist_offer", kwargs={"token": offer.token})
    policy = CancellationPolicy.current()
    page = client.get(url).text
    assert 'data-testid="cancellation-policy"' in page and f'value="{policy.version}"' in page
    assert "By taking this time you accept our cancellation policy" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"policy_version": policy.version}, REMOTE_ADDR="198.51.100.7")

    patient.refresh_from_db()
    assert patient.slot_start == at(provider, 11).start
    assert (patient.policy_version, patient.policy_accepted_ip) == (policy.version, "198.51.100.7")
    assert patient.policy_accepted_at is not None


def test_an_offer_is_not_taken_under_a_policy_the_page_did_not_show(
    provider, client, django_capture_on_commit_callbacks
):
    """A policy published after the offer page was opened (or a POST naming none) takes no time and
    records no acceptance: the page shows the policy now in force and asks again, like the form."""
    patient = waiting()
    free(at(provider, 11), django_capture_on_commit_callbacks)
    (offer,) = offers_to(patient)
    url = reverse("consultations:waitlist_offer", kwargs={"token": offer.token})
    shown = CancellationPolicy.current()
    client.get(url)
    newer = CancellationPolicy.objects.create(version="2027-01", text="Call us two days before.", window_hours=48)

    for sent in ({"policy_version": shown.version}, {}):
        response = client.post(url, sent)
        assert response.status_code == 200
        assert "Our cancellation policy changed after you opened this page" in response.text
        assert f'value="{newer.version}"' in response.text and "Call us two days before." in response.text
        patient.refresh_from_db()
        offer.refresh_from_db()
        assert (patient.slot_start, patient.policy_version, offer.state) == (None, "", OfferState.PENDING)
    spanish = client.post(f"/es{url}", {"policy_version": shown.version}).text
    assert "Nuestra política de cancelación cambió después de que abrió esta página" in spanish

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"policy_version": newer.version}).status_code == 303
    patient.refresh_from_db()
    assert (patient.slot_start, patient.policy_version) == (at(provider, 11).start, newer.version)


def test_the_second_to_press_is_told_and_stays_listed(provider, client, django_capture_on_commit_callbacks):
    first, second = waiting(), waiting()
    free(at(provider, 11), django_capture_on_commit_callbacks)
    (offer_1,), (offer_2,) = offers_to(first), offers_to(second)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.accept_offer(offer_1)

    url = reverse("consultations:waitlist_offer", kwargs={"token": offer_2.token})
    response = client.post(url, follow=True)

    assert "This time was just taken" in response.text
    assert "You are still on our waitlist" in response.text
    offer_2.refresh_from_db()
    second.refresh_from_db()
    assert offer_2.state == OfferState.TAKEN
    assert waitlist.entry_of(second) is not None and second.slot_start is None


def test_an_expired_offer_cannot_be_taken(provider, client, clock, django_capture_on_commit_callbacks):
    patient = waiting()
    free(at(provider, 11), django_capture_on_commit_callbacks)
    (offer,) = offers_to(patient)
    clock.shift(datetime.timedelta(minutes=121))
    with pytest.raises(workflow.OfferClosed):
        workflow.accept_offer(offer)
    url = reverse("consultations:waitlist_offer", kwargs={"token": offer.token})
    assert "This offer has ended" in client.post(url, follow=True).text
    patient.refresh_from_db()
    assert patient.slot_start is None


@pytest.mark.parametrize("token", ["nonsense", "MTI:forged", "x" * 300])
def test_a_bad_offer_link_is_a_clear_page_not_an_error(client, token):
    response = client.get(reverse("consultations:waitlist_offer", kwargs={"token": token}))
    assert response.status_code == 404
    assert "This link does not work" in response.text


# --- The email -----------------------------------------------------------------------------------


def test_the_offer_email_is_phi_free_and_in_the_patients_language(provider, django_capture_on_commit_callbacks):
    treatment = make_treatment(slug="belotero-wl", name="Belotero Balance")
    patient = make_request(treatment, language="es", **BEATRIX)
    waitlist.join(patient)
    slot = at(provider, 11)
    mail.outbox.clear()
    free(slot, django_capture_on_commit_callbacks)

    (offer_mail,) = [message for message in mail.outbox if message.to == [BEATRIX["email"]]]
    text = offer_mail.subject + offer_mail.body + offer_mail.alternatives[0][0]
    for private in [*(str(value) for value in BEATRIX.values() if value != BEATRIX["email"]), "1979", "Belotero"]:
        assert private not in text
    # Spanish: the link opens the Spanish page, the time is written the Spanish way.
    link = offer_link(offer_mail)
    assert link.startswith("/es/consultations/offer/")
    assert "jue 10 dic, 11:00 a. m." in offer_mail.body
    assert patient.reference in offer_mail.subject
    # The link names the offer, never the request or the self-service token.
    assert patient.reference not in link


# --- Joining, changing, leaving -------------------------------------------------------------------


def test_patient_joins_changes_and_leaves_through_their_link(provider, client):
    patient = make_booked_request(at(provider, 15, day=FRIDAY))
    url = self_service(client, patient, "manage_waitlist")
    assert client.get(url).status_code == 200

    response = client.post(url, {"when": "chosen", "days": ["0", "3"], "parts": ["1"]})
    assert response.status_code == 302
    entry = waitlist.entry_of(patient)
    assert (entry.weekdays, entry.day_parts, entry.provider) == ([0, 3], [DayPart.MORNING], None)

    client.post(url, {"when": "any", "days": ["0"], "provider": str(provider.pk)})
    changed = waitlist.entry_of(patient)
    assert (changed.pk, changed.joined_at, changed.any_time, changed.provider) == (
        entry.pk,
        entry.joined_at,
        True,
        provider,
    )
    assert "You are on the waitlist for: Any time" in client.get(reverse("consultations:manage_page")).text

    client.post(url, {"leave": ""})
    assert waitlist.entry_of(patient) is None
    assert WaitlistEntry.objects.get(pk=entry.pk).left_reason == WaitlistEntry.Left.PATIENT


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"when": "chosen"}, "when"),
        ({"when": "chosen", "days": ["9"]}, "days"),
        ({"when": "sometimes"}, "when"),
        ({"when": "any", "provider": "99999"}, "provider"),
    ],
)
def test_bad_waitlist_choices_get_a_clear_error(provider, client, data, field):
    patient = make_request()
    url = self_service(client, patient, "manage_waitlist")
    response = client.post(url, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "There is a problem" in response.text
    assert waitlist.entry_of(patient) is None


def test_a_closed_request_leaves_the_list(provider, django_capture_on_commit_callbacks):
    patient = waiting()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.cancel_by_patient(patient)
    assert waitlist.entry_of(patient) is None


def test_the_intake_form_can_put_the_patient_on_the_list(provider, client, belotero):
    from tests.factories import sign_every_language

    sign_every_language(belotero)
    data = intake_post_data(
        belotero, waitlist="on", waitlist_when="chosen", waitlist_days=["1", "2"], waitlist_parts=["2", "4"]
    )
    response = client.post(reverse("consultations:new"), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    entry = WaitlistEntry.objects.get()
    assert (entry.weekdays, entry.day_parts) == ([1, 2], [DayPart.AFTERNOON, DayPart.EVENING])
    assert entry.consultation.slot_start is None  # "No preference", and on the list


def test_the_intake_form_asks_for_a_choice_when_chosen_names_none(provider, client, belotero):
    from tests.factories import sign_every_language

    sign_every_language(belotero)
    response = client.post(
        reverse("consultations:new"), intake_post_data(belotero, waitlist="on", waitlist_when="chosen")
    )
    assert response.status_code == 200
    assert "waitlist_when" in response.context["form"].errors
    assert not WaitlistEntry.objects.exists()


# --- Staff ---------------------------------------------------------------------------------------


def test_staff_see_the_list_per_provider_and_day_and_the_look_is_audited(provider, client):
    on_thursdays = waiting(days=[3], first_name="Thea")
    on_fridays = waiting(days=[4], first_name="Frida")
    user = make_staff("Front desk", username="desk")
    client.force_login(user)
    url = reverse("admin:consultations_waitlistentry_changelist")
    response = client.get(url, {"for_provider": provider.pk, "day": "3"})
    assert response.status_code == 200
    assert on_thursdays.full_name in response.text and on_fridays.full_name not in response.text
    assert AuditEvent.objects.filter(consultation=on_thursdays, user=user, detail="waitlist").count() == 1
    assert client.get(reverse("admin:consultations_waitlistoffer_changelist")).status_code == 200


def test_a_taken_time_is_booking_refused_for_the_loser(provider, django_capture_on_commit_callbacks):
    # booking.SlotTaken is what the view turns into "just taken".
    first, second = waiting(), waiting()
    free(at(provider, 11), django_capture_on_commit_callbacks)
    make_booked_request(at(provider, 11))
    with pytest.raises(booking.SlotTaken):
        workflow.accept_offer(offers_to(first)[0])
    assert offers_to(first)[0].state == OfferState.TAKEN
    assert waitlist.entry_of(first) is not None
    assert second.status == Status.NEW
