"""Questions the staff pages ask of the data: shared by the admin, its template tags and commands.

Among them the front desk's day: who comes when, with which provider.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
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


def schedule(first_day, days):
    """The consultations held or booked on `days` days from `first_day` (clinic dates), grouped
    by day, then provider. One query, whatever the number of rows."""
    start, end = day_start(first_day), day_start(first_day + datetime.timedelta(days=days))
    rows = (
        ConsultationRequest.objects.filter(status__in=SCHEDULE_STATUSES, slot_start__gte=start, slot_start__lt=end)
        .select_related("provider", "treatment")
        .order_by("slot_start", "provider__display_name")
    )
    by_day = defaultdict(lambda: defaultdict(list))
    for consultation in rows:
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


# --- "Who looked at my request" (issue 28) ---------------------------------------------------

from django.conf import settings  # noqa: E402  (kept with the feature it serves, for a small merge)
from django.db.models import F  # noqa: E402

from .models import AuditEvent, actor_label  # noqa: E402
from .permissions import CONTENT_EDITOR, FRONT_DESK, PROVIDER  # noqa: E402

ROLE_LABELS = {
    FRONT_DESK: _("a member of the front desk"),
    PROVIDER: _("a provider"),
    CONTENT_EDITOR: _("a content editor"),
}
# How many events the patient's page lists (newest first); a longer trail says so.
ACCESS_HISTORY_LIMIT = 100

# The audit's export details, as the patient reads them (the detail is the clinic's own wording).
EXPORT_WORDS = [
    ("CSV", _("Exported in a list of requests (contact details and status, no health answers)")),
    ("JSON", _("Exported for an access request")),
    ("FHIR NDJSON", _("Exported with all requests, to move them to another system")),
    ("FHIR", _("Exported for a medical record system")),
]

ACTION_WORDS = {
    AuditEvent.Action.PHOTO_VIEW: _("Looked at one of your photos"),
    AuditEvent.Action.CHANGE: _("Changed who at the clinic handles your request"),
    AuditEvent.Action.NOTE: _("Added an internal note (notes are not shown here)"),
    AuditEvent.Action.PATIENT_CHANGE: _("You changed your request through your link"),
    AuditEvent.Action.DELETE: _("Deleted the request"),
}

# What the list cannot show: said on the page, in plain words.
NOT_RECORDED = _(
    "This list comes from the clinic's audit trail. It does not record the emails and reminders "
    "sent to you, phone calls, your request appearing as one line in staff lists, the day's "
    "schedule or a provider's calendar (these show your reference and time only), or backups. "
    "A role is the staff member's role today."
)


@dataclass
class AccessEntry:
    at: datetime.datetime
    who: str
    what: str


def staff_role(user):
    """The role a patient is told: the owner, or the staff member's roles, never their name."""
    if user is None:
        return ""
    if user.is_superuser:
        return str(_("the clinic's owner"))
    roles = [str(ROLE_LABELS[group.name]) for group in user.groups.all() if group.name in ROLE_LABELS]
    return ", ".join(roles) or str(_("a member of staff"))


def _who(user, by_patient, show_names):
    if by_patient:
        return str(_("you"))
    if user is None:
        return str(_("the system"))
    if show_names:
        return f"{actor_label(user)} ({staff_role(user)})"
    return staff_role(user)


def _what(event):
    if event.action == AuditEvent.Action.VIEW:
        if event.detail == "with health data":
            return str(_("Opened your request, with your health answers"))
        if event.detail == "without health data":
            return str(_("Opened your request, without your health answers"))
        return str(_("Opened your request"))
    if event.action == AuditEvent.Action.EXPORT:
        return next((str(words) for key, words in EXPORT_WORDS if key in event.detail), str(_("Exported")))
    if event.action in ACTION_WORDS:
        return str(ACTION_WORDS[event.action])
    # Kinds added since (aftercare's records, …): the audit's own label.
    return str(event.get_action_display())


def access_history(consultation, show_names=None):
    """The request's audit trail and status history as the patient reads it: (entries, more).

    entries: AccessEntry newest first, at most ACCESS_HISTORY_LIMIT; more: True when older ones
    were left out. Status changes come from the status history (labels in the reader's language),
    so the audit's own "changed status" rows are not listed twice. Never a note's text, a health
    answer or a staff name (unless CLINIC_SHOW_STAFF_NAMES_TO_PATIENTS).
    """
    if show_names is None:
        show_names = settings.CLINIC_SHOW_STAFF_NAMES_TO_PATIENTS
    events = (
        AuditEvent.objects.filter(consultation=consultation)
        .exclude(action=AuditEvent.Action.TRANSITION)
        .select_related("user")
        .prefetch_related("user__groups")
        .order_by("-at", "-pk")[: ACCESS_HISTORY_LIMIT + 1]
    )
    entries = [AccessEntry(e.at, _who(e.user, e.by_patient, show_names), _what(e)) for e in events]
    changes = (
        consultation.status_changes.select_related("by")
        .prefetch_related("by__groups")
        .exclude(from_status=F("to_status"))  # a patient's move: its audit row says it
        .order_by("-at", "-pk")[: ACCESS_HISTORY_LIMIT + 1]
    )
    for change in changes:
        what = _("Changed the status from “%(from)s” to “%(to)s”") % {
            "from": change.get_from_status_display(),
            "to": change.get_to_status_display(),
        }
        entries.append(AccessEntry(change.at, _who(change.by, change.by_patient, show_names), str(what)))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:ACCESS_HISTORY_LIMIT], len(entries) > ACCESS_HISTORY_LIMIT
