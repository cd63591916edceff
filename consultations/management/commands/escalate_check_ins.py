"""Send an urgent check-in no provider has opened for 30 minutes to the staff address again.

Run every few minutes (deploy/systemd/clinic-escalate-check-ins.timer: every 5), so a red-flag
answer is never left unseen for much longer than half an hour. Each run sends each one at most once.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from consultations import aftercare


class Command(BaseCommand):
    help = "Re-send to the staff address each urgent check-in no provider has opened within 30 minutes."

    def handle(self, *args, **options):
        sent = aftercare.escalate_unopened(timezone.now())
        self.stdout.write(f"{sent} urgent check-in(s) sent again.")
