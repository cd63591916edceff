"""Email each due aftercare check-in (day 2, day 14, …) once. Safe to run from cron every few minutes."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from consultations import aftercare


class Command(BaseCommand):
    help = "Email the patient each check-in that is due and was not sent yet (once each)."

    def handle(self, *args, **options):
        sent = aftercare.invite_due(timezone.now())
        self.stdout.write(f"{sent} check-in(s) sent.")
