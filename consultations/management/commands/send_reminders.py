"""Queue reminder emails (confirm or release, issue 27) for approved consultations that start soon.
Safe to run from cron every few minutes."""

from django.core.management.base import BaseCommand

from consultations import reminders


class Command(BaseCommand):
    help = (
        "Queue a reminder (asking to confirm or release) for each approved consultation starting within "
        "CLINIC_CONFIRM_HOURS, or CLINIC_REMINDER_HOURS when that is 0 (once each)."
    )

    def handle(self, *args, **options):
        queued = reminders.queue_due()
        self.stdout.write(f"{queued} reminder(s) queued.")
