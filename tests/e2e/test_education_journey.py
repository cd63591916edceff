import re

import pytest
from playwright.sync_api import expect

from education.models import Treatment
from tests.factories import approve

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_patient_reads_belotero_page_on_a_phone(phone):
    approve(Treatment.objects.get(slug="belotero"))  # the clinic's reviewer signed it
    phone.goto("/")
    phone.get_by_role("link", name=re.compile("Belotero")).first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Belotero")
    references = phone.get_by_role("heading", name="References")
    references.scroll_into_view_if_needed()
    expect(references).to_be_visible()
    expect(phone.locator("#references li").first).to_be_visible()
    expect(phone.get_by_role("link", name="Book a consultation").first).to_be_visible()
    # Nothing wider than the phone screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
