import datetime
import io
import uuid
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from consultations import reminders
from consultations.models import ConsultationRequest, Provider, Status
from tests.factories import make_booked_request, make_request

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def provider():
    user = get_user_model().objects.create_user(f"p-{uuid.uuid4().hex[:8]}")
    return Provider.objects.create(user=user, display_name="Dr Test")


def make_booking(with_provider, hours_from_now, status=Status.APPROVED, **kwargs):
    start = (timezone.now() + datetime.timedelta(hours=hours_from_now)).replace(second=0, microsecond=0)
    return make_booked_request(
        status=status,
        provider=with_provider,
        start=start,
        # Letters no signed link can contain, so a random token never matches them.
        first_name="Zéphyrine",
        last_name="Ødegård",
        email=f"{uuid.uuid4().hex[:6]}@example.com",
        **kwargs,
    )


def run(command):
    out = io.StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def test_send_reminders_selects_approved_bookings_starting_soon(provider, mailoutbox):
    due = make_booking(provider, 3)
    make_booking(provider, 60)  # too far ahead (the reminder asks to confirm CLINIC_CONFIRM_HOURS = 48 before)
    make_booking(provider, 4, status=Status.NEW)  # not confirmed
    make_booking(provider, -2)  # already begun
    make_booking(provider, 5, reminder_sent_at=timezone.now())  # already reminded

    assert run("send_reminders").strip() == "1 reminder(s) queued."

    assert [message.to for message in mailoutbox] == [[due.email]]
    due.refresh_from_db()
    assert due.reminder_sent_at is not None


def test_send_reminders_twice_sends_once(provider, mailoutbox):
    make_booking(provider, 3)
    run("send_reminders")
    assert run("send_reminders").strip() == "0 reminder(s) queued."
    assert len(mailoutbox) == 1


def test_send_reminders_overlapping_runs_never_double_send(provider, mailoutbox, monkeypatch):
    first, second = make_booking(provider, 3), make_booking(provider, 4)
    nested = []
    send_reminder = reminders.send_reminder

    def enqueue_then_run_again(pk):
        send_reminder.enqueue(pk)
        if not nested:  # a second cron run starts while the first is between its query and its claims
            nested.append("running")
            nested[0] = run("send_reminders")

    monkeypatch.setattr(reminders, "send_reminder", SimpleNamespace(enqueue=enqueue_then_run_again))
    outer = run("send_reminders")

    assert sorted(message.to[0] for message in mailoutbox) == sorted([first.email, second.email])
    assert (outer.strip(), nested[0].strip()) == ("1 reminder(s) queued.", "1 reminder(s) queued.")


def test_reminder_email_names_time_and_link_only(provider, mailoutbox):
    booking = make_booking(provider, 3)
    reminders.send_reminder.call(booking.pk)
    (message,) = mailoutbox
    assert booking.reference in message.body
    assert "/consultations/manage/" in message.body
    assert "Reminder: your consultation on" in message.subject
    for private in ("Zéphyrine", "Ødegård", "1990-01-01", "Smoother", booking.treatment.name):
        assert private not in message.subject + message.body + message.alternatives[0].content


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.DECLINED, Status.NEW])
def test_reminder_task_skips_a_booking_no_longer_approved(provider, mailoutbox, status):
    booking = make_booking(provider, 3, status=status)
    reminders.send_reminder.call(booking.pk)
    assert mailoutbox == []


@pytest.mark.parametrize("status", [Status.NEW, Status.TRIAGED, Status.NEEDS_INFO])
def test_expire_holds_expires_unconfirmed_requests_whose_time_began(provider, status):
    stale = make_booking(provider, -1, status=status)
    assert run("expire_holds").splitlines()[-1] == "1 request(s) expired."
    stale.refresh_from_db()
    assert stale.status == Status.EXPIRED
    assert stale.status_changes.get().to_status == Status.EXPIRED
    assert not ConsultationRequest.objects.holding().filter(pk=stale.pk).exists()


def test_expire_holds_leaves_confirmed_future_and_untimed_requests(provider):
    approved = make_booking(provider, -1)
    future = make_booking(provider, 5, status=Status.NEW)
    untimed = make_request(status=Status.NEW)
    assert run("expire_holds").splitlines()[-1] == "0 request(s) expired."
    statuses = dict(ConsultationRequest.objects.values_list("pk", "status"))
    assert statuses == {approved.pk: Status.APPROVED, future.pk: Status.NEW, untimed.pk: Status.NEW}
