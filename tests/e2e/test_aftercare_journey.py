"""After the visit end to end on a phone (issue 26, "Done when"): a provider records a treatment with
a lot → the patient gets the aftercare email and page (English and Spanish) → the day-2 check-in
says "my skin looks blotchy" → the patient sees the emergency steps, the request is urgent at the
top of the queue and the provider is notified → the provider logs the complication and prints the
MedWatch fields → the lot search finds the patient. Every new page passes axe.

The clock is fixed (time-machine, ticking from START), so every date on the way is known.
"""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from clinic import formatting
from consultations.models import CheckIn, Complication, ConsultationRequest, Status, TreatmentRecord
from tests.e2e.test_accessibility import AXE, WCAG_TAGS, report
from tests.factories import make_provider, make_request, sign_every_language

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def belotero(belotero):
    # After the visit the clinic has launched: its reviewer signed the page (aftercare comes from it).
    return sign_every_language(belotero)


PASSWORD = "a-long-test-password"
# Monday 7 December 2026, 10:00 at the clinic (America/New_York).
START = datetime.datetime(2026, 12, 7, 15, 0, tzinfo=datetime.UTC)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture
def phone_axe(browser, live_server):
    """A phone-sized page that can run axe (the CSP forbids the injected script: bypassed here only)."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def assert_accessible(page):
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )["violations"]
    assert not found, report(page.url, found)
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
             .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
             .slice(0, 8)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, (page.url, wide)


def sign_in(page, username):
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def link_in(email, part):
    return re.search(rf"https?://[^/\s]+(/\S*{part}\S*)", email.body).group(1)


def test_after_the_visit_end_to_end_on_a_phone(phone_axe, live_server, clock, belotero):
    assert AXE.exists()
    page = phone_axe
    provider = make_provider(display_name="Dr Rivera")
    provider.user.email = "dr.rivera@clinic.test"
    provider.user.save()
    consultation = make_request(
        belotero,
        status=Status.COMPLETED,
        first_name="Maria",
        last_name="Okafor",
        email="maria@example.com",
        phone="+12075550142",
        assigned_to=provider.user,
    )

    # 1. The provider records the treatment with its lot, from the request page.
    sign_in(page, provider.user.username)
    page.goto(f"/admin/consultations/consultationrequest/{consultation.pk}/change/")
    page.get_by_role("link", name="Record a treatment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the treatment")
    assert_accessible(page)
    page.get_by_label("Product", exact=True).select_option("Belotero Balance")
    page.get_by_label("Lips", exact=True).check()
    page.get_by_label("Amount (mL)").fill("1.0")
    page.get_by_label("Lot number").fill("h 4471 b")
    page.get_by_label("Lot expiry date").fill("2027-06-30")
    page.get_by_label("Given at").fill("2026-12-05T10:00")  # two days ago: the day-2 check-in is due
    page.get_by_role("button", name="Record and email aftercare").click()
    expect(page.locator(".messagelist")).to_contain_text("Treatment recorded")
    assert TreatmentRecord.objects.get().lot_number == "H4471B"

    # 2. The patient's aftercare email and page, in English and in Spanish.
    (aftercare_email,) = mail.outbox
    assert aftercare_email.to == ["maria@example.com"]
    aftercare_path = link_in(aftercare_email, "/aftercare/")
    page.context.clear_cookies()
    page.goto(aftercare_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your aftercare")
    expect(page.get_by_test_id("emergency-steps")).to_contain_text("Call 911 first")
    expect(page.get_by_test_id("emergency-steps")).to_contain_text(formatting.clinic_phones()["EMERGENCY_PHONE"])
    expect(page.get_by_test_id("check-ins")).to_contain_text("Day 2")
    assert_accessible(page)
    page.goto("/es" + aftercare_path)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    with translation.override("es"):
        expect(page.get_by_role("heading", level=1)).to_have_text(gettext("Your aftercare"))
    assert_accessible(page)

    # 3. The day-2 check-in: "my skin looks blotchy".
    call_command("send_check_ins")
    check_in_email = mail.outbox[-1]
    assert consultation.reference in check_in_email.subject
    assert "day 2" in check_in_email.body
    page.goto(link_in(check_in_email, "/check-in/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Day 2")
    assert_accessible(page)
    page.get_by_label("It is getting worse, or I am worried").check()
    page.get_by_label("My skin looks blotchy, pale, dusky, blue or darker than usual").check()
    page.get_by_label("Anything else you would like us to know (optional)").fill("my skin looks blotchy")
    page.get_by_role("button", name="Send my answers").click()

    # 4. The patient sees the emergency steps; the request is urgent; the provider is told.
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    expect(page.get_by_test_id("urgent-message")).to_be_visible()
    expect(page.get_by_test_id("emergency-steps")).to_contain_text("911")
    assert_accessible(page)
    alerts = [email for email in mail.outbox if email.subject.startswith("URGENT")]
    assert sorted(email.to[0] for email in alerts) == ["dr.rivera@clinic.test", settings.CLINIC_STAFF_EMAIL]
    assert all("blotchy" not in email.body for email in mail.outbox)
    make_request(belotero, email="newer@example.com", worst_flag="do_not_treat")  # new and flagged: still below

    sign_in(page, provider.user.username)
    page.goto("/admin/consultations/consultationrequest/")
    first_row = page.locator("#result_list tbody tr").first
    expect(first_row).to_contain_text(consultation.reference)
    expect(first_row).to_contain_text("Urgent check-in")

    # 5. The provider opens it, logs the complication and prints the MedWatch fields.
    first_row.get_by_role("link", name=consultation.reference).click()
    expect(page.get_by_role("heading", name="Urgent: a check-in named a warning sign")).to_be_visible()
    expect(page.get_by_test_id("check-ins")).to_contain_text("my skin looks blotchy")
    assert CheckIn.objects.get(day=2).opened_by == provider.user
    page.get_by_role("link", name="Record a complication").click()
    assert_accessible(page)
    page.get_by_label("Type").select_option(Complication.Kind.VASCULAR)
    page.get_by_label("Onset").fill("2026-12-07T09:30")
    page.get_by_label("What happened").fill("Dusky, blotchy skin of the upper lip on day 2.")
    page.get_by_label("Hyaluronidase").check()
    page.get_by_label("Outcome", exact=True).select_option(Complication.Outcome.RECOVERING)
    page.get_by_label("Required intervention to prevent permanent impairment or damage").check()
    page.get_by_role("button", name="Record the complication").click()
    medwatch = page.get_by_test_id("medwatch")
    expect(medwatch).to_contain_text("Belotero Balance")
    expect(medwatch).to_contain_text("H4471B")
    expect(medwatch).to_contain_text("2027-06-30")
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(medwatch).to_be_visible()
    expect(page.locator("#header")).to_be_hidden()  # on paper: the fields, not the admin
    page.emulate_media(media="screen")

    # 6. The lot search finds the patient.
    page.goto("/admin/consultations/consultationrequest/lot-recall/")
    page.get_by_label("Lot number").fill("H4471B")
    page.get_by_role("button", name="Find patients").click()
    results = page.get_by_test_id("lot-results")
    expect(results).to_contain_text(consultation.reference)
    expect(results).to_contain_text("Maria Okafor")
    assert_accessible(page)
    assert ConsultationRequest.objects.get(pk=consultation.pk).urgent_since is not None
