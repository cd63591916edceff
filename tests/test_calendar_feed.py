"""A provider's calendar feed (issue 28): their times, references and links, never a patient."""

import datetime
import io
import logging

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from consultations import calfeed
from consultations.models import ProviderFeed, Status
from tests.factories import make_precaution, make_provider, make_request, make_staff, make_treatment

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 14, 0, tzinfo=datetime.UTC)


def booked(provider, start, **kwargs):
    treatment = make_treatment(slug=f"t{start:%Y%m%d%H%M}", name="Lumifillium")
    make_precaution(treatment, question="Do you take isotretinoin?")
    return make_request(
        treatment,
        provider=provider,
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
        answers={},
        **kwargs,
    )


@pytest.fixture
def provider():
    return make_provider(display_name="Dr Feed")


@pytest.fixture
def distinctive(provider):
    """A request whose every personal detail is unmistakable in a text search."""
    return booked(
        provider,
        NOW + datetime.timedelta(days=1),
        first_name="Zebedee",
        last_name="Quixotically",
        email="zebedee.quixotically@example.com",
        phone="+12075559876",
        goals="Fill the hollows under my eyes",
        medications="Warfarinium",
        status=Status.APPROVED,
    )


def events(ics):
    return [c for c in Calendar.from_ical(ics).walk() if c.name == "VEVENT"]


def test_feed_is_valid_icalendar_with_the_required_properties(provider, distinctive):
    ics = calfeed.build_feed(provider, now=NOW)

    calendar = Calendar.from_ical(ics)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1M"
    (event,) = events(ics)
    for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL"):
        assert prop in event, prop
    assert event.decoded("DTSTART") == distinctive.slot_start
    assert distinctive.reference in str(event["SUMMARY"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]).endswith(reverse("admin:consultations_consultationrequest_change", args=[distinctive.pk]))
    # Lines end in CRLF and fold at 75 octets (RFC 5545 3.1).
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))


def rfc5545_problems(ics):
    """What RFC 5545 requires of a feed beyond what the parser accepts (a small validator)."""
    problems = []
    if not ics.endswith(b"\r\n") or b"\n" in ics.replace(b"\r\n", b""):
        problems.append("lines must end in CRLF")
    problems += [f"line over 75 octets: {line[:30]!r}" for line in ics.split(b"\r\n") if len(line) > 75]
    calendar = Calendar.from_ical(ics)
    problems += [f"calendar lacks {p}" for p in ("VERSION", "PRODID") if p not in calendar]
    uids = []
    for event in events(ics):
        for prop in ("UID", "DTSTAMP", "DTSTART"):
            if prop not in event:
                problems.append(f"event lacks {prop}")
        if "DTEND" in event and event.decoded("DTEND") <= event.decoded("DTSTART"):
            problems.append("event ends before it starts")
        uids.append(str(event["UID"]))
    if len(uids) != len(set(uids)):
        problems.append("UIDs repeat")
    return problems


def test_feed_passes_the_rfc5545_checks_with_several_times(provider, distinctive):
    booked(provider, NOW + datetime.timedelta(days=2))
    booked(provider, NOW + datetime.timedelta(days=3))

    ics = calfeed.build_feed(provider, now=NOW)
    assert len(events(ics)) == 3
    assert rfc5545_problems(ics) == []


def test_feed_text_has_no_patient_name_email_phone_or_health_detail(client, provider, distinctive):
    token = ProviderFeed.issue(provider)
    text = client.get(f"/calendar/{token}.ics").content.decode()

    assert distinctive.reference in text
    for secret in ("Zebedee", "Quixotically", "zebedee", "5559876", "2075559876", "hollows", "Warfarinium",
                   "isotretinoin", "Lumifillium"):  # fmt: skip
        assert secret.lower() not in text.lower(), secret


def test_feed_uid_is_stable_and_a_moved_time_moves_the_entry(provider, distinctive):
    first = events(calfeed.build_feed(provider, now=NOW))[0]
    distinctive.slot_start += datetime.timedelta(hours=1)
    distinctive.slot_end += datetime.timedelta(hours=1)
    distinctive.reschedule_count += 1
    distinctive.save()

    second = events(calfeed.build_feed(provider, now=NOW + datetime.timedelta(minutes=5)))[0]
    assert str(second["UID"]) == str(first["UID"])
    assert second.decoded("DTSTART") == first.decoded("DTSTART") + datetime.timedelta(hours=1)
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])


@pytest.mark.parametrize("closed", [Status.CANCELLED, Status.DECLINED, Status.EXPIRED])
def test_feed_drops_a_time_that_is_no_longer_held(provider, distinctive, closed):
    held = booked(provider, NOW + datetime.timedelta(days=2))
    type(held).objects.filter(pk=distinctive.pk).update(status=closed)

    references = [str(e["SUMMARY"]) for e in events(calfeed.build_feed(provider, now=NOW))]
    assert len(references) == 1
    assert held.reference in references[0]
    assert "TENTATIVE" in calfeed.build_feed(provider, now=NOW).decode()


def test_feed_lists_only_this_providers_times(provider, distinctive):
    other = make_provider(display_name="Dr Other")
    theirs = booked(other, NOW + datetime.timedelta(days=1, hours=2))

    text = calfeed.build_feed(provider, now=NOW).decode()
    assert distinctive.reference in text
    assert theirs.reference not in text


def test_feed_url_opens_until_rotated_or_revoked(client, provider, distinctive):
    token = ProviderFeed.issue(provider)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "private, max-age=60"

    new_token = ProviderFeed.issue(provider)
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{new_token}.ics").status_code == 200

    ProviderFeed.objects.get(provider=provider).revoke()
    assert client.get(f"/calendar/{new_token}.ics").status_code == 404
    assert client.get("/calendar/nothing.ics").status_code == 404


def test_feed_secret_is_stored_only_as_its_hash(provider):
    token = ProviderFeed.issue(provider)
    feed = ProviderFeed.objects.get(provider=provider)
    assert feed.token_hash == ProviderFeed.hash_token(token)
    assert token not in str(ProviderFeed.objects.values().get(pk=feed.pk))


def test_feed_secret_never_reaches_the_log(client, provider):
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        token = ProviderFeed.issue(provider)
        ProviderFeed.objects.get(provider=provider).revoke()
        assert client.get(f"/calendar/{token}.ics").status_code == 404
    finally:
        handler.setStream(previous)
    log = stream.getvalue()
    assert "Not Found: /calendar/…" in log
    assert token not in log


def test_provider_makes_rotates_and_revokes_their_feed_in_the_admin(client, provider, distinctive):
    client.force_login(provider.user)
    page_url = reverse("admin:consultations_consultationrequest_calendar_feed")
    assert b"Your feed is off" in client.get(page_url).content

    made = client.post(page_url, {"rotate": "Make my feed address"})
    url = made.context["new_url"]
    assert made.status_code == 200
    assert "no-store" in made["Cache-Control"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200

    revoked = client.post(page_url, {"revoke": "Switch my feed off"})
    assert revoked.status_code == 302
    assert client.get(f"/{path}").status_code == 404


def test_feed_page_is_for_providers_only(client):
    client.force_login(make_staff("Front desk"))
    assert client.get(reverse("admin:consultations_consultationrequest_calendar_feed")).status_code == 403


def test_feed_times_start_from_two_weeks_ago(provider):
    old = booked(provider, timezone.now() - datetime.timedelta(days=20))
    recent = booked(provider, timezone.now() - datetime.timedelta(days=1, hours=3))
    listed = list(calfeed.feed_times(provider))
    assert recent in listed
    assert old not in listed


def test_owner_switches_a_providers_feed_off_in_the_admin(client, provider):
    token = ProviderFeed.issue(provider)
    owner = make_staff(username="owner", is_superuser=True)
    client.force_login(owner)
    changelist = reverse("admin:consultations_providerfeed_changelist")
    feed = ProviderFeed.objects.get(provider=provider)

    response = client.post(changelist, {"action": "revoke", "_selected_action": [feed.pk]})

    assert response.status_code == 302
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    client.force_login(provider.user)
    assert client.get(changelist).status_code == 403
