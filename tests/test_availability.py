import datetime
import io
import itertools
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from consultations.availability import Slot, grouped_by_day, is_open, open_slots, slot_label
from consultations.models import AvailabilityException, Provider, Status, WorkingHours
from tests.factories import make_booked_request

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
UTC = datetime.UTC
OFF, EXTRA = AvailabilityException.Kind.OFF, AvailabilityException.Kind.EXTRA
# Tuesday 1 December 2026, 06:00 in New York: with a 12-hour lead the first bookable day is Wednesday.
NOW = datetime.datetime(2026, 12, 1, 6, 0, tzinfo=NY)
WEDNESDAY = datetime.date(2026, 12, 2)
WEEKDAY_TIMES = ["09:00", "09:40", "10:20", "11:00", "11:40", "12:20", "13:00", "13:40", "14:20", "15:00", "15:40", "16:20"]  # fmt: skip


def make_provider(name="Dr Test", weekdays=range(5), start=datetime.time(9), end=datetime.time(17), **kwargs):
    user = get_user_model().objects.create_user(f"provider-{uuid.uuid4().hex[:8]}", is_staff=True)
    provider = Provider.objects.create(user=user, display_name=name, **kwargs)
    for weekday in weekdays:
        WorkingHours.objects.create(provider=provider, weekday=weekday, start=start, end=end)
    return provider


def local_times(slots, day=None):
    return [f"{s.start.astimezone(NY):%H:%M}" for s in slots if day is None or s.start.astimezone(NY).date() == day]


def at(day, hour, minute=0, provider=None):
    start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY)
    return Slot(provider.pk, start, start + datetime.timedelta(minutes=30))


def test_open_slots_follow_working_hours_with_buffer():
    make_provider()
    slots = open_slots(now=NOW, weeks=1)
    assert local_times(slots, WEDNESDAY) == WEEKDAY_TIMES
    assert all(s.end - s.start == datetime.timedelta(minutes=30) for s in slots)
    # Wednesday to Monday: today (Tuesday) is inside the lead time and next Tuesday is past one week.
    assert {s.start.astimezone(NY).weekday() for s in slots} == {0, 2, 3, 4}


def test_open_slots_are_never_within_the_lead_time():
    make_provider()
    now = datetime.datetime(2026, 12, 2, 0, 0, tzinfo=NY)  # earliest bookable: 12:00 the same day
    slots = open_slots(now=now, weeks=1)
    assert local_times(slots, WEDNESDAY)[0] == "12:20"


def test_open_slots_are_never_in_the_past(settings):
    settings.CLINIC_BOOKING_LEAD_HOURS = 0
    make_provider()
    now = datetime.datetime(2026, 12, 2, 14, 0, tzinfo=NY)
    slots = open_slots(now=now, weeks=1)
    assert slots[0].start == datetime.datetime(2026, 12, 2, 14, 20, tzinfo=NY)
    assert all(s.start >= now for s in slots)


def test_open_slots_stop_after_the_booking_weeks():
    make_provider(weekdays=range(7))
    slots = open_slots(now=NOW, weeks=2)
    assert slots[-1].start.astimezone(NY).date() == datetime.date(2026, 12, 14)
    assert len(open_slots(now=NOW)) > len(slots)


def test_whole_day_off_offers_nothing_that_day():
    provider = make_provider()
    AvailabilityException.objects.create(provider=provider, date=WEDNESDAY, kind=OFF)
    assert local_times(open_slots(now=NOW, weeks=1), WEDNESDAY) == []


def test_partial_time_off_removes_only_those_hours():
    provider = make_provider()
    AvailabilityException.objects.create(
        provider=provider, date=WEDNESDAY, kind=OFF, start=datetime.time(12), end=datetime.time(13)
    )
    times = local_times(open_slots(now=NOW, weeks=1), WEDNESDAY)
    assert times == ["09:00", "09:40", "10:20", "11:00", "13:00", "13:40", "14:20", "15:00", "15:40", "16:20"]


def test_extra_hours_add_times_on_a_day_off_the_weekly_hours():
    provider = make_provider()
    sunday = datetime.date(2026, 12, 6)
    AvailabilityException.objects.create(
        provider=provider, date=sunday, kind=EXTRA, start=datetime.time(10), end=datetime.time(12)
    )
    assert local_times(open_slots(now=NOW, weeks=1), sunday) == ["10:00", "10:40", "11:20"]


def test_extra_hours_after_the_day_continue_its_rhythm():
    provider = make_provider()
    AvailabilityException.objects.create(
        provider=provider, date=WEDNESDAY, kind=EXTRA, start=datetime.time(17), end=datetime.time(19)
    )
    times = local_times(open_slots(now=NOW, weeks=1), WEDNESDAY)
    assert times[-4:] == ["16:20", "17:00", "17:40", "18:20"]


def test_inactive_provider_offers_no_times():
    make_provider(active=False)
    assert open_slots(now=NOW) == []


def test_open_slots_for_one_provider_leave_out_the_others():
    first = make_provider("Dr One")
    make_provider("Dr Two")
    slots = open_slots(now=NOW, weeks=1, provider=first)
    assert slots
    assert {s.provider_id for s in slots} == {first.pk}


def test_held_time_is_not_offered():
    provider = make_provider()
    held = at(WEDNESDAY, 9, 40, provider)
    make_booked_request(held)
    times = local_times(open_slots(now=NOW, weeks=1), WEDNESDAY)
    assert "09:40" not in times
    assert "09:00" in times
    assert "10:20" in times


def test_time_held_with_another_provider_is_still_offered():
    first, second = make_provider("Dr One"), make_provider("Dr Two")
    make_booked_request(at(WEDNESDAY, 9, 40, first))
    slots = [s for s in open_slots(now=NOW, weeks=1) if s.start == at(WEDNESDAY, 9, 40, first).start]
    assert [s.provider_id for s in slots] == [second.pk]


def test_held_time_off_the_grid_blocks_the_times_it_overlaps():
    # A time held before the clinic changed its consultation length still blocks what it overlaps.
    provider = make_provider()
    start = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=NY)
    make_booked_request(Slot(provider.pk, start, start + datetime.timedelta(minutes=45)))
    times = local_times(open_slots(now=NOW, weeks=1), WEDNESDAY)
    assert "09:40" not in times  # ends 10:10, overlapping
    assert "10:20" not in times  # starts within the buffer after 10:45
    assert "11:00" in times


@pytest.mark.parametrize("status", [Status.DECLINED, Status.CANCELLED, Status.EXPIRED])
def test_closed_request_releases_its_time(status):
    provider = make_provider()
    slot = at(WEDNESDAY, 9, 40, provider)
    make_booked_request(slot, status=status)
    assert slot in open_slots(now=NOW, weeks=1)


def test_open_slots_use_a_constant_number_of_queries(django_assert_num_queries):
    providers = [make_provider(f"Dr {n}", weekdays=range(7)) for n in range(3)]
    for provider in providers:
        AvailabilityException.objects.create(provider=provider, date=WEDNESDAY, kind=OFF)
        make_booked_request(at(datetime.date(2026, 12, 3), 9, 0, provider))
    # Working hours, exceptions, the clinic's closed days, held times.
    with django_assert_num_queries(4):
        small = open_slots(now=NOW, weeks=1)
    with django_assert_num_queries(4):
        large = open_slots(now=NOW, weeks=4)
    assert len(large) > len(small) > 0


def test_spring_forward_keeps_wall_clock_hours():
    provider = make_provider(weekdays=[5, 6])  # Saturday and Sunday
    now = datetime.datetime(2026, 3, 6, 12, 0, tzinfo=NY)
    slots = open_slots(now=now, weeks=1, provider=provider)
    saturday = [s for s in slots if s.start.astimezone(NY).date() == datetime.date(2026, 3, 7)]
    sunday = [s for s in slots if s.start.astimezone(NY).date() == datetime.date(2026, 3, 8)]
    assert saturday[0].start.astimezone(UTC) == datetime.datetime(2026, 3, 7, 14, 0, tzinfo=UTC)  # EST, UTC-5
    assert sunday[0].start.astimezone(UTC) == datetime.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # EDT, UTC-4
    assert local_times(sunday) == WEEKDAY_TIMES


def test_spring_forward_never_offers_a_time_that_does_not_exist():
    provider = make_provider(weekdays=[])
    day = datetime.date(2026, 3, 8)
    AvailabilityException.objects.create(
        provider=provider, date=day, kind=EXTRA, start=datetime.time(0), end=datetime.time(4)
    )
    slots = open_slots(now=datetime.datetime(2026, 3, 6, tzinfo=NY), weeks=1)
    # 00:00–04:00 is three real hours that night; 02:00–02:59 does not exist.
    assert local_times(slots) == ["00:00", "00:40", "01:20", "03:00"]
    assert {b.start - a.start for a, b in itertools.pairwise(slots)} == {datetime.timedelta(minutes=40)}


def test_fall_back_keeps_wall_clock_hours():
    provider = make_provider(weekdays=[5, 6])
    now = datetime.datetime(2026, 10, 30, 12, 0, tzinfo=NY)
    slots = open_slots(now=now, weeks=1, provider=provider)
    saturday = [s for s in slots if s.start.astimezone(NY).date() == datetime.date(2026, 10, 31)]
    sunday = [s for s in slots if s.start.astimezone(NY).date() == datetime.date(2026, 11, 1)]
    assert saturday[0].start.astimezone(UTC) == datetime.datetime(2026, 10, 31, 13, 0, tzinfo=UTC)  # EDT
    assert sunday[0].start.astimezone(UTC) == datetime.datetime(2026, 11, 1, 14, 0, tzinfo=UTC)  # EST
    assert local_times(sunday) == WEEKDAY_TIMES


def test_fall_back_counts_the_repeated_hour_once_per_real_time():
    provider = make_provider(weekdays=[])
    day = datetime.date(2026, 11, 1)
    AvailabilityException.objects.create(
        provider=provider, date=day, kind=EXTRA, start=datetime.time(0), end=datetime.time(4)
    )
    slots = open_slots(now=datetime.datetime(2026, 10, 30, tzinfo=NY), weeks=1)
    # 00:00–04:00 is five real hours that night: 01:00–01:59 happens twice.
    assert local_times(slots) == ["00:00", "00:40", "01:20", "01:00", "01:40", "02:20", "03:00"]
    assert len({s.start for s in slots}) == 7
    assert {b.start - a.start for a, b in itertools.pairwise(slots)} == {datetime.timedelta(minutes=40)}


def test_slot_key_round_trips():
    provider = make_provider()
    slot = open_slots(now=NOW, weeks=1)[0]
    assert Slot.from_key(slot.key) == slot
    assert slot.key == f"{provider.pk}|2026-12-02T14:00:00+00:00"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "garbage",
        "1|",
        "|2026-12-02T14:00:00+00:00",
        "x|2026-12-02T14:00:00+00:00",
        "1|2026-12-02T14:00:00",
        "-1|2026-12-02T14:00:00+00:00",
        "1|9999-12-31T23:59:00+00:00",
    ],
)
def test_slot_from_key_rejects_malformed_keys(key):
    with pytest.raises(ValueError):
        Slot.from_key(key)


def test_slot_label_is_in_the_clinic_time_zone():
    provider = make_provider()
    slot = at(WEDNESDAY, 9, 40, provider)
    assert (
        slot_label(Slot(slot.provider_id, slot.start.astimezone(UTC), slot.end.astimezone(UTC)))
        == "Wed, Dec 2, 9:40 AM"
    )


def test_grouped_by_day_groups_in_time_order():
    make_provider()
    groups = grouped_by_day(reversed(open_slots(now=NOW, weeks=1)))
    assert [day for day, _ in groups] == [datetime.date(2026, 12, d) for d in (2, 3, 4, 7)]
    assert local_times(groups[0][1]) == WEEKDAY_TIMES


def test_is_open_for_an_offered_time():
    provider = make_provider()
    assert is_open(at(WEDNESDAY, 9, 40, provider), now=NOW)


@pytest.mark.parametrize(
    ("day", "hour", "minute"),
    [
        (WEDNESDAY, 9, 30),  # off the grid
        (WEDNESDAY, 17, 0),  # after hours
        (datetime.date(2026, 12, 6), 9, 0),  # Sunday
        (datetime.date(2026, 12, 1), 9, 0),  # in the past
        (datetime.date(2027, 1, 6), 9, 0),  # beyond the booking weeks
    ],
)
def test_is_open_refuses_times_the_rules_do_not_offer(day, hour, minute):
    provider = make_provider()
    assert not is_open(at(day, hour, minute, provider), now=NOW)


def test_is_open_refuses_a_held_time():
    provider = make_provider()
    slot = at(WEDNESDAY, 9, 40, provider)
    make_booked_request(slot)
    assert not is_open(slot, now=NOW)


def test_seed_demo_offers_times_for_the_next_two_weeks():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    provider = Provider.objects.get()
    assert not provider.user.has_usable_password()
    # The footer's opening hours (Mon–Fri), since issue 14: no Saturday the footer does not mention.
    assert provider.working_hours.count() == 5
    days = {day for day, _ in grouped_by_day(open_slots(now=NOW, weeks=2))}
    # Two weeks from Wednesday 2 December (its own times are within the lead time): every
    # weekday, no weekend.
    assert len(days) == 9
    assert all(day.weekday() < 5 for day in days)


def test_seed_demo_keeps_hours_edited_in_the_admin():
    call_command("seed_demo", stdout=io.StringIO())
    WorkingHours.objects.filter(weekday=4).delete()
    call_command("seed_demo", stdout=io.StringIO())
    assert not WorkingHours.objects.filter(weekday=4).exists()
