"""Expire requests whose held time began before anyone confirmed them. Safe to run from cron."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from consultations import workflow
from consultations.models import ConsultationRequest, InvalidTransition, Status

UNCONFIRMED = [Status.NEW, Status.TRIAGED, Status.NEEDS_INFO]


class Command(BaseCommand):
    help = "Mark unconfirmed requests whose held time has begun as expired (this frees the time)."

    def handle(self, *args, **options):
        expired = 0
        for consultation in ConsultationRequest.objects.filter(status__in=UNCONFIRMED, slot_start__lte=timezone.now()):
            try:
                workflow.expire(consultation)
            except InvalidTransition:
                continue  # Staff acted on it since the query ran; their decision stands.
            expired += 1
        self.stdout.write(f"{expired} request(s) expired.")
