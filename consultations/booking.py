"""Holding, moving and cancelling a consultation time, and the emails that go with it.

One time goes to one active request because the database says so
(`one_active_request_per_slot`). The rules are checked first so that people get
a clear message, but a race between two checks is settled by the constraint: the
write runs in a savepoint, and an IntegrityError there means someone else got
the time first. Emails are queued on commit, so a rolled-back write sends nothing.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import emails, ics, links
from .availability import Slot, is_generated, is_held, slot_label
from .models import AdditionalInfo, ConsultationRequest, Status


class BookingError(Exception):
    message = _("That time cannot be booked.")

    def __str__(self):
        return str(self.args[0] if self.args else self.message)


class SlotTaken(BookingError):
    message = _("That time was just taken by someone else. Please choose another time.")


class SlotUnavailable(BookingError):
    message = _("That time is no longer offered. Please choose another time.")


class RescheduleLimit(BookingError):
    message = _("This request has been moved as often as we allow online. Please call us to change it.")


def reschedules_left(consultation):
    return max(settings.CLINIC_MAX_RESCHEDULES - consultation.reschedule_count, 0)


def can_change(consultation, now=None):
    """The patient may still cancel or move: the request is open and its time has not begun."""
    now = now or timezone.now()
    return consultation.is_active and (consultation.slot_start is None or consultation.slot_start > now)


def hold(consultation, slot, now=None):
    """Give the (new or saved) request this time, and save it. Raises SlotTaken or SlotUnavailable."""
    if consultation.pk is not None and not consultation.is_active:
        raise SlotUnavailable
    _check(slot, now, exclude=consultation.pk)
    previous = consultation.provider_id, consultation.slot_start, consultation.slot_end
    consultation.provider_id, consultation.slot_start, consultation.slot_end = slot.provider_id, slot.start, slot.end
    try:
        with transaction.atomic():
            if consultation.pk is None:
                consultation.save()
            else:
                consultation.save(update_fields=["provider", "slot_start", "slot_end", "updated_at"])
    except IntegrityError:
        consultation.provider_id, consultation.slot_start, consultation.slot_end = previous
        if _held_by_another(slot, consultation):
            raise SlotTaken from None
        raise
    return consultation


def reschedule(consultation, new_slot, by_patient=True, now=None):
    """Move the request's hold to new_slot in one step: on any failure it keeps its old time.

    Raises RescheduleLimit (patients only), SlotUnavailable or SlotTaken.
    """
    now = now or timezone.now()
    if by_patient and consultation.reschedule_count >= settings.CLINIC_MAX_RESCHEDULES:
        raise RescheduleLimit
    if not can_change(consultation, now) or Slot.of(consultation) == new_slot:
        raise SlotUnavailable
    _check(new_slot, now, exclude=consultation.pk)
    old_slot = Slot.of(consultation)
    with transaction.atomic():
        locked = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
        # Checked again under the lock: a second tab may have moved or cancelled it meanwhile.
        if by_patient and locked.reschedule_count >= settings.CLINIC_MAX_RESCHEDULES:
            raise RescheduleLimit
        if not can_change(locked, now) or locked.slot_start != consultation.slot_start:
            raise SlotUnavailable
        try:
            with transaction.atomic():
                ConsultationRequest.objects.filter(pk=consultation.pk).update(
                    provider_id=new_slot.provider_id,
                    slot_start=new_slot.start,
                    slot_end=new_slot.end,
                    reschedule_count=F("reschedule_count") + 1,
                    # A reminder sent for the old time says nothing about the new one.
                    reminder_sent_at=None,
                    updated_at=timezone.now(),
                )
        except IntegrityError:
            if _held_by_another(new_slot, consultation):
                raise SlotTaken from None
            raise
        consultation.refresh_from_db()
        attachments = []
        if consultation.status == Status.APPROVED:
            attachments = [_invitation(consultation, "REQUEST")]
        emails.queue(
            "rescheduled",
            consultation.email,
            {**email_context(consultation), "old_when": slot_label(old_slot) if old_slot else ""},
            attachments=attachments,
        )
    return consultation


def cancel_by_patient(consultation):
    """Cancel through the self-service link; the held time is free again. Raises InvalidTransition."""
    with transaction.atomic():
        previous = consultation.transition(Status.CANCELLED, by=None, note="Cancelled by patient")
        attachments = []
        if previous == Status.APPROVED and consultation.slot_start is not None:
            attachments = [_invitation(consultation, "CANCEL")]
        emails.queue("booking_cancelled", consultation.email, email_context(consultation), attachments=attachments)
    return consultation


def send_confirmation(consultation):
    """Queue the "your consultation is booked" email with a calendar invitation (call when staff approve)."""
    attachments = [_invitation(consultation, "REQUEST")] if consultation.slot_start is not None else []
    emails.queue("booking_confirmed", consultation.email, email_context(consultation), attachments=attachments)


def add_information(consultation, text):
    """The patient answers a request for more information; back to the staff queue. Raises InvalidTransition."""
    with transaction.atomic():
        consultation.transition(Status.TRIAGED, by=None, note="Patient added information")
        AdditionalInfo.objects.create(request=consultation, text=text)
        # The staff email names the reference only; the text is read in the admin.
        emails.queue(
            "patient_added_info",
            settings.CLINIC_STAFF_EMAIL,
            {"reference": consultation.reference, "admin_url": emails.site_url(consultation.get_absolute_url())},
        )
    return consultation


def email_context(consultation):
    """What the patient's emails may say: the reference, the time and the self-service link. Nothing else."""
    slot = Slot.of(consultation)
    return {
        "reference": consultation.reference,
        "when": slot_label(slot) if slot else "",
        "manage_url": emails.site_url(links.manage_path(consultation)),
    }


def _invitation(consultation, method):
    return ("consultation.ics", ics.build_ics(consultation, method), f"text/calendar; method={method}")


def _check(slot, now, exclude=None):
    if not is_generated(slot, now):
        raise SlotUnavailable
    if is_held(slot, exclude=exclude):
        raise SlotTaken


def _held_by_another(slot, consultation):
    others = ConsultationRequest.objects.holding().filter(provider_id=slot.provider_id, slot_start=slot.start)
    if consultation.pk is not None:
        others = others.exclude(pk=consultation.pk)
    return others.exists()
