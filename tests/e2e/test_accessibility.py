"""axe-core (WCAG 2.2 AA rules) on every public page, on a phone and on a desktop screen.

Any violation fails the test and is printed with the rule, the element and axe's advice.
axe-core comes from npm (package-lock.json; `make test` installs it). The site's CSP
forbids inline scripts and Playwright injects axe as one, so these contexts (and only
these) bypass the CSP.
"""

from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import expect

from consultations import links
from consultations.models import CancellationPolicy, Status
from consultations.views import SUBMITTED_COOKIE, submitted_cookie_value
from education.models import Treatment
from tests.factories import approve, make_request
from tests.missing import need_file

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.fixture(params=list(VIEWPORTS))
def axe_page(request, browser, live_server):
    need_file(AXE, "apt-get install -y npm, then make node_modules/.installed")
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, **VIEWPORTS[request.param])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    return result["violations"]


def report(url, found):
    lines = [f"{len(found)} axe violation(s) on {url}:"]
    for violation in found:
        lines.append(f"- {violation['id']} [{violation['impact']}] {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {' '.join(node['target'])}: {node['html'][:160]}")
            lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page):
    found = violations(page)
    assert not found, report(page.url, found)


def open_as_patient_who_sent(page, live_server, consultation):
    """The confirmation page finds the request through a signed cookie of the browser that sent it."""
    page.context.add_cookies(
        [{"name": SUBMITTED_COOKIE, "value": submitted_cookie_value(consultation), "url": live_server.url}]
    )


@pytest.mark.parametrize("path", ["/", "/treatments/", "/consultations/privacy/", "/no-such-page/"])
def test_public_page_has_no_axe_violations(axe_page, path):
    axe_page.goto(path)
    assert_accessible(axe_page)


@pytest.mark.parametrize(
    "path", ["/es/", "/es/treatments/", "/es/consultations/privacy/", "/es/no-such-page/", "/es/consultations/new/"]
)
def test_spanish_page_has_no_axe_violations(axe_page, path):
    axe_page.goto(path)
    assert_accessible(axe_page)


def test_every_spanish_treatment_page_has_no_axe_violations(axe_page):
    sign_every_guide("en", "es")
    reports = []
    with translation.override("es"):
        paths = [treatment.get_absolute_url() for treatment in Treatment.objects.published()]
    for path in paths:
        axe_page.goto(path)
        if found := violations(axe_page):
            reports.append(report(axe_page.url, found))
    assert not reports, "\n\n".join(reports)


def test_spanish_self_service_pages_have_no_axe_violations(axe_page):
    consultation = make_request(language="es")
    with translation.override("es"):
        manage = links.manage_path(consultation)
    for path in (manage, manage + "move/", manage + "cancel/"):
        axe_page.goto(path)
        assert_accessible(axe_page)


def test_every_treatment_page_has_no_axe_violations(axe_page):
    treatments = list(Treatment.objects.published())
    assert len(treatments) >= 2  # the shipped guides: Belotero and dermal fillers
    reports = []
    # As a fresh install shows them (waiting for the clinic's reviewer), then as signed.
    for signed in (False, True):
        if signed:
            sign_every_guide("en")
        for treatment in treatments:
            axe_page.goto(treatment.get_absolute_url())
            if found := violations(axe_page):
                reports.append(report(axe_page.url, found))
    assert not reports, "\n\n".join(reports)


def sign_every_guide(*languages):
    for treatment in Treatment.objects.published():
        for language in languages:
            approve(treatment, language=language)


def test_empty_consultation_form_has_no_axe_violations(axe_page):
    axe_page.goto("/consultations/new/")
    expect(axe_page.get_by_role("button", name="Send my request")).to_be_visible()
    assert_accessible(axe_page)


def test_consultation_form_with_the_waitlist_choices_shown_has_no_axe_violations(axe_page):
    # The day and time choices show once the box is ticked: axe only checks what is shown.
    axe_page.goto("/consultations/new/")
    axe_page.get_by_label("Tell me if an earlier time opens").check()
    expect(axe_page.get_by_role("group", name="Days (optional)")).to_be_visible()
    assert_accessible(axe_page)


def test_consultation_form_with_errors_has_no_axe_violations(axe_page):
    axe_page.goto("/consultations/new/")
    axe_page.get_by_label("Email address").fill("not-an-email")
    axe_page.get_by_role("button", name="Send my request").click()
    expect(axe_page.get_by_role("heading", name="Please check the following")).to_be_visible()
    assert_accessible(axe_page)


def test_confirmation_page_has_no_axe_violations(axe_page, live_server):
    consultation = make_request()
    open_as_patient_who_sent(axe_page, live_server, consultation)
    axe_page.goto("/consultations/submitted/")
    expect(axe_page.get_by_text(consultation.reference).first).to_be_visible()
    assert_accessible(axe_page)


@pytest.mark.parametrize("status", [Status.NEW, Status.NEEDS_INFO])
def test_self_service_page_has_no_axe_violations(axe_page, status):
    consultation = make_request(status=status)
    axe_page.goto(links.manage_path(consultation))
    expect(axe_page.get_by_text(consultation.reference).first).to_be_visible()
    assert_accessible(axe_page)


def test_self_service_information_with_errors_has_no_axe_violations(axe_page):
    axe_page.goto(links.manage_path(make_request(status=Status.NEEDS_INFO)))
    axe_page.get_by_role("button", name="Send the information").click()
    expect(axe_page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(axe_page.locator("#error-summary")).to_be_focused()
    assert_accessible(axe_page)


def test_self_service_cancel_page_has_no_axe_violations(axe_page):
    axe_page.goto(links.manage_path(make_request()) + "cancel/")
    expect(axe_page.get_by_role("button", name="Yes, cancel my request")).to_be_visible()
    assert_accessible(axe_page)


def test_self_service_time_page_has_no_axe_violations(axe_page):
    consultation = make_request()
    axe_page.goto(links.manage_path(consultation) + "move/")
    assert_accessible(axe_page)


def test_treatment_page_reads_without_javascript(browser, live_server):
    approve(Treatment.objects.get(slug="belotero"))
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/treatments/belotero/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Belotero")
    expect(page.locator("#references li").first).to_be_visible()
    expect(page.get_by_role("link", name="Book a consultation").first).to_be_visible()
    context.close()


def test_waitlist_page_with_errors_has_no_axe_violations(axe_page):
    axe_page.goto(links.manage_path(make_request()) + "waitlist/")
    axe_page.get_by_label("Only on the days and at the times I choose").check()
    axe_page.get_by_role("button", name="Put me on the waitlist").click()
    expect(axe_page.locator("#error-summary")).to_be_focused()
    assert_accessible(axe_page)


def test_waitlist_offer_page_has_no_axe_violations(axe_page):
    from consultations import waitlist
    from consultations.availability import open_slots
    from tests.factories import make_provider

    provider = make_provider(display_name="Dr Axe", weekdays=range(7))
    waitlist.join(make_request())
    slot = open_slots(provider=provider)[0]
    (offer,) = waitlist.offer_time(slot.provider_id, slot.start, slot.end)
    axe_page.goto(f"/consultations/offer/{offer.token}/")
    expect(axe_page.get_by_role("button", name="Yes, give me this time")).to_be_visible()
    assert_accessible(axe_page)
    # The policy changed while the page was open: the page asks again, with its error summary.
    CancellationPolicy.objects.create(version="axe-2", text="Call us two days before.")
    axe_page.get_by_role("button", name="Yes, give me this time").click()
    expect(axe_page.get_by_text("Our cancellation policy changed after you opened this page")).to_be_visible()
    assert_accessible(axe_page)
