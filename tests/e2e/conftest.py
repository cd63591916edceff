import pytest

from tests.missing import need

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
    return {**browser_type_launch_args, "executable_path": need("chromium", "chromium"), "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _baseline_data(request):
    """What a freshly migrated database holds, before each browser test that uses the database.

    Browser tests are transactional: the database is flushed after each. The guides, the staff
    roles and the privacy notice come back by themselves (post_migrate: education.content,
    consultations.permissions, consultations.signals.ensure_privacy_notice); this writes them again
    in the connection the browser test uses.
    (serialized_rollback alone cannot be relied on: once Playwright's event loop runs in the thread,
    Django hands out a second set of connections, which never held the serialized data.)
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db")

    from consultations.models import PrivacyNotice
    from consultations.permissions import sync_roles
    from consultations.signals import ensure_cancellation_policy, ensure_privacy_notice
    from education.content import load_content

    ensure_cancellation_policy(sender=None)
    if PrivacyNotice.objects.exists():
        return
    load_content()
    sync_roles()
    ensure_privacy_notice(sender=None)


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
