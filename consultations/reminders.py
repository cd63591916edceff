"""Reminders before an approved consultation: which are due, claiming each once, sending it.

With CLINIC_CONFIRM_HOURS on, the reminder asks the patient to confirm or release the time
(issue 27; lead_hours()): one message, one claim, whichever the patient answers.

`reminder_sent_at` is the only state: set when a reminder is claimed, cleared when the
time moves (booking.reschedule() applies RESET_ON_MOVE), because a reminder for the old
time says nothing about the new one. A new channel (SMS) is one more notice sent from
send_reminder().
"""

import datetime

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from . import notices
from .models import ConsultationRequest, Status

# The fields booking.reschedule() writes when a time moves: the next reminder is for the new time.
# A confirmation of attendance is for one time too.
RESET_ON_MOVE = {"reminder_sent_at": None, "attendance_confirmed_at": None}


def lead_hours():
    """How long before an approved time its one reminder goes out.

    Confirm or release (issue 27): with CLINIC_CONFIRM_HOURS set (48 by default), THE reminder is the
    confirm-or-release message, sent that long before and claimed once like any reminder, so a
    patient gets one message asking "will you come?" rather than a reminder and a second question.
    With CLINIC_CONFIRM_HOURS=0, a plain reminder goes out CLINIC_REMINDER_HOURS before."""
    return settings.CLINIC_CONFIRM_HOURS or settings.CLINIC_REMINDER_HOURS


def due(now=None):
    """Ids of approved consultations starting within lead_hours() that were not reminded yet."""
    now = now or timezone.now()
    return ConsultationRequest.objects.filter(
        status=Status.APPROVED,
        slot_start__gt=now,
        slot_start__lte=now + datetime.timedelta(hours=lead_hours()),
        reminder_sent_at__isnull=True,
    ).values_list("pk", flat=True)


def claim(pk, now=None):
    """Mark the reminder as sent: of two overlapping runs, only one gets True."""
    return ConsultationRequest.objects.claim(pk, "reminder_sent_at", now or timezone.now())


def queue_claimed(ids, claim, send, now):
    """Claim each due message and queue its task; returns how many were queued (reminders, recalls)."""
    queued = 0
    for pk in ids:
        if claim(pk, now):
            send.enqueue(pk)
            queued += 1
    return queued


def queue_due(now=None):
    """Claim and queue every due reminder; returns how many were queued."""
    now = now or timezone.now()
    return queue_claimed(due(now), claim, send_reminder, now)


@task
def send_reminder(request_id):
    """Remind the patient of an approved consultation. Takes an id: the email is rendered here, PHI-free."""
    consultation = ConsultationRequest.objects.filter(pk=request_id, status=Status.APPROVED).first()
    if consultation is None or consultation.slot_start is None:
        return  # Cancelled or moved off the books since the reminder was picked: nothing to remind of.
    notices.reminder(consultation)
