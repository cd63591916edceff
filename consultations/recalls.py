""" "Book again" (issue 27): at the treatment's interval after a completed visit, one email inviting
the patient to book again, with a link that opens the form prefilled with their contact details.

Which are due: completed requests whose treatment has `recall_weeks`, counted from the treatment
record's `given_at` (the last one, when a provider recorded what was given), else from the moment
the request was completed; not sent yet (`recall_sent_at`); and not when the patient has sent a
newer request since (they booked again already, or a later visit gets its own recall).
Claimed once with a conditional UPDATE like the reminders, so overlapping runs never send twice.
"""

import datetime

from django.db.models import Exists, Max, OuterRef
from django.tasks import task
from django.utils import timezone

from . import notices, reminders
from .models import ConsultationRequest, Status


def due_at(consultation, last_given=None):
    """When this request's recall is due, or None (no interval for its treatment)."""
    weeks = consultation.treatment.recall_weeks
    if not weeks:
        return None
    return (last_given or consultation.status_changed_at) + datetime.timedelta(weeks=weeks)


def due(now=None):
    """Ids of completed requests whose book-again email is due and not sent."""
    now = now or timezone.now()
    # The patient sent a newer request since (they booked again already): asked in the same query.
    newer = ConsultationRequest.objects.filter(email__iexact=OuterRef("email"), created_at__gt=OuterRef("created_at"))
    candidates = (
        ConsultationRequest.objects.filter(
            status=Status.COMPLETED, recall_sent_at__isnull=True, treatment__recall_weeks__isnull=False
        )
        .exclude(Exists(newer))
        .select_related("treatment")
        .annotate(last_given=Max("treatment_records__given_at"))
        .order_by("pk")
    )
    return [
        consultation.pk
        for consultation in candidates.iterator()
        if (when := due_at(consultation, consultation.last_given)) is not None and when <= now
    ]


def claim(pk, now=None):
    """Mark the recall as sent: of two overlapping runs, only one gets True."""
    return ConsultationRequest.objects.claim(pk, "recall_sent_at", now or timezone.now())


def queue_due(now=None):
    """Claim and queue every due recall; returns how many were queued."""
    now = now or timezone.now()
    return reminders.queue_claimed(due(now), claim, send_recall, now)


@task
def send_recall(request_id):
    """Send the book-again email. Takes an id: rendered here, PHI-free."""
    consultation = ConsultationRequest.objects.filter(pk=request_id, status=Status.COMPLETED).first()
    if consultation is None:
        return  # Purged (or its status corrected by staff) since it was picked.
    notices.book_again(consultation)
