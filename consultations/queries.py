"""Questions the staff pages ask of the data: shared by the admin, its template tags and commands.

Among them the front desk's day: who comes when, with which provider.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.formatting import clinic_today, clinic_tz

from .models import ACTIVE_STATUSES, ConsultationRequest, Status

CHANGELIST = "admin:consultations_consultationrequest_changelist"
# On the schedule: times still held or booked, and visits that already happened (or did not).
SCHEDULE_STATUSES = [*ACTIVE_STATUSES, Status.COMPLETED, Status.NO_SHOW]


def day_start(day):
    """Midnight at the clinic on that day, as an aware datetime."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=clinic_tz())


def day_range(day):
    """[start, end) of a day at the clinic."""
    return day_start(day), day_start(day + datetime.timedelta(days=1))


def queue_counts():
    """The admin home's numbers, one query, each with the filtered queue it links to."""
    today_start, today_end = day_range(clinic_today())
    counts = ConsultationRequest.objects.aggregate(
        new=Count("pk", filter=Q(status=Status.NEW)),
        flagged=Count("pk", filter=Q(status__in=ACTIVE_STATUSES) & ~Q(worst_flag="")),
        needs_info=Count("pk", filter=Q(status=Status.NEEDS_INFO)),
        today=Count(
            "pk",
            filter=Q(status__in=ACTIVE_STATUSES, slot_start__gte=today_start, slot_start__lt=today_end),
        ),
    )
    queue = reverse(CHANGELIST)
    return [
        {"key": "new", "label": _("New requests"), "count": counts["new"], "url": f"{queue}?status=new"},
        {
            "key": "flagged",
            "label": _("Flagged and open"),
            "count": counts["flagged"],
            "url": f"{queue}?status=open&flag=any",
        },
        {
            "key": "needs_info",
            "label": _("Awaiting information"),
            "count": counts["needs_info"],
            "url": f"{queue}?status=needs_info",
        },
        {
            "key": "today",
            "label": _("Today's consultations"),
            "count": counts["today"],
            "url": f"{queue}?status=open&slot=today",
        },
    ]


@dataclass
class ScheduleDay:
    day: datetime.date
    # [(provider, [requests in time order])], providers by name
    providers: list


def schedule(first_day, days, now=None):
    """The consultations held or booked on `days` days from `first_day` (clinic dates), grouped
    by day, then provider. One query, whatever the number of rows.

    Each row's `not_confirmed`: an approved booking inside the confirm window the patient has not
    confirmed (issue 27, ConsultationRequest.awaits_attendance_confirmation): the front desk calls."""
    now = now or timezone.now()
    start, end = day_start(first_day), day_start(first_day + datetime.timedelta(days=days))
    rows = (
        ConsultationRequest.objects.filter(status__in=SCHEDULE_STATUSES, slot_start__gte=start, slot_start__lt=end)
        .select_related("provider", "treatment")
        .order_by("slot_start", "provider__display_name")
    )
    by_day = defaultdict(lambda: defaultdict(list))
    for consultation in rows:
        consultation.not_confirmed = consultation.awaits_attendance_confirmation(now)
        local_day = consultation.slot_start.astimezone(clinic_tz()).date()
        by_day[local_day][consultation.provider].append(consultation)
    result = []
    for offset in range(days):
        day = first_day + datetime.timedelta(days=offset)
        providers = sorted(by_day.get(day, {}).items(), key=lambda item: item[0].display_name)
        result.append(ScheduleDay(day=day, providers=providers))
    return result


def week_start(day=None):
    """Monday of the week of `day` (today at the clinic by default)."""
    day = day or clinic_today()
    return day - datetime.timedelta(days=day.weekday())
