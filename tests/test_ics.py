import datetime

import icalendar
import pytest

from consultations.ics import build_ics
from consultations.models import Status
from tests.factories import BEATRIX, make_booked_request, make_provider, make_request, make_staff, make_treatment

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 12, 2, 14, 40, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _clinic(settings):
    settings.CLINIC = {
        **settings.CLINIC,
        "NAME": "Riverside Aesthetic Clinic",
        "STREET": "120 Harbor Street, Suite 4",
        "CITY": "Portland",
        "EMAIL": "hello@clinic.test",
    }


def make_booking(status=Status.APPROVED):
    return make_booked_request(
        status=status,
        start=START,
        provider=make_provider(make_staff(username="ics-provider"), display_name="Dr Test"),
        treatment=make_treatment(slug="belotero-test", name="Belotero Balance"),
        **BEATRIX,
    )


def parse(ics_bytes):
    calendar = icalendar.Calendar.from_ical(ics_bytes)
    (event,) = calendar.events
    return calendar, event


def test_build_ics_invites_to_the_held_time_at_the_clinic():
    consultation = make_booking()
    calendar, event = parse(build_ics(consultation))
    assert str(calendar["method"]) == "REQUEST"
    assert str(event["uid"]) == f"{consultation.reference}@clinic"
    assert event.start == START
    assert event.end == START + datetime.timedelta(minutes=30)
    assert str(event["summary"]) == "Consultation at Riverside Aesthetic Clinic"
    assert "120 Harbor Street, Suite 4, Portland" in str(event["location"])
    assert str(event["organizer"]) == "mailto:hello@clinic.test"
    assert str(event["status"]) == "CONFIRMED"
    assert event["sequence"] == 0


def test_build_ics_writes_times_in_utc():
    ics_bytes = build_ics(make_booking())
    assert b"DTSTART:20261202T144000Z" in ics_bytes
    assert b"DTEND:20261202T151000Z" in ics_bytes


def test_build_ics_cancel_keeps_the_uid_and_outranks_the_invitation():
    consultation = make_booking()
    _, invitation = parse(build_ics(consultation))
    calendar, cancellation = parse(build_ics(consultation, method="CANCEL"))
    assert str(calendar["method"]) == "CANCEL"
    assert str(cancellation["status"]) == "CANCELLED"
    assert cancellation["uid"] == invitation["uid"]
    assert cancellation["sequence"] > invitation["sequence"]


def test_build_ics_sequence_grows_with_each_move():
    consultation = make_booking()
    _, before = parse(build_ics(consultation))
    consultation.reschedule_count = 1
    _, after = parse(build_ics(consultation))
    assert after["uid"] == before["uid"]
    assert after["sequence"] == before["sequence"] + 1


def test_build_ics_carries_no_personal_or_health_data():
    consultation = make_booking()
    text = build_ics(consultation).decode()
    unfolded = text.replace("\r\n ", "")
    for private in ("Beatrix", "Quennell", "1979", "marionette", "Warfarin", "Belotero", "5550177"):
        assert private not in unfolded


def test_build_ics_refuses_a_request_without_a_time():
    consultation = make_request(make_treatment(slug="belotero-test", name="Belotero Balance"), **BEATRIX)
    with pytest.raises(ValueError):
        build_ics(consultation)


def test_build_ics_refuses_an_unknown_method():
    with pytest.raises(ValueError):
        build_ics(make_booking(), method="PUBLISH")
