"""Emails through a real task backend: stored by the request, sent by the worker."""

import datetime
import io
import json
import os
import subprocess
import sys

import pytest
from django.contrib import admin
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from consultations import links, notices, workflow
from tests.factories import make_request

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# The worker closes its database connection when done, as a real process does: this needs
# real transactions rather than the test's wrapping one.
@pytest.mark.django_db(transaction=True)
def test_database_backend_stores_the_email_until_the_worker_sends_it(settings):
    settings.TASKS = DATABASE_TASKS
    consultation = make_request(email="patient@example.com")
    notices.request_received(consultation)
    assert mail.outbox == []

    call_command("db_worker", batch=True, verbosity=0)

    (message,) = mail.outbox
    assert message.to == ["patient@example.com"]
    assert consultation.reference in message.subject
    assert message.alternatives[0].mimetype == "text/html"
    assert "/consultations/manage/" in message.body


@pytest.mark.django_db(transaction=True)
def test_stored_tasks_hold_no_address_link_or_text(settings):
    # Issue 23, finding 3: the task table held every patient's address and self-service link.
    settings.TASKS = DATABASE_TASKS
    consultation = make_request(email="patient@example.com", phone="+12075550134")
    with translation.override("es"):
        token = links.make_token(consultation)
    workflow.approve(consultation, by=None)
    notices.request_received(consultation)
    notices.staff_new_request(consultation)
    notices.needs_info(consultation, "Photos")

    stored = list(DBTaskResult.objects.values())
    assert len(stored) >= 3
    dump = json.dumps(stored, default=str)
    for secret in ("patient@example.com", "5550134", token, "/manage/", "http", consultation.first_name):
        assert secret not in dump
    assert {row["args_kwargs"]["args"][0] for row in stored} >= {"request_received", "staff_new_request", "needs_info"}

    call_command("db_worker", batch=True, verbosity=0)

    assert {tuple(message.to) for message in mail.outbox} >= {("patient@example.com",), ("staff@clinic.test",)}
    assert all(token_of(message) for message in mail.outbox if message.to == ["patient@example.com"])


def token_of(message):
    # The link is built when the email is sent: it is in the email, never in the stored task.
    return "/consultations/manage/" in message.body


@pytest.mark.django_db(transaction=True)
def test_a_notice_for_a_request_purged_before_it_was_sent_is_skipped(settings):
    settings.TASKS = DATABASE_TASKS
    consultation = make_request()
    notices.request_received(consultation)
    consultation.delete()

    call_command("db_worker", batch=True, verbosity=0)

    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_purge_deletes_finished_task_results_older_than_the_setting(settings):
    settings.TASKS = DATABASE_TASKS
    settings.CLINIC_TASK_RESULT_DAYS = 7
    notices.request_received(make_request())
    notices.request_received(make_request(email="second@example.com"))
    call_command("db_worker", batch=True, verbosity=0)
    notices.request_received(make_request(email="third@example.com"))  # still waiting for the worker
    old, recent = DBTaskResult.objects.filter(finished_at__isnull=False).order_by("enqueued_at")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=8))

    call_command("purge_requests", stdout=io.StringIO())

    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk} | set(
        DBTaskResult.objects.filter(finished_at__isnull=True).values_list("pk", flat=True)
    )
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()
    assert DBTaskResult.objects.filter(finished_at__isnull=True).count() == 1


def test_task_results_have_no_admin():
    assert not admin.site.is_registered(DBTaskResult)


def test_unknown_task_backend_name_is_refused():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", "CLINIC_TASKS_BACKEND": "celery"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "CLINIC_TASKS_BACKEND must be one of immediate, database" in result.stderr
