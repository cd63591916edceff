import re

import pytest
from playwright.sync_api import expect

from consultations.models import ConsultationRequest
from education.models import Treatment

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_patient_books_a_consultation_on_a_phone_after_fixing_errors(phone):
    phone.goto("/")
    phone.get_by_role("link", name=re.compile("Belotero")).first.click()
    phone.get_by_role("main").get_by_role("link", name="Book a consultation").first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Book a consultation")
    expect(phone.get_by_label("Treatment you are interested in")).to_have_value("belotero")

    # Sent empty: a summary at the top, in focus, linking to each field.
    phone.get_by_role("button", name="Send my request").click()
    summary = phone.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please enter your first name.")
    expect(summary).to_contain_text("Please confirm that you have read the privacy notice.")
    summary.get_by_role("link", name="Please enter your email address.").click()
    expect(phone).to_have_url(re.compile("#id_email$"))
    expect(phone.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")

    phone.get_by_label("First name").fill("Ada")
    phone.get_by_label("Last name").fill("Quillfeather")
    phone.get_by_label("Email address").fill("ada@example")  # still wrong: checked again below
    phone.get_by_label("Mobile phone number").fill("(207) 774-1234")
    phone.get_by_label("Date of birth").fill("1990-04-21")
    phone.get_by_label("Lips").check()
    phone.get_by_label("What would you like to change or achieve?").fill("Fuller lips that still look like mine.")
    for precaution in Treatment.objects.get(slug="belotero").screening_precautions():
        phone.get_by_role("group", name=precaution.question).get_by_label("No", exact=True).check()
    pregnancy = phone.get_by_role("group", name="Are you pregnant, could you be pregnant, or are you breastfeeding?")
    pregnancy.get_by_label("No", exact=True).check()
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Send my request").click()

    # Only the email is still wrong; everything typed is still there.
    expect(phone.get_by_role("alert")).to_contain_text("Please enter an email address like name@example.com.")
    expect(phone.get_by_label("First name")).to_have_value("Ada")
    expect(phone.get_by_label("Lips")).to_be_checked()
    expect(phone.get_by_label("I have read the privacy notice")).to_be_checked()
    phone.get_by_label("Email address").fill("ada@example.com")
    phone.get_by_role("button", name="Send my request").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")
    reference = phone.locator("#reference")
    expect(reference).to_have_text(re.compile(r"^[A-Z0-9]{8}$"))
    assert reference.inner_text() == ConsultationRequest.objects.get().reference
    assert "reference" not in phone.url.lower() and reference.inner_text() not in phone.url
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_waitlist_choices_show_once_the_patient_asks_for_an_earlier_time(phone):
    """The form is long on a phone: the waitlist's day and time choices wait behind their box."""
    phone.goto("/consultations/new/")
    when = phone.get_by_role("group", name="Which times suit you?")
    days = phone.get_by_role("group", name="Days (optional)")
    expect(when).to_be_hidden()
    expect(days).to_be_hidden()

    phone.get_by_label("Tell me if an earlier time opens").check()
    expect(when).to_be_visible()
    expect(days).to_be_visible()
    when.get_by_label("Only on the days and at the times I choose").check()

    phone.get_by_label("Tell me if an earlier time opens").uncheck()
    expect(when).to_be_hidden()
