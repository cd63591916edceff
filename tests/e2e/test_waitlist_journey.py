"""The waitlist in a browser (issue 27): a cancelled time is offered to two waitlisted patients by
email, both open their link and press the button, exactly one gets the time; the other is told it
was just taken and stays on the list."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from consultations import waitlist, workflow
from consultations.availability import Slot
from consultations.models import OfferState, WaitlistOffer
from tests.factories import make_booked_request, make_provider, make_request

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.CLINIC_BOOKING_WEEKS = 2
    settings.CLINIC_WAITLIST_OFFER_BATCH = 3


def phone_page(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_a_cancelled_time_goes_to_the_first_of_two_waitlisted_patients_who_takes_it(browser, live_server):
    provider = make_provider(display_name="Dr Journey", weekdays=range(7))
    holder = make_booked_request(provider=provider, email="holder@example.com")
    freed = Slot.of(holder)
    ann = make_request(first_name="Ann", email="ann@example.com")
    bea = make_request(first_name="Bea", email="bea@example.com")
    waitlist.join(ann)
    waitlist.join(bea)
    mail.outbox.clear()

    workflow.cancel_by_patient(holder)  # commits: the time is offered to the waitlist

    links = {}
    for message in mail.outbox:
        found = re.search(r"https?://[^/\s]+(/consultations/offer/\S+/)", message.body)
        if found:
            links[message.to[0]] = found.group(1)
    assert set(links) == {"ann@example.com", "bea@example.com"}

    pages = {email: phone_page(browser, live_server) for email in links}
    for email, page in pages.items():
        page.goto(links[email])
        expect(page.get_by_role("heading", level=1)).to_have_text("An earlier time is free")
        expect(page.get_by_test_id("offer-time")).to_have_text(freed.label)
    # Opening the links took nothing (mail scanners open links too).
    assert set(WaitlistOffer.objects.values_list("state", flat=True)) == {OfferState.PENDING}

    pages["ann@example.com"].get_by_role("button", name="Yes, give me this time").click()
    expect(pages["ann@example.com"].get_by_role("heading", level=1)).to_have_text("This time is yours")
    pages["bea@example.com"].get_by_role("button", name="Yes, give me this time").click()
    bea_page = pages["bea@example.com"]
    expect(bea_page.get_by_role("heading", level=1)).to_have_text("This time was just taken")
    expect(bea_page.get_by_test_id("offer-outcome")).to_contain_text("You are still on our waitlist")
    assert bea_page.evaluate("document.documentElement.scrollWidth") <= 390

    ann.refresh_from_db()
    bea.refresh_from_db()
    assert Slot.of(ann) == freed and bea.slot_start is None
    assert waitlist.entry_of(ann) is None and waitlist.entry_of(bea) is not None
    for page in pages.values():
        page.context.close()
