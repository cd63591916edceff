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


@pytest.fixture(scope="session")
def _serialized_test_data(django_db_setup):
    """The data migrations' rows that serialized_rollback restores, read before Playwright starts."""
    from django.db import connections

    return {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}


@pytest.fixture(scope="session")
def browser(_serialized_test_data, browser):
    # Playwright's sync API keeps an asyncio loop running in this thread, and from then on Django
    # hands out a second set of connections (asgiref Local). Without the serialized data on them,
    # every browser test after the first one in a worker would start on an empty database.
    from django.db import connections

    for alias, contents in _serialized_test_data.items():
        if contents is not None and not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = contents
    return browser


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
