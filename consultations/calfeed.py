"""A provider's calendar subscription: their held and booked times as an iCalendar feed.

GET /calendar/<secret>.ics, for Google Calendar, Apple Calendar and Outlook to poll. The secret
is the only key (calendar apps cannot sign in), so the feed says as little as it can: the
reference, the status and a link to the staff request page (which asks for a sign-in). Never a
patient's name, email, phone, treatment or answer: calendars are synced to phones and shared.

Times leave the feed when they stop being held (cancelled, declined, expired); UIDs are stable
per request so a moved time moves the entry. Calendar apps are asked to poll every minute and
the response may be kept 60 seconds at most. Only the secret's hash is stored (ProviderFeed);
the URL is masked in logs (clinic/logging.py).
"""

import datetime

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from icalendar import Calendar, Event

from clinic import absolute, conf

from .models import ConsultationRequest, ProviderFeed

# Past times stay this long, so today's and yesterday's visits are still there to open.
KEEP_PAST = datetime.timedelta(days=14)
REFRESH = datetime.timedelta(minutes=1)
MAX_AGE_SECONDS = 60


def feed_url(token):
    return absolute.site_url(reverse("calendar_feed", kwargs={"token": token}))


def uid(consultation):
    # Not the patient's invitation UID (ics.uid): the two calendars are different people's.
    return f"feed-{consultation.reference}@clinic"


def feed_times(provider, now=None):
    """The provider's times still held or booked, from KEEP_PAST ago on. Reads no patient field."""
    now = now or timezone.now()
    return (
        ConsultationRequest.objects.holding()
        .filter(provider=provider, slot_start__gte=now - KEEP_PAST)
        .only("pk", "reference", "status", "slot_start", "slot_end", "updated_at", "reschedule_count")
        .order_by("slot_start")
    )


def build_feed(provider, now=None):
    """The iCalendar (RFC 5545) bytes of the provider's feed."""
    now = now or timezone.now()
    clinic = conf.clinic()
    calendar = Calendar()
    calendar.add("prodid", f"-//{clinic['NAME']}//Provider calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{clinic['NAME']}: {provider.display_name}")
    # RFC 7986 REFRESH-INTERVAL and Outlook's X-PUBLISHED-TTL: poll every minute.
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1M")
    for consultation in feed_times(provider, now):
        status = consultation.get_status_display()
        link = absolute.site_url(
            reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]),
        )
        event = Event()
        event.add("uid", uid(consultation))
        event.add("dtstamp", now.astimezone(datetime.UTC))
        event.add("last-modified", consultation.updated_at.astimezone(datetime.UTC))
        event.add("dtstart", consultation.slot_start.astimezone(datetime.UTC))
        event.add("dtend", consultation.slot_end.astimezone(datetime.UTC))
        event.add("sequence", consultation.reschedule_count)
        event.add("status", "CONFIRMED" if consultation.status == "approved" else "TENTATIVE")
        event.add(
            "summary",
            _("Consultation %(reference)s (%(status)s)") % {"reference": consultation.reference, "status": status},
        )
        event.add("description", f"{consultation.reference} · {status}\n{link}")
        event.add("url", link)
        event.add("class", "PRIVATE")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


@require_http_methods(["GET", "HEAD"])
def feed(request, token):
    """The feed the secret opens; 404 for an unknown, rotated or revoked secret."""
    found = ProviderFeed.objects.for_token(token)
    if found is None:
        raise Http404
    response = HttpResponse(build_feed(found.provider), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = f"private, max-age={MAX_AGE_SECONDS}"
    response["Content-Disposition"] = 'inline; filename="consultations.ics"'
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
