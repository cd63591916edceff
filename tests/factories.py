"""Small factory functions: plain Django ORM, no magic."""

import datetime

from django.utils import timezone

from education.models import (
    Precaution,
    Reviewer,
    Section,
    SideEffect,
    Source,
    Treatment,
    TreatmentArea,
    TreatmentReview,
)

# One invented patient's personal and health details, for tests that look for each of them in
# emails, pages and calendar files and must not find them.
BEATRIX = {
    "first_name": "Beatrix",
    "last_name": "Quennell",
    "email": "bq@example.com",
    "phone": "+12075550177",
    "date_of_birth": datetime.date(1979, 4, 23),
    "goals": "Soften my marionette lines",
    "medications": "Warfarin",
}


def make_source(key="fda-test", **kwargs):
    defaults = {"title": "Test label", "publisher": "US FDA", "url": "https://www.fda.gov/test", "date": "2023"}
    return Source.objects.create(key=key, **{**defaults, **kwargs})


def make_reviewer(name="Dr Test", credentials="MD", username=None):
    """A named medical reviewer: a staff login with the permission to approve content."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    username = username or name.lower().replace(" ", "-")
    user = get_user_model().objects.create_user(username, f"{username}@clinic.test", "a-long-test-password")
    user.is_staff = True
    user.save()
    from consultations.permissions import APPROVE_TREATMENT

    app_label, codename = APPROVE_TREATMENT.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return Reviewer.objects.create(user=user, name=name, credentials=credentials)


def sign_every_language(treatment):
    """A named reviewer signs the page in English and then in Spanish: a clinic after launch day."""
    approve(treatment)
    approve(treatment, language="es")
    return treatment


def approve(treatment, reviewer=None, on=None, language="en"):
    """Sign the treatment's current content (in `language`), as a reviewer does in the admin."""
    from django.contrib.auth import get_user_model

    reviewer = reviewer or Reviewer.objects.filter(name="Dr Test").first() or make_reviewer()
    user = get_user_model().objects.get(pk=reviewer.user_id)  # fresh: permissions are cached per object
    review = treatment.approve(by=user, language=language)
    if on and language != "en":
        TreatmentReview.objects.filter(pk=review.pk).update(reviewed_on=on)
        return review
    if on:
        TreatmentReview.objects.filter(pk=review.pk).update(reviewed_on=on)
        Treatment.objects.filter(pk=treatment.pk).update(reviewed_on=on)
        treatment.refresh_from_db()
    return review


def make_treatment(slug="testfill", published=True, reviewed_on=datetime.date(2026, 11, 1), **kwargs):
    """A treatment; a published one is approved by "Dr Test, MD" (on `reviewed_on`) like a real one.

    Records added later with the factories below are approved too (see `_keep_reviewed`), so a
    test's page shows what it made; tests of the review workflow edit the rows themselves.
    """
    defaults = {"name": slug.title(), "summary": "A test filler."}
    treatment = Treatment.objects.create(slug=slug, published=False, **{**defaults, **kwargs})
    if published:
        approve(treatment, on=reviewed_on)
        treatment.published = True
        treatment.save()
    return treatment


def _keep_reviewed(treatment):
    treatment.refresh_from_db()
    if treatment.published and treatment.review_status == Treatment.ReviewStatus.NEEDS_REVIEW:
        approve(treatment, on=treatment.reviewed_on)


def make_section(treatment, kind=Section.Kind.OVERVIEW, body="Short text. It is easy to read.", sources=(), **kwargs):
    section = Section.objects.create(treatment=treatment, kind=kind, body=body, **kwargs)
    section.sources.set(sources)
    _keep_reviewed(treatment)
    return section


def make_precaution(treatment, kind=Precaution.Kind.DO_NOT_TREAT, question="Have you had anaphylaxis?", **kwargs):
    defaults = {"description": "Severe allergy"}
    precaution = Precaution.objects.create(treatment=treatment, kind=kind, question=question, **{**defaults, **kwargs})
    _keep_reviewed(treatment)
    return precaution


def make_area(treatment, name="Nasolabial folds", status=TreatmentArea.Status.FDA_APPROVED, **kwargs):
    area = TreatmentArea.objects.create(treatment=treatment, name=name, status=status, **kwargs)
    _keep_reviewed(treatment)
    return area


def make_side_effect(treatment, name="Swelling", frequency=SideEffect.Frequency.COMMON, **kwargs):
    effect = SideEffect.objects.create(treatment=treatment, name=name, frequency=frequency, **kwargs)
    _keep_reviewed(treatment)
    return effect


def build_request(treatment=None, **kwargs):
    """An unsaved ConsultationRequest as the intake form builds it, before answers and flags."""
    import uuid

    from django.utils import timezone

    from consultations.models import ConsultationRequest, PrivacyNotice

    treatment = treatment or Treatment.objects.published().first() or make_treatment()
    notice = PrivacyNotice.objects.order_by("-published_at").first()
    defaults = {
        "first_name": "Ada",
        "last_name": "Patient",
        "email": "ada.patient@example.com",
        "phone": "+12077741234",
        "date_of_birth": datetime.date(1990, 4, 21),
        "goals": "Softer lines around my mouth.",
        "submission_token": uuid.uuid4(),
        "consent_version": notice.version if notice else "test",
        "consent_sha256": notice.sha256 if notice else "0" * 64,
        "consented_at": timezone.now(),
    }
    return ConsultationRequest(treatment=treatment, **{**defaults, **kwargs})


def make_request(treatment=None, *, answers=None, pregnancy="no", **kwargs):
    """A stored ConsultationRequest as the intake form would leave it: answers, flags and worst flag.

    answers: {precaution or its pk: "yes" | "no" | "unsure"}; every other question of the
    treatment is answered "no". Flags follow from the answers, the age and pregnancy.
    """
    from django.utils import timezone

    from consultations.intake import record_screening, screening_flags, worst_kind
    from consultations.models import age_on

    consultation = build_request(treatment, pregnancy=pregnancy, **kwargs)
    treatment = consultation.treatment
    chosen = {getattr(key, "pk", key): value for key, value in (answers or {}).items()}
    pairs = [(p, chosen.get(p.pk, "no")) for p in treatment.screening_precautions()]
    flags = screening_flags(
        age=age_on(timezone.localdate(), consultation.date_of_birth),
        pregnancy=pregnancy,
        answers=pairs,
        labeled_min_age=treatment.labeled_min_age,
    )
    consultation.worst_flag = worst_kind(flags)
    consultation.save()
    record_screening(consultation, pairs, flags)
    return consultation


def make_booked_request(slot=None, *, status=None, provider=None, start=None, treatment=None, **kwargs):
    """A stored request holding a provider's time, new as the intake form leaves it (or in `status`).

    The time is `slot` (an availability Slot), else `start` (with `provider`, or a new one), else
    the first open time of `provider` or of a new provider working 9:00–17:00 every day.
    Other keyword arguments are request fields, as for make_request.
    """
    import uuid

    from django.conf import settings

    from consultations.availability import open_slots
    from consultations.models import Status

    if slot is not None:
        provider_id, start, end = slot.provider_id, slot.start, slot.end
    else:
        if provider is None:
            name = f"Dr {uuid.uuid4().hex[:6]}"
            provider = make_provider(display_name=name, weekdays=() if start else range(7))
        if start is None:
            start = open_slots(provider=provider)[0].start
        provider_id, end = provider.pk, start + datetime.timedelta(minutes=settings.CLINIC_CONSULTATION_MINUTES)
    return make_request(
        treatment,
        status=status or Status.NEW,
        provider_id=provider_id,
        slot_start=start,
        slot_end=end,
        **kwargs,
    )


def intake_post_data(treatment, /, **overrides):
    """A complete, valid POST for the intake form of `treatment`; an override of None drops the field."""
    from consultations.forms import IntakeForm, make_submission_token
    from consultations.models import CancellationPolicy, PrivacyNotice

    policy = CancellationPolicy.current()
    data = {
        "first_name": "Ada",
        "last_name": "Quillfeather",
        "email": "ada.quillfeather@example.com",
        "phone": "(207) 774-1234",
        "date_of_birth": "1990-04-21",
        "treatment": treatment.slug,
        "goals": "Softer smile lines before my sister's wedding.",
        "previous_treatments": "",
        "pregnancy": "no",
        "medications": "",
        "allergies": "",
        "preferred_time": "",
        "consent": "on",
        "website": "",
        "submission_token": make_submission_token(),
        "rendered_for": treatment.slug,
        "notice_version": PrivacyNotice.current().version,
        # The cancellation policy, accepted as a patient who chooses a time does (issue 27).
        "policy_version": policy.version if policy else "",
        "accept_policy": "on",
    }
    for precaution in treatment.screening_precautions():
        data[IntakeForm.question_name(precaution)] = "no"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_staff(role=None, username=None, **kwargs):
    """A staff user, optionally in one of the roles of consultations/permissions.py:
    "Front desk", "Provider" or "Content editor"."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    username = username or (role or "staff").lower().replace(" ", "-")
    user = get_user_model().objects.create_user(
        username, f"{username}@clinic.test", "a-long-test-password", is_staff=True, **kwargs
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_provider(user=None, display_name="Dr Quinn", *, weekdays=(), **kwargs):
    """A Provider (and its staff user in the Provider role, unless one is given),
    working 9:00–17:00 on each of `weekdays` (0 = Monday; range(7) for every day)."""
    from consultations.models import Provider, WorkingHours
    from consultations.permissions import PROVIDER

    user = user or make_staff(PROVIDER, username=display_name.lower().replace(" ", "-"))
    # A user in the Provider group already has a profile (consultations/signals.py): fill it in.
    provider, _created = Provider.objects.update_or_create(user=user, defaults={"display_name": display_name, **kwargs})
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=provider, weekday=day, start=datetime.time(9), end=datetime.time(17)) for day in weekdays
    )
    return provider


def make_photo(consultation, size=(4, 3)):
    """A tiny real PNG stored as a photo of the request (in the Photo field's private storage)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from consultations.models import Photo

    buffer = io.BytesIO()
    Image.new("RGB", size, "pink").save(buffer, "PNG")
    photo = Photo(consultation=consultation, content_type="image/png", width=size[0], height=size[1])
    photo.image.save("photo.png", ContentFile(buffer.getvalue()), save=True)
    return photo


def make_totp_device(user, confirmed=True):
    """An authenticator app set up for `user` (django-otp TOTP device); `totp_code(device)` is what it shows now."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=confirmed)


def totp_code(device_or_key):
    """The 6-digit code an authenticator app shows now, for a TOTP device or its raw key."""
    from django_otp.oath import totp

    key = getattr(device_or_key, "bin_key", device_or_key)
    return f"{totp(key):06d}"


def pass_second_step(client, user, device=None):
    """Sign `user` in with a test client and complete the second step with the app's current code."""
    from django.urls import reverse

    device = device or make_totp_device(user)
    client.force_login(user)
    response = client.post(reverse("admin:two_factor_verify"), {"otp_token": totp_code(device)})
    assert response.status_code == 302, response.content
    return device


def png_upload(name="photo.png", size=(60, 40)):
    """An uploaded PNG file, as a browser sends a chosen photo."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_request_staff_see(medications="Isotretinoin 20 mg"):
    """A request with everything staff pages show: a "yes" screening answer, medications, a
    provider's time two days ahead, and a photo (as .photo)."""
    treatment = make_treatment()
    precaution = make_precaution(treatment)
    provider = make_provider(user=make_staff(username="dr-on-duty"))
    start = timezone.now() + datetime.timedelta(days=2)
    consultation = make_request(
        treatment,
        answers={precaution: "yes"},
        medications=medications,
        provider=provider,
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
    )
    consultation.photo = make_photo(consultation)
    return consultation


def self_service(client, consultation, name="manage_page"):
    """Open the patient's emailed link in `client` (it trades the link for the short-lived visit
    cookie, issue 23) and return the token-free address of self-service page `name`."""
    from django.urls import reverse

    from consultations import links

    response = client.get(links.manage_path(consultation))
    assert response.status_code == 302, response
    return reverse(f"consultations:{name}")
