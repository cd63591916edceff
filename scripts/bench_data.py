"""A clinic's worth of data for `make bench`: 50,000 requests over five years, in seconds.

Each request has its screening answers (8), some a flag, half a staff note, the closed
ones their status changes, and every one two audit rows ("viewed"); the provider has a
day off most weeks for those five years and the next one. Past requests hold past
times (50,000 bookings behind the availability lookup); the last few hundred are still
open, with times in the coming weeks. Everything goes in with bulk_create, in batches.

Django must be set up (scripts/bench.py does it) against a throwaway database.
"""

import datetime
import random
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

BATCH = 2000
ANSWERS_PER_REQUEST = 8
OPEN_REQUESTS = 300
LAST_NAMES = ["Rivera", "Nguyen", "Okafor", "Schmidt", "Kowalski", "Haddad", "Tanaka", "Moreau", "Silva", "Byrne"]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jon"]


def fk_to(model, target):
    """The name of model's foreign key to target (robust to a field being renamed)."""
    return next(f.name for f in model._meta.fields if f.is_relation and f.related_model is target)


def seed(count=50_000, years=5, rng=None):
    from consultations import models as m
    from education.models import Treatment

    rng = rng or random.Random(2026)  # noqa: S311 - benchmark data, not secrets
    Request = m.ConsultationRequest
    provider = m.Provider.objects.filter(active=True).first()
    treatments = list(Treatment.objects.published())
    staff, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "email": "bench-staff@example.com"}
    )
    notice = m.PrivacyNotice.objects.order_by("-published_at").first()
    now = timezone.now()
    start = now - datetime.timedelta(days=365 * years)
    step = (now - datetime.timedelta(days=14) - start) / (count - OPEN_REQUESTS)
    references = set(Request.objects.values_list("reference", flat=True))
    closed = [m.Status.COMPLETED, m.Status.COMPLETED, m.Status.COMPLETED, m.Status.NO_SHOW, m.Status.DECLINED]
    closed += [m.Status.CANCELLED, m.Status.EXPIRED]
    opened = [m.Status.NEW, m.Status.NEW, m.Status.TRIAGED, m.Status.NEEDS_INFO, m.Status.APPROVED]
    flag_kinds = [m.FlagKind.values[-1], m.FlagKind.values[0]]

    def reference():
        while True:
            value = "".join(rng.choice(m.REFERENCE_ALPHABET) for _ in range(m.REFERENCE_LENGTH))
            if value not in references:
                references.add(value)
                return value

    rows = []
    for i in range(count):
        is_open = i >= count - OPEN_REQUESTS
        if is_open:
            created = now - datetime.timedelta(days=14) + (i - (count - OPEN_REQUESTS)) * datetime.timedelta(hours=1)
            # Distinct times in the coming weeks (one active request per time), outside the form's own slots.
            slot = now + datetime.timedelta(days=1, minutes=7 + 50 * (i - (count - OPEN_REQUESTS)))
        else:
            created = start + step * i
            slot = created + datetime.timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 6))
        first, last = rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)}{i}"
        has_time = rng.random() < 0.8
        rows.append(
            Request(
                reference=reference(),
                status=rng.choice(opened if is_open else closed),
                submission_token=uuid.UUID(int=rng.getrandbits(128)),
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}@example.com",
                phone=f"+1207{rng.randint(2000000, 9999999)}",
                date_of_birth=datetime.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                treatment=rng.choice(treatments),
                areas=["Lips"],
                goals="Softer lines around the mouth.",
                consent_version=notice.version,
                consent_sha256=notice.sha256,
                consented_at=created,
                provider=provider if has_time else None,
                slot_start=slot if has_time else None,
                slot_end=slot + datetime.timedelta(minutes=30) if has_time else None,
                worst_flag=rng.choice(flag_kinds) if rng.random() < 0.2 else "",
            )
        )
    with transaction.atomic():
        # created_at is auto_now_add: bulk_create would set it to now, so it is put back below.
        created_at = [row.consented_at for row in rows]
        Request.objects.bulk_create(rows, batch_size=BATCH)
        ids = list(Request.objects.order_by("pk").values_list("pk", flat=True))[-count:]
        _set_created(Request, ids, created_at)
        _children(m, Request, ids, rows, staff, rng)
        _days_off(m, provider, start, now)
    # What the daily purge_requests leaves behind on SQLite: the planner's statistics.
    from consultations.management.commands.purge_requests import refresh_statistics

    refresh_statistics()
    return count


def _set_created(Request, ids, created_at):
    """One UPDATE per batch: created_at = CASE pk WHEN ... (bulk_update)."""
    objs = [Request(pk=pk, created_at=when, status_changed_at=when) for pk, when in zip(ids, created_at, strict=True)]
    Request.objects.bulk_update(objs, ["created_at", "status_changed_at"], batch_size=500)


def _children(m, Request, ids, rows, staff, rng):
    answer_fk, flag_fk = fk_to(m.ScreeningAnswer, Request), fk_to(m.Flag, Request)
    note_fk, change_fk = fk_to(m.Note, Request), fk_to(m.StatusChange, Request)
    audit_fk = fk_to(m.AuditEvent, Request)
    questions = [f"Screening question number {n} as the patient read it?" for n in range(ANSWERS_PER_REQUEST)]
    answers, flags, notes, changes, audits = [], [], [], [], []
    for pk, row in zip(ids, rows, strict=True):
        when = row.consented_at
        answers += [
            m.ScreeningAnswer(**{answer_fk + "_id": pk}, question=q, answer="no", order=n)
            for n, q in enumerate(questions)
        ]
        if row.worst_flag:
            flags.append(m.Flag(**{flag_fk + "_id": pk}, kind=row.worst_flag, reason="Benchmark flag"))
        if rng.random() < 0.5:
            notes.append(m.Note(**{note_fk + "_id": pk}, author=staff, created_at=when, text="Called, left a message."))
        if row.status not in m.ACTIVE_STATUSES:
            changes += [
                m.StatusChange(**{change_fk + "_id": pk}, from_status="new", to_status="approved", by=staff, at=when),
                m.StatusChange(
                    **{change_fk + "_id": pk}, from_status="approved", to_status=row.status, by=staff, at=when
                ),
            ]
        audits += [
            m.AuditEvent(**{audit_fk + "_id": pk}, user=staff, action="view", reference=row.reference, at=when)
            for _ in range(2)
        ]
    for model, objs in (
        (m.ScreeningAnswer, answers),
        (m.Flag, flags),
        (m.Note, notes),
        (m.StatusChange, changes),
        (m.AuditEvent, audits),
    ):
        model.objects.bulk_create(objs, batch_size=BATCH)


def _days_off(m, provider, start, now):
    """A day off most weeks, from five years back to a year ahead."""
    if provider is None:
        return
    day, end = start.date(), (now + datetime.timedelta(days=365)).date()
    existing = set(m.AvailabilityException.objects.filter(provider=provider).values_list("date", flat=True))
    rows = []
    while day < end:
        if day not in existing and day.weekday() == 2:
            rows.append(m.AvailabilityException(provider=provider, date=day, kind=m.AvailabilityException.Kind.OFF))
        day += datetime.timedelta(days=1)
    m.AvailabilityException.objects.bulk_create(rows, batch_size=BATCH)
