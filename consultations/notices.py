"""Every message the clinic sends: one function per message to a patient or to staff.

Each renders templates/emails/<name>.txt and .html (subject from <name>_subject.txt).
Messages carry the reference, the time and links only: no name, birth date, answers or
goals, because email is not a safe place for health data (tests/test_intake_emails.py and
test_logging_phi.py check it).

Queued by name, rendered when sent. Calling a notice (`notices.booking_confirmed(c)`) queues
the background task send_notice(name, request id, language, extra) after the surrounding
transaction commits, so a rolled-back change never mails anyone. The task looks the request
up, activates the language and only then builds the address, the self-service link and the
text. So a stored task (CLINIC_TASKS_BACKEND=database keeps them in DBTaskResult) holds no
address, link or body (issue 23, finding 3). `extra` holds plain, PHI-free values (a previous
status, a topic label, a count, a time) and is JSON.

A new notice: a function decorated with @patient_notice("name") or @staff_notice("name")
that takes the request (and keyword extras) and returns a Message; see docs/architecture.md.
A new channel (SMS) gets its transport module beside mail.py and is called from deliver().
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from clinic.formatting import absolute_url, clinic_address, clinic_phones, slot_when
from clinic.i18n import clinic_details

from . import ics, links, mail
from .availability import Slot, slot_label
from .models import ConsultationRequest, Status, WaitlistOffer

logger = logging.getLogger(__name__)

# name -> (renderer, audience): filled by the decorators below, read by the task.
NOTICES = {}


@dataclass
class Message:
    """What a renderer returns: rendered and sent by deliver(). `to` is filled in by the audience."""

    template: str
    context: dict = field(default_factory=dict)
    attachments: list = field(default_factory=list)  # (filename, bytes, mimetype)


def _patient_address(consultation):
    return consultation.email


def _staff_address(consultation):
    return settings.CLINIC_STAFF_EMAIL


def _patient_language(consultation):
    return consultation.language


def _staff_language(consultation):
    return settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Audience:
    address: object  # consultation -> email address, read when sent
    language: object  # consultation -> language code, read when queued
    base_context: object  # consultation -> context every message to it carries


def _notice(name, audience):
    def register(render):
        NOTICES[name] = (render, audience)

        def queue_notice(consultation, **extra):
            later(name, consultation, audience.language(consultation), extra)

        queue_notice.__name__ = queue_notice.__qualname__ = render.__name__
        queue_notice.__doc__ = render.__doc__
        queue_notice.notice_name = name
        queue_notice.render = render
        return queue_notice

    return register


def patient_notice(name):
    """A message to the patient, in the language they used (ConsultationRequest.language): the text,
    the time, the links and the calendar invitation, whoever sends it (staff, the worker, a timer)."""
    return _notice(name, PATIENT)


def staff_notice(name):
    """A message to the clinic's staff: in the site's language, whatever the patient's."""
    return _notice(name, STAFF)


def later(name, consultation, language, extra=None):
    """Queue send_notice after the surrounding transaction commits (never for a rolled-back write).

    Rendered in the worker, not here: the templates take longer than the writes, and on SQLite the
    transaction holds the one write lock every other submission waits for.
    """
    request_id, extra = consultation.pk, dict(extra or {})

    def enqueue():
        send_notice.enqueue(name, request_id, language, extra)

    transaction.on_commit(enqueue)


@task
def send_notice(name, request_id, language, extra=None):
    """Render and send one notice now, from the request as it is (purged requests get nothing)."""
    # Without its treatment: the receipt and the staff alert (every new request) never show it, and
    # the few notices that do (aftercare, check-ins, a recall) read it when they need it.
    consultation = ConsultationRequest.objects.filter(pk=request_id).first()
    if consultation is None:
        logger.info("event=notice_skipped notice=%s request_id=%s reason=missing", name, request_id)
        return
    deliver(name, consultation, language, **(extra or {}))


def deliver(name, consultation, language=None, **extra):
    """Render notice `name` for `consultation` in `language` and hand it to the mail transport."""
    render, audience = NOTICES[name]
    to = audience.address(consultation)
    if not to:  # e.g. a treating provider without an email address of their own
        logger.info("event=notice_skipped notice=%s request_id=%s reason=no_address", name, consultation.pk)
        return
    with translation.override(language or audience.language(consultation)):
        message = render(consultation, **extra)
        subject, text, html = compose(message.template, {**audience.base_context(consultation), **message.context})
    mail.send_email.call(
        to=[to],
        subject=subject,
        text=text,
        html=html,
        attachments=mail.encode_attachments(message.attachments),
    )


def compose(name, context):
    context = {
        "clinic": clinic_details(),
        "clinic_address": clinic_address(),
        "clinic_street_address": clinic_address(name=False),
        "site_url": absolute_url(),
        **context,
    }
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    return subject, text, html


def patient_context(consultation):
    """What a patient's message may say: the reference, the time and the self-service link. Nothing else."""
    slot = Slot.of(consultation)
    try:
        manage_url = absolute_url(links.manage_path(consultation), base=consultation.site_url)
    except NoReverseMatch:  # a site without the self-service pages: the email goes out without the link
        manage_url = ""
    return {
        "reference": consultation.reference,
        "when": slot_label(slot) if slot else "",
        "manage_url": manage_url,
        "site_url": absolute_url(base=consultation.site_url),
    }


def staff_context(consultation):
    return {"reference": consultation.reference, "admin_url": staff_link(consultation)}


def staff_link(consultation):
    return absolute_url(
        reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]), base=consultation.site_url
    )


PATIENT = Audience(_patient_address, _patient_language, patient_context)
STAFF = Audience(_staff_address, _staff_language, staff_context)
# The provider who treated the patient (after the visit): staff's language and context, their own address.
PROVIDER = Audience(lambda consultation: _provider_address(consultation), _staff_language, staff_context)


def invitation(consultation, method):
    """The calendar entry (.ics) as an attachment: REQUEST adds or moves it, CANCEL removes it (same UID)."""
    return ("consultation.ics", ics.build_ics(consultation, method), f"text/calendar; method={method}")


def _calendar_cancellation(consultation, previous):
    """A booked time sits in the patient's calendar: only then is there an entry to remove."""
    if previous != Status.APPROVED or consultation.slot_start is None:
        return []
    return [invitation(consultation, "CANCEL")]


# --- To the patient ---------------------------------------------------------------------------


@patient_notice("request_received")
def request_received(consultation):
    """The receipt for a new request, with the requested time (held until the clinic confirms it).
    A held time lapses unless the patient confirms it through the link (workflow.lapse_hold)."""
    return Message("request_received", {"confirm_hours": settings.CLINIC_HOLD_CONFIRM_HOURS})


@patient_notice("booking_confirmed")
def booking_confirmed(consultation):
    """ "Your consultation is booked", with a calendar invitation when there is a time."""
    attachments = [invitation(consultation, "REQUEST")] if consultation.slot_start is not None else []
    return Message("booking_confirmed", attachments=attachments)


@patient_notice("rescheduled")
def _rescheduled(consultation, old_start=None):
    """The time moved; a booked time's calendar entry moves with it."""
    attachments = [invitation(consultation, "REQUEST")] if consultation.status == Status.APPROVED else []
    old_when = slot_when(datetime.datetime.fromisoformat(old_start)) if old_start else ""
    return Message("rescheduled", {"old_when": old_when}, attachments)


def rescheduled(consultation, old_slot):
    # The old time travels as an ISO instant (JSON); its label is made in the patient's language when sent.
    _rescheduled(consultation, old_start=old_slot.start.isoformat() if old_slot else None)


@patient_notice("booking_cancelled")
def _cancelled_by_patient(consultation, previous):
    return Message("booking_cancelled", attachments=_calendar_cancellation(consultation, previous))


def cancelled_by_patient(consultation, previous):
    _cancelled_by_patient(consultation, previous=str(previous))


@patient_notice("booking_released")
def _released_by_patient(consultation, previous):
    """The patient released their time from the confirm-or-release reminder: thanks, the calendar
    entry removed."""
    return Message("booking_released", attachments=_calendar_cancellation(consultation, previous))


def released_by_patient(consultation, previous):
    _released_by_patient(consultation, previous=str(previous))


@patient_notice("needs_info")
def _needs_info(consultation, topic):
    """Staff ask for more; topic is a generic label (it goes into an email)."""
    return Message("needs_info", {"topic": topic})


def needs_info(consultation, topic):
    _needs_info(consultation, topic=str(topic))


@patient_notice("declined")
def _declined(consultation, previous):
    # The reason stays with the clinic: it is explained by phone, never in an email.
    return Message("declined", attachments=_calendar_cancellation(consultation, previous))


def declined(consultation, previous):
    _declined(consultation, previous=str(previous))


@patient_notice("no_show")
def no_show(consultation):
    return Message("no_show", {"book_url": absolute_url(reverse("consultations:new"), base=consultation.site_url)})


@patient_notice("cancelled_by_clinic")
def _cancelled_by_clinic(consultation, previous):
    return Message("cancelled_by_clinic", attachments=_calendar_cancellation(consultation, previous))


def cancelled_by_clinic(consultation, previous):
    _cancelled_by_clinic(consultation, previous=str(previous))


@patient_notice("reminder")
def _reminder(consultation):
    """With CLINIC_CONFIRM_HOURS on (issue 27), the reminder asks to confirm or release the time: its
    link opens the page with the two buttons (manage_attendance) through the link exchange."""
    attendance_url = _page_link(consultation, "attendance") if settings.CLINIC_CONFIRM_HOURS else ""
    return Message("reminder", {"attendance_url": attendance_url})


def reminder(consultation):
    """Send the reminder now: called from the reminder task, which already runs in the background."""
    deliver("reminder", consultation)


@patient_notice("book_again")
def _book_again(consultation):
    """ "Book again" (issue 27), at the treatment's interval after the visit: a link that opens the
    form with the contact details filled in. Nothing about the treatment or the visit itself."""
    book_url = absolute_url(links.book_again_path(consultation), base=consultation.site_url)
    return Message("book_again", {"book_url": book_url})


def book_again(consultation):
    """Send the book-again email now: called from the recall task, which already runs in the background."""
    deliver("book_again", consultation)


@patient_notice("hold_lapsed")
def _hold_lapsed(consultation, old_start=None):
    """The held time was released because the patient did not confirm it; the request stays."""
    old_when = slot_when(datetime.datetime.fromisoformat(old_start)) if old_start else ""
    return Message("hold_lapsed", {"old_when": old_when})


def hold_lapsed(consultation, old_slot):
    # Like rescheduled(): the old time travels as an ISO instant, labelled in the patient's language when sent.
    _hold_lapsed(consultation, old_start=old_slot.start.isoformat() if old_slot else None)


@patient_notice("waitlist_offer")
def _waitlist_offer(consultation, offer_id):
    """An earlier time is free: the one-click link to take it, and until when it is offered.
    The link names the offer (a signed id), never the request or the self-service token."""
    offer = WaitlistOffer.objects.get(pk=offer_id)
    path = reverse("consultations:waitlist_offer", kwargs={"token": offer.token})
    return Message(
        "waitlist_offer",
        {
            "offer_when": slot_when(offer.start),
            "offer_expires": slot_when(offer.expires_at),
            "offer_url": absolute_url(path, base=consultation.site_url),
        },
    )


def waitlist_offer(offer):
    """Queue the offer's email (after commit); the task carries the offer's id only."""
    _waitlist_offer(offer.entry.consultation, offer_id=offer.pk)


# --- To the clinic's staff ----------------------------------------------------------------------


@staff_notice("staff_new_request")
def staff_new_request(consultation):
    return Message("staff_new_request")


@staff_notice("patient_added_info")
def _staff_patient_added_info(consultation, photo_count=0):
    # The reference and how many photos came, no more; the text and photos are seen in the admin.
    return Message("patient_added_info", {"photo_count": photo_count})


def staff_patient_added_info(consultation, photo_count=0):
    _staff_patient_added_info(consultation, photo_count=int(photo_count))


@staff_notice("staff_hold_brake")
def staff_hold_brake(consultation, limit=0, minutes=0):
    """Many times were held in a short while: new requests are stored without a time for now.
    Sent once per brake window (booking.brake_notice_due); says the numbers, no patient data.
    consultation: the request that tripped it (only so the notice is queued like the others)."""
    return Message(
        "staff_hold_brake",
        {
            "limit": limit,
            "minutes": minutes,
            "queue_url": absolute_url(reverse("admin:index"), base=consultation.site_url),
        },
    )


# --- After the visit (issue 26) -------------------------------------------------------------------
# Like every message here: the reference, the days and links only. Never the product, the lot,
# the area or what the patient answered.


def _emergency_phone():
    return clinic_phones()["EMERGENCY_PHONE"]


def _page_link(consultation, page):
    """The emailed link to a self-service sub-page: /manage/<token>/<page>/, exchanged on opening
    (selfservice.exchange) for the visit cookie and the token-free manage_<page> address."""
    path = reverse("consultations:manage_exchange", kwargs={"token": links.make_token(consultation), "page": page})
    return absolute_url(path, base=consultation.site_url)


@patient_notice("aftercare")
def aftercare(consultation):
    """After the treatment is recorded: the link to the aftercare page, and the days we will ask how they are."""
    days = sorted(set(consultation.check_ins.filter(answered_at__isnull=True).values_list("day", flat=True)))
    return Message(
        "aftercare",
        {
            "aftercare_url": _page_link(consultation, "aftercare"),
            "check_in_days": days,
            "emergency_phone": _emergency_phone(),
        },
    )


@patient_notice("check_in")
def check_in(consultation, day):
    """Day N: "how are you?", with the link to the short form."""
    return Message(
        "check_in",
        {"day": day, "check_in_url": _page_link(consultation, "check-in"), "emergency_phone": _emergency_phone()},
    )


@patient_notice("recall_contact")
def recall_contact(consultation):
    """A product recall: "please contact us". Which product or lot is said by phone, not by email."""
    return Message("recall_contact")


@staff_notice("staff_urgent_check_in")
def _staff_urgent_check_in(consultation, again=False):
    return Message("staff_urgent_check_in", {"again": again})


@_notice("provider_urgent_check_in", PROVIDER)
def _provider_urgent_check_in(consultation):
    return Message("staff_urgent_check_in", {"again": False})


def staff_urgent_check_in(consultation, again=False):
    """A red-flag check-in answer: to the staff address and, the first time, to the provider who treated
    the patient (else the one it is assigned to), at once; again to the staff address while unopened."""
    _staff_urgent_check_in(consultation, again=bool(again))
    if not again:
        _provider_urgent_check_in(consultation)


def _treating_provider(consultation):
    record = consultation.treatment_records.select_related("injector__user").order_by("-given_at", "-pk").first()
    return record.injector.user if record is not None else consultation.assigned_to


def _provider_address(consultation):
    """The treating provider's address, unless they have none or it is the staff address (sent already)."""
    provider = _treating_provider(consultation)
    address = provider.email if provider is not None else ""
    return address if address and address != settings.CLINIC_STAFF_EMAIL else None
