"""Demo data for a fresh `make run`. Safe to run again: it only adds what is missing."""

import datetime
import re
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from clinic import conf
from clinic.formatting import clinic_today
from consultations import availability, permissions
from consultations.intake import record_screening, screening_flags, worst_kind
from consultations.models import ClosedDay, ConsultationRequest, PrivacyNotice, Provider, WorkingHours, age_on
from education.content import load_content
from education.models import Reviewer, SiteMode, Treatment

DEMO_PROVIDER_USERNAME = "demo-provider"
DEMO_REVIEWER_USERNAME = "demo-reviewer"
SCHEMA_DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
# Public holidays the demo clinic is closed on: (month, day, name).
DEMO_CLOSED_DAYS = [(12, 25, "Christmas Day"), (1, 1, "New Year's Day")]


def opening_hours(spec=None):
    """[(weekday, start, end)] from the clinic's schema.org opening hours, the same setting the
    footer and the page data describe ("Mo-Fr 09:00-17:00", several rules separated by ";" or ",").
    The demo provider works exactly those hours, so the footer never promises a time nobody offers."""
    spec = conf.clinic("OPENING_HOURS") if spec is None else spec
    hours = []
    for rule in re.split(r"[;,]\s*", spec.strip()):
        match = re.fullmatch(r"(\w\w)(?:-(\w\w))?\s+(\d\d):(\d\d)-(\d\d):(\d\d)", rule.strip())
        if not match:
            continue
        first, last = SCHEMA_DAYS.index(match[1]), SCHEMA_DAYS.index(match[2] or match[1])
        start, end = datetime.time(int(match[3]), int(match[4])), datetime.time(int(match[5]), int(match[6]))
        hours.extend((weekday, start, end) for weekday in range(first, last + 1))
    return hours


def seed_closed_days(today=None):
    """Close the demo clinic on the coming Christmas and New Year's Day (this year's and next)."""
    today = today or clinic_today()
    created = 0
    for year in (today.year, today.year + 1):
        for month, day, name in DEMO_CLOSED_DAYS:
            _closed, new = ClosedDay.objects.get_or_create(
                date=datetime.date(year, month, day), defaults={"name": name}
            )
            created += new
    return created


def seed_demo_provider():
    """A demo provider with weekly hours. Hours are added only to a new provider, so edits in the admin stay."""
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_PROVIDER_USERNAME,
        defaults={"first_name": "Demo", "last_name": "Provider", "email": "provider@example.com", "is_staff": True},
    )
    if created:
        # Nobody signs in as the demo provider: a random, unusable password.
        user.set_unusable_password()
        user.save(update_fields=["password"])
    # The group membership creates the Provider profile (consultations/signals.py), as for a real colleague.
    user.groups.add(Group.objects.get(name=permissions.PROVIDER))
    provider, _ = Provider.objects.get_or_create(
        user=user, defaults={"display_name": "Demo Provider", "credentials": "MD (demo)"}
    )
    if not provider.credentials:
        provider.credentials = "MD (demo)"
        provider.save(update_fields=["credentials"])
    if not provider.working_hours.exists():
        WorkingHours.objects.bulk_create(
            WorkingHours(provider=provider, weekday=weekday, start=start, end=end)
            for weekday, start, end in opening_hours()
        )
    return provider


def seed_demo_review():
    """A demo medical reviewer signs content waiting for review, in every language, so a local demo
    shows the current pages (the Spanish ones at /es/ too).

    Only for `make run`: the install is marked a demo site (a banner on every page), and outside a
    demo site a demo reviewer's signature counts for nothing (the pages show as waiting for review,
    and `check --deploy` reports them: education.E001). The name says "demo" on every page it signs.
    """
    from django.contrib.auth.models import Permission

    user, created = get_user_model().objects.get_or_create(
        username=DEMO_REVIEWER_USERNAME, defaults={"first_name": "Demo", "last_name": "Reviewer", "is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.user_permissions.add(Permission.objects.get(codename=permissions.APPROVE_TREATMENT.split(".")[1]))
    reviewer, _created = Reviewer.objects.get_or_create(
        user=user, defaults={"name": "Demo Reviewer", "credentials": "MD (demo data)", "demo": True}
    )
    if not reviewer.demo:
        Reviewer.objects.filter(pk=reviewer.pk).update(demo=True)
    user = get_user_model().objects.get(pk=user.pk)  # permissions are cached per object
    attestation = "Demo data: signed by seed_demo, not by a clinician."
    signed = 0
    for treatment in Treatment.objects.published():
        if treatment.review_status == Treatment.ReviewStatus.NEEDS_REVIEW or treatment.signed_approval is None:
            treatment.approve(by=user, attestation=attestation)
            signed += 1
        for language in (code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE):
            if treatment.is_translated_into(language) and (
                treatment.translation_status(language) == Treatment.ReviewStatus.NEEDS_REVIEW
            ):
                treatment.approve(by=user, language=language, attestation=attestation)
    return signed


# Invented people (example.com addresses, 555 numbers) so staff can try the queue.
DEMO_REQUESTS = [
    {"first_name": "Maya", "last_name": "Example", "email": "maya@example.com", "phone": "+12075550101",
     "date_of_birth": datetime.date(1984, 3, 2), "goals": "Softer lines from my nose to my mouth.",
     "answers": {}, "pregnancy": "no", "hold": True},
    {"first_name": "Jordan", "last_name": "Sample", "email": "jordan@example.com", "phone": "+12075550102",
     "date_of_birth": datetime.date(2006, 7, 19), "goals": "Less hollow under my eyes.",
     "answers": {"blood": "yes"}, "pregnancy": "no", "hold": False},
    {"first_name": "Alex", "last_name": "Placeholder", "email": "alex@example.com", "phone": "+12075550103",
     "date_of_birth": datetime.date(1979, 11, 30), "goals": "Fuller lips that still look natural.",
     "answers": {"anaphylaxis": "yes"}, "pregnancy": "unsure", "hold": True},
]  # fmt: skip


def seed_demo_requests(provider):
    """A few invented requests for the staff queue, only into an empty one."""
    if ConsultationRequest.objects.exists():
        return 0
    treatment = Treatment.objects.published().get(slug="belotero")
    notice = PrivacyNotice.current()
    precautions = treatment.screening_precautions()
    open_slots = iter(availability.open_slots(provider=provider)[3::7])
    for data in DEMO_REQUESTS:
        data = dict(data)
        chosen, hold = data.pop("answers"), data.pop("hold")
        pairs = [(p, next((a for word, a in chosen.items() if word in p.question.lower()), "no")) for p in precautions]
        flags = screening_flags(
            age=age_on(clinic_today(), data["date_of_birth"]),
            pregnancy=data["pregnancy"],
            answers=pairs,
            labeled_min_age=treatment.labeled_min_age,
        )
        slot = next(open_slots, None) if hold else None
        consultation = ConsultationRequest.objects.create(
            **data,
            treatment=treatment,
            submission_token=uuid.uuid4(),
            consent_version=notice.version,
            consent_sha256=notice.sha256,
            consented_at=timezone.now(),
            worst_flag=worst_kind(flags),
            provider=provider if slot else None,
            slot_start=slot.start if slot else None,
            slot_end=slot.end if slot else None,
        )
        record_screening(consultation, pairs, flags)
    return len(DEMO_REQUESTS)


class Command(BaseCommand):
    help = "Load demo data (the shipped guides, then demo staff data). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        for result in load_content():
            if result.outcome != "unchanged":
                self.stdout.write(f"Content {result}")
        # First: the demo reviewer's signatures count only on a demo site.
        SiteMode.set_demo(True)
        signed = seed_demo_review()
        published = Treatment.objects.published().count()
        closed = seed_closed_days()
        provider = seed_demo_provider()
        requests = seed_demo_requests(provider)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {published} published treatments ({signed} signed by the demo reviewer), "
                f"provider “{provider}” "
                f"with {provider.working_hours.count()} weekly working hours, {requests} new demo requests, "
                f"{closed} new closed days."
            )
        )
