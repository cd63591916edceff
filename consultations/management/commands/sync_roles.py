"""Bring the staff role groups in line with consultations/permissions.py (migrate does it too)."""

from django.core.management.base import BaseCommand

from consultations import permissions


class Command(BaseCommand):
    help = "Give the Front desk, Provider and Content editor groups exactly the permissions defined in code."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database="default", verbosity=1, **options):
        permissions.sync_roles(using=database, verbosity=verbosity, stdout=self.stdout)
