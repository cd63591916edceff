"""Looking at the queue or the schedule is a look at patient data and is audited (issue 23, finding 16)."""

import datetime

import pytest
from django.urls import reverse

from clinic import formatting
from consultations.models import AuditEvent, Status
from tests.factories import make_provider, make_request, make_staff

pytestmark = pytest.mark.django_db


def admin_url(name):
    return reverse(f"admin:consultations_consultationrequest_{name}")


def test_opening_the_queue_audits_each_request_shown(client):
    shown = [make_request(first_name=f"Pat{index}") for index in range(3)]
    desk = make_staff("Front desk")
    client.force_login(desk)

    response = client.get(admin_url("changelist"))

    assert response.status_code == 200
    rows = AuditEvent.objects.filter(user=desk, action=AuditEvent.Action.VIEW, detail="queue")
    assert sorted(rows.values_list("reference", flat=True)) == sorted(c.reference for c in shown)


def test_opening_the_schedule_audits_each_request_shown(client, monkeypatch):
    day = datetime.date(2026, 12, 8)  # an explicit clinic "today", whatever the wall clock says
    monkeypatch.setattr(formatting, "clinic_today", lambda: day)
    provider = make_provider(weekdays=range(7))
    start = datetime.datetime.combine(day, datetime.time(12), tzinfo=formatting.clinic_tz())
    booked = make_request(
        status=Status.APPROVED, provider=provider, slot_start=start, slot_end=start + datetime.timedelta(minutes=30)
    )
    unshown = make_request()  # no time: not on the schedule
    desk = make_staff("Front desk")
    client.force_login(desk)

    response = client.get(admin_url("schedule"))

    assert response.status_code == 200
    rows = AuditEvent.objects.filter(user=desk, action=AuditEvent.Action.VIEW)
    assert list(rows.values_list("reference", "detail")) == [(booked.reference, "schedule (today)")]
    assert not rows.filter(reference=unshown.reference).exists()
