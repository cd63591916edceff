"""The two emails a new request sends: reference and links only, never health data."""

import pytest
from django.urls import NoReverseMatch, reverse

from consultations.forms import IntakeForm
from consultations.models import ConsultationRequest
from education.models import Precaution

from .factories import intake_post_data, make_area, make_precaution, make_treatment

pytestmark = pytest.mark.django_db

NEW = reverse("consultations:new")

# Everything a patient types that is personal or health data, each value unique enough to search for.
PATIENT = {
    "first_name": "Perpetua",
    "last_name": "Winterbourne",
    "date_of_birth": "1987-03-09",
    "goals": "Smooth the marionette lines that make me look sad",
    "previous_treatments": "Juvederm in the lips in 2021, lumpy for a month",
    "medications": "Apixaban twice daily and turmeric capsules",
    "allergies": "Penicillin causes hives",
    "pregnancy": "unsure",
}


@pytest.fixture
def treatment():
    treatment = make_treatment("testfill", name="Testfill")
    make_area(treatment, name="Marionette lines")
    make_precaution(treatment, kind=Precaution.Kind.DO_NOT_TREAT, question="Have you ever had anaphylaxis?")
    return treatment


@pytest.fixture
def send(client, treatment, django_capture_on_commit_callbacks, mailoutbox):
    """Post the form and run the on-commit email tasks; returns the outbox."""

    def send(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(NEW, intake_post_data(treatment, **overrides))
        assert response.status_code == 302
        return mailoutbox

    return send


def every_part(message):
    return [message.subject, message.body, *(content for content, _mimetype in message.alternatives)]


def test_request_sends_a_receipt_to_the_patient_and_an_alert_to_staff(send, settings):
    outbox = send(email="perpetua@example.com")
    reference = ConsultationRequest.objects.get().reference
    assert [message.to for message in outbox] == [["perpetua@example.com"], [settings.CLINIC_STAFF_EMAIL]]
    assert outbox[0].subject == f"We received your consultation request ({reference})"
    assert reference in outbox[0].body
    assert "What happens next" in outbox[0].body
    assert "(207) 555-0134" in outbox[0].body


def test_both_emails_have_plain_text_and_html_parts(send):
    for message in send():
        assert message.body.strip()
        assert [mimetype for _content, mimetype in message.alternatives] == ["text/html"]


def test_staff_email_names_the_reference_and_links_to_the_admin(send):
    staff = send()[1]
    consultation = ConsultationRequest.objects.get()
    assert staff.subject == f"New consultation request {consultation.reference}"
    admin_url = reverse("admin:consultations_consultationrequest_change", args=[consultation.pk])
    assert admin_url in staff.body
    assert admin_url in staff.alternatives[0][0]


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_staff_email_says_nothing_derived_from_the_answers(send, treatment, answer):
    # Not even "flagged: yes": that alone tells a reader of the mailbox something about the patient's health.
    name = IntakeForm.question_name(treatment.precautions.get())
    staff = send(**{name: answer})[1]
    reference = ConsultationRequest.objects.get().reference
    assert staff.subject == f"New consultation request {reference}"
    text = " ".join([staff.subject, *every_part(staff)]).lower()
    assert "flag" not in text
    assert "anaphylaxis" not in text


def test_no_email_carries_the_patients_name_birth_date_or_answers(send, treatment):
    area = treatment.areas.get()
    name = IntakeForm.question_name(treatment.precautions.get())
    outbox = send(areas=[str(area.pk)], **PATIENT, **{name: "yes"})
    assert len(outbox) == 2
    secrets = [value for key, value in PATIENT.items() if key != "pregnancy"]
    secrets += ["09/03/1987", "03/09/1987", "March 9, 1987", "9 March 1987", "Marionette lines", "anaphylaxis"]
    for message in outbox:
        for part in every_part(message):
            for secret in secrets:
                assert secret.lower() not in part.lower(), (message.subject, secret)


def test_patient_email_includes_the_self_service_link_when_it_exists(send, monkeypatch):
    monkeypatch.setattr("consultations.links.manage_path", lambda consultation: "/consultations/manage/signed-token/")
    patient = send()[0]
    assert "/consultations/manage/signed-token/" in patient.body
    # CLINIC_SITE_URL unset: the host the form was sent to (the test client's).
    assert 'href="http://testserver/consultations/manage/signed-token/"' in patient.alternatives[0][0]


def test_patient_email_goes_out_without_the_link_while_there_is_no_self_service_page(send, monkeypatch):
    def no_route(consultation):
        raise NoReverseMatch("consultations:manage")

    monkeypatch.setattr("consultations.links.manage_path", no_route)
    patient = send()[0]
    assert patient.to == [ConsultationRequest.objects.get().email]
    assert "private link" not in patient.body
    assert ConsultationRequest.objects.get().reference in patient.body


def test_invalid_request_sends_no_email(client, treatment, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, intake_post_data(treatment, email="broken"))
    assert response.status_code == 200
    assert mailoutbox == []
