"""Every message the clinic sends: one function per message to a patient or to staff.

Each renders templates/emails/<name>.txt and .html (subject from <name>_subject.txt)
and queues it through the mail transport after the surrounding transaction commits,
so a rolled-back change never mails anyone. Messages carry the reference, the time and
links only: no name, birth date, answers or goals, because email is not a safe place
for health data (tests/test_intake_emails.py and test_logging_phi.py check it).

A new channel (SMS) gets its transport module beside mail.py and is called from here.
"""

import functools

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from clinic.formatting import absolute_url, clinic_address
from clinic.i18n import clinic_details

from . import ics, links, mail
from .availability import Slot, slot_label
from .models import Status


def to_patient(notice):
    """A message to the patient, in the language they used (ConsultationRequest.language): the text,
    the time, the links and the calendar invitation, whoever sends it (staff, the worker, a timer)."""

    @functools.wraps(notice)
    def in_patient_language(consultation, *args, **kwargs):
        with translation.override(consultation.language):
            return notice(consultation, *args, **kwargs)

    return in_patient_language


def to_staff(notice):
    """A message to the clinic's staff: in the site's language, whatever the patient's."""

    @functools.wraps(notice)
    def in_staff_language(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return notice(*args, **kwargs)

    return in_staff_language


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


def queue(name, to, context, attachments=()):
    """Render and send after the surrounding transaction commits (never for a rolled-back write).

    Rendered after the commit, not before: the templates take longer than the writes, and
    on SQLite the transaction holds the one write lock every other submission waits for.
    `context` must hold plain values (it is read after the commit).
    attachments: (filename, bytes, mimetype) triples.
    """
    encoded = mail.encode_attachments(attachments)
    # Rendered later, but in the language active now (the patient's or the staff's: to_patient/to_staff).
    language = translation.get_language()

    def send():
        with translation.override(language):
            subject, text, html = compose(name, context)
        mail.send_email.enqueue(to=[to], subject=subject, text=text, html=html, attachments=encoded)

    transaction.on_commit(send)


def patient_context(consultation):
    """What a patient's message may say: the reference, the time and the self-service link. Nothing else."""
    slot = Slot.of(consultation)
    return {
        "reference": consultation.reference,
        "when": slot_label(slot) if slot else "",
        "manage_url": absolute_url(links.manage_path(consultation), base=consultation.site_url),
        "site_url": absolute_url(base=consultation.site_url),
    }


def staff_link(consultation):
    return absolute_url(
        reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]), base=consultation.site_url
    )


def invitation(consultation, method):
    """The calendar entry (.ics) as an attachment: REQUEST adds or moves it, CANCEL removes it (same UID)."""
    return ("consultation.ics", ics.build_ics(consultation, method), f"text/calendar; method={method}")


def _calendar_cancellation(consultation, previous):
    """A booked time sits in the patient's calendar: only then is there an entry to remove."""
    if previous != Status.APPROVED or consultation.slot_start is None:
        return []
    return [invitation(consultation, "CANCEL")]


def _to_patient(consultation, name, attachments=(), **context):
    queue(name, consultation.email, {**patient_context(consultation), **context}, attachments=attachments)


# --- To the patient ---------------------------------------------------------------------------


@to_patient
def request_received(consultation):
    """The receipt for a new request."""
    try:
        manage_url = absolute_url(links.manage_path(consultation))
    except NoReverseMatch:  # the self-service pages are not there yet
        manage_url = ""
    # The requested time, if any, with its day: held until the clinic confirms it.
    slot = Slot.of(consultation)
    queue(
        "request_received",
        consultation.email,
        {"reference": consultation.reference, "manage_url": manage_url, "when": slot_label(slot) if slot else ""},
    )


@to_patient
def booking_confirmed(consultation):
    """ "Your consultation is booked", with a calendar invitation when there is a time."""
    attachments = [invitation(consultation, "REQUEST")] if consultation.slot_start is not None else []
    _to_patient(consultation, "booking_confirmed", attachments=attachments)


@to_patient
def rescheduled(consultation, old_slot):
    """The time moved; a booked time's calendar entry moves with it."""
    attachments = [invitation(consultation, "REQUEST")] if consultation.status == Status.APPROVED else []
    _to_patient(consultation, "rescheduled", attachments=attachments, old_when=slot_label(old_slot) if old_slot else "")


@to_patient
def cancelled_by_patient(consultation, previous):
    _to_patient(consultation, "booking_cancelled", attachments=_calendar_cancellation(consultation, previous))


@to_patient
def needs_info(consultation, topic):
    """Staff ask for more; topic is a generic label (it goes into an email)."""
    _to_patient(consultation, "needs_info", topic=topic)


@to_patient
def declined(consultation, previous):
    # The reason stays with the clinic: it is explained by phone, never in an email.
    _to_patient(consultation, "declined", attachments=_calendar_cancellation(consultation, previous))


@to_patient
def no_show(consultation):
    _to_patient(consultation, "no_show", book_url=absolute_url(reverse("consultations:new")))


@to_patient
def cancelled_by_clinic(consultation, previous):
    _to_patient(consultation, "cancelled_by_clinic", attachments=_calendar_cancellation(consultation, previous))


@to_patient
def reminder(consultation):
    """Send the reminder now: called from the reminder task, which already runs in the background."""
    subject, text, html = compose("reminder", patient_context(consultation))
    mail.send_email.call(to=[consultation.email], subject=subject, text=text, html=html)


# --- To the clinic's staff ----------------------------------------------------------------------


@to_staff
def staff_new_request(consultation):
    queue(
        "staff_new_request",
        settings.CLINIC_STAFF_EMAIL,
        {
            "reference": consultation.reference,
            "admin_url": staff_link(consultation),
        },
    )


@to_staff
def staff_patient_added_info(consultation, photo_count=0):
    # The reference and how many photos came, no more; the text and photos are seen in the admin.
    queue(
        "patient_added_info",
        settings.CLINIC_STAFF_EMAIL,
        {"reference": consultation.reference, "photo_count": photo_count, "admin_url": staff_link(consultation)},
    )


# --- After the visit (issue 26) -------------------------------------------------------------------
# Like every message here: the reference, the days and links only. Never the product, the lot,
# the area or what the patient answered.


def _aftercare_url(consultation, name="consultations:aftercare"):
    path = reverse(name, kwargs={"token": links.make_token(consultation)})
    return absolute_url(path, base=consultation.site_url)


@to_patient
def aftercare(consultation):
    """After the treatment is recorded: the link to the aftercare page, and the days we will ask how they are."""
    days = sorted(set(consultation.check_ins.filter(answered_at__isnull=True).values_list("day", flat=True)))
    _to_patient(
        consultation,
        "aftercare",
        aftercare_url=_aftercare_url(consultation),
        check_in_days=days,
        emergency_phone=settings.CLINIC["EMERGENCY_PHONE"],
    )


@to_patient
def check_in(consultation, day):
    """Day N: "how are you?", with the link to the short form."""
    _to_patient(
        consultation,
        "check_in",
        day=day,
        check_in_url=_aftercare_url(consultation, "consultations:check_in"),
        emergency_phone=settings.CLINIC["EMERGENCY_PHONE"],
    )


@to_patient
def recall_contact(consultation):
    """A product recall: "please contact us". Which product or lot is said by phone, not by email."""
    _to_patient(consultation, "recall_contact")


@to_staff
def staff_urgent_check_in(consultation, again=False):
    """A red-flag check-in answer: to the staff address and, the first time, to the provider who treated
    the patient (else the one it is assigned to), at once; again to the staff address while unopened."""
    context = {"reference": consultation.reference, "admin_url": staff_link(consultation), "again": again}
    recipients = [settings.CLINIC_STAFF_EMAIL]
    provider = _treating_provider(consultation)
    if not again and provider is not None and provider.email and provider.email not in recipients:
        recipients.append(provider.email)
    for to in recipients:
        queue("staff_urgent_check_in", to, context)


def _treating_provider(consultation):
    record = consultation.treatment_records.select_related("injector__user").order_by("-given_at", "-pk").first()
    return record.injector.user if record is not None else consultation.assigned_to
