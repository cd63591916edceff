import datetime
import time
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from clinic.templatetags.clinic_tags import is_demo_site
from consultations import links, selfservice
from consultations.availability import Slot, open_slots
from consultations.models import AdditionalInfo, CancellationPolicy, Provider, Status, WorkingHours
from tests import factories
from tests.factories import BEATRIX, make_treatment

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PRIVATE = ("Beatrix", "Quennell", "bq@example.com", "5550177", "1979", "marionette", "Warfarin")


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.CLINIC_BOOKING_WEEKS = 2  # a shorter list of times to choose from


@pytest.fixture
def provider():
    user = get_user_model().objects.create_user(f"p-{uuid.uuid4().hex[:8]}", is_staff=True)
    provider = Provider.objects.create(user=user, display_name="Dr Test")
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=provider, weekday=day, start=datetime.time(9), end=datetime.time(17)) for day in range(7)
    )
    return provider


@pytest.fixture
def slots(provider):
    return open_slots()


def make_request(slot=None, status=Status.NEW, **kwargs):
    """BEATRIX's request for a Belotero page, holding `slot` if given."""
    treatment = make_treatment(slug=f"belotero-{uuid.uuid4().hex[:4]}", name="Belotero Balance")
    if slot is None:
        return factories.make_request(treatment, status=status, **{**BEATRIX, **kwargs})
    return factories.make_booked_request(slot, status=status, treatment=treatment, **{**BEATRIX, **kwargs})


def link(consultation):
    """The address in the patient's emails."""
    return reverse("consultations:manage", kwargs={"token": links.make_token(consultation)})


def opened(client, consultation, name="manage_page"):
    """Open the emailed link in `client` (it trades it for the visit cookie); the token-free page `name`."""
    response = client.get(link(consultation))
    assert response.status_code == 302
    assert response["Location"] == reverse("consultations:manage_page")
    return reverse(f"consultations:{name}")


def assert_no_private_data(response):
    html = response.content.decode()
    for private in PRIVATE:
        assert private not in html


class AgedSigner(signing.TimestampSigner):
    """Signs as if `days` ago, to test expiry without a clock library."""

    def __init__(self, days, **kwargs):
        super().__init__(**kwargs)
        self.days = days

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - self.days * 86400)


def aged_token(consultation, days):
    return AgedSigner(days, salt=links.SALT).sign_object(consultation.reference, compress=True)


# --- the page -------------------------------------------------------------------------


def test_manage_page_shows_reference_treatment_time_and_status(client, slots):
    consultation = make_request(slots[0])
    response = client.get(opened(client, consultation))
    html = response.content.decode()
    assert response.status_code == 200
    assert consultation.reference in html
    assert "Belotero Balance" in html
    assert slots[0].label in html
    assert "A provider will review it soon." in html
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-cache" in response["Cache-Control"]
    assert_no_private_data(response)


def test_manage_page_without_a_time_says_none_was_chosen(client, provider):
    response = client.get(opened(client, make_request()))
    assert "No time chosen" in response.content.decode()


def test_manage_page_shows_how_many_moves_are_left(client, slots):
    response = client.get(opened(client, make_request(slots[0], reschedule_count=1)))
    assert "You can move it once more online." in response.content.decode()


def test_manage_page_uses_four_queries(client, slots, django_assert_num_queries):
    # The request, then its audit trail and status history for "who looked at my request"
    # (issue 28; their staff's roles add at most two more, however long the trail: test_access_history.py),
    # and its place on the waitlist (issue 27).
    consultation = make_request(slots[0])
    target = opened(client, consultation)
    is_demo_site()  # the banner's flag, read once per content version (making the request started one)
    with django_assert_num_queries(4):
        client.get(target)


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.DECLINED, Status.COMPLETED, Status.EXPIRED])
def test_closed_request_shows_its_status_and_no_actions(client, slots, status):
    consultation = make_request(slots[0], status=status)
    html = client.get(opened(client, consultation)).content.decode()
    assert consultation.get_status_display() in html
    assert opened(client, consultation, "manage_cancel") not in html
    assert opened(client, consultation, "manage_move") not in html


# --- broken links -----------------------------------------------------------------------


def test_tampered_link_gets_a_clear_page(client, slots, settings):
    token = links.make_token(make_request(slots[0]))
    response = client.get(reverse("consultations:manage", kwargs={"token": token[:-2] + "xx"}))
    html = response.content.decode()
    assert response.status_code == 400
    assert "This link does not work" in html
    assert "(207) 555-0134" in html


@pytest.mark.parametrize("token", ["garbage", "a" * 500, ".eJy:abc:def", "%00"])
def test_garbage_link_gets_a_clear_page(client, token):
    response = client.get(f"/consultations/manage/{token}/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


def test_link_signed_for_something_else_is_refused(client, slots):
    consultation = make_request(slots[0])
    token = signing.dumps(consultation.reference, salt="another.purpose", compress=True)
    assert client.get(reverse("consultations:manage", kwargs={"token": token})).status_code == 400


def test_expired_link_says_it_expired(client, slots):
    consultation = make_request(slots[0])
    response = client.get(reverse("consultations:manage", kwargs={"token": aged_token(consultation, 61)}))
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()


def test_link_expiry_follows_the_setting(client, slots, settings):
    consultation = make_request(slots[0])
    token = aged_token(consultation, 2)
    assert client.get(reverse("consultations:manage", kwargs={"token": token})).status_code == 302
    settings.CLINIC_LINK_MAX_AGE_DAYS = 1
    assert client.get(reverse("consultations:manage", kwargs={"token": token})).status_code == 400


def test_link_to_a_removed_request_is_not_found(client, slots):
    consultation = make_request(slots[0])
    target = opened(client, consultation)
    consultation.delete()
    response = client.get(target)
    assert response.status_code == 404
    assert "Request not found" in response.content.decode()


@pytest.mark.parametrize("page", ["cancel", "move", "info"])
def test_broken_link_on_an_action_is_refused(client, page):
    response = client.post(reverse("consultations:manage_exchange", kwargs={"token": "nope", "page": page}))
    assert response.status_code == 400


@pytest.mark.parametrize("name", ["manage_page", "manage_cancel", "manage_move", "manage_info"])
def test_pages_without_the_visit_cookie_ask_to_open_the_link_again(client, slots, name):
    make_request(slots[0], status=Status.NEEDS_INFO)
    send = client.post if name == "manage_info" else client.get
    response = send(reverse(f"consultations:{name}"))
    assert response.status_code == 403
    assert "Please open your link again" in response.content.decode()


# --- the link is exchanged for a short-lived cookie (issue 23, finding 8) ----------------


def test_the_link_is_exchanged_for_a_short_lived_httponly_cookie(client, slots, settings):
    settings.CLINIC_SELF_SERVICE_MINUTES = 45
    settings.SESSION_COOKIE_SECURE = True
    consultation = make_request(slots[0])
    token = links.make_token(consultation)

    response = client.get(reverse("consultations:manage", kwargs={"token": token}))

    assert response.status_code == 302
    assert response["Location"] == "/consultations/manage/"
    assert response["Referrer-Policy"] == "no-referrer"
    cookie = response.cookies[selfservice.COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 45 * 60
    assert token not in cookie.value
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_after_the_exchange_no_page_form_or_redirect_carries_the_token(
    client, slots, django_capture_on_commit_callbacks
):
    consultation = make_request(slots[0], status=Status.NEEDS_INFO)
    token = links.make_token(consultation)
    client.get(reverse("consultations:manage", kwargs={"token": token}))
    seen = []
    for name in ("manage_page", "manage_cancel", "manage_move"):
        response = client.get(reverse(f"consultations:{name}"))
        assert response.status_code == 200
        seen.append(response.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("consultations:manage_move"), {"slot": slots[3].key})
    assert response.status_code == 302
    seen.append(response["Location"])
    page = client.get(response["Location"])
    seen.append(page.content.decode())
    for text in seen:
        assert token not in text
        assert "/manage/" + token[:10] not in text
    assert 'action="/consultations/manage/info/"' in seen[0]


@pytest.mark.parametrize(
    ("page", "name"), [("cancel", "manage_cancel"), ("move", "manage_move"), ("info", "manage_page")]
)
def test_old_links_to_a_sub_page_exchange_and_land_on_it(client, slots, page, name):
    consultation = make_request(slots[0])
    old = reverse("consultations:manage_exchange", kwargs={"token": links.make_token(consultation), "page": page})
    response = client.get(old)
    assert response.status_code == 302
    assert response["Location"] == reverse(f"consultations:{name}")
    assert client.get(response["Location"]).status_code == 200


def test_a_post_to_an_old_link_changes_nothing_and_lands_on_the_page(client, slots):
    consultation = make_request(slots[0])
    old = reverse("consultations:manage_exchange", kwargs={"token": links.make_token(consultation), "page": "cancel"})
    response = client.post(old)
    assert response.status_code == 303
    assert response["Location"] == reverse("consultations:manage_page")
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW


def test_the_visit_ends_after_the_setting_and_the_link_opens_it_again(client, slots, settings, clock):
    settings.CLINIC_SELF_SERVICE_MINUTES = 60
    consultation = make_request(slots[0])
    client.get(link(consultation))
    clock.shift(datetime.timedelta(minutes=61))  # the cookie's signature is now older than allowed
    assert client.get(reverse("consultations:manage_page")).status_code == 403
    client.get(link(consultation))
    assert client.get(reverse("consultations:manage_page")).status_code == 200


def test_a_forged_visit_cookie_is_refused(client, slots):
    consultation = make_request(slots[0])
    client.cookies[selfservice.COOKIE] = consultation.reference
    assert client.get(reverse("consultations:manage_page")).status_code == 403


def test_the_spanish_link_lands_on_the_spanish_page(client, slots):
    consultation = make_request(slots[0])
    with translation.override("es"):
        spanish = links.manage_path(consultation)
    response = client.get(spanish)
    assert response["Location"] == "/es/consultations/manage/"
    assert client.get(response["Location"]).status_code == 200


# --- cancel -----------------------------------------------------------------------------


def test_cancel_asks_for_confirmation_first(client, slots):
    consultation = make_request(slots[0])
    response = client.get(opened(client, consultation, "manage_cancel"))
    assert response.status_code == 200
    assert "Yes, cancel my request" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW


def test_cancel_frees_the_time_and_redirects(client, slots, mailoutbox, django_capture_on_commit_callbacks):
    consultation = make_request(slots[0])
    target = opened(client, consultation, "manage_cancel")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(target)
    assert response.status_code == 302
    assert response["Location"] == reverse("consultations:manage_page")
    consultation.refresh_from_db()
    assert consultation.status == Status.CANCELLED
    assert slots[0] in open_slots()
    assert len(mailoutbox) == 1
    page = client.get(response["Location"]).content.decode()
    assert "Your request is cancelled." in page


def test_cancel_of_a_closed_request_changes_nothing(client, slots, mailoutbox):
    consultation = make_request(slots[0], status=Status.DECLINED)
    response = client.post(opened(client, consultation, "manage_cancel"))
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Status.DECLINED
    assert mailoutbox == []


def test_cancel_requires_the_csrf_token(slots):
    consultation = make_request(slots[0])
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(opened(csrf_client, consultation, "manage_cancel"))
    assert response.status_code == 403
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW


# --- move -------------------------------------------------------------------------------


def test_move_page_offers_open_times_by_day(client, slots):
    make_request(slots[1])
    consultation = make_request(slots[0])
    response = client.get(opened(client, consultation, "manage_move"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{slots[2].key}"' in html
    assert f'value="{slots[0].key}"' not in html  # its own time
    assert f'value="{slots[1].key}"' not in html  # someone else's
    assert '<label class="form-label fw-semibold" for="slot">New time</label>' in html
    assert "You can move your request 2 more times online." in html
    assert_no_private_data(response)


# The move page now uses the intake form's time select (issue 14): one group per day, and every
# option names its day, so the closed control never shows a bare "10:20".
def test_move_page_groups_times_under_their_day(client, slots):
    consultation = make_request(slots[0])
    html = client.get(opened(client, consultation, "manage_move")).content.decode()
    days = sorted({timezone.localtime(s.start).date() for s in slots})
    assert html.count("<optgroup") == len(days)
    assert days[0].strftime("%A") in html
    assert f'<option value="{slots[1].key}">{slots[1].label}</option>' in html


def test_move_page_uses_constant_queries(client, slots, django_assert_num_queries):
    consultation = make_request(slots[0])
    target = opened(client, consultation, "manage_move")
    is_demo_site()  # the banner's flag, read once per content version (making the request started one)
    with django_assert_num_queries(5):  # the request, hours, exceptions, closed days, holds
        client.get(target)


def test_move_changes_the_time_and_redirects(client, slots, mailoutbox, django_capture_on_commit_callbacks):
    consultation = make_request(slots[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(opened(client, consultation, "manage_move"), {"slot": slots[3].key})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert Slot.of(consultation) == slots[3]
    assert consultation.reschedule_count == 1
    assert slots[0] in open_slots()
    assert len(mailoutbox) == 1
    page = client.get(response["Location"]).content.decode()
    assert f"Your new time is {slots[3].label}" in page


def test_move_to_a_just_taken_time_re_renders_with_fresh_times(client, slots):
    consultation = make_request(slots[0])
    make_request(slots[3])  # taken between the page load and the click
    response = client.post(opened(client, consultation, "manage_move"), {"slot": slots[3].key})
    html = response.content.decode()
    assert response.status_code == 200
    assert "That time was just taken" in html
    assert f'value="{slots[3].key}"' not in html
    assert f'value="{slots[4].key}"' in html
    consultation.refresh_from_db()
    assert (Slot.of(consultation), consultation.reschedule_count) == (slots[0], 0)


@pytest.mark.parametrize("value", ["", "nonsense", "1|yesterday"])
def test_move_with_no_valid_choice_shows_the_error_at_the_field(client, slots, value):
    consultation = make_request(slots[0])
    response = client.post(opened(client, consultation, "manage_move"), {"slot": value})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose a new time from the list." in html
    assert 'aria-describedby="slot_helptext slot_error"' in html
    assert 'href="#slot"' in html  # the summary links to the field


def test_move_to_a_time_outside_the_hours_is_refused(client, slots):
    consultation = make_request(slots[0])
    start = slots[0].start.replace(minute=5)
    response = client.post(
        opened(client, consultation, "manage_move"), {"slot": Slot(slots[0].provider_id, start, start).key}
    )
    assert response.status_code == 200
    assert "no longer offered" in response.content.decode()
    consultation.refresh_from_db()
    assert Slot.of(consultation) == slots[0]


def test_move_limit_reached_sends_the_patient_to_the_phone(client, slots):
    consultation = make_request(slots[0], reschedule_count=2)
    response = client.post(opened(client, consultation, "manage_move"), {"slot": slots[3].key})
    html = response.content.decode()
    assert "as often as we allow online" in html
    assert 'type="radio"' not in html
    consultation.refresh_from_db()
    assert Slot.of(consultation) == slots[0]


def accepted_policy():
    policy = CancellationPolicy.current()
    return {"policy_version": policy.version, "accept_policy": "on"}


def test_choosing_a_first_time_is_not_counted_as_a_move(client, slots):
    consultation = make_request()
    response = client.post(opened(client, consultation, "manage_move"), {"slot": slots[2].key, **accepted_policy()})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert (Slot.of(consultation), consultation.reschedule_count) == (slots[2], 0)


def test_choosing_a_first_time_online_accepts_the_cancellation_policy_as_the_form_does(client, slots):
    """Issue 27: a time chosen from the link is booked under the policy too (version, time, address kept)."""
    consultation = make_request()
    url = opened(client, consultation, "manage_move")
    html = client.get(url).content.decode()
    assert 'data-testid="cancellation-policy"' in html and 'name="accept_policy"' in html
    refused = client.post(url, {"slot": slots[2].key, "policy_version": CancellationPolicy.current().version})
    assert refused.status_code == 200
    assert "tick the box to book this time" in refused.content.decode()
    consultation.refresh_from_db()
    assert Slot.of(consultation) is None
    client.post(url, {"slot": slots[2].key, **accepted_policy()}, REMOTE_ADDR="203.0.113.9")
    consultation.refresh_from_db()
    assert Slot.of(consultation) == slots[2]
    assert consultation.policy_version == CancellationPolicy.current().version
    assert consultation.policy_accepted_at is not None and consultation.policy_accepted_ip == "203.0.113.9"


def test_moving_a_held_time_asks_for_no_policy_again(client, slots):
    consultation = make_request(slots[0])
    html = client.get(opened(client, consultation, "manage_move")).content.decode()
    assert 'name="accept_policy"' not in html


def test_move_of_a_closed_request_is_refused(client, slots):
    consultation = make_request(slots[0], status=Status.CANCELLED)
    response = client.post(opened(client, consultation, "manage_move"), {"slot": slots[3].key})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert Slot.of(consultation) == slots[0]


# --- add information ---------------------------------------------------------------------


def test_needs_info_page_offers_a_labelled_textarea(client, slots):
    html = client.get(opened(client, make_request(slots[0], status=Status.NEEDS_INFO))).content.decode()
    assert '<label class="form-label" for="info_text">' in html
    assert 'name="text"' in html


def test_add_info_stores_it_and_tells_the_staff(client, slots, mailoutbox, django_capture_on_commit_callbacks):
    consultation = make_request(slots[0], status=Status.NEEDS_INFO)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(opened(client, consultation, "manage_info"), {"text": "I stopped aspirin on Monday."})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Status.TRIAGED
    assert AdditionalInfo.objects.get(consultation=consultation).text == "I stopped aspirin on Monday."
    (message,) = mailoutbox
    assert message.subject == f"{consultation.reference}: patient added information"
    assert "aspirin" not in message.body


def test_add_info_with_an_empty_text_shows_the_error(client, slots):
    consultation = make_request(slots[0], status=Status.NEEDS_INFO)
    response = client.post(opened(client, consultation, "manage_info"), {"text": "   "})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Write the information we asked for" in html
    assert 'aria-describedby="info_text_helptext info_text_error"' in html
    assert AdditionalInfo.objects.count() == 0


def test_add_info_that_is_too_long_keeps_the_typed_text(client, slots):
    consultation = make_request(slots[0], status=Status.NEEDS_INFO)
    text = "word " * 900
    response = client.post(opened(client, consultation, "manage_info"), {"text": text})
    assert response.status_code == 200
    assert text.strip() in response.content.decode()
    assert AdditionalInfo.objects.count() == 0


def test_add_info_when_none_was_asked_for_changes_nothing(client, slots):
    consultation = make_request(slots[0], status=Status.TRIAGED)
    response = client.post(opened(client, consultation, "manage_info"), {"text": "Extra"})
    assert response.status_code == 302
    assert AdditionalInfo.objects.count() == 0


def test_add_info_only_accepts_post(client, slots):
    consultation = make_request(slots[0], status=Status.NEEDS_INFO)
    assert client.get(opened(client, consultation, "manage_info")).status_code == 405
