"""Calendar invitations (.ics) for booked consultations.

An invitation says where and when, and nothing about why: no treatment, no
name, no health data, because calendars are synced and shared widely.
The UID is stable per request so a moved or cancelled booking updates the
entry the patient already has; SEQUENCE grows with every change.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress

from clinic import conf
from clinic.formatting import clinic_address, clinic_phones

METHODS = {"REQUEST": "CONFIRMED", "CANCEL": "CANCELLED"}


def uid(consultation):
    return f"{consultation.reference}@clinic"


def sequence(consultation, method="REQUEST"):
    # Each move increments reschedule_count, so a later invitation always outranks an earlier one;
    # a cancellation outranks the last invitation.
    return consultation.reschedule_count + (1 if method == "CANCEL" else 0)


def build_ics(consultation, method="REQUEST"):
    """The iCalendar (RFC 5545/5546) bytes inviting to, or cancelling, the request's held time."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    if consultation.slot_start is None:
        raise ValueError("The request holds no time.")
    clinic = conf.clinic()

    calendar = Calendar()
    calendar.add("prodid", f"-//{clinic['NAME']}//Consultations//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = Event()
    event.add("uid", uid(consultation))
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", consultation.slot_start.astimezone(datetime.UTC))
    event.add("dtend", consultation.slot_end.astimezone(datetime.UTC))
    event.add("sequence", sequence(consultation, method))
    event.add("status", METHODS[method])
    event.add("summary", _("Consultation at %(clinic)s") % {"clinic": clinic["NAME"]})
    event.add("location", clinic_address(country=True))
    event.add(
        "description",
        _("Reference %(reference)s. To change or cancel, use the link in your email or call %(phone)s.")
        % {"reference": consultation.reference, "phone": clinic_phones()["PHONE"]},
    )
    organizer = vCalAddress(f"mailto:{clinic['EMAIL']}")
    organizer.params["cn"] = clinic["NAME"]
    event.add("organizer", organizer)
    # iTIP needs the attendee for calendars to treat this as an invitation; the address only, no name.
    event.add("attendee", f"mailto:{consultation.email}", parameters={"ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE"})
    calendar.add_component(event)
    return calendar.to_ical()
