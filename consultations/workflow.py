"""Every status change of a consultation request, by staff, by the patient or by the clock.

One function per thing that happens. Each goes through ConsultationRequest.transition()
(the one state machine: it checks the current state under a row lock and writes the
status history), writes the audit row, and queues the matching notice inside the same
transaction, so a refused or rolled-back change never mails anyone. Moving a time is
here too, because the patient is told: the slot mechanics are in booking.py.

The HTTP side (permissions of the button, form, messages) is in staff_views.py and
selfservice.py; the clock's side in the expire_holds command.
"""

from dataclasses import dataclass

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from . import booking, notices
from .availability import Slot
from .models import AdditionalInfo, AuditEvent, DeclineReason, Note, Photo, Status
from .permissions import CHANGE_STATUS, DECIDE


class InfoTopic(models.TextChoices):
    """What the clinic asks the patient to add. Generic wording: it goes into an email."""

    GENERAL = "general", _("A little more information about your request")
    PHOTOS = "photos", _("Clearer photos of the area you would like treated")
    HEALTH = "health", _("More detail in your answers to the health questions")
    HISTORY = "history", _("Details of any previous aesthetic treatments")


@dataclass(frozen=True)
class Action:
    name: str
    target: Status
    permission: str
    label: str


# The buttons on the request page, in the order they are shown.
ACTIONS = {
    action.name: action
    for action in (
        Action("approve", Status.APPROVED, DECIDE, _("Approve and confirm the time")),
        Action("triage", Status.TRIAGED, CHANGE_STATUS, _("Mark as triaged")),
        Action("request_info", Status.NEEDS_INFO, CHANGE_STATUS, _("Ask the patient for more information")),
        Action("complete", Status.COMPLETED, CHANGE_STATUS, _("Mark as completed")),
        Action("no_show", Status.NO_SHOW, CHANGE_STATUS, _("Mark as no-show")),
        Action("decline", Status.DECLINED, DECIDE, _("Decline")),
        Action("cancel", Status.CANCELLED, CHANGE_STATUS, _("Cancel for the clinic")),
    )
}


def available_actions(consultation, user):
    """The actions this user may take on this request in its current state."""
    allowed = consultation.allowed_transitions()
    return [action for action in ACTIONS.values() if action.target in allowed and user.has_perm(action.permission)]


def _change(consultation, to, *, by=None, ip=None, reason="", note=""):
    """The one way a status changes: the state machine, the history row and the audit row."""
    previous = consultation.transition(to, by=by, reason=reason, note=note)
    AuditEvent.log(
        AuditEvent.Action.TRANSITION, consultation, user=by, ip=ip, detail=f"{previous} -> {consultation.status}"
    )
    return previous


# --- Staff ------------------------------------------------------------------------------------


@transaction.atomic
def triage(consultation, by, ip=None):
    # An internal step (someone has looked at it): the patient hears from us when
    # there is something to do or to know, not at every internal move.
    return _change(consultation, Status.TRIAGED, by=by, ip=ip)


@transaction.atomic
def request_info(consultation, by, topic=InfoTopic.GENERAL, ip=None):
    topic = InfoTopic(topic or InfoTopic.GENERAL)
    previous = _change(consultation, Status.NEEDS_INFO, by=by, ip=ip, note=f"asked for: {topic.value}")
    notices.needs_info(consultation, topic.label)
    return previous


@transaction.atomic
def approve(consultation, by, ip=None):
    previous = _change(consultation, Status.APPROVED, by=by, ip=ip)
    notices.booking_confirmed(consultation)
    return previous


@transaction.atomic
def decline(consultation, by, reason, ip=None):
    reason = DeclineReason(reason)  # ValueError for anything not on the list
    previous = _change(consultation, Status.DECLINED, by=by, ip=ip, reason=reason)
    notices.declined(consultation, previous)
    return previous


@transaction.atomic
def complete(consultation, by, ip=None):
    # Aftercare is given in person at the visit; no email.
    return _change(consultation, Status.COMPLETED, by=by, ip=ip)


@transaction.atomic
def no_show(consultation, by, ip=None):
    previous = _change(consultation, Status.NO_SHOW, by=by, ip=ip)
    notices.no_show(consultation)
    return previous


@transaction.atomic
def cancel(consultation, by, ip=None):
    previous = _change(consultation, Status.CANCELLED, by=by, ip=ip)
    notices.cancelled_by_clinic(consultation, previous)
    return previous


# --- The patient, through the self-service link ----------------------------------------------


@transaction.atomic
def cancel_by_patient(consultation):
    """The held time is free again. Raises InvalidTransition."""
    previous = _change(consultation, Status.CANCELLED, note="Cancelled by patient")
    notices.cancelled_by_patient(consultation, previous)
    return previous


@transaction.atomic
def add_information(consultation, text):
    """The patient answers a request for more information; back to the staff queue. Raises InvalidTransition."""
    _change(consultation, Status.TRIAGED, note="Patient added information")
    AdditionalInfo.objects.create(consultation=consultation, text=text)
    notices.staff_patient_added_info(consultation)
    return consultation


def choose_time(consultation, slot):
    """A request without a time gets one (not a move: no count, no notice). Raises booking.BookingError."""
    return booking.hold(consultation, slot)


@transaction.atomic
def reschedule(consultation, new_slot, by_patient=True, now=None):
    """Move the held time and tell the patient. Raises booking.RescheduleLimit, SlotUnavailable or SlotTaken."""
    old_slot = Slot.of(consultation)
    booking.reschedule(consultation, new_slot, by_patient=by_patient, now=now)
    notices.rescheduled(consultation, old_slot)
    return consultation


# --- The clock --------------------------------------------------------------------------------


@transaction.atomic
def expire(consultation):
    """The held time began before anyone confirmed the request: it expires and the time is free.

    Raises InvalidTransition when staff acted on it meanwhile (their decision stands).
    """
    return _change(consultation, Status.EXPIRED, note="The held time began before the request was confirmed")


# --- Not status changes, but staff work on a request -------------------------------------------


def assign(consultation, provider_user, by):
    """Give the request to a provider (or to no one). Not a status change."""
    if provider_user is not None and not hasattr(provider_user, "provider"):
        raise ValueError("Requests can only be assigned to providers.")
    consultation.assigned_to = provider_user
    consultation.save(update_fields=["assigned_to", "updated_at"])


def add_note(consultation, by, text):
    """An internal note: append-only, author and time set here, never shown to the patient."""
    text = (text or "").strip()
    if not text:
        raise ValueError("A note cannot be empty.")
    return Note.objects.create(consultation=consultation, author=by, text=text)


@transaction.atomic
def delete_with_photos(queryset):
    """Delete requests and their photo files; returns (requests, photos) deleted.

    A queryset delete never calls Photo.delete(), so the files are removed here,
    once the rows are gone for good (after commit).
    """
    photos = list(Photo.objects.filter(consultation__in=queryset).values_list("image", flat=True))
    _total, per_model = queryset.delete()
    requests = per_model.get("consultations.ConsultationRequest", 0)
    storage = Photo._meta.get_field("image").storage

    def remove_files():
        for name in photos:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return requests, len(photos)
