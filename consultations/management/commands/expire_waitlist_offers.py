"""Expire waitlist offers nobody took in time and offer those times to the next patients waiting.
Safe to run from cron (the timer runs it every few minutes); see consultations/waitlist.py.
"""

from django.core.management.base import BaseCommand

from consultations import waitlist


class Command(BaseCommand):
    help = (
        "Expire waitlist offers not taken within CLINIC_WAITLIST_OFFER_MINUTES and offer each time, "
        "while still free, to the next CLINIC_WAITLIST_OFFER_BATCH patients on the waitlist."
    )

    def handle(self, *args, **options):
        expired, sent = waitlist.expire_offers()
        self.stdout.write(f"{expired} waitlist offer(s) expired.")
        self.stdout.write(f"{sent} new waitlist offer(s) sent.")
