"""Issue 27 in the browser: "call us" inside the cancellation window, confirm or release freeing a time
that another patient then sees on the form, and the "book again" link opening a prefilled form that
asks the screening again.

Times are relative to the moment the test makes them (a booking 3 hours ahead, made 2 hours ago), so
no result depends on the hour of the run."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from clinic import formatting
from consultations import links, recalls, reminders, waitlist
from consultations.availability import open_slots
from consultations.models import ConsultationRequest, Status
from education.models import Treatment
from tests.factories import make_booked_request, make_provider, make_request

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PATIENT = {
    "first_name": "Ann",
    "last_name": "Patient",
    "email": "ann@example.com",
    "phone": "+12075550100",
    "date_of_birth": datetime.date(1990, 1, 1),
    "goals": "Smoother lines",
}


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.CLINIC_BOOKING_WEEKS = 2
    settings.CLINIC_MIN_FILL_SECONDS = 0


def emailed_path(message, pattern):
    return re.search(rf"https?://[^/\s]+({pattern})", message.body).group(1)


def test_inside_the_window_the_link_offers_call_us_instead_of_cancel_or_move(phone):
    now = timezone.now()
    consultation = make_booked_request(
        status=Status.APPROVED,
        start=(now + datetime.timedelta(hours=3)).replace(second=0, microsecond=0),
        policy_version="2026-12-1",
        policy_accepted_at=now,
        **PATIENT,
    )
    # Booked two hours ago: past the hour of grace, three hours before the time (window: 24 h).
    ConsultationRequest.objects.filter(pk=consultation.pk).update(created_at=now - datetime.timedelta(hours=2))
    phone.goto(links.manage_path(consultation))
    expect(phone).to_have_url(re.compile(r"/consultations/manage/$"))
    call = phone.get_by_test_id("call-us")
    expect(call).to_contain_text("Need to cancel or move? Call us")
    phones = formatting.clinic_phones()
    expect(call.get_by_role("link", name=f"Call us at {phones['PHONE']}")).to_have_attribute(
        "href", f"tel:{phones['PHONE_TEL']}"
    )
    expect(phone.get_by_role("link", name="Cancel this request")).to_have_count(0)
    expect(phone.get_by_role("link", name="Move to another time")).to_have_count(0)


def test_release_from_the_reminder_frees_the_time_for_another_patient(phone, browser, live_server):
    provider = make_provider(display_name="Dr Rivera", weekdays=range(7))
    freed = open_slots(provider=provider)[0]
    consultation = make_booked_request(freed, status=Status.APPROVED, **PATIENT)
    # Someone on the waitlist for any earlier time (they asked for "No preference" on the form).
    waiting = make_request(first_name="Wanda", email="wanda@example.com")
    waitlist.join(waiting)

    other = browser.new_context(base_url=live_server.url).new_page()
    other.goto("/consultations/new/?treatment=belotero")
    expect(other.locator(f'select[name="preferred_time"] option[value="{freed.key}"]')).to_have_count(0)

    reminders.send_reminder.call(consultation.pk)
    (reminder,) = mail.outbox
    phone.goto(emailed_path(reminder, r"/consultations/manage/[^/\s]+/attendance/"))
    expect(phone).to_have_url(re.compile(r"/consultations/manage/attendance/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Will you come?")
    phone.get_by_role("button", name="No, release my time").click()
    expect(phone.get_by_role("status")).to_contain_text("Your time is released")
    consultation.refresh_from_db()
    assert consultation.status == Status.CANCELLED
    # The released time went to the waitlist at once: its patient has the offer by email.
    (offer,) = [message for message in mail.outbox if message.to == ["wanda@example.com"]]
    assert "/consultations/offer/" in offer.body

    # Another patient opening the form now is offered the freed time.
    other.goto("/consultations/new/?treatment=belotero")
    expect(other.locator(f'select[name="preferred_time"] option[value="{freed.key}"]')).to_have_count(1)
    other.context.close()


def test_recall_link_opens_a_prefilled_form_that_asks_the_screening_again(phone):
    belotero = Treatment.objects.get(slug="belotero")
    earlier = make_booked_request(status=Status.COMPLETED, treatment=belotero, **PATIENT)
    long_ago = timezone.now() - datetime.timedelta(weeks=belotero.recall_weeks + 1)
    ConsultationRequest.objects.filter(pk=earlier.pk).update(status_changed_at=long_ago, created_at=long_ago)
    assert recalls.queue_due() == 1
    (message,) = [m for m in mail.outbox if m.to == [PATIENT["email"]]]

    phone.goto(emailed_path(message, r"/consultations/again/[^/\s]+/"))
    expect(phone).to_have_url(re.compile(r"/consultations/new/$"))
    expect(phone.get_by_test_id("book-again-notice")).to_contain_text("things may have changed since your last visit")
    expect(phone.get_by_label("First name")).to_have_value("Ann")
    expect(phone.get_by_label("Last name")).to_have_value("Patient")
    expect(phone.get_by_label("Email address")).to_have_value("ann@example.com")
    expect(phone.get_by_label("Date of birth")).to_have_value("1990-01-01")
    questions = list(belotero.screening_precautions())
    assert questions
    for precaution in questions:
        group = phone.get_by_role("group", name=precaution.question)
        expect(group.locator("input[type=radio]:checked")).to_have_count(0)

    # Sent without the screening: every question is asked for.
    phone.get_by_label("What would you like to change or achieve?").fill("The same again, please.")
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Send my request").click()
    summary = phone.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(len(questions) + 1)  # and the pregnancy question

    for precaution in questions:
        phone.get_by_role("group", name=precaution.question).get_by_label("No", exact=True).check()
    phone.get_by_role("group", name=re.compile("pregnant")).get_by_label("No", exact=True).check()
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Send my request").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")
    again = ConsultationRequest.objects.exclude(pk=earlier.pk).get()
    assert (again.first_name, again.email, again.answers.count()) == ("Ann", "ann@example.com", len(questions))
