"""Demo data for a fresh `make run`. Safe to run again: it only adds what is missing."""

import datetime
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from consultations import availability
from consultations.intake import record_screening, screening_flags, worst_kind
from consultations.models import ConsultationRequest, PrivacyNotice, Provider, WorkingHours, age_on
from education.models import Reviewer, Treatment

DEMO_PROVIDER_USERNAME = "demo-provider"
DEMO_REVIEWER_USERNAME = "demo-reviewer"
# Mon–Fri 9–17, Sat 10–14: enough bookable times for the next weeks.
DEMO_HOURS = [(weekday, datetime.time(9), datetime.time(17)) for weekday in range(5)] + [
    (5, datetime.time(10), datetime.time(14))
]


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
    user.groups.add(Group.objects.get(name="Provider"))
    provider, _ = Provider.objects.get_or_create(
        user=user, defaults={"display_name": "Demo Provider", "credentials": "MD (demo)"}
    )
    if not provider.working_hours.exists():
        WorkingHours.objects.bulk_create(
            WorkingHours(provider=provider, weekday=weekday, start=start, end=end) for weekday, start, end in DEMO_HOURS
        )
    return provider


def seed_demo_review():
    """A demo medical reviewer signs content waiting for review, so a local demo shows the current pages.

    Only for `make run`: a real clinic names its own reviewer, and `check --deploy` (education.E001)
    refuses pages signed by nobody. The name says "demo" on every page it signs.
    """
    from django.contrib.auth.models import Permission

    user, created = get_user_model().objects.get_or_create(
        username=DEMO_REVIEWER_USERNAME, defaults={"first_name": "Demo", "last_name": "Reviewer", "is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.user_permissions.add(Permission.objects.get(codename="approve_treatment"))
    Reviewer.objects.get_or_create(user=user, defaults={"name": "Demo Reviewer", "credentials": "MD (demo data)"})
    user = get_user_model().objects.get(pk=user.pk)  # permissions are cached per object
    signed = 0
    for treatment in Treatment.objects.needs_review().filter(published=True):
        treatment.approve(by=user)
        signed += 1
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
            age=age_on(timezone.localdate(), data["date_of_birth"]),
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
    help = "Load demo data (content ships in migrations; this adds demo staff data). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        signed = seed_demo_review()
        published = Treatment.objects.published().count()
        provider = seed_demo_provider()
        requests = seed_demo_requests(provider)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {published} published treatments ({signed} signed by the demo reviewer), provider “{provider}” "
                f"with {provider.working_hours.count()} weekly working hours, {requests} new demo requests."
            )
        )
