"""Holding and moving a consultation time: the slot mechanics.

Status changes (cancelling included) and the messages that go with them are in workflow.py.

One time goes to one active request because the database says so
(`one_active_request_per_slot`). The rules are checked first so that people get
a clear message, but a race between two checks is settled by the constraint: the
write runs in a savepoint, and an IntegrityError there means someone else got
the time first. Emails are queued on commit, so a rolled-back write sends nothing.
"""

import datetime
import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import ratelimit, reminders
from .availability import Slot, is_generated, is_held
from .models import ConsultationRequest, InsideCancellationWindow, Status

# States in which a held time is not confirmed by the clinic yet (approved ones are booked).
UNCONFIRMED = [Status.NEW, Status.TRIAGED, Status.NEEDS_INFO]


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


def client_hash(key):
    """A keyed hash of a client key (clinic.clientip.client_key): counts holds without storing addresses."""
    return hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()[:32]


def hold_refusal(consultation, now=None):
    """Why this new request may not hold a time now, or "" when it may.

    "email", "phone", "client": that one already holds CLINIC_HOLDS_PER_* times (one person or one
    home rarely needs more; a script filling the calendar does); "brake": CLINIC_HOLD_BRAKE holds
    were given out in its window, by anyone. The request is stored all the same, without a time.
    Checked without a lock: concurrent sends may pass a cap by one or two, which is all right for a
    brake (the one-request-per-time guarantee is the database's).
    """
    holding = ConsultationRequest.objects.holding()
    caps = [
        ("email", settings.CLINIC_HOLDS_PER_EMAIL, {"email__iexact": consultation.email}),
        ("phone", settings.CLINIC_HOLDS_PER_PHONE, {"phone": consultation.phone}),
        ("client", settings.CLINIC_HOLDS_PER_CLIENT, {"client_hash": consultation.client_hash}),
    ]
    for reason, cap, match in caps:
        if cap and all(match.values()) and holding.filter(**match).count() >= cap:
            return reason
    brake = hold_brake()
    if brake is not None:
        limit, window = brake
        since = (now or timezone.now()) - datetime.timedelta(seconds=window)
        if holding.filter(created_at__gte=since).count() >= limit:
            return "brake"
    return ""


def hold_brake():
    """(holds, window seconds) of CLINIC_HOLD_BRAKE, or None when it is off."""
    return ratelimit.parse_rate(settings.CLINIC_HOLD_BRAKE, "CLINIC_HOLD_BRAKE")


def brake_notice_due(now=None):
    """True for the first request the brake stops in its window, so staff are told once, not per
    request (the shared cache remembers it across processes)."""
    _limit, window = hold_brake()
    moment = (now or timezone.now()).timestamp()
    return cache.add(f"booking:hold-brake-notice:{int(moment) // window}", 1, timeout=window)


def lapse_deadline(consultation):
    """When an unconfirmed hold lapses: CLINIC_HOLD_CONFIRM_HOURS after the request was sent, and
    never after the held time itself (from its start the request expires: expire_holds)."""
    deadline = consultation.created_at + datetime.timedelta(hours=settings.CLINIC_HOLD_CONFIRM_HOURS)
    return min(deadline, consultation.slot_start) if consultation.slot_start else deadline


def due_to_lapse(now=None):
    """Requests whose held time the patient has not confirmed in time, and whose time has not begun
    (from its start on, the request expires as a whole: the expire_holds command)."""
    now = now or timezone.now()
    return ConsultationRequest.objects.holding().filter(
        status__in=UNCONFIRMED,
        hold_confirmed_at__isnull=True,
        created_at__lte=now - datetime.timedelta(hours=settings.CLINIC_HOLD_CONFIRM_HOURS),
        slot_start__gt=now,
    )


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
    previous = consultation.provider_id, consultation.slot_start, consultation.slot_end, consultation.time_taken_at
    consultation.provider_id, consultation.slot_start, consultation.slot_end = slot.provider_id, slot.start, slot.end
    consultation.time_taken_at = now or timezone.now()
    try:
        with transaction.atomic():
            if consultation.pk is None:
                consultation.save()
            else:
                consultation.save(update_fields=["provider", "slot_start", "slot_end", "time_taken_at", "updated_at"])
    except IntegrityError:
        consultation.provider_id, consultation.slot_start, consultation.slot_end, consultation.time_taken_at = previous
        if _held_by_another(slot, consultation):
            raise SlotTaken from None
        raise
    return consultation


def reschedule(consultation, new_slot, by_patient=True, now=None):
    """Move the request's hold to new_slot in one step: on any failure it keeps its old time.

    The patient is told by workflow.reschedule(), which calls this.
    Raises RescheduleLimit or InsideCancellationWindow (patients only), SlotUnavailable or SlotTaken.
    """
    now = now or timezone.now()
    if by_patient and consultation.inside_cancellation_window(now):
        raise InsideCancellationWindow(_("Your time is too close to move online. Please call us."))
    if by_patient and consultation.reschedule_count >= settings.CLINIC_MAX_RESCHEDULES:
        raise RescheduleLimit
    if not can_change(consultation, now) or Slot.of(consultation) == new_slot:
        raise SlotUnavailable
    _check(new_slot, now, exclude=consultation.pk)
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
                    time_taken_at=now,
                    # A reminder sent for the old time says nothing about the new one.
                    **reminders.RESET_ON_MOVE,
                    updated_at=timezone.now(),
                )
        except IntegrityError:
            if _held_by_another(new_slot, consultation):
                raise SlotTaken from None
            raise
        consultation.refresh_from_db()
    return consultation


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
