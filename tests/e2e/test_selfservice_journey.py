import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from consultations import links, notices
from consultations.availability import Slot, grouped_by_day, open_slots
from consultations.models import Status
from tests.factories import make_booked_request, make_treatment

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.CLINIC_BOOKING_WEEKS = 2
    settings.CLINIC_MAX_RESCHEDULES = 2


def booked_request():
    return make_booked_request(
        treatment=make_treatment(slug="belotero-e2e", name="Belotero Balance"),
        status=Status.APPROVED,
        first_name="Ann",
        last_name="Patient",
        email="ann@example.com",
        phone="+12075550100",
        date_of_birth=datetime.date(1990, 1, 1),
        goals="Smoother lines",
    )


def test_patient_moves_a_booking_through_the_emailed_link(phone, live_server):
    consultation = booked_request()
    notices.booking_confirmed(consultation)
    (confirmation,) = mail.outbox
    link = re.search(r"https?://\S+(/consultations/manage/\S+/)", confirmation.body).group(1)

    phone.goto(link)
    # The link is traded for a short-lived cookie: the page's own address carries no token (issue 23).
    expect(phone).to_have_url(re.compile(r"/consultations/manage/$"))
    token = link.removeprefix("/consultations/manage/").strip("/")
    expect(phone.get_by_test_id("reference")).to_have_text(consultation.reference)
    expect(phone.get_by_test_id("held-time")).to_have_text(Slot.of(consultation).label)

    phone.get_by_role("link", name="Move to another time").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Move to another time")
    # Pick the first time on the second day offered, from the same select as the intake form's.
    (day, times) = grouped_by_day(open_slots())[1]
    target = times[0]
    phone.get_by_label("New time").select_option(target.key)
    phone.get_by_role("button", name="Move to this time").click()

    expect(phone.get_by_role("status")).to_contain_text(f"Your new time is {target.label}")
    expect(phone.get_by_test_id("held-time")).to_have_text(target.label)
    expect(phone.get_by_test_id("moves-left")).to_have_text("You can move it once more online.")
    assert token not in phone.url and token not in phone.content()
    (visit,) = [cookie for cookie in phone.context.cookies() if cookie["name"] == "clinic_selfservice"]
    assert visit["httpOnly"] and visit["sameSite"] == "Lax"
    consultation.refresh_from_db()
    assert Slot.of(consultation) == target
    # The patient is told by email too, with an updated calendar entry.
    moved = mail.outbox[-1]
    assert consultation.reference in moved.subject
    assert moved.attachments[0].filename == "consultation.ics"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_an_old_link_to_the_move_page_still_opens_it(phone, live_server):
    consultation = make_booked_request()
    phone.goto(links.manage_path(consultation) + "move/")
    expect(phone).to_have_url(re.compile(r"/consultations/manage/move/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Move to another time")
