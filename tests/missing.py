"""Local tools the tests start (redis-server, java, nginx, gettext, chromium, node): when one is
missing a test is skipped with the Debian package that brings it; on CI (`CI=true`) that skip is
a failure, so a runner without the tool cannot pass by skipping."""

import os
import shutil

import pytest

PREFIX = "missing tool: "


def need(command, package):
    """The path of `command`, or a skip naming the package to install."""
    found = shutil.which(command)
    if found is None:
        pytest.skip(f"{PREFIX}{command} (apt-get install -y {package})")
    return found


def need_file(path, how):
    """A file made by a setup step (npm ci), or a skip naming that step."""
    if not path.exists():
        pytest.skip(f"{PREFIX}{path.name} ({how})")
    return path


def on_ci(environ=os.environ):
    return environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and on_ci() and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
        if reason.removeprefix("Skipped: ").startswith(PREFIX):
            report.outcome = "failed"
            report.longrepr = f"CI=true and a required tool is {reason.removeprefix('Skipped: ')}"
    return report
