"""After the visit (issue 26): the treatment record, aftercare, check-ins, complications, lot recall.

Use cases, like intake.py and booking.py: the staff views, the self-service pages and the
timers (send_check_ins, escalate_check_ins) call these. The request's urgent mark is changed
by workflow.py only (it owns every change of a request's state and writes the audit row);
messages come from notices.py, PHI-free. Everything that depends on "now" takes it explicitly.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from education.models import Section

from . import notices, workflow
from .models import (
    AuditEvent,
    CheckIn,
    Complication,
    FollowUpPlan,
    InvalidTransition,
    Status,
    TreatmentRecord,
    TreatmentRecordRevision,
    normalise_lot,
)

# An urgent check-in no provider has opened is sent to the staff address again after this long.
RESEND_AFTER = datetime.timedelta(minutes=30)


class NotCompleted(InvalidTransition):
    """A treatment is recorded on a completed consultation only."""


# --- What the reviewed content offers ----------------------------------------------------------


def approved_products(treatment):
    """(products, areas) from the treatment's approved page: what a provider may record as given."""
    page = treatment.public_page() or {}
    products, areas = [], []
    for section in page.get("sections", ()):
        if section.get("kind") != Section.Kind.AREAS:
            continue
        for record in section.get("records", ()):
            if record.get("product") and record["product"] not in products:
                products.append(record["product"])
            if record.get("name") and record["name"] not in areas:
                areas.append(record["name"])
    return products or [treatment.name], areas


def aftercare_content(treatment, language):
    """The approved aftercare and "Get help at once" sections in the patient's language (else the
    approved English page): {"aftercare": section or None, "get_help": section or None, "language"}."""
    page, shown, _review = treatment.public_version(language)
    sections = {section["kind"]: section for section in (page or {}).get("sections", ())}
    return {
        "aftercare": sections.get(Section.Kind.AFTERCARE),
        "get_help": sections.get(Section.Kind.GET_HELP),
        "language": shown,
        "name": (page or {}).get("name", treatment.name),
    }


# --- The treatment record ------------------------------------------------------------------------


def _revision(record, by, at, reason=""):
    return TreatmentRecordRevision.objects.create(
        record=record, number=record.revision, data=record.snapshot(), by=by, at=at, reason=reason
    )


def schedule_check_ins(record, now):
    """One check-in per day of the treatment's plan, counted from when it was given. Days already
    past when it is recorded (a late entry) are not asked: the question would come too late."""
    created = []
    for day in FollowUpPlan.days_for(record.consultation.treatment):
        due = record.given_at + datetime.timedelta(days=day)
        if due < now - datetime.timedelta(days=CheckIn.NO_ANSWER_DAYS):
            continue
        created.append(CheckIn.objects.create(consultation=record.consultation, record=record, day=day, due_at=due))
    return created


@transaction.atomic
def record_treatment(consultation, *, by, now, ip=None, **values):
    """A provider records what was given; the patient gets the aftercare email. Raises NotCompleted."""
    if consultation.status != Status.COMPLETED:
        raise NotCompleted(_("A treatment can be recorded once the consultation is marked completed."))
    values["lot_number"] = normalise_lot(values["lot_number"])
    record = TreatmentRecord.objects.create(consultation=consultation, recorded_by=by, recorded_at=now, **values)
    _revision(record, by, now)
    schedule_check_ins(record, now)
    AuditEvent.log(AuditEvent.Action.TREATMENT, consultation, user=by, ip=ip, detail=f"recorded treatment {record.pk}")
    notices.aftercare(consultation)
    return record


@transaction.atomic
def correct_treatment(record, *, by, now, reason, ip=None, **values):
    """A correction: the record takes the new values, the old version stays as a revision."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("A correction needs its reason.")
    record = TreatmentRecord.objects.select_for_update().get(pk=record.pk)
    if "lot_number" in values:
        values["lot_number"] = normalise_lot(values["lot_number"])
    moved = "given_at" in values and values["given_at"] != record.given_at
    for name, value in values.items():
        setattr(record, name, value)
    record.revision += 1
    record.save()
    _revision(record, by, now, reason=reason[:300])
    if moved:
        # Check-ins not asked yet follow the corrected date.
        for check_in in record.check_ins.filter(invited_at__isnull=True):
            check_in.due_at = record.given_at + datetime.timedelta(days=check_in.day)
            check_in.save(update_fields=["due_at"])
    AuditEvent.log(
        AuditEvent.Action.TREATMENT,
        record.consultation,
        user=by,
        ip=ip,
        detail=f"corrected treatment {record.pk} (version {record.revision})",
    )
    return record


# --- Check-ins -------------------------------------------------------------------------------------


def claim_invitation(pk, now):
    """Mark a check-in as asked with a conditional UPDATE: of two overlapping runs only one asks."""
    return bool(CheckIn.objects.filter(pk=pk, invited_at__isnull=True).update(invited_at=now))


def invite_due(now):
    """Ask every due check-in once (the send_check_ins timer); returns how many were sent.
    A request purged or closed otherwise is simply gone: nothing to ask."""
    sent = 0
    for check_in in CheckIn.objects.to_invite(now).select_related("consultation"):
        if claim_invitation(check_in.pk, now):
            notices.check_in(check_in.consultation, day=check_in.day)
            sent += 1
    return sent


def current_check_in(consultation, now):
    """The check-in the patient's link leads to: the one most recently due (None before day N).
    Open while unanswered; an older one nobody answered stays a "no answer" row for staff."""
    return consultation.check_ins.filter(due_at__lte=now).order_by("-due_at", "-pk").first()


@transaction.atomic
def answer_check_in(check_in, *, feeling, signs, note, now):
    """The patient's answer. Any warning sign is a red flag: the request becomes urgent and the
    provider and the staff address are told at once. Returns the check-in (urgent or not)."""
    check_in = CheckIn.objects.select_for_update().get(pk=check_in.pk)
    if check_in.answered_at is not None:
        raise InvalidTransition(_("This check-in has been answered already."))
    check_in.feeling, check_in.signs, check_in.note = feeling, list(signs), note
    check_in.answered_at = now
    check_in.invited_at = check_in.invited_at or now
    check_in.urgent = bool(check_in.signs)
    if check_in.urgent:
        check_in.staff_alerted_at, check_in.staff_alerts = now, 1
    check_in.save()
    consultation = check_in.consultation
    AuditEvent.log(
        AuditEvent.Action.PATIENT_CHANGE, consultation, detail=f"answered day-{check_in.day} check-in", by_patient=True
    )
    if check_in.urgent:
        workflow.mark_urgent(consultation, now)
        notices.staff_urgent_check_in(consultation)
    return check_in


def note_opened(consultation, user, now):
    """A provider opened the request: its urgent check-ins have been seen (no more resends)."""
    return CheckIn.objects.filter(consultation=consultation, urgent=True, opened_at__isnull=True).update(
        opened_at=now, opened_by=user
    )


def escalate_unopened(now):
    """Send unopened urgent check-ins to the staff address again (the escalate_check_ins timer).
    Claimed with a conditional UPDATE, so overlapping runs send each once; returns how many."""
    sent = 0
    for check_in in CheckIn.objects.unopened_urgent(now, RESEND_AFTER).select_related("consultation"):
        claimed = CheckIn.objects.filter(
            pk=check_in.pk, opened_at__isnull=True, staff_alerted_at=check_in.staff_alerted_at
        ).update(staff_alerted_at=now, staff_alerts=check_in.staff_alerts + 1)
        if claimed:
            notices.staff_urgent_check_in(check_in.consultation, again=True)
            sent += 1
    return sent


# --- Complications -------------------------------------------------------------------------------


@transaction.atomic
def log_complication(consultation, *, by, now, ip=None, **values):
    complication = Complication.objects.create(consultation=consultation, recorded_by=by, recorded_at=now, **values)
    AuditEvent.log(
        AuditEvent.Action.COMPLICATION, consultation, user=by, ip=ip, detail=f"recorded complication {complication.pk}"
    )
    return complication


# --- Lot recall ------------------------------------------------------------------------------------


def lot_patients(lot):
    """One row per treatment with this lot: the record, its request (reference, name, phone, date)."""
    if not normalise_lot(lot):
        return []
    return list(TreatmentRecord.objects.with_lot(lot))


@transaction.atomic
def contact_for_recall(consultations, *, by, ip=None):
    """ "Please contact us", once per request, in the patient's language; each one audited."""
    sent = 0
    for consultation in {c.pk: c for c in consultations}.values():
        notices.recall_contact(consultation)
        AuditEvent.log(AuditEvent.Action.CONTACT, consultation, user=by, ip=ip, detail="lot recall: asked to call us")
        sent += 1
    return sent


# --- Retention: what an access request hands over -------------------------------------------------


def export_data(consultation):
    """The treatment records (with every version), check-ins and complications of a request."""
    return {
        "treatments": [
            {
                **record.snapshot(),
                "recorded_at": record.recorded_at,
                "versions": [
                    {"number": v.number, "at": v.at, "reason": v.reason, "data": v.data} for v in record.revisions.all()
                ],
            }
            for record in consultation.treatment_records.all()
        ],
        "check_ins": [
            {
                "day": c.day,
                "due": c.due_at,
                "asked": c.invited_at,
                "answered": c.answered_at,
                "feeling": c.feeling,
                "warning_signs": c.signs,
                "note": c.note,
            }
            for c in consultation.check_ins.all()
        ],
        "complications": [
            {
                "type": c.kind,
                "onset": c.onset_at,
                "description": c.description,
                "actions": c.actions,
                "action_details": c.action_details,
                "outcome": c.outcome,
                "seriousness": c.seriousness,
                "recorded_at": c.recorded_at,
            }
            for c in consultation.complications.all()
        ],
    }
