"""The staff workflow: one test per transition over the states it may start from, plus its
twin over the states it must refuse. Each checks the new state, the recorded change (who)
and the email the patient gets (or does not)."""

import datetime
import re

import icalendar
import pytest
from django.core import signing
from django.utils import timezone

from consultations import links, workflow
from consultations.models import (
    ACTIVE_STATUSES,
    AuditEvent,
    DeclineReason,
    FlagKind,
    InvalidTransition,
    Note,
    Status,
    StatusChange,
)
from education.models import Precaution
from tests.factories import make_precaution, make_provider, make_request, make_staff, make_treatment

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ALL = list(Status)


def others(*allowed):
    return [status for status in ALL if status not in allowed]


@pytest.fixture
def provider():
    return make_provider()


@pytest.fixture
def staff(provider):
    return provider.user


@pytest.fixture
def request_in(provider):
    """A request flagged Do not treat in a given state, holding a time two days ahead (or `start`)."""
    treatment = make_treatment()
    precaution = make_precaution(treatment, question="Have you ever had a severe allergic reaction?")
    two_days_ahead = (timezone.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)

    def build(status, start=two_days_ahead):
        return make_request(
            treatment,
            answers={precaution: "yes"},
            status=status,
            provider=provider,
            slot_start=start,
            slot_end=start + datetime.timedelta(minutes=30),
            medications="Warfarin 5 mg",
            # Names with letters no URL or token can contain, so a random link never matches them.
            first_name="Zéphyrine",
            last_name="Ødegård",
        )

    return build


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a workflow function and let its on-commit emails go out."""

    def call(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return call


def assert_no_phi(message, consultation):
    parts = [message.subject, message.body, *(content for content, _type in message.alternatives)]
    text = "\n".join(str(part) for part in parts)
    for secret in (
        consultation.first_name,
        consultation.last_name,
        consultation.goals,
        consultation.medications,
        consultation.date_of_birth.isoformat(),
        *(flag.reason for flag in consultation.flags.all()),
        *(answer.question for answer in consultation.answers.all()),
    ):
        assert secret not in text
    assert consultation.reference in message.subject


def assert_recorded(consultation, previous, by):
    """The status history and the audit trail both say who moved it from what to what."""
    consultation.refresh_from_db()
    change = StatusChange.objects.get(consultation=consultation)
    assert (change.from_status, change.to_status, change.by) == (previous, consultation.status, by)
    audit = AuditEvent.objects.get(consultation=consultation, action=AuditEvent.Action.TRANSITION)
    # Labels, as the audit trail shows them to staff (issue 14), not the stored codes.
    assert (audit.user, audit.detail) == (by, f"{Status(previous).label} → {consultation.get_status_display()}")


def assert_refused(function, consultation, mailoutbox, run, *args):
    with pytest.raises(InvalidTransition):
        run(function, consultation, *args)
    status = consultation.status
    consultation.refresh_from_db()
    assert consultation.status == status
    assert not StatusChange.objects.filter(consultation=consultation).exists()
    assert not AuditEvent.objects.filter(consultation=consultation).exists()
    assert mailoutbox == []


@pytest.mark.parametrize("state", [Status.NEW, Status.NEEDS_INFO])
def test_triage_moves_to_triaged_without_mail(state, request_in, staff, run, mailoutbox):
    consultation = request_in(state)
    run(workflow.triage, consultation, staff)
    assert consultation.status == Status.TRIAGED
    assert_recorded(consultation, state, staff)
    assert mailoutbox == []


@pytest.mark.parametrize("state", others(Status.NEW, Status.NEEDS_INFO))
def test_triage_refused_from_other_states(state, request_in, staff, run, mailoutbox):
    assert_refused(workflow.triage, request_in(state), mailoutbox, run, staff)


@pytest.mark.parametrize("state", [Status.NEW, Status.TRIAGED])
def test_request_info_emails_the_patient_a_signed_link(state, request_in, staff, run, mailoutbox):
    consultation = request_in(state)
    run(workflow.request_info, consultation, staff, topic=workflow.InfoTopic.PHOTOS)
    assert consultation.status == Status.NEEDS_INFO
    assert_recorded(consultation, state, staff)
    (message,) = mailoutbox
    assert message.to == [consultation.email]
    assert str(workflow.InfoTopic.PHOTOS.label) in message.body
    # The link is signed with a timestamp: read it from the email rather than signing again.
    prefix = links.manage_path(consultation).rstrip("/").rsplit("/", 1)[0] + "/"
    token = re.search(re.escape(prefix) + r"([^/\s]+)/", message.body).group(1)
    assert signing.loads(token, salt=links.SALT) == consultation.reference
    assert_no_phi(message, consultation)


@pytest.mark.parametrize("state", others(Status.NEW, Status.TRIAGED))
def test_request_info_refused_from_other_states(state, request_in, staff, run, mailoutbox):
    assert_refused(workflow.request_info, request_in(state), mailoutbox, run, staff)


@pytest.mark.parametrize("state", [Status.NEW, Status.TRIAGED, Status.NEEDS_INFO])
def test_approve_sends_confirmation_with_calendar_invitation(state, request_in, staff, run, mailoutbox):
    consultation = request_in(state)
    run(workflow.approve, consultation, staff, acknowledged=True)
    assert consultation.status == Status.APPROVED
    assert_recorded(consultation, state, staff)
    # The approver's acknowledgement of the Do-not-treat flag is stored with the change.
    assert StatusChange.objects.get(consultation=consultation).acknowledged_flag == FlagKind.DO_NOT_TREAT
    (message,) = mailoutbox
    assert message.to == [consultation.email]
    (attachment,) = message.attachments
    assert attachment.mimetype.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(attachment.content)
    assert calendar["method"] == "REQUEST"
    assert_no_phi(message, consultation)


@pytest.mark.parametrize("state", others(Status.NEW, Status.TRIAGED, Status.NEEDS_INFO))
def test_approve_refused_from_other_states(state, request_in, staff, run, mailoutbox):
    assert_refused(workflow.approve, request_in(state), mailoutbox, run, staff, True)


@pytest.mark.parametrize("kind", [Precaution.Kind.DO_NOT_TREAT, Precaution.Kind.POSTPONE])
def test_approve_of_a_serious_flag_needs_an_acknowledgement(kind, staff, run, mailoutbox):
    treatment = make_treatment()
    precaution = make_precaution(treatment, kind=kind)
    consultation = make_request(treatment, answers={precaution: "yes"})
    with pytest.raises(workflow.AcknowledgementNeeded):
        run(workflow.approve, consultation, staff)
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW
    assert mailoutbox == []


def test_approve_of_a_discuss_flag_needs_no_acknowledgement(staff, run):
    treatment = make_treatment()
    precaution = make_precaution(treatment, kind=Precaution.Kind.DISCUSS)
    consultation = make_request(treatment, answers={precaution: "yes"})
    run(workflow.approve, consultation, staff)
    assert consultation.status == Status.APPROVED
    assert StatusChange.objects.get(consultation=consultation).acknowledged_flag == ""


@pytest.mark.parametrize("state", ACTIVE_STATUSES)
def test_decline_keeps_the_reason_out_of_the_email(state, request_in, staff, run, mailoutbox):
    consultation = request_in(state)
    run(workflow.decline, consultation, staff, DeclineReason.NOT_SUITABLE)
    assert consultation.status == Status.DECLINED
    assert consultation.decline_reason == DeclineReason.NOT_SUITABLE
    assert_recorded(consultation, state, staff)
    (message,) = mailoutbox
    assert str(DeclineReason.NOT_SUITABLE.label) not in message.body
    assert_no_phi(message, consultation)
    # A booked time is taken out of the patient's calendar; a merely held one never was in it.
    calendars = [icalendar.Calendar.from_ical(a.content)["method"] for a in message.attachments]
    assert calendars == (["CANCEL"] if state == Status.APPROVED else [])


def test_decline_refuses_a_reason_not_on_the_list(request_in, staff, run, mailoutbox):
    consultation = request_in(Status.NEW)
    with pytest.raises(ValueError):
        run(workflow.decline, consultation, staff, "because")
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW
    assert mailoutbox == []


@pytest.mark.parametrize("state", others(*ACTIVE_STATUSES))
def test_decline_refused_from_closed_states(state, request_in, staff, run, mailoutbox):
    assert_refused(workflow.decline, request_in(state), mailoutbox, run, staff, DeclineReason.OTHER)


@pytest.mark.parametrize("state", ACTIVE_STATUSES)
def test_cancel_by_clinic_frees_the_time_and_tells_the_patient(state, request_in, staff, run, mailoutbox):
    consultation = request_in(state)
    run(workflow.cancel, consultation, staff)
    assert consultation.status == Status.CANCELLED
    assert not consultation.holds_time
    assert_recorded(consultation, state, staff)
    (message,) = mailoutbox
    assert "cancel" in message.subject.lower()
    assert_no_phi(message, consultation)
    calendars = [icalendar.Calendar.from_ical(a.content)["method"] for a in message.attachments]
    assert calendars == (["CANCEL"] if state == Status.APPROVED else [])


@pytest.mark.parametrize("state", others(*ACTIVE_STATUSES))
def test_cancel_refused_from_closed_states(state, request_in, staff, run, mailoutbox):
    assert_refused(workflow.cancel, request_in(state), mailoutbox, run, staff)


def test_complete_closes_an_approved_booking_without_mail(request_in, staff, run, mailoutbox):
    consultation = request_in(Status.APPROVED, start=timezone.now() - datetime.timedelta(minutes=20))
    run(workflow.complete, consultation, staff)
    assert consultation.status == Status.COMPLETED
    assert_recorded(consultation, Status.APPROVED, staff)
    assert mailoutbox == []


@pytest.mark.parametrize("state", others(Status.APPROVED))
def test_complete_refused_unless_approved(state, request_in, staff, run, mailoutbox):
    assert_refused(workflow.complete, request_in(state), mailoutbox, run, staff)


def test_no_show_offers_the_patient_a_new_booking(request_in, staff, run, mailoutbox):
    consultation = request_in(Status.APPROVED, start=timezone.now() - datetime.timedelta(minutes=20))
    run(workflow.no_show, consultation, staff)
    assert consultation.status == Status.NO_SHOW
    assert_recorded(consultation, Status.APPROVED, staff)
    (message,) = mailoutbox
    assert "/consultations/new/" in message.body
    assert_no_phi(message, consultation)


@pytest.mark.parametrize("function", [workflow.no_show, workflow.complete])
def test_no_show_and_complete_refused_before_the_appointment_starts(function, request_in, staff, run, mailoutbox):
    consultation = request_in(Status.APPROVED, start=timezone.now() + datetime.timedelta(days=6))
    with pytest.raises(workflow.NotYet):
        run(function, consultation, staff)
    consultation.refresh_from_db()
    assert consultation.status == Status.APPROVED
    assert not StatusChange.objects.filter(consultation=consultation).exists()
    assert mailoutbox == []
    assert {"no_show", "complete"}.isdisjoint(a.name for a in workflow.available_actions(consultation, staff))


def test_no_show_and_complete_offered_from_the_start_time_on(request_in, staff):
    consultation = request_in(Status.APPROVED)
    assert "no_show" not in [a.name for a in workflow.available_actions(consultation, staff)]
    later = consultation.slot_start + datetime.timedelta(minutes=1)
    assert {"no_show", "complete"} <= {a.name for a in workflow.available_actions(consultation, staff, now=later)}


@pytest.mark.parametrize("state", others(Status.APPROVED))
def test_no_show_refused_unless_approved(state, request_in, staff, run, mailoutbox):
    assert_refused(workflow.no_show, request_in(state), mailoutbox, run, staff)


def test_available_actions_follow_state_and_role(request_in, staff):
    front_desk = make_staff("Front desk")
    consultation = request_in(Status.NEW)
    assert [a.name for a in workflow.available_actions(consultation, staff)] == [
        "approve",
        "triage",
        "request_info",
        "decline",
        "cancel",
    ]
    assert [a.name for a in workflow.available_actions(consultation, front_desk)] == [
        "triage",
        "request_info",
        "cancel",
    ]
    consultation.status = Status.COMPLETED
    assert workflow.available_actions(consultation, staff) == []


def test_note_is_append_only(request_in, staff):
    note = workflow.add_note(request_in(Status.NEW), staff, "  Called, left a voicemail.  ")
    assert (note.author, note.text) == (staff, "Called, left a voicemail.")
    note.text = "Something else"
    with pytest.raises(PermissionError):
        note.save()
    with pytest.raises(PermissionError):
        note.delete()
    assert Note.objects.get(pk=note.pk).text == "Called, left a voicemail."


def test_empty_note_is_refused(request_in, staff):
    with pytest.raises(ValueError):
        workflow.add_note(request_in(Status.NEW), staff, "   ")
    assert not Note.objects.exists()


def test_assign_writes_its_own_audit_row(request_in, staff):
    consultation = request_in(Status.NEW)
    workflow.assign(consultation, staff, by=staff, ip="203.0.113.9")
    workflow.assign(consultation, None, by=staff)
    events = AuditEvent.objects.filter(consultation=consultation, action=AuditEvent.Action.CHANGE).order_by("pk")
    assert [(e.user, e.ip, e.detail) for e in events] == [
        (staff, "203.0.113.9", f"assigned to {staff.username}"),
        (staff, None, "assigned to nobody"),
    ]


def test_every_staff_button_runs_its_own_step():
    assert set(workflow.STEPS) == set(workflow.ACTIONS)
    assert all(workflow.STEPS[name].__name__ == name for name in workflow.ACTIONS)


def test_assign_only_to_providers(request_in, staff):
    consultation = request_in(Status.NEW)
    workflow.assign(consultation, staff, by=staff)
    consultation.refresh_from_db()
    assert consultation.assigned_to == staff
    with pytest.raises(ValueError):
        workflow.assign(consultation, make_staff("Front desk"), by=staff)
    consultation.refresh_from_db()
    assert consultation.assigned_to == staff


# --- Status changes by the patient and by the clock go through the same module -----------------


@pytest.mark.parametrize("state", ACTIVE_STATUSES)
def test_cancel_by_patient_is_recorded_and_audited_without_a_user(state, request_in, run, mailoutbox):
    consultation = request_in(state)
    assert run(workflow.cancel_by_patient, consultation) == state
    assert consultation.status == Status.CANCELLED
    assert_recorded(consultation, state, None)
    # Shown to staff as "patient (self-service link)", not as "the system".
    assert StatusChange.objects.get(consultation=consultation).by_patient
    assert AuditEvent.objects.get(consultation=consultation).by_patient
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("state", others(*ACTIVE_STATUSES))
def test_cancel_by_patient_refused_from_closed_states(state, request_in, run, mailoutbox):
    assert_refused(workflow.cancel_by_patient, request_in(state), mailoutbox, run)


def test_add_information_is_recorded_and_audited(request_in, run, mailoutbox):
    consultation = request_in(Status.NEEDS_INFO)
    run(workflow.add_information, consultation, "I stopped my blood thinners.")
    assert consultation.status == Status.TRIAGED
    assert_recorded(consultation, Status.NEEDS_INFO, None)
    assert consultation.additional_info.count() == 1
    (message,) = mailoutbox
    assert "I stopped" not in message.body


# From "new" the state machine lets it through (as staff may triage); the self-service page
# only offers the form while the clinic waits for information.
@pytest.mark.parametrize("state", others(Status.NEW, Status.NEEDS_INFO))
def test_add_information_refused_from_other_states(state, request_in, run, mailoutbox):
    assert_refused(workflow.add_information, request_in(state), mailoutbox, run, "More")


@pytest.mark.parametrize("state", [Status.NEW, Status.TRIAGED, Status.NEEDS_INFO])
def test_expire_frees_the_time_and_is_audited_without_mail(state, request_in, run, mailoutbox):
    consultation = request_in(state)
    assert run(workflow.expire, consultation) == state
    assert not consultation.holds_time
    assert_recorded(consultation, state, None)
    assert mailoutbox == []


@pytest.mark.parametrize("state", others(Status.NEW, Status.TRIAGED, Status.NEEDS_INFO))
def test_expire_refused_from_other_states(state, request_in, run, mailoutbox):
    assert_refused(workflow.expire, request_in(state), mailoutbox, run)


def test_no_module_but_the_workflow_changes_a_status():
    """Only the model's transition() writes a status, and only workflow.py calls it."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    callers = sorted(
        str(path.relative_to(root))
        for package in ("consultations", "education", "clinic")
        for path in (root / package).rglob("*.py")
        if re.search(r"\bconsultation\.transition\(|\.transition\(Status\.", path.read_text())
    )
    assert callers == ["consultations/workflow.py"]
