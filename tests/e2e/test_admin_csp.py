"""The admin works in a real browser under the strict Content-Security-Policy and Permissions-Policy."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def console_errors(phone):
    """Console errors and warnings (Chromium reports an unknown Permissions-Policy feature as a warning)."""
    errors = []
    phone.on("console", lambda message: errors.append(message.text) if message.type in ("error", "warning") else None)
    return errors


def test_staff_signs_in_and_admin_scripts_run_under_csp(phone, console_errors, django_user_model):
    django_user_model.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    django_user_model.objects.create_user("colleague", "colleague@example.com", PASSWORD)

    phone.goto(reverse("admin:login"))
    phone.get_by_label("Username").fill("staff")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("heading", level=1)).to_be_visible()

    # actions.js: "select all" ticks every row. It only works if the admin's scripts were allowed to run.
    phone.goto(reverse("admin:auth_user_changelist"))
    phone.locator("#action-toggle").check()
    expect(phone.locator("input.action-select").first).to_be_checked()
    expect(phone.locator("input.action-select").last).to_be_checked()

    # The user form loads more admin JavaScript and widget styles.
    phone.goto(reverse("admin:auth_user_add"))
    expect(phone.get_by_label("Username")).to_be_visible()

    policy_errors = [
        text for text in console_errors if "Content Security Policy" in text or "Permissions-Policy" in text
    ]
    assert policy_errors == []


def test_public_pages_raise_no_policy_errors(phone, console_errors):
    for path in ("/", "/treatments/belotero/", "/consultations/new/"):
        phone.goto(path)
        expect(phone.get_by_role("heading", level=1)).to_be_visible()
    assert [text for text in console_errors if "Policy" in text] == []
