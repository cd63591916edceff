"""Every status change of a consultation request, by staff, by the patient or by the clock.

One function per thing that happens. Each goes through ConsultationRequest.transition()
(the one state machine: it checks the current state under a row lock and writes the
status history), writes the audit row, and queues the matching notice inside the same
transaction, so a refused or rolled-back change never mails anyone. Moving a time is
here too, because the patient is told: the slot mechanics are in booking.py.

The HTTP side (permissions of the button, form, messages) is in staff_views.py and
selfservice.py; the clock's side in the expire_holds command.

Every change that frees a time (a cancel, a decline, the old time of a move, a lapsed hold, an
expired request) calls _time_freed(), the one place that hands it to the waitlist; taking a time
offered from the waitlist is accept_offer() (issue 27).
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic import formatting
from clinic.text import strip_disguising_characters

from . import booking, notices, waitlist
from .availability import Slot, slot_label
from .models import (
    AdditionalInfo,
    AuditEvent,
    ConsultationRequest,
    DeclineReason,
    FlagKind,
    InfoTopic,  # noqa: F401 (staff forms and tests name it as workflow.InfoTopic)
    InsideCancellationWindow,
    InvalidTransition,
    Note,
    OfferState,
    Photo,
    Status,
    StatusChange,
    WaitlistEntry,
    WaitlistOffer,
)
from .permissions import CHANGE_STATUS, DECIDE


@dataclass(frozen=True)
class Action:
    name: str
    target: Status
    permission: str
    label: str
    # The patient gets an email: the button leads to a confirmation step first.
    emails_patient: bool = False
    # Only once the appointment has begun (nobody can have missed or attended a future visit).
    from_start: bool = False


# The buttons on the request page, in the order they are shown.
ACTIONS = {
    action.name: action
    for action in (
        Action("approve", Status.APPROVED, DECIDE, _("Approve and confirm the time"), emails_patient=True),
        Action("triage", Status.TRIAGED, CHANGE_STATUS, _("Mark as triaged")),
        Action(
            "request_info",
            Status.NEEDS_INFO,
            CHANGE_STATUS,
            _("Ask the patient for more information"),
            emails_patient=True,
        ),
        Action("complete", Status.COMPLETED, CHANGE_STATUS, _("Mark as completed"), from_start=True),
        Action("no_show", Status.NO_SHOW, CHANGE_STATUS, _("Mark as no-show"), emails_patient=True, from_start=True),
        Action("decline", Status.DECLINED, DECIDE, _("Decline"), emails_patient=True),
        Action("cancel", Status.CANCELLED, CHANGE_STATUS, _("Cancel for the clinic"), emails_patient=True),
    )
}


class NotYet(InvalidTransition):
    """The appointment has not begun: it cannot be completed or missed yet."""


class AcknowledgementNeeded(InvalidTransition):
    """A Do-not-treat or Postpone flag must be acknowledged before approving."""


# Flags an approver must acknowledge in so many words before approving.
FLAGS_TO_ACKNOWLEDGE = {FlagKind.DO_NOT_TREAT, FlagKind.POSTPONE}


def needs_acknowledgement(consultation):
    return consultation.worst_flag in FLAGS_TO_ACKNOWLEDGE


def is_due(action, consultation, now=None):
    """Not too early for this action: completed and no-show only from the appointment's start on.

    A booking agreed by phone has no time in the system; staff judge it themselves."""
    return not action.from_start or consultation.slot_start is None or consultation.has_started(now)


def available_actions(consultation, user, now=None):
    """The actions this user may take on this request in its current state and at this time."""
    allowed = consultation.allowed_transitions()
    return [
        action
        for action in ACTIONS.values()
        if action.target in allowed and user.has_perm(action.permission) and is_due(action, consultation, now)
    ]


def _check_started(consultation, action_name):
    if not is_due(ACTIONS[action_name], consultation):
        raise NotYet(
            _("%(action)s is possible from the start of the appointment (%(when)s) on.")
            % {"action": ACTIONS[action_name].label, "when": formatting.slot_when(consultation.slot_start)}
        )


def _change(
    consultation, to, *, by=None, ip=None, reason="", note="", by_patient=False, acknowledged_flag="", detail=""
):
    """The one way a status changes: the state machine, the history row and the audit row.

    detail: what kind of change it was, when the states alone do not say (a release is a cancel)."""
    previous = consultation.transition(
        to, by=by, by_patient=by_patient, reason=reason, note=note, acknowledged_flag=acknowledged_flag
    )
    # Labels as staff read them in the audit trail, not the stored codes.
    detail = f"{detail + ': ' if detail else ''}{Status(previous).label} → {consultation.get_status_display()}"
    AuditEvent.log(AuditEvent.Action.TRANSITION, consultation, user=by, ip=ip, detail=detail, by_patient=by_patient)
    if not consultation.is_active:
        # A closed request waits for nothing: off the list, its pending offers withdrawn.
        waitlist.leave(consultation, reason=WaitlistEntry.Left.CLOSED)
    return previous


def _time_freed(slot):
    """A time is free again (slot: the availability Slot it was, or None): once this transaction
    commits, the waitlist is offered it (waitlist.offer_time checks it is still free, future and
    bookable). Every change that frees a time calls this, and only this."""
    if slot is not None:
        waitlist.queue_offers(slot.provider_id, slot.start, slot.end)


def _record_patient_step(consultation, note, detail, action=AuditEvent.Action.PATIENT_CHANGE, at=None):
    """A change the patient made through their link that is not a status change (a move, a chosen
    time, a red-flag check-in): in the status history and the audit trail too, so staff see all that
    happened in one list."""
    StatusChange.objects.create(
        consultation=consultation,
        from_status=consultation.status,
        to_status=consultation.status,
        by_patient=True,
        note=note,
        at=at or timezone.now(),
    )
    AuditEvent.log(action, consultation, detail=detail, by_patient=True)


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
    # The patient's page offers exactly what was asked for (a photo upload, or a text box).
    consultation.info_topic = topic
    consultation.save(update_fields=["info_topic", "updated_at"])
    notices.needs_info(consultation, topic.label)
    return previous


@transaction.atomic
def approve(consultation, by, acknowledged=False, ip=None):
    """Raises AcknowledgementNeeded for a Do-not-treat or Postpone flag not acknowledged."""
    if needs_acknowledgement(consultation) and not acknowledged:
        raise AcknowledgementNeeded(
            _("This request is flagged “%(flag)s”: tick the box to confirm you have read the flags before approving.")
            % {"flag": consultation.get_worst_flag_display()}
        )
    flag = consultation.worst_flag if needs_acknowledgement(consultation) else ""
    previous = _change(consultation, Status.APPROVED, by=by, ip=ip, acknowledged_flag=flag)
    notices.booking_confirmed(consultation)
    return previous


@transaction.atomic
def decline(consultation, by, reason, ip=None):
    reason = DeclineReason(reason)  # ValueError for anything not on the list
    freed = Slot.of(consultation)
    previous = _change(consultation, Status.DECLINED, by=by, ip=ip, reason=reason)
    notices.declined(consultation, previous)
    _time_freed(freed)
    return previous


@transaction.atomic
def complete(consultation, by, ip=None):
    # No email now: the aftercare email goes out when a provider records what was given
    # (aftercare.record_treatment), with the link to the reviewed aftercare page.
    _check_started(consultation, "complete")
    return _change(consultation, Status.COMPLETED, by=by, ip=ip)


@transaction.atomic
def no_show(consultation, by, ip=None):
    # "We missed you" for a visit days away would be false: only from its start time on.
    _check_started(consultation, "no_show")
    previous = _change(consultation, Status.NO_SHOW, by=by, ip=ip)
    notices.no_show(consultation)
    return previous


@transaction.atomic
def cancel(consultation, by, ip=None):
    freed = Slot.of(consultation)
    previous = _change(consultation, Status.CANCELLED, by=by, ip=ip)
    notices.cancelled_by_clinic(consultation, previous)
    _time_freed(freed)
    return previous


# --- The patient, through the self-service link ----------------------------------------------


@transaction.atomic
def cancel_by_patient(consultation, released=False, now=None):
    """The held time is free again. Raises InvalidTransition, InsideCancellationWindow when the time is
    inside the accepted policy's window (the patient calls instead).

    released: the patient answered the confirm-or-release reminder with "release": allowed inside the
    window (that is its point), recorded as a release. release_by_patient() is the way to call it, so
    a release frees the time through exactly this path, as a cancel does."""
    if not released and consultation.inside_cancellation_window(now):
        raise InsideCancellationWindow(_("Your time is too close to cancel online. Please call us."))
    freed = Slot.of(consultation)
    note = "Released by patient (confirm or release)" if released else "Cancelled by patient"
    previous = _change(
        consultation, Status.CANCELLED, note=note, by_patient=True, detail="released" if released else ""
    )
    if released:
        notices.released_by_patient(consultation, previous)
    else:
        notices.cancelled_by_patient(consultation, previous)
    _time_freed(freed)
    return previous


def can_release(consultation, now=None):
    """The confirm-or-release page's buttons apply: an approved booking whose time has not begun."""
    booked = consultation.status == Status.APPROVED and consultation.slot_start is not None
    return booked and not consultation.has_started(now)


@transaction.atomic
def release_by_patient(consultation, now=None):
    """The patient releases their approved time from the confirm-or-release reminder: the request is
    cancelled and the time freed through cancel_by_patient (the one path a patient frees a time by),
    inside the cancellation window too. Raises InvalidTransition when there is nothing to release."""
    if not can_release(consultation, now):
        raise InvalidTransition(_("There is no booked time to release on this request."))
    return cancel_by_patient(consultation, released=True, now=now)


@transaction.atomic
def confirm_attendance(consultation, now=None):
    """The patient answers the confirm-or-release reminder with "I will come": stored once
    (attendance_confirmed_at, a conditional UPDATE), in the history and the audit trail.
    Returns False when there is nothing to confirm (not booked, begun, already confirmed)."""
    now = now or timezone.now()
    if not can_release(consultation, now):
        return False
    confirmed = ConsultationRequest.objects.filter(
        pk=consultation.pk, status=Status.APPROVED, slot_start__gt=now, attendance_confirmed_at__isnull=True
    ).update(attendance_confirmed_at=now, updated_at=now)
    if not confirmed:
        return False
    consultation.attendance_confirmed_at = now
    _record_patient_step(
        consultation, f"Confirmed they will come ({slot_label(Slot.of(consultation))})", "confirmed attendance", at=now
    )
    return True


@transaction.atomic
def add_information(consultation, text="", photos=()):
    """The patient answers a request for more information (text, photos or both); back to the staff
    queue. photos: cleaned photos (consultations.photos.CleanPhoto). Raises InvalidTransition."""
    _change(consultation, Status.TRIAGED, note="Patient added information", by_patient=True)
    info = AdditionalInfo.objects.create(consultation=consultation, topic=consultation.info_topic, text=text)
    for photo in photos:
        Photo.objects.create(
            consultation=consultation,
            additional_info=info,
            image=photo.as_file(),
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
        )
    # What was sent, never its content.
    AuditEvent.log(
        AuditEvent.Action.PATIENT_CHANGE,
        consultation,
        detail=f"added information ({len(photos)} photos)",
        by_patient=True,
    )
    notices.staff_patient_added_info(consultation, photo_count=len(photos))
    return info


@transaction.atomic
def choose_time(consultation, slot, policy=None, ip=None):
    """A request without a time gets one (not a move: no count, no notice). Raises booking.BookingError.

    Chosen through the patient's own link, so the hold is confirmed by the patient already.
    policy: the cancellation policy the patient accepted with it (version, time and address kept)."""
    now = timezone.now()
    consultation.hold_confirmed_at = now
    booking.hold(consultation, slot)
    accepted = consultation.accept_policy(policy, now, ip) if policy is not None else {}
    ConsultationRequest.objects.filter(pk=consultation.pk).update(hold_confirmed_at=now, **accepted)
    _record_patient_step(consultation, f"Chose {slot_label(slot)}", "chose a time")
    return consultation


@transaction.atomic
def confirm_hold(consultation, now=None):
    """The patient confirms, through their link, that they want the time held for them, so it does
    not lapse (lapse_hold). Not a status change: the clinic still confirms the booking.
    Returns False when there is nothing to confirm (no time, already confirmed, closed)."""
    now = now or timezone.now()
    confirmed = (
        ConsultationRequest.objects.holding()
        .filter(pk=consultation.pk, status__in=booking.UNCONFIRMED, hold_confirmed_at__isnull=True)
        .update(hold_confirmed_at=now, updated_at=now)
    )
    if not confirmed:
        return False
    consultation.hold_confirmed_at = now
    _record_patient_step(consultation, f"Confirmed {slot_label(Slot.of(consultation))}", "confirmed the held time")
    return True


@transaction.atomic
def reschedule(consultation, new_slot, by_patient=True, now=None):
    """Move the held time and tell the patient. Raises booking.RescheduleLimit, SlotUnavailable or SlotTaken."""
    old_slot = Slot.of(consultation)
    booking.reschedule(consultation, new_slot, by_patient=by_patient, now=now)
    if by_patient:
        # Moved through the patient's own link: they want the new time (it does not lapse).
        if consultation.hold_confirmed_at is None:
            consultation.hold_confirmed_at = timezone.now()
            consultation.save(update_fields=["hold_confirmed_at", "updated_at"])
        note = f"Moved from {slot_label(old_slot)} to {slot_label(new_slot)}"
        _record_patient_step(consultation, note, "moved to another time")
    notices.rescheduled(consultation, old_slot)
    _time_freed(old_slot)
    return consultation


# --- The clock --------------------------------------------------------------------------------


@transaction.atomic
def expire(consultation):
    """The held time began before anyone confirmed the request: it expires and the time is free.

    Raises InvalidTransition when staff acted on it meanwhile (their decision stands).
    """
    freed = Slot.of(consultation)
    previous = _change(consultation, Status.EXPIRED, note="The held time began before the request was confirmed")
    # Begun already, so never offered; through the same door all the same (one place frees times).
    _time_freed(freed)
    return previous


@transaction.atomic
def lapse_hold(consultation, now=None):
    """The patient did not confirm the held time within CLINIC_HOLD_CONFIRM_HOURS: the time is free
    again, the request stays (without a time, the time kept as asked for) and the patient is told.

    Not a status change. Returns False when the patient confirmed it, staff acted or the time began
    meanwhile (checked again under the row lock)."""
    now = now or timezone.now()
    locked = booking.due_to_lapse(now).select_for_update(of=("self",)).filter(pk=consultation.pk).first()
    if locked is None:
        return False
    old_slot = Slot.of(locked)
    locked.unheld_time, locked.provider, locked.slot_start, locked.slot_end = locked.slot_start, None, None, None
    locked.save(update_fields=["unheld_time", "provider", "slot_start", "slot_end", "updated_at"])
    StatusChange.objects.create(
        consultation=locked,
        from_status=locked.status,
        to_status=locked.status,
        note=f"Held time released: not confirmed by the patient ({slot_label(old_slot)})",
    )
    AuditEvent.log(AuditEvent.Action.CHANGE, locked, detail="held time released (not confirmed in time)")
    notices.hold_lapsed(locked, old_slot)
    _time_freed(old_slot)
    consultation.refresh_from_db()
    return True


# --- The waitlist (issue 27) -------------------------------------------------------------------


class OfferClosed(InvalidTransition):
    """The offer expired, was withdrawn or was accepted already: nothing to take."""


def accept_offer(offer, now=None, policy=None, ip=None):
    """The patient takes a time offered from the waitlist (the button behind the emailed link).

    Moves their held time to it (or gives a request without a time this one) through booking, so
    the database constraint gives the time to one request only. Then: history and audit rows, the
    usual "new time" email, off the list, and their old time is freed in turn (and offered).
    Returns the request. Raises OfferClosed, or booking.SlotTaken when someone else got the time
    first (the offer is then marked taken and the patient stays on the list).
    policy: the cancellation policy the offer page showed with its button (accepted with the time).
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _accept_offer(offer, now, policy, ip)
    except booking.BookingError as refused:
        # In a transaction of its own: the refused attempt rolled back, this must stay.
        gone = OfferState.TAKEN if isinstance(refused, booking.SlotTaken) else OfferState.WITHDRAWN
        WaitlistOffer.objects.filter(pk=offer.pk, state=OfferState.PENDING).update(state=gone, decided_at=now)
        offer.refresh_from_db()
        raise booking.SlotTaken from refused


def _accept_offer(offer, now, policy, ip):
    # Every offer of this time locked, in one order: two patients taking it at once queue here (the
    # second then finds its offer marked taken) instead of deadlocking, each holding its own offer
    # while waiting for the other's claim of the time. A booking made on the form meanwhile is
    # still settled by the database constraint (booking.SlotTaken).
    list(WaitlistOffer.objects.select_for_update().for_time(offer.provider_id, offer.start).order_by("pk"))
    locked = WaitlistOffer.objects.select_related("entry").get(pk=offer.pk)
    if locked.state == OfferState.TAKEN:
        raise booking.SlotTaken  # the winner of a race marked it so
    if not locked.is_open(now) or not locked.entry.is_active:
        raise OfferClosed(_("This offer has ended."))
    consultation = ConsultationRequest.objects.get(pk=locked.entry.consultation_id)
    slot, old_slot = Slot(locked.provider_id, locked.start, locked.end), Slot.of(consultation)
    if not waitlist.can_join(consultation, now):
        raise booking.SlotUnavailable
    if old_slot is None:
        booking.hold(consultation, slot, now=now)
    else:
        # Not counted against the patient's online moves (the clinic offered it): no limit check.
        booking.reschedule(consultation, slot, by_patient=False, now=now)
    # Taken through the patient's own link: they want this time (it does not lapse).
    ConsultationRequest.objects.filter(pk=consultation.pk, hold_confirmed_at__isnull=True).update(hold_confirmed_at=now)
    if policy is not None:
        ConsultationRequest.objects.filter(pk=consultation.pk).update(**consultation.accept_policy(policy, now, ip))
    consultation.refresh_from_db()
    locked.state, locked.decided_at = OfferState.ACCEPTED, now
    locked.save(update_fields=["state", "decided_at"])
    # The others offered the same time are told "just taken" when they click.
    WaitlistOffer.objects.pending().for_time(slot.provider_id, slot.start).update(
        state=OfferState.TAKEN, decided_at=now
    )
    waitlist.leave(consultation, reason=WaitlistEntry.Left.ACCEPTED, now=now)
    took = f"Took {slot_label(slot)} from the waitlist" + (f" (was {slot_label(old_slot)})" if old_slot else "")
    _record_patient_step(consultation, took, "took a time offered from the waitlist", at=now)
    notices.rescheduled(consultation, old_slot)
    _time_freed(old_slot)  # the cascade: their old time goes to the next patients waiting
    offer.refresh_from_db()
    return consultation


# --- Not status changes, but staff work on a request -------------------------------------------


@transaction.atomic
def assign(consultation, provider_user, by, ip=None):
    """Give the request to a provider (or to no one), with its audit row. Not a status change."""
    if provider_user is not None and not hasattr(provider_user, "provider"):
        raise ValueError("Requests can only be assigned to providers.")
    consultation.assigned_to = provider_user
    consultation.save(update_fields=["assigned_to", "updated_at"])
    who = provider_user.get_username() if provider_user else "nobody"
    AuditEvent.log(AuditEvent.Action.CHANGE, consultation, user=by, ip=ip, detail=f"assigned to {who}")


def add_note(consultation, by, text):
    """An internal note: append-only, author and time set here, never shown to the patient."""
    # Staff type notes too (and paste them from elsewhere): cleaned like the patients' free text.
    text = strip_disguising_characters(text or "").strip()
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


# What each staff button (ACTIONS) runs: an explicit table, so only these functions can be
# reached from a POSTed action name.
STEPS = {
    "approve": approve,
    "triage": triage,
    "request_info": request_info,
    "complete": complete,
    "no_show": no_show,
    "decline": decline,
    "cancel": cancel,
}


def perform(action, consultation, by, ip=None, **arguments):
    """Run the staff button `action` (one of ACTIONS) on the request, as `by` from `ip`."""
    return STEPS[action.name](consultation, by, ip=ip, **arguments)


# --- After the visit: a red-flag check-in makes the request urgent (issue 26) -----------------


@transaction.atomic
def mark_urgent(consultation, now):
    """A red-flag check-in answer: the request goes to the top of the queue (queue_rank) until a
    provider marks it handled. The status stays (usually Completed); the history says why."""
    locked = type(consultation).objects.select_for_update().get(pk=consultation.pk)
    if locked.urgent_since is None:
        locked.urgent_since = now
        locked.save(update_fields=["urgent_since", "updated_at"])
    consultation.urgent_since = locked.urgent_since
    _record_patient_step(
        consultation,
        "Urgent: a check-in answer named a warning sign",
        "marked urgent (red-flag check-in)",
        action=AuditEvent.Action.URGENT,
        at=now,
    )
    return consultation


@transaction.atomic
def clear_urgent(consultation, by, ip=None, now=None):
    """A provider has dealt with the urgent check-in: the request takes its usual place again."""
    locked = type(consultation).objects.select_for_update().get(pk=consultation.pk)
    if locked.urgent_since is None:
        raise InvalidTransition(_("This request is not marked urgent."))
    locked.urgent_since = None
    locked.save(update_fields=["urgent_since", "updated_at"])
    consultation.urgent_since = None
    StatusChange.objects.create(
        consultation=consultation,
        from_status=consultation.status,
        to_status=consultation.status,
        by=by,
        at=now or timezone.now(),
        note="Urgent check-in handled",
    )
    AuditEvent.log(AuditEvent.Action.URGENT, consultation, user=by, ip=ip, detail="urgent check-in handled")
    return consultation
