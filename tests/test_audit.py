"""The audit trail: every look at or change to a request is recorded (user, time, action, request,
IP), never with health data in it, and only superusers can read it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations.models import AuditEvent, ConsultationRequest, Status
from tests.factories import make_photo, make_precaution, make_provider, make_request, make_staff, make_treatment

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Action = AuditEvent.Action


def url(name, *args):
    return reverse(f"admin:consultations_consultationrequest_{name}", args=args)


@pytest.fixture
def provider():
    return make_provider()


@pytest.fixture
def consultation(provider):
    treatment = make_treatment()
    precaution = make_precaution(treatment)
    start = timezone.now() + datetime.timedelta(days=2)
    return make_request(
        treatment,
        answers={precaution: "yes"},
        medications="Warfarin 5 mg",
        provider=provider,
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
    )


@pytest.fixture
def provider_client(client, provider):
    client.force_login(provider.user)
    return client


def events(action, consultation=None):
    found = AuditEvent.objects.filter(action=action)
    return list(found.filter(consultation=consultation) if consultation else found)


def test_every_view_of_a_request_page_is_recorded(provider_client, provider, consultation):
    provider_client.get(url("change", consultation.pk))
    provider_client.get(url("change", consultation.pk))
    views = events(Action.VIEW, consultation)
    assert len(views) == 2
    event = views[0]
    assert (event.user, event.reference, event.ip) == (provider.user, consultation.reference, "127.0.0.1")
    assert event.detail == "with health data"


def test_front_desk_views_are_recorded_as_without_health_data(client, consultation):
    client.force_login(make_staff("Front desk"))
    client.get(url("change", consultation.pk))
    (event,) = events(Action.VIEW, consultation)
    assert event.detail == "without health data"


def test_refused_view_is_not_recorded_as_a_view(client, consultation):
    client.force_login(make_staff("Content editor"))
    assert client.get(url("change", consultation.pk)).status_code == 403
    assert events(Action.VIEW) == []


def test_photo_is_served_privately_and_its_view_recorded(provider_client, consultation):
    photo = make_photo(consultation)
    response = provider_client.get(url("photo", consultation.pk, photo.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    (event,) = events(Action.PHOTO_VIEW, consultation)
    assert event.detail == f"photo {photo.pk}"


def test_photo_of_another_request_is_not_found(provider_client, consultation):
    other = make_request(consultation.treatment, email="other@example.com")
    photo = make_photo(other)
    assert provider_client.get(url("photo", consultation.pk, photo.pk)).status_code == 404
    assert events(Action.PHOTO_VIEW) == []


def test_transition_is_recorded(provider_client, consultation):
    provider_client.post(url("transition", consultation.pk, "triage"))
    (event,) = events(Action.TRANSITION, consultation)
    # Labels as staff read them, not the stored codes.
    assert event.detail == "New → Triaged"


def test_refused_transition_records_nothing(provider_client, consultation):
    ConsultationRequest.objects.filter(pk=consultation.pk).update(status=Status.DECLINED)
    provider_client.post(url("transition", consultation.pk, "triage"))
    assert events(Action.TRANSITION) == []


def test_note_is_recorded_without_its_text(provider_client, consultation):
    provider_client.post(url("note", consultation.pk), {"text": "Says the warfarin was stopped."})
    (event,) = events(Action.NOTE, consultation)
    assert "warfarin" not in event.detail.lower()


def test_assignment_change_is_recorded(provider_client, provider, consultation):
    provider_client.post(url("change", consultation.pk), {"assigned_to": provider.user.pk})
    (event,) = events(Action.CHANGE, consultation)
    assert event.detail == f"assigned to {provider.user.username}"


def test_exports_are_recorded_per_request(provider_client, consultation):
    other = make_request(consultation.treatment, email="other@example.com")
    provider_client.get(url("export"))
    assert {event.reference for event in events(Action.EXPORT)} == {consultation.reference, other.reference}
    provider_client.get(url("export_json", consultation.pk))
    assert len(events(Action.EXPORT, consultation)) == 2


def test_delete_is_recorded_and_the_trail_outlives_the_request(
    client, consultation, storage, django_capture_on_commit_callbacks
):
    photo = make_photo(consultation)
    client.force_login(make_staff(username="root", is_superuser=True))
    client.get(url("change", consultation.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("delete", consultation.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not ConsultationRequest.objects.filter(pk=consultation.pk).exists()
    trail = AuditEvent.objects.filter(reference=consultation.reference)
    assert set(trail.values_list("action", flat=True)) == {Action.VIEW, Action.DELETE}
    assert not trail.filter(consultation__isnull=False).exists()
    assert not storage.exists(photo.image.name)


def test_audit_details_never_hold_health_data(
    provider_client, provider, consultation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        provider_client.get(url("change", consultation.pk))
        provider_client.post(url("note", consultation.pk), {"text": "Warfarin stopped last week."})
        provider_client.post(
            url("transition", consultation.pk, "decline"), {"decline-reason": "not_suitable", "confirmed": "yes"}
        )
        # The queue (and its export) opens on open requests; the declined one is under "all".
        provider_client.get(url("export") + "?status=all")
        provider_client.get(url("export_json", consultation.pk))
    details = " ".join(AuditEvent.objects.values_list("detail", flat=True)).lower()
    assert AuditEvent.objects.count() == 5
    for secret in ("warfarin", consultation.first_name, consultation.goals, "severe allergy", "not_suitable"):
        assert secret.lower() not in details


def test_audit_events_cannot_be_changed_or_deleted(provider_client, consultation):
    provider_client.get(url("change", consultation.pk))
    (event,) = events(Action.VIEW)
    event.detail = "edited"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_audit_admin_is_read_only_for_superusers(client, provider_client, consultation):
    provider_client.get(url("change", consultation.pk))
    (event,) = events(Action.VIEW)
    assert provider_client.get(reverse("admin:consultations_auditevent_changelist")).status_code == 403
    client.force_login(make_staff(username="root", is_superuser=True))
    listing = client.get(reverse("admin:consultations_auditevent_changelist"))
    assert listing.status_code == 200
    assert consultation.reference in listing.content.decode()
    change = reverse("admin:consultations_auditevent_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change, {"detail": "edited"}).status_code == 403
    assert client.get(reverse("admin:consultations_auditevent_add")).status_code == 403
    assert (
        client.post(reverse("admin:consultations_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.get(pk=event.pk).detail == "with health data"


def test_bulk_delete_is_recorded_per_request(client, consultation, storage, django_capture_on_commit_callbacks):
    other = make_request(consultation.treatment, email="other@example.com")
    photo = make_photo(other)
    client.force_login(make_staff(username="root", is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("changelist"),
            {"action": "delete_selected", "_selected_action": [consultation.pk, other.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert not ConsultationRequest.objects.exists()
    assert {e.reference for e in events(Action.DELETE)} == {consultation.reference, other.reference}
    assert not storage.exists(photo.image.name)
