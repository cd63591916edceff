import importlib
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright cannot download its own browser here: use Debian's chromium.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _baseline_data(request):
    """What a freshly migrated database holds, before each browser test that uses the database.

    Browser tests are transactional: the database is flushed after each. The guides and the staff
    roles come back by themselves (post_migrate: education.content, consultations.permissions); the
    privacy notice is a data migration's row, written again here by that migration's own functions.
    (serialized_rollback alone cannot be relied on: once Playwright's event loop runs in the thread,
    Django hands out a second set of connections, which never held the serialized data.)
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from consultations.models import PrivacyNotice
    from consultations.permissions import sync_roles
    from education.content import load_content

    if PrivacyNotice.objects.exists():
        return
    load_content()
    sync_roles()
    for name, function in (
        ("0002_privacy_notice_v1", "create_notice"),
        ("0010_privacy_notice_in_spanish", "add_spanish"),
    ):
        getattr(importlib.import_module(f"consultations.migrations.{name}"), function)(apps, None)


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page (iPhone 13 viewport) pointed at the live server."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
