"""A missing local tool skips with the package to install; on CI (`CI=true`) the skip fails."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = """
from tests.missing import need

def test_needs_a_tool_nobody_has():
    need("clinic-no-such-tool", "clinic-no-such-package")

def test_skipped_for_another_reason():
    import pytest
    pytest.skip("not today")
"""


def run_sample(tmp_path, ci):
    (tmp_path / "conftest.py").write_text("from tests.missing import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:xdist", "-p", "no:cacheprovider", "-rA", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_tool_is_a_skip_naming_the_package(tmp_path):
    result = run_sample(tmp_path, ci="")
    assert result.returncode == 0, result.stdout
    assert "clinic-no-such-tool (apt-get install -y clinic-no-such-package)" in result.stdout
    assert "2 skipped" in result.stdout


@pytest.mark.parametrize("ci", ["true", "TRUE", "1"])
def test_on_ci_a_missing_tool_fails_and_other_skips_stay_skips(tmp_path, ci):
    result = run_sample(tmp_path, ci=ci)
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 skipped" in result.stdout
    assert "CI=true and a required tool is missing tool: clinic-no-such-tool" in result.stdout
