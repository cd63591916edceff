""" "Book again" emails (issue 27) for completed visits whose treatment's interval has passed.
Safe to run from cron at any interval: each is claimed once."""

from django.core.management.base import BaseCommand

from consultations import recalls


class Command(BaseCommand):
    help = "Queue a book-again email for each completed consultation whose treatment's recall interval has passed (once each)."

    def handle(self, *args, **options):
        queued = recalls.queue_due()
        self.stdout.write(f"{queued} book-again email(s) queued.")
