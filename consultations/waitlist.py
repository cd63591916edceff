"""The waitlist: patients who asked to be told of an earlier time, and the offers of freed times.

When a time frees (workflow._time_freed, after the change commits), offer_time() offers it to
the first CLINIC_WAITLIST_OFFER_BATCH matching patients in order of joining, each by a PHI-free
email with a one-click link (notices.waitlist_offer). Taking it is a workflow step
(workflow.accept_offer): the database constraint that gives one time to one request decides a
race. An offer not taken within CLINIC_WAITLIST_OFFER_MINUTES expires (expire_offers, run by the
expire_waitlist_offers command every few minutes) and the next batch gets the time, while it is
still free, in the future and bookable under the booking rules.

Joining, changing one's choices and leaving are here too: they change no time.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from . import notices
from .availability import Slot, is_open
from .booking import can_change
from .models import AuditEvent, OfferState, Status, WaitlistEntry, WaitlistOffer, bits_of, weekday_bit


def offer_minutes():
    return settings.CLINIC_WAITLIST_OFFER_MINUTES


def batch_size():
    return max(settings.CLINIC_WAITLIST_OFFER_BATCH, 1)


# --- The patient's place on the list ------------------------------------------------------------


def entry_of(consultation):
    """The request's place on the list, or None."""
    return WaitlistEntry.objects.of(consultation).first()


def can_join(consultation, now=None):
    """An open request whose time (if any) has not begun; not a booking agreed by phone without a time."""
    # The same rule as moving the time through the link (selfservice._actions).
    if not can_change(consultation, now):
        return False
    return not (consultation.status == Status.APPROVED and consultation.slot_start is None)


@transaction.atomic
def join(consultation, *, days=(), parts=(), provider=None, now=None):
    """Put the request on the list, or change its choices (keeping its place). Returns the entry.

    days: weekdays (0 = Monday), parts: DayPart values; none of either means any day / any part."""
    now = now or timezone.now()
    choices = {"days": bits_of(weekday_bit(int(day)) for day in days), "parts": bits_of(parts), "provider": provider}
    entry = WaitlistEntry.objects.select_for_update().of(consultation).first()
    if entry is None:
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(consultation=consultation, joined_at=now, **choices)
        except IntegrityError:
            # A second tab joined at the same moment: its place stands, these choices apply to it.
            entry = WaitlistEntry.objects.of(consultation).get()
        else:
            AuditEvent.log(
                AuditEvent.Action.PATIENT_CHANGE, consultation, detail="joined the waitlist", by_patient=True
            )
            return entry
    for name, value in choices.items():
        setattr(entry, name, value)
    entry.save(update_fields=list(choices))
    AuditEvent.log(AuditEvent.Action.PATIENT_CHANGE, consultation, detail="changed waitlist choices", by_patient=True)
    return entry


@transaction.atomic
def leave(consultation, reason=WaitlistEntry.Left.PATIENT, now=None):
    """Take the request off the list; its pending offers are withdrawn. False when it was not on it."""
    now = now or timezone.now()
    entry = WaitlistEntry.objects.select_for_update().of(consultation).first()
    if entry is None:
        return False
    entry.left_at, entry.left_reason = now, reason
    entry.save(update_fields=["left_at", "left_reason"])
    entry.offers.pending().update(state=OfferState.WITHDRAWN, decided_at=now)
    if reason == WaitlistEntry.Left.PATIENT:
        AuditEvent.log(AuditEvent.Action.PATIENT_CHANGE, consultation, detail="left the waitlist", by_patient=True)
    return True


# --- Offering a freed time ------------------------------------------------------------------------


def offerable(slot, now=None):
    """Still free, in the future and bookable under the booking rules (hours, closed days, lead time)."""
    now = now or timezone.now()
    return slot.start > now and is_open(slot, now)


def queue_offers(provider_id, start, end):
    """Offer a freed time to the waitlist once the change that freed it commits (never for a
    rolled-back one). The task carries the provider's id and two instants: no patient."""
    start_iso, end_iso = start.isoformat(), end.isoformat()
    transaction.on_commit(lambda: offer_freed_time.enqueue(provider_id, start_iso, end_iso))


@task
def offer_freed_time(provider_id, start, end):
    """The background side of queue_offers: ISO instants in, offers out."""
    offer_time(provider_id, datetime.datetime.fromisoformat(start), datetime.datetime.fromisoformat(end))


@transaction.atomic
def offer_time(provider_id, start, end, now=None):
    """Offer this time to the next batch of matching patients; returns the new offers.

    Nothing while an earlier batch's offers are still pending (they have their chance first), or
    when the time is no longer free, past or not bookable (its pending offers are then withdrawn).
    """
    now = now or timezone.now()
    slot = Slot(provider_id, start, end)
    offers = WaitlistOffer.objects.for_time(provider_id, slot.start)
    if not offerable(slot, now):
        offers.pending().update(state=OfferState.WITHDRAWN, decided_at=now)
        return []
    if offers.pending().filter(expires_at__gt=now).exists():
        return []
    # Only the batch is read: the list may be long, and the rest wait for the next batch.
    entries = WaitlistEntry.objects.matching(provider_id, slot.start).not_offered(provider_id, slot.start)
    expires_at = now + datetime.timedelta(minutes=offer_minutes())
    made = []
    for entry in entries[: batch_size()]:
        try:
            with transaction.atomic():
                offer = WaitlistOffer.objects.create(
                    entry=entry,
                    provider_id=provider_id,
                    start=slot.start,
                    end=slot.end,
                    sent_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue  # Another run offered it to this patient a moment ago: one email is enough.
        notices.waitlist_offer(offer)
        made.append(offer)
    return made


def expire_offers(now=None):
    """Offers past their time expire; each time they were for goes to the next batch (if still free).
    Returns (offers expired, new offers sent)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = WaitlistOffer.objects.due_to_expire(now)
        times = sorted(set(due.values_list("provider_id", "start", "end")), key=lambda time: (time[1], time[0]))
        # One UPDATE: an offer accepted meanwhile (its row locked by the accept) is not pending any more.
        expired = due.update(state=OfferState.EXPIRED, decided_at=now)
    sent = 0
    for provider_id, start, end in times:
        sent += len(offer_time(provider_id, start, end, now=now))
    return expired, sent
