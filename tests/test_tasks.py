"""Emails through a real task backend: stored by the request, sent by the worker."""

import os
import subprocess
import sys

import pytest
from django.core import mail
from django.core.management import call_command

from consultations import notices


# The worker closes its database connection when done, as a real process does: this needs
# real transactions rather than the test's wrapping one.
@pytest.mark.django_db(transaction=True)
def test_database_backend_stores_the_email_until_the_worker_sends_it(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    notices.queue("request_received", "patient@example.com", {"reference": "ACDEFGHJ", "manage_url": ""})
    assert mail.outbox == []

    call_command("db_worker", batch=True, verbosity=0)

    (message,) = mail.outbox
    assert message.to == ["patient@example.com"]
    assert "ACDEFGHJ" in message.subject
    assert message.alternatives[0].mimetype == "text/html"


def test_unknown_task_backend_name_is_refused():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", "CLINIC_TASKS_BACKEND": "celery"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "CLINIC_TASKS_BACKEND must be one of immediate, database" in result.stderr
