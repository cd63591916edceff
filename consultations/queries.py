"""Questions the staff pages ask of the data: shared by the admin, its template tags and commands."""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.formatting import clinic_tz

from .models import ACTIVE_STATUSES, ConsultationRequest, Status

CHANGELIST = "admin:consultations_consultationrequest_changelist"


def day_start(day):
    """Midnight at the clinic on that day, as an aware datetime."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=clinic_tz())


def day_range(day):
    """[start, end) of a day at the clinic."""
    return day_start(day), day_start(day + datetime.timedelta(days=1))


def clinic_today():
    return timezone.localdate(timezone=clinic_tz())


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
