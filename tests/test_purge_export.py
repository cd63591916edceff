"""Retention (manage.py purge_requests) and exports (CSV of the queue, JSON for an access request)."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from consultations.models import AuditEvent, ConsultationRequest, Note, Status
from tests.factories import make_photo, make_precaution, make_provider, make_request, make_treatment

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def treatment():
    treatment = make_treatment()
    make_precaution(treatment)
    return treatment


def closed_days_ago(consultation, days, status=Status.COMPLETED):
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        status=status, status_changed_at=timezone.now() - datetime.timedelta(days=days)
    )
    return consultation


def purge(*args):
    out = io.StringIO()
    call_command("purge_requests", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def aged(treatment, settings):
    settings.CLINIC_RETENTION_DAYS = 730
    old_completed = closed_days_ago(make_request(treatment), 731)
    old_declined = closed_days_ago(make_request(treatment), 800, Status.DECLINED)
    recent_closed = closed_days_ago(make_request(treatment), 700, Status.CANCELLED)
    old_but_open = make_request(treatment, status=Status.TRIAGED)
    ConsultationRequest.objects.filter(pk=old_but_open.pk).update(
        status_changed_at=timezone.now() - datetime.timedelta(days=900)
    )
    photo = make_photo(old_completed)
    kept_photo = make_photo(recent_closed)
    return {
        "gone": [old_completed, old_declined],
        "kept": [recent_closed, old_but_open],
        "photo": photo,
        "kept_photo": kept_photo,
    }


def test_purge_deletes_old_closed_requests_with_their_photos(aged, storage, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = purge()
    assert "Deleted 2 request(s) and 1 photo(s)" in output
    assert set(ConsultationRequest.objects.values_list("pk", flat=True)) == {c.pk for c in aged["kept"]}
    assert not storage.exists(aged["photo"].image.name)
    assert storage.exists(aged["kept_photo"].image.name)


def test_purge_keeps_the_audit_trail(aged, client, django_capture_on_commit_callbacks):
    gone = aged["gone"][0]
    AuditEvent.objects.create(action=AuditEvent.Action.VIEW, consultation=gone, reference=gone.reference)
    Note.objects.create(consultation=gone, author=make_provider().user, text="Seen.")
    with django_capture_on_commit_callbacks(execute=True):
        purge()
    trail = AuditEvent.objects.filter(reference=gone.reference)
    assert set(trail.values_list("action", flat=True)) == {AuditEvent.Action.VIEW, AuditEvent.Action.DELETE}
    assert not trail.filter(consultation__isnull=False).exists()
    assert not Note.objects.exists()


def test_purge_dry_run_changes_nothing(aged, storage):
    output = purge("--dry-run")
    assert "would delete 2 request(s) and 1 photo(s)" in output
    assert ConsultationRequest.objects.count() == 4
    assert storage.exists(aged["photo"].image.name)
    assert not AuditEvent.objects.exists()


def test_purge_follows_the_retention_setting(aged, settings, django_capture_on_commit_callbacks):
    settings.CLINIC_RETENTION_DAYS = 3650
    with django_capture_on_commit_callbacks(execute=True):
        assert "Deleted 0 request(s)" in purge()
    assert ConsultationRequest.objects.count() == 4


@pytest.fixture
def provider_client(client):
    provider = make_provider()
    client.force_login(provider.user)
    client.provider = provider
    return client


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export_is_named_after_the_clinic_day_not_the_process_time_zone(provider_client):
    # The clock stands at 23:40 on 8 December in New York (the clinic), already the 9th in Tokyo.
    with timezone.override("Asia/Tokyo"):
        response = provider_client.get(reverse("admin:consultations_consultationrequest_export"))
    assert 'filename="consultation-requests-2026-12-08.csv"' in response["Content-Disposition"]


def test_csv_export_follows_the_queue_filters(provider_client, treatment):
    declined = make_request(treatment, status=Status.DECLINED, first_name="Grace", email="grace@example.com")
    make_request(treatment, status=Status.NEW)
    response = provider_client.get(reverse("admin:consultations_consultationrequest_export"), {"status": "declined"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="consultation-requests-')
    assert "no-store" in response["Cache-Control"]
    (row,) = read_csv(response)
    assert (row["Reference"], row["Status"], row["First name"], row["Email"]) == (
        declined.reference,
        "Declined",
        "Grace",
        "grace@example.com",
    )
    # The queue's columns and contact details only: no health answers.
    assert declined.goals not in response.content.decode()


def test_csv_export_follows_the_queue_search(provider_client, treatment):
    wanted = make_request(treatment, last_name="Hopper")
    make_request(treatment, last_name="Lovelace")
    response = provider_client.get(reverse("admin:consultations_consultationrequest_export"), {"q": "hopper"})
    assert [row["Reference"] for row in read_csv(response)] == [wanted.reference]


def test_csv_export_defuses_spreadsheet_formulas(provider_client, treatment):
    make_request(treatment, first_name='=HYPERLINK("http://evil.example","x")', phone="+12075550100")
    (row,) = read_csv(provider_client.get(reverse("admin:consultations_consultationrequest_export")))
    assert row["First name"].startswith("'=")
    assert row["Phone"] == "+12075550100"


def test_csv_export_with_a_bad_filter_goes_back_to_the_queue(provider_client):
    response = provider_client.get(reverse("admin:consultations_consultationrequest_export"), {"nonsense__in": "x"})
    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_json_export_holds_what_the_patient_told_us(provider_client, treatment):
    precaution = treatment.precautions.get()
    consultation = make_request(treatment, answers={precaution: "yes"}, medications="Warfarin 5 mg")
    consultation.transition(Status.TRIAGED, by=provider_client.provider.user)
    Note.objects.create(consultation=consultation, author=provider_client.provider.user, text="Internal only.")
    make_photo(consultation)
    response = provider_client.get(
        reverse("admin:consultations_consultationrequest_export_json", args=[consultation.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="consultation-{consultation.reference}.json"'
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["reference"] == consultation.reference
    assert data["contact"]["date_of_birth"] == consultation.date_of_birth.isoformat()
    assert data["medications"] == "Warfarin 5 mg"
    assert data["screening"] == [{"question": precaution.question, "answer": "yes"}]
    assert [flag["kind"] for flag in data["flags"]] == ["do_not_treat"]
    assert [(c["from"], c["to"]) for c in data["status_history"]] == [("new", "triaged")]
    assert len(data["photos"]) == 1
    assert data["consent"]["privacy_notice_version"] == consultation.consent_version
    # Staff notes are the clinic's working records, not part of what the patient gets.
    assert "Internal only." not in response.content.decode()
