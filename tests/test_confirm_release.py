"""Issue 27: confirm or release. The reminder (CLINIC_CONFIRM_HOURS before an approved booking) asks the
patient to confirm or release the time; a release frees it through the patient's cancel path; the
front desk sees unconfirmed bookings with the phone to call."""

import datetime
import io
import re
import threading

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from consultations import availability, reminders, workflow
from consultations.availability import Slot
from consultations.models import AuditEvent, ConsultationRequest, Status
from tests.factories import BEATRIX, make_booked_request, make_provider, self_service
from tests.races import race

SHIPPED = "2026-12-1"


def approved(hours_ahead=30, **kwargs):
    start = (timezone.now() + datetime.timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    fields = {**BEATRIX, "policy_version": SHIPPED, "policy_accepted_at": timezone.now(), **kwargs}
    return make_booked_request(status=Status.APPROVED, start=start, **fields)


def run_reminders():
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    return out.getvalue().strip()


# --- The message ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_reminder_goes_out_confirm_hours_before_and_asks_to_confirm_or_release(mailoutbox):
    due, later = approved(47), approved(49)
    assert run_reminders() == "1 reminder(s) queued."
    (message,) = mailoutbox
    assert message.to == [due.email]
    assert "Will you come? Please confirm, or release the time" in message.body
    assert re.search(r"/consultations/manage/[^/\s]+/attendance/", message.body)
    later.refresh_from_db()
    assert later.reminder_sent_at is None


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_confirm_or_release_reminder_is_phi_free(mailoutbox):
    consultation = approved(30, previous_treatments="Botox 2024", allergies="Lidocaine")
    reminders.send_reminder.call(consultation.pk)
    (message,) = mailoutbox
    text = message.subject + message.body + message.alternatives[0].content
    private = [str(BEATRIX[key]) for key in BEATRIX] + ["Botox", "Lidocaine", consultation.treatment.name]
    assert [value for value in private if value in text] == []


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_with_confirm_hours_off_the_plain_reminder_goes_out_reminder_hours_before(mailoutbox, settings):
    settings.CLINIC_CONFIRM_HOURS = 0
    approved(30)
    due = approved(20)
    assert run_reminders() == "1 reminder(s) queued."
    (message,) = mailoutbox
    assert message.to == [due.email]
    assert "/attendance/" not in message.body
    assert "please cancel or move it" in message.body


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_spanish_request_gets_the_confirm_or_release_reminder_in_spanish(mailoutbox):
    consultation = approved(30, language="es")
    reminders.send_reminder.call(consultation.pk)
    (message,) = mailoutbox
    assert message.subject.startswith("Recordatorio")
    assert "¿Vendrá? Confirme, o libere la hora" in message.body
    assert "Confirmar o liberar mi hora" in message.alternatives[0].content


@pytest.mark.django_db(transaction=True)
def test_overlapping_reminder_runs_send_one_confirm_or_release_message(mailoutbox, monkeypatch):
    approved(30)
    # Every run has picked the booking before any claims it: only the claim can keep it to one message.
    picked, due = threading.Barrier(3), reminders.due

    def picked_by_all(now=None):
        ids = list(due(now))
        picked.wait(timeout=30)
        return ids

    monkeypatch.setattr(reminders, "due", picked_by_all)
    results = race(3, lambda i: reminders.queue_due())
    assert sorted(results) == [0, 0, 1]
    assert len(mailoutbox) == 1


# --- The page: GET shows, POST confirms or releases -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_attendance_page_get_changes_nothing(client):
    consultation = approved(30)
    response = client.get(self_service(client, consultation, "manage_attendance"))
    assert response.status_code == 200
    assert "Yes, I will come" in response.text and "No, release my time" in response.text
    consultation.refresh_from_db()
    assert (consultation.status, consultation.attendance_confirmed_at) == (Status.APPROVED, None)


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_confirm_stores_the_time_with_history_and_audit(client):
    consultation = approved(30)
    response = client.post(self_service(client, consultation, "manage_attendance"), {"confirm": "x"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.attendance_confirmed_at == timezone.now()
    assert consultation.status == Status.APPROVED
    assert consultation.status_changes.get().note.startswith("Confirmed they will come")
    event = AuditEvent.objects.get(consultation=consultation, action=AuditEvent.Action.PATIENT_CHANGE)
    assert (event.detail, event.by_patient) == ("confirmed attendance", True)
    # A second confirmation changes nothing.
    assert workflow.confirm_attendance(consultation) is False


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_release_cancels_with_its_own_audit_detail_history_and_notice(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    consultation = approved(30)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(self_service(client, consultation, "manage_attendance"), {"release": "x"})
    consultation.refresh_from_db()
    assert consultation.status == Status.CANCELLED
    change = consultation.status_changes.get()
    assert (change.from_status, change.to_status, change.by_patient) == (Status.APPROVED, Status.CANCELLED, True)
    assert change.note == "Released by patient (confirm or release)"
    event = AuditEvent.objects.get(consultation=consultation, action=AuditEvent.Action.TRANSITION)
    assert event.detail.startswith("released: ") and event.by_patient
    (message,) = mailoutbox
    assert "is released" in message.subject and consultation.reference in message.subject
    assert message.attachments[0].filename == "consultation.ics"  # the calendar entry is removed


@pytest.mark.django_db
def test_release_frees_the_time_for_someone_else():
    provider = make_provider(display_name="Dr Rivera", weekdays=range(7))
    slot = availability.open_slots(provider=provider)[0]
    consultation = make_booked_request(slot, status=Status.APPROVED)
    assert slot not in availability.open_slots(provider=provider)
    workflow.release_by_patient(consultation)
    assert slot in availability.open_slots(provider=provider)


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_release_is_allowed_inside_the_cancellation_window(clock, client):
    consultation = approved(5)
    clock.shift(datetime.timedelta(hours=2))
    assert consultation.inside_cancellation_window()
    client.post(self_service(client, consultation, "manage_attendance"), {"release": "x"})
    consultation.refresh_from_db()
    assert consultation.status == Status.CANCELLED


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_release_goes_through_the_patients_cancel(monkeypatch):
    """The waitlist hooks "a time was freed" in the patient's cancel: a release must pass there."""
    consultation = approved(30)
    calls = []
    cancel = workflow.cancel_by_patient
    monkeypatch.setattr(workflow, "cancel_by_patient", lambda c, **kw: calls.append(kw) or cancel(c, **kw))
    workflow.release_by_patient(consultation)
    assert calls == [{"released": True, "now": None}]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.NEW, Status.CANCELLED, Status.COMPLETED])
def test_nothing_to_release_unless_booked(client, status):
    consultation = approved(30)
    ConsultationRequest.objects.filter(pk=consultation.pk).update(status=status)
    consultation.refresh_from_db()
    response = client.post(self_service(client, consultation, "manage_attendance"), {"release": "x"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == status


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_moving_the_time_clears_the_confirmation(client):
    provider = make_provider(display_name="Dr Rivera", weekdays=range(7))
    first, second = availability.open_slots(provider=provider)[:2]
    consultation = make_booked_request(first, status=Status.APPROVED, attendance_confirmed_at=timezone.now())
    workflow.reschedule(consultation, second, by_patient=False)
    consultation.refresh_from_db()
    assert Slot.of(consultation) == second and consultation.attendance_confirmed_at is None


# --- The front desk's schedule -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_schedule_shows_unconfirmed_bookings_inside_the_window_with_the_phone_to_call(staff_client):
    # Frozen "now": Tue Dec 8, 23:40. The week runs Mon Dec 7 to Sun Dec 13.
    unconfirmed = approved(34, phone="+12075550177")  # Thu morning: inside 48 h
    confirmed = approved(35, phone="+12075550188", attendance_confirmed_at=timezone.now())
    far = approved(80, phone="+12075550199")  # Saturday: not asked yet
    html = staff_client.get(reverse("admin:consultations_consultationrequest_schedule") + "?range=week").text
    assert html.count('data-testid="not-confirmed"') == 1
    assert f'href="tel:+12075550177" data-testid="call-{unconfirmed.reference}">(207) 555-0177</a>' in html
    assert f'data-testid="call-{confirmed.reference}"' not in html
    assert f'data-testid="call-{far.reference}"' not in html
    assert "Not confirmed: call" in html
