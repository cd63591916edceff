"""Queue reminder emails for approved consultations that start soon. Safe to run from cron every few minutes."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from consultations.models import ConsultationRequest, Status
from consultations.tasks import send_reminder


class Command(BaseCommand):
    help = "Queue a reminder for each approved consultation starting within CLINIC_REMINDER_HOURS (once each)."

    def handle(self, *args, **options):
        now = timezone.now()
        due = ConsultationRequest.objects.filter(
            status=Status.APPROVED,
            slot_start__gt=now,
            slot_start__lte=now + datetime.timedelta(hours=settings.CLINIC_REMINDER_HOURS),
            reminder_sent_at__isnull=True,
        ).values_list("pk", flat=True)
        queued = 0
        for pk in due:
            # Claim the reminder with a conditional UPDATE: of two overlapping runs, only one gets count 1.
            claimed = ConsultationRequest.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if claimed:
                send_reminder.enqueue(pk)
                queued += 1
        self.stdout.write(f"{queued} reminder(s) queued.")
