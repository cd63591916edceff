"""'Who looked at my request': the request's audit trail as its patient reads it (issue 28).

Patient-side (its strings are in the Spanish catalogue; queries.py is staff-only for
makemessages). Roles, never staff names unless CLINIC_SHOW_STAFF_NAMES_TO_PATIENTS; never a
note's text, a health answer or an audit detail as staff wrote it.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, actor_label
from .permissions import CONTENT_EDITOR, FRONT_DESK, PROVIDER

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
