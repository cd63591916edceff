"""A patient who cannot use a mouse books a consultation with the keyboard alone.

Only keys move the focus and change the form: Tab (and Shift+Tab), Space, Enter,
typing, and the arrow keys inside a radio group, which is how a keyboard chooses a
radio button. The page's state is read from the DOM to decide the next key.
"""

import re

import pytest
from playwright.sync_api import expect

from consultations.models import ConsultationRequest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MAX_TABS = 120
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name") || "", type: el.type || "",
    text: (el.innerText || "").trim(), outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
    width: box.width, height: box.height,
  };
}"""


@pytest.fixture
def keyboard_page(browser, live_server):
    """A desktop-sized page with the site's real CSP (no bypass: keyboard users get the real site)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def focused(page):
    return page.evaluate(FOCUSED)


def assert_focus_visible(page):
    element = focused(page)
    assert element["outline"] != "none" and element["outlineWidth"] >= 2, f"no visible focus ring on {element}"


def tab_until(page, matches, what):
    """Press Tab until the focused element matches; every stop on the way must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["tag"] != "body":
            assert_focus_visible(page)
        if matches(element):
            return element
    pytest.fail(f"Tab never reached {what} in {MAX_TABS} presses")


def tab_to_field(page, name):
    return tab_until(page, lambda element: element["name"] == name, f"the field {name!r}")


def choose_radio(page, name, label):
    """Tab into a radio group, then arrow to the option with this label; Space selects it."""
    tab_to_field(page, name)
    group = page.locator(f'input[type="radio"][name="{name}"]')
    target = group.and_(page.get_by_label(label, exact=True))
    for _ in range(group.count()):
        if target.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    expect(target).to_be_checked()


def skip_to_main(page):
    """Enter on the focused skip link. Its jump to #main is a navigation within the page: the next
    Tab is pressed once it has happened (under load, a Tab pressed before it was lost to it)."""
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("#main")).to_be_focused()


def test_skip_link_is_first_visible_on_focus_and_moves_to_main(keyboard_page):
    page = keyboard_page
    page.goto("/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to main content"
    # Hidden until focused, then a real, visible target.
    assert skip["width"] > 20 and skip["height"] > 10
    assert_focus_visible(page)
    skip_to_main(page)
    # The next Tab starts inside the main content, past the site navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")


def test_patient_books_a_consultation_with_the_keyboard_only(keyboard_page):
    page = keyboard_page
    page.goto("/")
    # From the home page to the form: the header's "Book a consultation" link, then Enter.
    tab_until(page, lambda element: element["text"] == "Book a consultation", "the Book a consultation link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/consultations/new/$"))

    page.keyboard.press("Tab")
    skip_to_main(page)
    tab_to_field(page, "first_name")
    page.keyboard.type("Ada")
    tab_to_field(page, "last_name")
    page.keyboard.type("Keyboard")
    tab_to_field(page, "email")
    page.keyboard.type("ada.keyboard@example.com")
    tab_to_field(page, "phone")
    page.keyboard.type("(207) 774-1234")
    tab_to_field(page, "date_of_birth")
    page.keyboard.type("04211990")
    tab_to_field(page, "goals")
    page.keyboard.type("Softer lines around my mouth, nothing dramatic.")
    for name in page.eval_on_selector_all(
        'input[type="radio"][name^="precaution_"]', "els => [...new Set(els.map(el => el.name))]"
    ):
        choose_radio(page, name, "No")
    choose_radio(page, "pregnancy", "No")
    # The preferred time is a radio group or a select; "No preference" needs no key press in a select.
    if page.locator('input[type="radio"][name="preferred_time"]').count():
        choose_radio(page, "preferred_time", "No preference / please call me")
    else:
        tab_to_field(page, "preferred_time")
        expect(page.locator('select[name="preferred_time"]')).to_have_value("")
    # The consent box is left unticked on purpose: send, and be taken back to it.
    tab_until(page, lambda element: element["text"] == "Send my request", "the Send button")
    page.keyboard.press("Enter")

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    # Everything typed is still there.
    expect(page.get_by_label("Email address")).to_have_value("ada.keyboard@example.com")
    expect(page.get_by_label("Date of birth")).to_have_value("1990-04-21")
    page.keyboard.press("Tab")
    link = focused(page)
    assert link["tag"] == "a" and "privacy notice" in link["text"]
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "id_consent"
    page.keyboard.press("Space")
    expect(page.locator("#id_consent")).to_be_checked()
    tab_until(page, lambda element: element["text"] == "Send my request", "the Send button")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")
    reference = page.locator("#reference").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{8}", reference)
    stored = ConsultationRequest.objects.get(reference=reference)
    assert stored.email == "ada.keyboard@example.com"
    assert set(stored.answers.values_list("answer", flat=True)) == {"no"}
