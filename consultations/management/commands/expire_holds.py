"""Free held times nobody confirmed. Safe to run from cron (the timer runs it every few minutes).

Two clocks: a held time the patient did not confirm through their link within
CLINIC_HOLD_CONFIRM_HOURS is released (the request stays, without a time, and the patient is
told); a request whose held time began before the clinic confirmed it expires as a whole.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from consultations import booking, workflow
from consultations.models import ConsultationRequest, InvalidTransition, Status

UNCONFIRMED = [Status.NEW, Status.TRIAGED, Status.NEEDS_INFO]


class Command(BaseCommand):
    help = (
        "Release held times the patient did not confirm in time, and mark unconfirmed requests whose "
        "held time has begun as expired (both free the time)."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        lapsed = 0
        for consultation in booking.due_to_lapse(now):
            # False when the patient confirmed, staff acted or the time began since the query ran.
            lapsed += workflow.lapse_hold(consultation, now)
        expired = 0
        for consultation in ConsultationRequest.objects.filter(status__in=UNCONFIRMED, slot_start__lte=now):
            try:
                workflow.expire(consultation)
            except InvalidTransition:
                continue  # Staff acted on it since the query ran; their decision stands.
            expired += 1
        self.stdout.write(f"{lapsed} unconfirmed hold(s) released.")
        self.stdout.write(f"{expired} request(s) expired.")
