"""Every patient email says which language it is in (issue 22): `<html lang>` follows the patient's
language, so screen readers and mail programs read a Spanish email as Spanish."""

import re

import pytest
from django.utils import translation

from consultations import notices
from consultations.models import ConsultationRequest

from .factories import intake_post_data, make_treatment

PATIENT_EMAILS = [
    "request_received",
    "booking_confirmed",
    "booking_cancelled",
    "cancelled_by_clinic",
    "declined",
    "needs_info",
    "no_show",
    "reminder",
    "rescheduled",
]


def html_lang(html):
    return re.search(r'<html lang="([^"]*)">', html).group(1)


@pytest.mark.parametrize("name", PATIENT_EMAILS)
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_patient_email_declares_the_language_it_is_written_in(name, language):
    context = {
        "reference": "CL-TEST",
        "when": "Mon, Dec 7, 11:00 AM",
        "manage_url": "https://example.com/m/",
        "confirm_hours": 24,
    }
    with translation.override(language):
        _subject, _text, html = notices.compose(name, context)
    assert html_lang(html) == language


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "language"), [("", "en"), ("/es", "es")])
def test_receipt_html_is_marked_with_the_patients_language(
    client, django_capture_on_commit_callbacks, mailoutbox, prefix, language
):
    treatment = make_treatment("testfill", name="Testfill", name_es="Testfill")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{prefix}/consultations/new/", intake_post_data(treatment))
    assert response.status_code == 302
    assert ConsultationRequest.objects.get().language == language
    receipt, staff_alert = mailoutbox
    (html, _mimetype) = receipt.alternatives[0]
    assert html_lang(html) == language
    assert html_lang(staff_alert.alternatives[0][0]) == "en"  # staff read English
