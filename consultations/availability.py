"""Bookable consultation times, generated from each provider's rules.

Times are generated in the clinic's time zone from weekly working hours and
dated exceptions, then the times held by active requests are taken out. Nothing
is stored per slot: the database constraint `one_active_request_per_slot` on
ConsultationRequest is what guarantees one time goes to one person.

Wall-clock hours come from the rules (09:00 stays 09:00 across a daylight-saving
change); durations and buffers are counted in real (UTC) time, so a window that
spans a change never yields a time that does not exist or a 90-minute "half hour".
"""

import bisect
import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from clinic import formatting
from clinic.formatting import clinic_tz

from .models import AvailabilityException, ClosedDay, ConsultationRequest, Provider, WorkingHours

UTC = datetime.UTC
# What a slot key may name (anything outside is not a key, whatever its shape).
MAX_ID = 2**31 - 1
MIN_YEAR, MAX_YEAR = 2000, 2999


def consultation_length():
    return datetime.timedelta(minutes=settings.CLINIC_CONSULTATION_MINUTES)


def buffer():
    return datetime.timedelta(minutes=settings.CLINIC_BUFFER_MINUTES)


@dataclass(frozen=True)
class Slot:
    """A bookable time of one provider. start and end are in UTC: Python compares two datetimes of the
    same zone by wall clock, which would make 01:30 EDT equal 01:30 EST on the night clocks go back."""

    provider_id: int
    start: datetime.datetime
    end: datetime.datetime

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("A slot needs aware datetimes.")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def key(self):
        """A form choice value: "<provider id>|<ISO start in UTC>"."""
        return f"{self.provider_id}|{self.start.isoformat()}"

    @classmethod
    def from_key(cls, key):
        """The slot a key names; ValueError for anything that is not a well-formed key."""
        provider_id, _, iso = str(key).partition("|")
        try:
            start = datetime.datetime.fromisoformat(iso)
            provider_id = int(provider_id)
        except ValueError as error:
            raise ValueError("Not a slot key.") from error
        # Ids and times the database and the calendar can hold: a key is typed by anyone, and an
        # out-of-range value must be a field error, not an overflow in a query (a 500).
        if start.tzinfo is None or not 0 < provider_id <= MAX_ID or not MIN_YEAR <= start.year <= MAX_YEAR:
            raise ValueError("Not a slot key.")
        return cls(provider_id=provider_id, start=start, end=start + consultation_length())

    @classmethod
    def of(cls, consultation):
        """The slot a request holds, or None."""
        if consultation.slot_start is None:
            return None
        return cls(consultation.provider_id, consultation.slot_start, consultation.slot_end)

    @property
    def label(self):
        return slot_label(self)


def slot_label(slot):
    """E.g. "Tue 1 Dec, 09:40", in the clinic's time zone."""
    return formatting.slot_when(slot.start)


def grouped_by_day(slots):
    """[(date, [slots])] in time order, dates in the clinic's time zone."""
    tz = clinic_tz()
    ordered = sorted(slots, key=lambda slot: (slot.start, slot.provider_id))
    return [
        (day, list(group)) for day, group in itertools.groupby(ordered, key=lambda s: s.start.astimezone(tz).date())
    ]


def open_slots(now=None, weeks=None, provider=None):
    """Every open time for the next `weeks` weeks (settings.CLINIC_BOOKING_WEEKS), in time order.

    Four queries whatever the number of weeks or providers.
    """
    now = now or timezone.now()
    weeks = settings.CLINIC_BOOKING_WEEKS if weeks is None else weeks
    first_day = now.astimezone(clinic_tz()).date()
    return _open_between(now, first_day, first_day + datetime.timedelta(weeks=weeks), provider)


def is_generated(slot, now=None):
    """The rules offer this time: working hours, not in the past, after the lead time, within the booking window."""
    now = now or timezone.now()
    day = _local_day(slot)
    return _bookable_day(day, now) and slot in _generate(now, day, day + datetime.timedelta(days=1), slot.provider_id)


def is_held(slot, exclude=None):
    """An active request (other than `exclude`, a request id) holds this time or one overlapping it."""
    held = _held_intervals(slot.start, slot.end, slot.provider_id, exclude=exclude)
    return _overlaps_held(slot, held.get(slot.provider_id))


def is_open(slot, now=None):
    """The rules offer this time and no active request holds it (or a time overlapping it)."""
    return is_generated(slot, now) and not is_held(slot)


def _local_day(slot):
    return slot.start.astimezone(clinic_tz()).date()


def _bookable_day(day, now):
    today = now.astimezone(clinic_tz()).date()
    return today <= day < today + datetime.timedelta(weeks=settings.CLINIC_BOOKING_WEEKS)


def _open_between(now, first_day, end_day, provider=None):
    provider_id = provider.pk if isinstance(provider, Provider) else provider
    slots = _generate(now, first_day, end_day, provider_id)
    if not slots:
        return []
    held = _held_intervals(slots[0].start, slots[-1].end, provider_id)
    return [slot for slot in slots if not _overlaps_held(slot, held.get(slot.provider_id))]


def _generate(now, first_day, end_day, provider_id=None):
    """Slots from the rules alone (no holds) for local dates first_day <= date < end_day."""
    hours = WorkingHours.objects.filter(provider__active=True)
    exceptions = AvailabilityException.objects.filter(provider__active=True, date__gte=first_day, date__lt=end_day)
    if provider_id is not None:
        hours = hours.filter(provider_id=provider_id)
        exceptions = exceptions.filter(provider_id=provider_id)

    weekly = defaultdict(list)  # (provider, weekday) -> [(start, end)]
    for row in hours.values_list("provider_id", "weekday", "start", "end"):
        weekly[row[0], row[1]].append((row[2], row[3]))
    dated = defaultdict(list)  # (provider, date) -> [(kind, start, end)]
    for row in exceptions.values_list("provider_id", "date", "kind", "start", "end"):
        dated[row[0], row[1]].append(row[2:])
    providers = sorted({key[0] for key in weekly} | {key[0] for key in dated})
    # The whole clinic is shut (holidays): no provider's hours count on these days.
    closed = set(ClosedDay.objects.filter(date__gte=first_day, date__lt=end_day).values_list("date", flat=True))

    earliest = now + datetime.timedelta(hours=settings.CLINIC_BOOKING_LEAD_HOURS)
    slots = []
    day = first_day
    while day < end_day:
        for pid in providers if day not in closed else ():
            for start, end in _windows(day, weekly.get((pid, day.weekday()), ()), dated.get((pid, day), ())):
                slots.extend(slot for slot in _fill(pid, start, end) if slot.start >= earliest)
        day += datetime.timedelta(days=1)
    slots.sort(key=lambda slot: (slot.start, slot.provider_id))
    return slots


def _windows(day, weekly, exceptions):
    """Aware (UTC) working windows of one provider on one day: weekly hours plus extra hours, minus time off."""
    if any(kind == AvailabilityException.Kind.OFF and start is None for kind, start, _ in exceptions):
        return []
    tz = clinic_tz()

    def aware(t):
        # combine() with a ZoneInfo reads the wall clock as the law says on that day (fold=0 for repeated hours).
        return datetime.datetime.combine(day, t, tzinfo=tz).astimezone(UTC)

    extra = [(start, end) for kind, start, end in exceptions if kind == AvailabilityException.Kind.EXTRA]
    windows = _merge([(aware(start), aware(end)) for start, end in [*weekly, *extra]])
    for kind, start, end in exceptions:
        if kind == AvailabilityException.Kind.OFF:
            windows = _subtract(windows, aware(start), aware(end))
    return windows


def _merge(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(windows, off_start, off_end):
    result = []
    for start, end in windows:
        if off_end <= start or off_start >= end:
            result.append((start, end))
            continue
        if start < off_start:
            result.append((start, off_start))
        if off_end < end:
            result.append((off_end, end))
    return result


def _fill(provider_id, start, end):
    length, step = consultation_length(), consultation_length() + buffer()
    while start + length <= end:
        yield Slot(provider_id, start, start + length)
        start += step


def _held_intervals(first_start, last_end, provider_id=None, exclude=None):
    """{provider id: sorted [(start, end)]} of times held by active requests near the range."""
    margin = buffer() + datetime.timedelta(days=1)
    held = ConsultationRequest.objects.holding().filter(
        slot_start__lt=last_end + margin, slot_end__gt=first_start - margin
    )
    if provider_id is not None:
        held = held.filter(provider_id=provider_id)
    if exclude is not None:
        held = held.exclude(pk=exclude)
    intervals = defaultdict(list)
    for pid, start, end in held.values_list("provider_id", "slot_start", "slot_end"):
        intervals[pid].append((start, end))
    for value in intervals.values():
        value.sort()
    return intervals


def _overlaps_held(slot, held):
    """True when the slot, with the buffer on either side, overlaps a held time of the same provider."""
    if not held:
        return False
    gap = buffer()
    # Held times are sorted by start; only those starting before this slot ends (plus buffer) can overlap,
    # and of those only the ones that started within a day before (no consultation lasts a day).
    upper = bisect.bisect_left(held, (slot.end + gap,))
    lower = bisect.bisect_left(held, (slot.start - datetime.timedelta(days=1),))
    return any(end + gap > slot.start for _, end in held[lower:upper])
