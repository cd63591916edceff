"""Queue reminder emails for approved consultations that start soon. Safe to run from cron every few minutes."""

from django.core.management.base import BaseCommand

from consultations import reminders


class Command(BaseCommand):
    help = "Queue a reminder for each approved consultation starting within CLINIC_REMINDER_HOURS (once each)."

    def handle(self, *args, **options):
        queued = reminders.queue_due()
        self.stdout.write(f"{queued} reminder(s) queued.")
