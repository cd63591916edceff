"""`make run` leaves a `.env` behind so every manage.py command works in a fresh clone, while
production still refuses a missing (or borrowed) secret key. Run in a temporary copy of the
project with an empty environment, as a newcomer's shell would be."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# make run's steps in a clone of the repository, each a manage.py process: not in make test-fast.
pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A copy of the tracked files (as a fresh clone has them), sharing this run's virtualenv."""
    target = tmp_path_factory.mktemp("clone")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in filter(None, tracked.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(Path(sys.prefix))
    return target


def shell_env(**variables):
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return {**base, **variables}


def run(clone, *command, **variables):
    return subprocess.run(
        command, cwd=clone, env=shell_env(**variables), capture_output=True, text=True, timeout=300, check=False
    )


def write_env_file(clone):
    # -o: the shared virtualenv counts as installed (make run would otherwise pip install first).
    result = run(clone, "make", "-o", ".venv/.installed", ".env")
    assert result.returncode == 0, result.stdout + result.stderr
    return (clone / ".env").read_text()


def test_make_run_writes_a_private_env_file_once(clone):
    first = write_env_file(clone)
    assert "DJANGO_DEBUG=true" in first.splitlines()
    key = next(line.split("=", 1)[1] for line in first.splitlines() if line.startswith("DJANGO_SECRET_KEY="))
    assert len(key) >= 50
    assert write_env_file(clone) == first  # never overwritten: sessions and links stay valid
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0


def test_createsuperuser_works_after_make_run_with_nothing_typed(clone):
    write_env_file(clone)
    python = str(clone / ".venv" / "bin" / "python")
    migrate = run(clone, python, "manage.py", "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    result = run(
        clone,
        python,
        "manage.py",
        "createsuperuser",
        "--noinput",
        DJANGO_SUPERUSER_USERNAME="owner",
        DJANGO_SUPERUSER_EMAIL="owner@clinic.test",
        DJANGO_SUPERUSER_PASSWORD="a-long-local-password",
    )
    assert result.returncode == 0, result.stderr
    assert "Superuser created successfully." in result.stdout


def test_production_refuses_the_secret_key_from_the_env_file(clone):
    write_env_file(clone)
    result = run(clone, str(clone / ".venv" / "bin" / "python"), "manage.py", "check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY comes from the local development file" in result.stderr


def test_environment_variables_win_over_the_env_file(clone):
    write_env_file(clone)
    python = str(clone / ".venv" / "bin" / "python")
    code = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"
    result = run(
        clone,
        python,
        "-c",
        f"import django; django.setup(); {code}",
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-real-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        DJANGO_ALLOWED_HOSTS="clinic.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "a-real-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz"]


def test_without_env_file_production_still_needs_a_secret_key(clone):
    (clone / ".env").unlink(missing_ok=True)
    result = run(clone, str(clone / ".venv" / "bin" / "python"), "manage.py", "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
