"""Logs carry a request id and never a patient's personal values, on success or on error."""

import io
import logging
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.module_loading import import_string
from PIL import Image

from consultations.models import ConsultationRequest
from scripts.formdata import PATIENT, as_dict, intake_post_data

pytestmark = pytest.mark.django_db

# How each value might appear: as typed, or as the form stores it.
PERSONAL_VALUES = [
    PATIENT["first_name"],
    PATIENT["last_name"],
    PATIENT["email"],
    "2075550134",
    PATIENT["date_of_birth"],
    "1990, 1, 1",  # repr of a date
    "Jan. 1, 1990",
    PATIENT["goals"],
    PATIENT["previous_treatments"],
    PATIENT["medications"],
    PATIENT["allergies"],
    "quillfeather-lips",  # the photo's file name
]


@pytest.fixture(autouse=True)
def clinic_numbers_not_the_patients(settings):
    # The test patient's phone (scripts/formdata) is the demo clinic's own number; every page's
    # context carries the clinic's numbers, so give the clinic other ones to tell the two apart.
    settings.CLINIC = {**settings.CLINIC, "PHONE": "+1 207 555 0199", "EMERGENCY_PHONE": "+1 207 555 0188"}


@pytest.fixture
def all_logs_at_debug(caplog):
    """caplog sees every record of every logger, at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in [*logging.root.manager.loggerDict, "django.request", "django.db.backends"]:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def console_output():
    """What the configured console handler (settings.LOGGING) writes, formatted."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def assert_no_personal_values(text):
    found = [value for value in PERSONAL_VALUES if value.lower() in text.lower()]
    assert found == []


def log_text(caplog):
    """Every record as a handler would write it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def photo_named(name):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "tan").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def send_intake(client, **files):
    page = client.get(reverse("consultations:new"))
    action, pairs = intake_post_data(page.text)
    return client.post(action or reverse("consultations:new"), {**as_dict(pairs), **files})


def error_report(record, **overrides):
    """The report Django mails to ADMINS for a logged error, made with the configured reporter."""
    request = record.request
    for name, value in overrides.items():
        setattr(request, name, value)
    reporter_class = import_string(settings.DEFAULT_EXCEPTION_REPORTER)
    return reporter_class(request, *record.exc_info, is_email=True).get_traceback_text()


@pytest.fixture
def failing_save(monkeypatch, client):
    """Storing the request fails deep inside the write, after the form is valid and its values are in local variables."""

    def fails(*args, **kwargs):
        raise RuntimeError("storage failed")

    monkeypatch.setattr(ConsultationRequest, "save", fails)
    client.raise_request_exception = False


def test_intake_submission_logs_no_personal_values(client, all_logs_at_debug, console_output):
    response = send_intake(client)
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get(email=PATIENT["email"])
    logs = log_text(all_logs_at_debug)
    # Something was logged about it (so the check below looks at real lines): its reference.
    assert consultation.reference in logs
    assert_no_personal_values(logs)
    assert_no_personal_values(console_output.getvalue())


def test_intake_error_logs_and_reports_no_personal_values(
    client, all_logs_at_debug, console_output, settings, failing_save
):
    settings.ADMINS = ["ops@example.com"]
    response = send_intake(client, photos=photo_named("marguerite-quillfeather-lips.png"))

    assert response.status_code == 500
    assert_no_personal_values(response.text)
    assert_no_personal_values(log_text(all_logs_at_debug))
    assert_no_personal_values(console_output.getvalue())

    # The error report mailed to ADMINS: the error and where, with POST values starred out.
    [email] = mail.outbox
    assert "storage failed" in email.body
    assert "consultations/new/" in email.subject
    assert "********************" in email.body
    assert_no_personal_values(email.subject + email.body)


def test_error_report_hides_values_even_when_a_view_forgets_to_mark_them(client, all_logs_at_debug, failing_save):
    send_intake(client)
    [record] = [r for r in all_logs_at_debug.records if r.name == "django.request" and r.exc_info]
    # As if request_new had no @sensitive_post_parameters: the project-wide filter still hides everything.
    report = error_report(record, sensitive_post_parameters=[])
    assert "storage failed" in report
    assert_no_personal_values(report)


def test_log_lines_carry_the_request_id(client, console_output):
    response = client.get("/no-such-page/", headers={"X-Request-ID": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    line = next(line for line in console_output.getvalue().splitlines() if "Not Found" in line)
    assert "level=WARNING logger=django.request request_id=f81d4fae-7dec-11d0-a765-00a0c91e6bf6" in line


def test_request_id_is_made_when_the_incoming_one_is_unsafe(client, console_output):
    response = client.get("/no-such-page/", headers={"X-Request-ID": "x request_id=forged"})
    rid = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert "forged" not in console_output.getvalue()
    assert f"request_id={rid}" in console_output.getvalue()


def test_request_id_is_cleared_after_the_response(client, console_output):
    client.get("/no-such-page/", headers={"X-Request-ID": "abc123"})
    logging.getLogger("clinic").warning("between requests")
    line = next(line for line in console_output.getvalue().splitlines() if "between requests" in line)
    assert "request_id=-" in line
