"""A clinic day end to end in Chromium (issue 14): the patient sees the day with the time on the
closed control, the confirmation and the email; a future no-show is refused; a user put in the
Provider group is assignable; photos asked for are sent through the link; form control borders
reach 3:1; the queue fits 1366 px; the schedule and the new pages pass axe."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from clinic import formatting
from consultations.availability import open_slots
from consultations.models import ConsultationRequest, Photo, Provider, Status
from education.models import Treatment
from tests.e2e.test_accessibility import AXE, WCAG_TAGS, report
from tests.factories import make_precaution, make_provider, make_request, make_staff, make_treatment, png_upload
from tests.missing import need_file

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "a-long-test-password"


@pytest.fixture
def desk(browser, live_server):
    """A 1366 px laptop, as the review used, with console errors and CSP reports collected."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


def sign_in(page, username):
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def fill_intake(phone):
    phone.goto("/consultations/new/?treatment=belotero")
    phone.get_by_label("First name").fill("Ada")
    phone.get_by_label("Last name").fill("Quillfeather")
    phone.get_by_label("Email address").fill("ada@example.com")
    phone.get_by_label("Mobile phone number").fill("(207) 774-1234")
    phone.get_by_label("Date of birth").fill("1990-04-21")
    phone.get_by_label("What would you like to change or achieve?").fill("Softer lines around my mouth.")
    for precaution in Treatment.objects.get(slug="belotero").precautions.exclude(question=""):
        phone.get_by_role("group", name=precaution.question).get_by_label("No", exact=True).check()
    phone.get_by_role("group", name=re.compile("pregnant")).get_by_label("No", exact=True).check()
    phone.get_by_label("I have read the privacy notice").check()


def test_patient_sees_the_day_and_time_on_the_control_the_confirmation_and_the_email(phone, settings):
    settings.CLINIC_MIN_FILL_SECONDS = 0
    make_provider(display_name="Dr Rivera", weekdays=range(7))
    chosen = open_slots()[5]
    label = formatting.slot_when(chosen.start)  # e.g. "Mon, Dec 7, 11:00 AM"
    fill_intake(phone)

    control = phone.get_by_label("Preferred time")
    control.select_option(chosen.key)
    # What the closed control shows, and what assistive technology reads for it: day and time.
    assert control.evaluate("s => s.options[s.selectedIndex].text") == label
    expect(control).to_have_accessible_description(re.compile(r"Eastern Time \(America/New_York\)"))
    assert re.match(r"^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d\d [AP]M$", label)
    phone.get_by_label("I have read the cancellation policy").check()

    phone.get_by_role("button", name="Send my request").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")
    expect(phone.get_by_test_id("requested-time")).to_contain_text(label)
    expect(phone.get_by_test_id("requested-time")).to_contain_text("until the clinic confirms it")
    expect(phone.get_by_role("main")).not_to_contain_text("to arrange your consultation")

    (receipt,) = [message for message in mail.outbox if message.to == ["ada@example.com"]]
    assert f"Your requested time: {label} (clinic time)." in receipt.body
    assert "We hold this time for you until the clinic confirms it." in receipt.body


def test_a_future_no_show_is_refused(desk):
    provider = make_provider(user=make_staff("Provider", username="dr-rivera"), display_name="Dr Rivera")
    start = (timezone.now() + datetime.timedelta(days=6)).replace(second=0, microsecond=0)
    booked = make_request(
        status=Status.APPROVED,
        provider=provider,
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
        email="booked@example.com",
    )
    mail.outbox.clear()
    sign_in(desk, "dr-rivera")
    desk.goto(f"/admin/consultations/consultationrequest/{booked.pk}/change/")
    expect(desk.get_by_role("button", name="Mark as no-show")).to_have_count(0)
    expect(desk.get_by_role("button", name="Mark as completed")).to_have_count(0)

    # A forged (or stale-page) POST with a valid CSRF token is refused by the workflow itself.
    token = desk.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = desk.request.post(
        f"/admin/consultations/consultationrequest/{booked.pk}/workflow/no_show/",
        form={"csrfmiddlewaretoken": token, "confirmed": "yes"},
        headers={"Referer": desk.url},
        max_redirects=0,
    )
    assert response.status == 302
    booked.refresh_from_db()
    assert booked.status == Status.APPROVED
    assert mail.outbox == []
    desk.goto(f"/admin/consultations/consultationrequest/{booked.pk}/change/")
    expect(desk.get_by_text("possible from the start of the appointment")).to_be_visible()
    assert desk.problems == []


def test_a_user_put_in_the_provider_group_is_assignable(desk):
    make_staff(username="owner", is_superuser=True)
    colleague = make_staff(username="dr-new", first_name="Noor", last_name="Haddad")
    consultation = make_request(email="p@example.com")
    sign_in(desk, "owner")

    desk.goto(f"/admin/auth/user/{colleague.pk}/change/")
    desk.locator("#id_groups_from").select_option(label="Provider")
    desk.locator("#id_groups_add").click()
    desk.get_by_role("button", name="Save", exact=True).click()
    expect(desk.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Provider.objects.get(user=colleague).display_name == "Noor Haddad"

    desk.goto(f"/admin/consultations/consultationrequest/{consultation.pk}/change/")
    desk.get_by_label("Assigned to").select_option(label="Noor Haddad")
    desk.get_by_role("button", name="Save", exact=True).click()
    consultation.refresh_from_db()
    assert consultation.assigned_to == colleague
    assert desk.problems == []


def test_photos_asked_for_can_be_sent_through_the_link(desk, phone, tmp_path):
    make_provider(user=make_staff("Provider", username="dr-rivera"), display_name="Dr Rivera")
    consultation = make_request(email="patient@example.com")
    sign_in(desk, "dr-rivera")
    desk.goto(f"/admin/consultations/consultationrequest/{consultation.pk}/change/")
    desk.get_by_label("What is needed").select_option(label="Clearer photos of the area you would like treated")
    desk.get_by_role("button", name="Ask the patient for more information").click()
    desk.get_by_role("button", name=re.compile("^Yes: Ask the patient")).click()
    expect(desk.get_by_text(f"{consultation.reference} is now “Needs information”.")).to_be_visible()

    (asking,) = [message for message in mail.outbox if message.to == ["patient@example.com"]]
    link = re.search(r"https?://\S+(/consultations/manage/\S+/)", asking.body).group(1)
    phone.goto(link)
    expect(phone.get_by_test_id("asked-for")).to_contain_text("Clearer photos of the area you would like treated")
    photo = tmp_path / "cheek.png"
    photo.write_bytes(png_upload().read())
    phone.get_by_label("Your photos").set_input_files(str(photo))
    phone.get_by_role("button", name="Send the photos").click()
    expect(phone.get_by_role("status")).to_contain_text("We have your information")

    consultation.refresh_from_db()
    assert consultation.status == Status.TRIAGED
    (sent,) = Photo.objects.filter(consultation=consultation)
    assert sent.additional_info is not None
    notice = mail.outbox[-1]  # staff are told, by reference only
    assert notice.to == ["staff@clinic.test"]
    assert consultation.reference in notice.subject
    desk.goto(f"/admin/consultations/consultationrequest/{consultation.pk}/change/")
    expect(desk.get_by_role("img", name="Photo 1 sent by the patient")).to_be_visible()
    expect(desk.locator(".clinic-history")).to_contain_text("patient (self-service link)")
    assert desk.problems == []


def relative_luminance(rgb):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


BORDERS = """() => {
  const rgb = value => (value.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map(Number);
  const background = element => {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (colour && !/rgba\\(.*, 0\\)$/.test(colour) && colour !== "transparent") return rgb(colour);
    }
    return [255, 255, 255];
  };
  // Form controls a person types in, ticks or picks from; buttons carry their own fill.
  return [...document.querySelectorAll(
      "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]), select, textarea")]
    .filter(element => element.offsetParent !== null)
    .map(element => ({name: element.name || element.id, border: rgb(getComputedStyle(element).borderTopColor),
                      background: background(element)}));
}"""


@pytest.mark.parametrize("path", ["/consultations/new/?treatment=belotero", "/admin/login/"])
def test_form_control_borders_reach_three_to_one(desk, path):
    make_provider(display_name="Dr Rivera", weekdays=range(7))
    desk.goto(path)
    controls = desk.evaluate(BORDERS)
    assert len(controls) >= 2
    weak = [(c["name"], round(contrast(c["border"], c["background"]), 2)) for c in controls]
    weak = [item for item in weak if item[1] < 3]
    assert weak == [], f"form control borders under 3:1 on {path}: {weak}"


def test_queue_fits_1366_px_and_shows_names(desk):
    make_staff(username="owner", is_superuser=True)
    provider = make_provider(display_name="Dr Alexandra Montgomery-Rivera", weekdays=range(7))
    treatment = make_treatment("longfill", name="Belotero Balance (+) Lidocaine")
    precaution = make_precaution(treatment)
    for index in range(3):
        start = timezone.now() + datetime.timedelta(days=index + 1)
        make_request(
            treatment,
            answers={precaution: "yes"},
            email=f"q{index}@example.com",
            first_name="Maria",
            last_name="Okafor-Lindqvist",
            provider=provider,
            slot_start=start,
            slot_end=start + datetime.timedelta(minutes=30),
            assigned_to=provider.user,
        )
    make_request(email="gone@example.com", status=Status.CANCELLED, last_name="Cancelled")
    sign_in(desk, "owner")
    desk.goto("/admin/consultations/consultationrequest/")
    expect(desk.locator("#result_list")).to_contain_text("Maria Okafor-Lindqvist")
    expect(desk.locator("#result_list")).not_to_contain_text("Cancelled")
    header = desk.locator("#result_list thead th.column-assigned")
    box = header.bounding_box()
    assert box["x"] + box["width"] <= 1366
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1366


def axe_violations(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )["violations"]


def test_schedule_confirmation_and_403_pages_pass_axe(browser, live_server):
    need_file(AXE, "apt-get install -y npm, then make node_modules/.installed")
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    provider = make_provider(user=make_staff("Provider", username="dr-rivera"), display_name="Dr Rivera")
    make_staff("Front desk", username="desk")
    # Noon at the clinic today: on today's schedule at any hour (an hour from now is tomorrow
    # when the test runs after 23:00 clinic time).
    start = datetime.datetime.combine(formatting.clinic_today(), datetime.time(12), tzinfo=formatting.clinic_tz())
    consultation = make_request(
        status=Status.APPROVED,
        provider=provider,
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
        email="today@example.com",
    )
    new = make_request(email="new@example.com")
    sign_in(page, "desk")
    page.goto("/admin/consultations/consultationrequest/schedule/")
    expect(page.get_by_role("link", name=consultation.reference)).to_be_visible()
    found = axe_violations(page)
    assert not found, report(page.url, found)
    page.goto(f"/admin/consultations/consultationrequest/{new.pk}/export.json")
    expect(page.get_by_text("Your role does not include this page or action.")).to_be_visible()
    found = axe_violations(page)
    assert not found, report(page.url, found)
    context.clear_cookies()
    sign_in(page, "dr-rivera")
    page.goto(f"/admin/consultations/consultationrequest/{new.pk}/change/")
    page.get_by_role("button", name="Cancel for the clinic").click()
    expect(page.get_by_text("The patient is emailed as soon as you confirm.")).to_be_visible()
    found = axe_violations(page)
    assert not found, report(page.url, found)
    assert ConsultationRequest.objects.get(pk=new.pk).status == Status.NEW
    context.close()


def test_request_page_has_no_empty_bars(desk):
    make_staff(username="owner", is_superuser=True)
    consultation = make_request(email="bars@example.com")
    sign_in(desk, "owner")
    desk.goto(f"/admin/consultations/consultationrequest/{consultation.pk}/change/")
    # Every section heading is one short bar with text; none runs behind the assignment form.
    headings = desk.evaluate(
        """() => [...document.querySelectorAll('#content h2')].map(h => ({text: h.textContent.trim(),
            height: h.getBoundingClientRect().height}))"""
    )
    assert headings and all(h["text"] for h in headings)
    tall = [h for h in headings if h["height"] > 60]
    assert tall == []
