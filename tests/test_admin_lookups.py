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
