"""A provider's morning in the admin: sign in, open the flagged request at the top of the
queue, leave a note, approve and confirm the time; the patient gets the confirmation with
a calendar invitation. Under the real CSP, with no blocked script or style."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from consultations.models import Note, Status
from tests.factories import make_precaution, make_provider, make_request, make_staff, make_treatment

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def desk(browser, live_server):
    """A laptop-sized page, as staff use the admin at the front desk or in a treatment room."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


def test_provider_reviews_and_approves_the_flagged_request(desk):
    provider = make_provider(user=make_staff("Provider", username="dr-rivera"), display_name="Dr Rivera")
    treatment = make_treatment()
    precaution = make_precaution(treatment, question="Have you ever had a severe allergic reaction?")
    start = (timezone.now() + datetime.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    make_request(treatment, email="older@example.com")
    flagged = make_request(
        treatment,
        answers={precaution: "yes"},
        email="patient@example.com",
        provider=provider,
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
    )
    mail.outbox.clear()

    desk.goto("/admin/")
    desk.get_by_label("Username").fill("dr-rivera")
    desk.get_by_label("Password").fill("a-long-test-password")
    desk.get_by_role("button", name="Log in").click()

    desk.get_by_role("link", name=re.compile("Flagged and open")).click()
    first_row = desk.locator("#result_list tbody tr").first
    expect(first_row).to_contain_text("Do not treat")
    first_row.get_by_role("link", name=flagged.reference).click()

    expect(desk.get_by_role("heading", name="Flags from the screening questions")).to_be_visible()
    expect(desk.get_by_role("rowheader", name="Have you ever had a severe allergic reaction?")).to_be_visible()

    desk.get_by_label("Add an internal note").fill("Allergy was to penicillin; filler is fine to discuss.")
    desk.get_by_role("button", name="Add note").click()
    expect(desk.get_by_text("Note added.")).to_be_visible()
    expect(desk.locator("#notes")).to_contain_text("Allergy was to penicillin")

    # A Do-not-treat flag: the approval takes a ticked acknowledgement, then a confirmation step
    # before the patient is emailed (issue 14).
    desk.get_by_label("I have read the flags and approve this request anyway").check()
    desk.get_by_role("button", name=re.compile("^Approve and confirm")).click()
    expect(desk.get_by_text("The patient is emailed as soon as you confirm.")).to_be_visible()
    assert [message for message in mail.outbox if message.to == ["patient@example.com"]] == []
    desk.get_by_role("button", name=re.compile("^Yes: Approve")).click()
    expect(desk.get_by_text(f"{flagged.reference} is now “Approved / booked”.")).to_be_visible()

    flagged.refresh_from_db()
    assert flagged.status == Status.APPROVED
    assert Note.objects.filter(consultation=flagged, author=provider.user).count() == 1
    (confirmation,) = [message for message in mail.outbox if message.to == ["patient@example.com"]]
    assert flagged.reference in confirmation.subject
    (invitation,) = confirmation.attachments
    assert invitation.filename.endswith(".ics")
    assert "BEGIN:VCALENDAR" in invitation.content
    assert invitation.mimetype.startswith("text/calendar")
    assert desk.problems == []
