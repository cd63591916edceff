import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from consultations.availability import Slot, grouped_by_day, open_slots
from consultations.models import ConsultationRequest
from education.models import Treatment
from tests.factories import make_provider

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_patient_chooses_a_time_then_moves_it_through_the_emailed_link(phone, settings):
    settings.CLINIC_BOOKING_WEEKS = 2
    make_provider(display_name="Dr Rivera", weekdays=range(7))
    first = open_slots()[0]

    phone.goto("/consultations/new/?treatment=belotero")
    phone.get_by_label("First name").fill("Ada")
    phone.get_by_label("Last name").fill("Quillfeather")
    phone.get_by_label("Email address").fill("ada@example.com")
    phone.get_by_label("Mobile phone number").fill("(207) 774-1234")
    phone.get_by_label("Date of birth").fill("1990-04-21")
    phone.get_by_label("What would you like to change or achieve?").fill("Softer lines around my mouth.")
    for precaution in Treatment.objects.get(slug="belotero").screening_precautions():
        phone.get_by_role("group", name=precaution.question).get_by_label("No", exact=True).check()
    phone.get_by_role("group", name=re.compile("pregnant")).get_by_label("No", exact=True).check()
    phone.get_by_label("Preferred time").select_option(first.key)
    phone.get_by_label("I have read the cancellation policy").check()
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Send my request").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")

    consultation = ConsultationRequest.objects.get()
    assert Slot.of(consultation) == first
    (receipt,) = [message for message in mail.outbox if message.to == ["ada@example.com"]]
    link = re.search(r"https?://\S+(/consultations/manage/\S+/)", receipt.body).group(1)

    phone.goto(link)
    expect(phone.get_by_test_id("held-time")).to_have_text(first.label)
    phone.get_by_role("link", name="Move to another time").click()
    (day, times) = grouped_by_day(open_slots())[1]
    target = times[0]
    phone.get_by_label("New time").select_option(target.key)
    phone.get_by_role("button", name="Move to this time").click()

    expect(phone.get_by_test_id("held-time")).to_have_text(target.label)
    consultation.refresh_from_db()
    assert Slot.of(consultation) == target
    assert first in open_slots()  # the old time is free again
