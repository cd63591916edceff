"""The low-severity findings of the attack review: slot-key fuzzing, the move limit under
concurrency, provider self-service, no-store pages, and disguising characters."""

import pytest
from django.test import Client
from django.urls import reverse

from consultations import links
from consultations.availability import open_slots
from consultations.models import AdditionalInfo, ConsultationRequest, WorkingHours
from tests.factories import (
    intake_post_data,
    make_precaution,
    make_provider,
    make_request,
    make_staff,
    make_treatment,
    self_service,
)
from tests.races import race

NEW = reverse("consultations:new")

FUZZED_KEYS = [
    "99999999999999999999|2030-01-07T14:00:00+00:00",
    "9223372036854775808|2030-01-07T14:00:00+00:00",
    "2147483648|2030-01-07T14:00:00+00:00",
    "-1|2030-01-07T14:00:00+00:00",
    "0|2030-01-07T14:00:00+00:00",
    "1|0001-01-01T00:00:00+23:59",
    "1|9999-12-31T23:59:59-23:59",
    "1|9998-12-31T23:59:00+00:00",
    "1|2030-01-07T14:00:00",
    "1|2030-13-07T14:00:00+00:00",
    "1|",
    "|",
    "1|2030-01-07T14:00:00+00:00|2",
    "１|2030-01-07T14:00:00+00:00",
    "1e3|2030-01-07T14:00:00+00:00",
    "1|2030-01-07T14:00:00+00:00" + "0" * 200,
]


@pytest.fixture
def treatment(db):
    treatment = make_treatment("testfill")
    make_precaution(treatment)
    return treatment


# --- Slot keys ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("key", FUZZED_KEYS)
def test_fuzzed_slot_key_on_the_form_is_a_field_error(client, treatment, key):
    make_provider(weekdays=range(7))
    response = client.post(NEW, intake_post_data(treatment, preferred_time=key))
    assert response.status_code == 200
    assert "preferred_time" in response.context["form"].errors
    assert ConsultationRequest.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key", FUZZED_KEYS)
def test_fuzzed_slot_key_on_the_move_page_is_a_field_error(client, key):
    provider = make_provider(weekdays=range(7))
    slot = open_slots()[0]
    consultation = make_request(provider=provider, slot_start=slot.start, slot_end=slot.end)
    move = self_service(client, consultation, "manage_move")
    response = client.post(move, {"slot": key})
    assert response.status_code == 200
    assert response.context["form"].errors["slot"]
    consultation.refresh_from_db()
    assert (consultation.slot_start, consultation.reschedule_count) == (slot.start, 0)


# --- The move limit under concurrency ----------------------------------------------------------


@pytest.mark.races
@pytest.mark.django_db(transaction=True)
def test_move_limit_holds_under_ten_parallel_moves(settings):
    settings.CLINIC_MAX_RESCHEDULES = 2
    provider = make_provider(weekdays=range(7))
    slots = open_slots()
    consultation = make_request(provider=provider, slot_start=slots[0].start, slot_end=slots[0].end)
    # Each tab opened the emailed link first, then all ten keep trying to move at once.
    tabs = [Client() for _ in range(10)]
    moves = [self_service(tab, consultation, "manage_move") for tab in tabs]
    targets = slots[1:11]

    def keep_trying(i):
        return [tabs[i].post(moves[i], {"slot": targets[i].key}).status_code for _ in range(3)]

    results = race(len(tabs), keep_trying)

    assert all(isinstance(result, list) for result in results), results
    statuses = [status for result in results for status in result]
    consultation.refresh_from_db()
    assert consultation.reschedule_count <= 2
    assert statuses.count(302) <= 2
    assert ConsultationRequest.objects.holding().filter(pk=consultation.pk).count() == 1


# --- Providers edit only themselves --------------------------------------------------------------


@pytest.fixture
def two_providers(db):
    return make_provider(display_name="Dr Quinn", weekdays=[0]), make_provider(display_name="Dr Rowe", weekdays=[1])


def provider_form(provider, **changes):
    hours = list(provider.working_hours.all())
    data = {
        "display_name": provider.display_name,
        "credentials": provider.credentials,
        "active": "on",
        "working_hours-TOTAL_FORMS": str(len(hours)),
        "working_hours-INITIAL_FORMS": str(len(hours)),
        "exceptions-TOTAL_FORMS": "0",
        "exceptions-INITIAL_FORMS": "0",
    }
    for n, row in enumerate(hours):
        data |= {
            f"working_hours-{n}-id": row.pk,
            f"working_hours-{n}-provider": provider.pk,
            f"working_hours-{n}-weekday": row.weekday,
            f"working_hours-{n}-start": "09:00",
            f"working_hours-{n}-end": "17:00",
        }
    return data | changes


def change_url(provider):
    return reverse("admin:consultations_provider_change", args=[provider.pk])


def test_provider_edits_their_own_profile_and_hours(client, two_providers):
    quinn, _rowe = two_providers
    client.force_login(quinn.user)
    response = client.post(
        change_url(quinn), provider_form(quinn, display_name="Dr Q. Quinn", **{"working_hours-0-end": "15:00"})
    )
    assert response.status_code == 302
    quinn.refresh_from_db()
    assert quinn.display_name == "Dr Q. Quinn"
    assert WorkingHours.objects.get(provider=quinn).end.hour == 15


def test_provider_cannot_edit_another_providers_profile_or_hours(client, two_providers):
    quinn, rowe = two_providers
    client.force_login(quinn.user)
    response = client.post(
        change_url(rowe), provider_form(rowe, display_name="Hacked", **{"working_hours-0-end": "10:00"})
    )
    assert response.status_code == 403
    rowe.refresh_from_db()
    assert rowe.display_name == "Dr Rowe"
    assert WorkingHours.objects.get(provider=rowe).end.hour == 17


def test_provider_cannot_link_their_profile_to_another_user(client, two_providers):
    quinn, _rowe = two_providers
    other = make_staff(username="someone-else")
    client.force_login(quinn.user)
    client.post(change_url(quinn), provider_form(quinn, user=other.pk))
    quinn.refresh_from_db()
    assert quinn.user_id != other.pk
    assert client.post(reverse("admin:consultations_provider_add"), {"user": other.pk}).status_code == 403


def test_owner_links_a_provider_to_a_user(client, two_providers):
    quinn, _rowe = two_providers
    other = make_staff(username="new-colleague")
    client.force_login(make_staff(username="owner", is_superuser=True))
    response = client.post(change_url(quinn), provider_form(quinn, user=other.pk))
    assert response.status_code == 302
    quinn.refresh_from_db()
    assert quinn.user_id == other.pk


# --- No-store on pages with patient data ----------------------------------------------------------


def assert_no_store(response):
    assert "no-store" in response["Cache-Control"], response["Cache-Control"]


def test_form_pages_are_never_stored_by_the_browser(client, treatment):
    assert_no_store(client.get(NEW))
    with_errors = client.post(NEW, intake_post_data(treatment, goals="", medications="Warfarin"))
    assert with_errors.status_code == 200
    assert "Warfarin" in with_errors.text
    assert_no_store(with_errors)


@pytest.mark.django_db
def test_self_service_and_staff_pages_are_never_stored(client):
    consultation = make_request(medications="Warfarin")
    assert_no_store(client.get(links.manage_path(consultation)))  # the exchange
    for name in ("manage_page", "manage_move", "manage_cancel"):
        assert_no_store(client.get(self_service(client, consultation, name)))
    client.force_login(make_staff(username="root", is_superuser=True))
    assert_no_store(client.get(reverse("admin:consultations_consultationrequest_change", args=[consultation.pk])))
    assert_no_store(client.get(reverse("admin:consultations_consultationrequest_changelist")))


# --- Disguising characters ----------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\x00", "\x1b", "\n", "\x7f"])
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_name_with_bidi_override_or_control_character_is_refused(client, treatment, field, char):
    response = client.post(NEW, intake_post_data(treatment, **{field: f"Anna{char}ttiw"}))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert ConsultationRequest.objects.count() == 0


def test_free_text_keeps_its_words_without_bidi_or_control_characters(client, treatment, settings):
    settings.CLINIC_MIN_FILL_SECONDS = 0
    text = "Warfarin\u202e gm 5\u202c\x1b[31m daily\nand fish oil\u2066"
    response = client.post(NEW, intake_post_data(treatment, goals=f"Softer lines\u202e{text}", medications=text))
    assert response.status_code == 302
    stored = ConsultationRequest.objects.get()
    assert stored.medications == "Warfarin gm 5[31m daily\nand fish oil"
    assert stored.goals.startswith("Softer lines")
    assert "\u202e" not in stored.goals


@pytest.mark.django_db
def test_information_added_by_the_patient_is_stripped_too(client):
    from consultations.models import Status

    consultation = make_request(status=Status.NEEDS_INFO)
    info = self_service(client, consultation, "manage_info")
    assert client.post(info, {"text": "I take\u202e aspirin\x07"}).status_code == 302
    assert AdditionalInfo.objects.get().text == "I take aspirin"


# Issue 23, finding 13: the rest of the invisible characters, and staff notes.
INVISIBLE = {
    "zero width space": "\u200b",
    "zero width joiner beside a space": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "hangul filler": "\u3164",
    "halfwidth hangul filler": "\uffa0",
    "braille blank": "\u2800",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "tag letter A": "\U000e0041",
    "cancel tag": "\U000e007f",
    "private use": "\ue000",
}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_name_with_an_invisible_or_filler_character_is_refused(client, treatment, char):
    # Inside the name: at its ends the form strips whitespace (U+2028 among it) anyway.
    response = client.post(NEW, intake_post_data(treatment, first_name=f"Anna {char}Lee", last_name=f"Witt{char} Jr"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["first_name"] and errors["last_name"]
    assert ConsultationRequest.objects.count() == 0


def test_names_spelled_with_a_joiner_between_letters_are_accepted(client, treatment):
    # ZWNJ is spelling in Persian: "Alireza" written علی‌رضا.
    response = client.post(NEW, intake_post_data(treatment, first_name="علی\u200cرضا", last_name="Nūr-Dīn"))
    assert response.status_code == 302
    assert ConsultationRequest.objects.get().first_name == "علی\u200cرضا"


def test_free_text_loses_invisible_characters_and_keeps_line_breaks(client, treatment):
    text = "Aspirin\u200b 81\u00a0mg\U000e0041\U000e007f\u2028daily\u3164"
    response = client.post(NEW, intake_post_data(treatment, medications=text))
    assert response.status_code == 302
    assert ConsultationRequest.objects.get().medications == "Aspirin 81\u00a0mg\ndaily"


@pytest.mark.django_db
def test_staff_note_is_cleaned_like_intake_text(client):
    from consultations.models import Note

    consultation = make_request()
    client.force_login(make_staff("Front desk"))
    notes = reverse("admin:consultations_consultationrequest_note", args=[consultation.pk])
    typed = "Called\u202e back\x07 at\u200b 3pm\U000e0041\u2028left a voicemail\u2066"
    assert client.post(notes, {"text": typed}).status_code == 302
    assert Note.objects.get().text == "Called back at 3pm\nleft a voicemail"


@pytest.mark.django_db
def test_staff_note_of_invisible_characters_only_is_an_empty_note(client):
    from consultations.models import Note

    consultation = make_request()
    client.force_login(make_staff("Front desk"))
    notes = reverse("admin:consultations_consultationrequest_note", args=[consultation.pk])
    response = client.post(notes, {"text": "\u202e\u200b\U000e0041\x07"}, follow=True)
    assert response.status_code == 200
    assert "Write the note before adding it." in response.text
    assert Note.objects.count() == 0
