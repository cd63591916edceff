"""The intake use case: a valid intake form becomes a stored request, its screening and its notices."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from clinic import absolute
from clinic.formatting import clinic_today

from . import booking, notices, waitlist
from .models import ConsultationRequest, Flag, FlagKind, Photo, ScreeningAnswer

logger = logging.getLogger(__name__)

FLAG_REASON_LENGTH = Flag._meta.get_field("reason").max_length


def screening_flags(*, age, pregnancy, answers, labeled_min_age=None):
    """Unsaved Flags for a set of answers. answers: (precaution, "yes" | "no" | "unsure") pairs.

    "Yes" raises the precaution's own kind; "Not sure" always asks the provider to discuss it.
    labeled_min_age: the treatment's (Treatment.labeled_min_age); younger patients are discussed.
    """
    flags = []
    if labeled_min_age and age < labeled_min_age:
        flags.append(
            Flag(
                kind=FlagKind.DISCUSS,
                reason=gettext(
                    "Age %(age)d: safety and effectiveness are not established under %(min_age)d in the labeling."
                )
                % {"age": age, "min_age": labeled_min_age},
            )
        )
    if pregnancy in (ScreeningAnswer.Answer.YES, ScreeningAnswer.Answer.UNSURE):
        flags.append(Flag(kind=FlagKind.DISCUSS, reason=gettext("Pregnancy or breastfeeding: safety not established")))
    for precaution, answer in answers:
        if answer == ScreeningAnswer.Answer.YES:
            flags.append(Flag(kind=precaution.kind, reason=precaution.description[:FLAG_REASON_LENGTH]))
        elif answer == ScreeningAnswer.Answer.UNSURE:
            reason = gettext("Not sure: %(precaution)s") % {"precaution": precaution.description}
            flags.append(Flag(kind=FlagKind.DISCUSS, reason=reason[:FLAG_REASON_LENGTH]))
    return flags


def record_screening(consultation, answers, flags):
    """Store the answers as they were asked (a snapshot of each question) and the flags they raised.

    answers: (precaution, answer) pairs in the order asked; flags: unsaved, from screening_flags().
    """
    ScreeningAnswer.objects.bulk_create(
        ScreeningAnswer(
            consultation=consultation,
            precaution=precaution,
            question=precaution.question,
            answer=answer,
            flag_kind=precaution.kind,
            order=order,
        )
        for order, (precaution, answer) in enumerate(answers)
    )
    for flag in flags:
        flag.consultation = consultation
    Flag.objects.bulk_create(flags)


def worst_kind(flags):
    return max((flag.kind for flag in flags), key=FlagKind.severity, default="")


@sensitive_variables()
@transaction.atomic
def submit_request(form, client="", ip=None):
    """Store a valid intake form as a new request with its answers, flags and photos; queue the two emails.

    client: who sent it (clinic.clientip.client_key), for the per-client cap on held times.
    ip: the sender's address (clinic.clientip.client_ip), kept with an accepted cancellation policy.
    Raises IntegrityError when the same form (submission token) was already stored, and
    booking.SlotTaken / SlotUnavailable when the chosen time went to someone else first.
    """
    data = form.cleaned_data
    consultation = form.save(commit=False)
    consultation.submission_token = form.submission_token
    consultation.areas = [area.name for area in data["areas"]]
    consultation.consent_version = form.notice.version
    consultation.consent_sha256 = form.notice.sha256
    consultation.consented_at = timezone.now()
    # For links in messages sent later without a request (reminders), when CLINIC_SITE_URL is unset.
    consultation.site_url = absolute.request_base()
    consultation.client_hash = booking.client_hash(client) if client else ""

    # The language of the page the patient filled in: their later pages and messages follow it.
    consultation.language = translation.get_language() or settings.LANGUAGE_CODE
    # For staff: questions not yet signed, or asked in English to a Spanish reader (call in Spanish).
    consultation.questions_unsigned, consultation.questions_language = form.questions.unsigned, form.questions.language
    answers = form.screening_answers()
    # Flags are for staff, so in the staff's language; the answers keep the questions as asked.
    with translation.override(settings.LANGUAGE_CODE):
        flags = screening_flags(
            age=consultation.age_on(clinic_today()),
            pregnancy=consultation.pregnancy,
            answers=answers,
            # As a medical reviewer approved it, like the questions: an editor's unreviewed change
            # to the live field (clearing it, say) must not turn the age flag off.
            labeled_min_age=form.questions.labeled_min_age,
        )
    consultation.worst_flag = worst_kind(flags)
    slot = data.get("preferred_time")
    if slot and form.policy is not None:
        # The cancellation policy accepted with the chosen time (issue 27): the clinic's evidence.
        consultation.accept_policy(form.policy, consultation.consented_at, ip)
    refusal = booking.hold_refusal(consultation) if slot else ""
    if refusal:
        # Over a cap, or many times held in a short while: stored all the same, without a time
        # ("no preference"); the page tells the patient, and the clinic calls to agree one.
        consultation.unheld_time = slot.start
        slot = None
    if slot:
        # Inserts the request holding the time; raises booking.SlotTaken when someone else
        # got it first, which rolls back everything this function wrote.
        booking.hold(consultation, slot)
    else:
        consultation.save()

    record_screening(consultation, answers, flags)
    for photo in data["photos"]:
        Photo.objects.create(
            consultation=consultation,
            image=photo.as_file(),
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
        )

    if data.get("waitlist"):
        waitlist.join(consultation, days=data["waitlist_days"], parts=data["waitlist_parts"])
    notify_received(consultation)
    if refusal == "brake" and booking.brake_notice_due():
        limit, window = booking.hold_brake()
        notices.staff_hold_brake(consultation, limit=limit, minutes=window // 60)
    # Nothing derived from the answers (not even whether they raised a flag): logs are not for health data.
    logger.info("consultation request received reference=%s", consultation.reference)
    return consultation


def find_duplicate(form):
    """The request this very form (same submission token) already created, if any.

    Only its id is read: every POST asks, and the confirmation needs no more (three times
    cheaper than reading the whole row)."""
    if form.token_invalid:
        return None
    return ConsultationRequest.objects.submitted_with(form.submission_token).only("pk").first()


def notify_received(consultation):
    """The patient's receipt and the staff alert: reference and links only, never health data.

    Anyone can type any address into the form, so receipts to one address are bounded like the
    holds: while it has more than CLINIC_HOLDS_PER_EMAIL open requests, no further receipt goes
    to it (the sender still sees the reference on the confirmation page; staff see the request)."""
    cap = settings.CLINIC_HOLDS_PER_EMAIL
    if not cap or ConsultationRequest.objects.active().filter(email__iexact=consultation.email).count() <= cap:
        notices.request_received(consultation)
    notices.staff_new_request(consultation)
