"""The changelist URL cannot be used to query health answers: only declared filters are lookups.

Stock Django accepts `?medications__icontains=warfarin` from anyone who may see the queue, so a
front-desk user could rebuild an answer letter by letter with `__startswith`. Every role,
superusers included, gets a 400 (or the unfiltered list) for any lookup that is not a filter.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from consultations.models import AdditionalInfo
from tests.factories import BEATRIX, make_photo, make_precaution, make_request, make_staff, make_treatment

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:consultations_consultationrequest_changelist")

# Each health field with a value that matches Beatrix's request and not the other one.
HEALTH_FIELDS = {
    "goals": "marionette",
    "previous_treatments": "Botox",
    "medications": "Warfarin",
    "allergies": "lidocaine",
    "pregnancy": "yes",
    "answers__answer": "yes",
    "answers__question": "anaphylaxis",
    "flags__reason": "allergy",
    "flags__kind": "do_not_treat",
    "photos__image": "photos",
    "photos__content_type": "image/png",
    "additional_info__text": "Aspirin",
}
LOOKUPS = ["__icontains", "__startswith", "__regex", "", "__isnull"]
ROLES = ["Front desk", "Provider", "owner", "superuser"]


def staff_in(role):
    if role == "superuser":
        user = make_staff(username="root", is_superuser=True)
    elif role == "owner":
        # A staff account holding every permission of the app, without the superuser flag.
        user = make_staff(username="owner")
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="consultations"))
    else:
        user = make_staff(role)
    return user


@pytest.fixture
def two_requests():
    treatment = make_treatment()
    precaution = make_precaution(treatment, question="Have you had anaphylaxis?", description="Severe allergy")
    beatrix = make_request(
        treatment,
        answers={precaution: "yes"},
        pregnancy="yes",
        previous_treatments="Botox in 2024",
        allergies="lidocaine",
        **BEATRIX,
    )
    make_photo(beatrix)
    AdditionalInfo.objects.create(consultation=beatrix, text="Aspirin daily")
    other = make_request(treatment, first_name="Otto", last_name="Other", email="otto@example.com")
    return beatrix, other


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", HEALTH_FIELDS)
@pytest.mark.parametrize("lookup", LOOKUPS)
def test_changelist_refuses_lookups_on_health_fields(client, two_requests, role, field, lookup):
    beatrix, other = two_requests
    client.force_login(staff_in(role))
    value = "false" if lookup == "__isnull" else HEALTH_FIELDS[field]
    if lookup == "__startswith":
        value = value[:2]
    elif lookup == "__regex":
        value = f"^{value[:2]}"

    response = client.get(CHANGELIST, {f"{field}{lookup}": value})

    # Refused (400, or Django's redirect to ?e=1), or ignored: never a list narrowed by the answer.
    if response.status_code == 302:
        assert response.url.endswith("?e=1")
    elif response.status_code != 400:
        assert response.status_code == 200
        assert beatrix.reference in response.text
        assert other.reference in response.text


@pytest.mark.parametrize("role", ROLES)
def test_changelist_declared_filters_still_work(client, two_requests, role):
    beatrix, other = two_requests
    client.force_login(staff_in(role))

    response = client.get(CHANGELIST, {"flag": "do_not_treat", "treatment__id__exact": beatrix.treatment_id})

    assert response.status_code == 200
    assert beatrix.reference in response.text
    assert other.reference not in response.text


def test_search_never_matches_health_answers(client, two_requests):
    beatrix, _other = two_requests
    client.force_login(staff_in("superuser"))

    response = client.get(CHANGELIST, {"q": "Warfarin"})

    assert response.status_code == 200
    assert beatrix.reference not in response.text


HEALTH_WORDS = ("goals", "previous_treatments", "medications", "allergies", "pregnancy", "answers", "flags", "photos")


@pytest.mark.parametrize(
    "model_admin",
    [ma for model, ma in admin.site._registry.items() if model._meta.app_label == "consultations"],
    ids=lambda ma: type(ma).__name__,
)
def test_every_consultations_admin_accepts_only_declared_lookups(rf, model_admin):
    request = rf.get("/")
    request.user = make_staff(username="root", is_superuser=True)

    assert not model_admin.lookup_allowed("reference__startswith", "A", request)
    assert not model_admin.lookup_allowed("id__gt", "0", request)
    assert not any(word in field for field in model_admin.search_fields for word in HEALTH_WORDS)


def test_csv_export_refuses_lookups_on_health_fields(client, two_requests):
    client.force_login(staff_in("Provider"))
    export = reverse("admin:consultations_consultationrequest_export")
    response = client.get(export, {"medications__icontains": "warfarin"})
    assert response.status_code == 302
    assert response.url.endswith("?e=1")


# --- Every admin, not only the consultations ones (issue 23, findings 12 and 14) -----------------

EVERY_ADMIN = list(admin.site._registry.items())


@pytest.mark.parametrize(("model", "model_admin"), EVERY_ADMIN, ids=lambda item: getattr(item, "__name__", ""))
def test_every_registered_admin_accepts_only_declared_lookups(rf, model, model_admin):
    request = rf.get("/")
    request.user = make_staff(username="root", is_superuser=True)

    assert not model_admin.lookup_allowed("id__gt", "0", request)
    assert not model_admin.lookup_allowed("pk__in", "1,2", request)
    for relation in model._meta.related_objects:
        assert not model_admin.lookup_allowed(relation.name, "1", request)


def test_content_editor_cannot_tell_a_requests_treatment_from_the_treatment_list(client, two_requests):
    beatrix, _other = two_requests
    make_treatment(slug="other-treatment")
    client.force_login(make_staff("Content editor"))
    treatments = reverse("admin:education_treatment_changelist")

    response = client.get(treatments, {"consultation_requests": beatrix.pk})

    assert response.status_code == 400


DATE_ADMINS = [(model, ma) for model, ma in EVERY_ADMIN if ma.date_hierarchy]
OUT_OF_RANGE = [
    {"year": "9999"},
    {"year": "0"},
    {"year": "-1"},
    {"year": "99999999999999999999"},
    {"year": "2026", "month": "13"},
    {"year": "2026", "month": "2", "day": "30"},
    {"year": "2026", "month": "12", "day": "99999999999999999999"},
]


@pytest.mark.parametrize("role", ["Front desk", "superuser"])
@pytest.mark.parametrize(("model", "model_admin"), DATE_ADMINS, ids=lambda item: getattr(item, "__name__", ""))
@pytest.mark.parametrize("parts", OUT_OF_RANGE, ids=lambda parts: "-".join(parts.values()))
def test_an_out_of_range_date_filter_is_ignored_with_a_message(client, role, model, model_admin, parts):
    user = staff_in(role)
    opts = model._meta
    client.force_login(user)
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    response = client.get(url, {f"{model_admin.date_hierarchy}__{part}": value for part, value in parts.items()})

    if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        assert response.status_code == 403  # this role never sees the list: the owner's run covers it
        return
    assert response.status_code == 200
    assert "outside the range" in response.text


def test_closed_days_by_a_real_year_still_filter(client):
    from consultations.models import ClosedDay

    ClosedDay.objects.create(date="2026-12-25", name="Christmas")
    ClosedDay.objects.create(date="2027-01-01", name="New Year")
    client.force_login(staff_in("Front desk"))

    response = client.get(reverse("admin:consultations_closedday_changelist"), {"date__year": "2026"})

    assert response.status_code == 200
    assert "Christmas" in response.text and "New Year" not in response.text
    assert "outside the range" not in response.text


def test_an_out_of_range_date_list_filter_is_ignored_with_a_message(client):
    client.force_login(staff_in("superuser"))
    url = reverse("admin:axes_accessattempt_changelist")

    response = client.get(url, {"attempt_time__gte": "9999-12-31 23:59:59-12:00", "attempt_time__lt": "0001-01-01"})

    assert response.status_code == 200
    assert "outside the range" in response.text
