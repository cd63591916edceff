"""Links in emails point where the patient was: CLINIC_SITE_URL, else the request's own address."""

import datetime
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from consultations.models import ConsultationRequest, Status

from .factories import intake_post_data, make_precaution, make_treatment
from .test_settings import PRODUCTION_ENV, manage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def treatment(db):
    treatment = make_treatment("testfill")
    make_precaution(treatment)
    return treatment


def links_in(message):
    return [word for word in message.body.split() if word.startswith("http")]


def test_links_use_the_host_and_port_the_request_came_in_on(
    client, treatment, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CLINIC_SITE_URL = ""
    settings.CLINIC_MIN_FILL_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/consultations/new/", intake_post_data(treatment), HTTP_HOST="127.0.0.1:8101")
    assert response.status_code == 302
    links = [link for message in mailoutbox for link in links_in(message)]
    assert links
    assert all(link.startswith("http://127.0.0.1:8101/") for link in links), links


def test_reminder_sent_later_uses_the_address_the_request_was_sent_to(client, treatment, settings, mailoutbox):
    settings.CLINIC_SITE_URL = ""
    settings.CLINIC_MIN_FILL_SECONDS = 0
    client.post("/consultations/new/", intake_post_data(treatment), HTTP_HOST="localhost:8101")
    start = timezone.now() + datetime.timedelta(hours=20)
    from tests.factories import make_provider

    ConsultationRequest.objects.update(
        status=Status.APPROVED,
        provider=make_provider(),
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
    )
    mailoutbox.clear()

    call_command("send_reminders")  # from cron: no request

    assert len(mailoutbox) == 1
    links = links_in(mailoutbox[0])
    assert links
    assert all(link.startswith("http://localhost:8101/") for link in links), links


def test_configured_site_url_wins_over_the_request(
    client, treatment, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CLINIC_SITE_URL = "https://clinic.example.com"
    settings.CLINIC_MIN_FILL_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/consultations/new/", intake_post_data(treatment), HTTP_HOST="127.0.0.1:8101")
    links = [link for message in mailoutbox for link in links_in(message)]
    assert links
    assert all(link.startswith("https://clinic.example.com/") for link in links), links


def test_check_deploy_fails_without_site_url():
    result = manage("check", "--deploy", CLINIC_SITE_URL=None)
    assert result.returncode != 0
    assert "clinic.E001" in result.stderr + result.stdout
    assert "CLINIC_SITE_URL is not set" in result.stderr + result.stdout


def test_check_without_site_url_passes_with_debug_on():
    result = manage("check", "--deploy", CLINIC_SITE_URL=None, DJANGO_DEBUG="true")
    assert "clinic.E001" not in result.stderr + result.stdout


@pytest.mark.load  # runs `make serve` (the production server): not in make test-fast
def test_make_serve_refuses_to_start_without_site_url():
    inherited = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env = {**inherited, **PRODUCTION_ENV, "PORT": "18199"}
    env.pop("CLINIC_SITE_URL")
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "clinic.E001" in result.stderr + result.stdout
    assert "Listening at" not in result.stderr + result.stdout


@pytest.mark.load  # runs `make serve` (the production server): not in make test-fast
def test_make_serve_starts_while_a_page_awaits_its_named_reviewer(tmp_path):
    """Content errors do not stop `make serve` (the reviewer signs in through it to approve), but
    `check --deploy` still fails on them; settings errors like clinic.E001 stop it (test above)."""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    assert manage("migrate", "--noinput", **database).returncode == 0
    # A fresh install: the shipped pages wait for the clinic's own named reviewer.
    full = manage("check", "--deploy", **database)
    assert full.returncode != 0
    assert "education.E001" in full.stderr + full.stdout
    makefile = (ROOT / "Makefile").read_text()
    gate = next(line.split("$(MANAGE)", 1)[1].split() for line in makefile.splitlines() if "--fail-level ERROR" in line)
    result = manage(*gate, **database)
    assert result.returncode == 0, result.stdout + result.stderr
