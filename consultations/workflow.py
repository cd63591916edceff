"""Staff-side workflow: one function per thing a reviewer does to a request.

Each status change goes through ConsultationRequest.transition(), which checks the
current state under a row lock and records who moved it and when. The matching
email is queued inside the same transaction, so a refused or rolled-back change
never mails the patient. Emails carry the reference and links only.

The HTTP side (permissions, audit, messages) lives in staff_views.py.
"""

from dataclasses import dataclass

from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import booking, emails, ics
from .models import DeclineReason, Note, Photo, Status

CHANGE_STATUS = "consultations.change_status"
DECIDE = "consultations.decide_request"


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


def _mail(consultation, name, attachments=(), **context):
    # The booking module owns what a patient's email may say: reference, time, self-service link.
    emails.queue(name, consultation.email, {**booking.email_context(consultation), **context}, attachments=attachments)


@transaction.atomic
def triage(consultation, by):
    # An internal step (someone has looked at it): the patient hears from us when
    # there is something to do or to know, not at every internal move.
    return consultation.transition(Status.TRIAGED, by=by)


@transaction.atomic
def request_info(consultation, by, topic=InfoTopic.GENERAL):
    topic = InfoTopic(topic or InfoTopic.GENERAL)
    previous = consultation.transition(Status.NEEDS_INFO, by=by, note=f"asked for: {topic.value}")
    _mail(consultation, "needs_info", topic=topic.label)
    return previous


@transaction.atomic
def approve(consultation, by):
    previous = consultation.transition(Status.APPROVED, by=by)
    # The booking module owns the confirmation and its calendar invitation.
    booking.send_confirmation(consultation)
    return previous


@transaction.atomic
def decline(consultation, by, reason):
    reason = DeclineReason(reason)  # ValueError for anything not on the list
    previous = consultation.transition(Status.DECLINED, by=by, reason=reason)
    # The reason stays with the clinic: it is explained by phone, never in an email.
    _mail(consultation, "declined", attachments=_calendar_cancellation(consultation, previous))
    return previous


@transaction.atomic
def complete(consultation, by):
    # Aftercare is given in person at the visit; no email.
    return consultation.transition(Status.COMPLETED, by=by)


@transaction.atomic
def no_show(consultation, by):
    previous = consultation.transition(Status.NO_SHOW, by=by)
    _mail(consultation, "no_show", book_url=emails.site_url(reverse("consultations:new")))
    return previous


@transaction.atomic
def cancel(consultation, by):
    previous = consultation.transition(Status.CANCELLED, by=by)
    _mail(consultation, "cancelled_by_clinic", attachments=_calendar_cancellation(consultation, previous))
    return previous


def _calendar_cancellation(consultation, previous):
    """A booked time sits in the patient's calendar: a CANCEL invitation (same UID) removes it."""
    if previous != Status.APPROVED or consultation.slot_start is None:
        return []
    return [("consultation.ics", ics.build_ics(consultation, "CANCEL"), "text/calendar; method=CANCEL")]


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
    return Note.objects.create(request=consultation, author=by, text=text)


@transaction.atomic
def delete_with_photos(queryset):
    """Delete requests and their photo files; returns (requests, photos) deleted.

    A queryset delete never calls Photo.delete(), so the files are removed here,
    once the rows are gone for good (after commit).
    """
    photos = list(Photo.objects.filter(request__in=queryset).values_list("image", flat=True))
    _total, per_model = queryset.delete()
    requests = per_model.get("consultations.ConsultationRequest", 0)
    storage = Photo._meta.get_field("image").storage

    def remove_files():
        for name in photos:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return requests, len(photos)
