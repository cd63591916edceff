"""FHIR R4 export: one consultation request as a Bundle an EHR can read (Medplum, OpenEMR, Ottehr).

A pure builder: build_bundle(consultation) returns a plain dict (JSON-ready) and neither
audits nor logs; the callers (the staff download, `manage.py export_fhir`) audit every export.

What the Bundle holds (type "collection", one per request):
- Patient: name, email, phone, birth date, language; identifier = the request's reference.
- Practitioner: the provider whose time is held, if any (display name and credentials).
- Questionnaire: the screening questions exactly as this patient saw them (the snapshot stored
  with the answers), plus the goals and health fields of the form. Versioned: its canonical url is
  per treatment and its version is the fingerprint of the medical approval that signed those
  questions (TreatmentReview.fingerprint) when the snapshot matches one, else a digest of the
  questions themselves, so a response always points at the exact questions (url|version).
- QuestionnaireResponse: the answers (screening, goals, medications, allergies, pregnancy,
  information added later), pointing at that Questionnaire version.
- Appointment: the held or booked time (only when the request has one).
- Consent: the privacy notice version and its SHA-256, and when the patient agreed.
- DocumentReference per photo: metadata and the staff URL of the image (audited when opened);
  never the image itself.

- Procedure per treatment record and AdverseEvent per complication (after the visit).

Where more goes: each resource comes from one contributor function in CONTRIBUTORS (ctx → list
of resource dicts); see docs/architecture.md.
Validated in tests with fhir.resources (its R4B models: the same shape as R4 for every
resource used here).
"""

import datetime
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _  # build_bundle() has the patient's language active

from clinic import absolute
from education.models import TreatmentReview

from .models import ConsultationRequest, ScreeningAnswer, Status

ANSWER_SYSTEM_PATH = "/fhir/CodeSystem/screening-answer"

# Our statuses as FHIR R4 Appointment.status.
APPOINTMENT_STATUS = {
    Status.NEW: "pending",
    Status.TRIAGED: "pending",
    Status.NEEDS_INFO: "pending",
    Status.APPROVED: "booked",
    Status.COMPLETED: "fulfilled",
    Status.NO_SHOW: "noshow",
    Status.DECLINED: "cancelled",
    Status.CANCELLED: "cancelled",
    Status.EXPIRED: "cancelled",
}


@dataclass
class Context:
    """What every contributor needs: the request, the site's address, and the ids already given."""

    consultation: object
    base: str
    answers: list = field(default_factory=list)
    questionnaire_version: str = ""
    approval: object = None

    def ref(self, resource_type, resource_id):
        return {"reference": f"{resource_type}/{resource_id}"}

    @property
    def patient_id(self):
        return f"request-{self.consultation.reference}"

    @property
    def patient(self):
        return self.ref("Patient", self.patient_id)

    def system(self, name):
        """A code system or identifier namespace of this clinic (a URI under its site address)."""
        return f"{self.base}/fhir/{name}"


def _instant(value):
    """An aware datetime as a FHIR instant (UTC, whole seconds)."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- The questions ------------------------------------------------------------------------


def questions_digest(consultation, answers):
    """A digest of exactly what was asked: the treatment, the language and each question with its kind.

    Only the snapshot stored with the answers (never the precaution it came from, which may be
    edited or deleted later), so the digest of a request never changes."""
    asked = [[a.question, a.flag_kind] for a in answers]
    said = {"treatment": consultation.treatment_id, "language": consultation.language, "screening": asked}
    return hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()


def matching_approval(consultation, answers):
    """The medical approval in force when the request was sent whose signed screening questions are
    the ones stored with the answers (in the patient's language, else the English page's), or None."""
    asked = [a.question for a in answers]
    candidates = TreatmentReview.objects.filter(
        treatment_id=consultation.treatment_id,
        language__in={consultation.language, settings.LANGUAGE_CODE},
        approved_at__lte=consultation.created_at,
    ).defer("content")  # screening() reads (and caches) the questions alone
    candidates = candidates.order_by("-approved_at", "-pk")
    for language in (consultation.language, settings.LANGUAGE_CODE):
        review = next((r for r in candidates if r.language == language), None)
        if review is None:
            continue
        signed = review.screening() or []
        if [record["question"] for record in signed] == asked:
            return review
    return None


def _answer_coding(ctx, value):
    label = ScreeningAnswer.Answer(value).label
    return {"system": ctx.base + ANSWER_SYSTEM_PATH, "code": value, "display": str(label)}


def _choice_options(ctx):
    return [{"valueCoding": _answer_coding(ctx, value)} for value in ScreeningAnswer.Answer.values]


def _label(name):
    return str(ConsultationRequest._meta.get_field(name).verbose_name).capitalize()


def questionnaire_items(ctx):
    screening = [
        {
            "linkId": f"screening-{position}",
            "text": answer.question,
            "type": "choice",
            "required": True,
            "answerOption": _choice_options(ctx),
        }
        for position, answer in enumerate(ctx.answers, start=1)
    ]
    return [
        {
            "linkId": "goals",
            "text": str(_("Your goals")),
            "type": "group",
            "item": [
                {"linkId": "treatment", "text": _label("treatment"), "type": "string", "required": True},
                {"linkId": "areas", "text": _label("areas"), "type": "string", "repeats": True},
                {"linkId": "goals-text", "text": _label("goals"), "type": "text", "required": True},
                {"linkId": "previous-treatments", "text": _label("previous_treatments"), "type": "text"},
            ],
        },
        {
            "linkId": "health",
            "text": str(_("Your health")),
            "type": "group",
            "item": [
                {"linkId": "medications", "text": _label("medications"), "type": "text"},
                {"linkId": "allergies", "text": _label("allergies"), "type": "text"},
                {
                    "linkId": "pregnancy",
                    "text": _label("pregnancy"),
                    "type": "choice",
                    "answerOption": _choice_options(ctx),
                },
                *screening,
            ],
        },
        {
            "linkId": "information-added",
            "text": str(_("Information added later")),
            "type": "text",
            "repeats": True,
        },
    ]


def questionnaire_url(ctx):
    return ctx.system(f"Questionnaire/screening-{ctx.consultation.treatment_id}")


def questionnaire_id(ctx):
    return f"screening-{ctx.consultation.treatment_id}-{ctx.questionnaire_version[:40]}"


def questionnaire(ctx):
    consultation = ctx.consultation
    resource = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(ctx),
        "url": questionnaire_url(ctx),
        "version": ctx.questionnaire_version,
        "name": "ConsultationScreening",
        "title": f"{consultation.treatment.name}: {_('consultation request')}",
        "status": "active",
        "subjectType": ["Patient"],
        "language": consultation.language,
        "item": questionnaire_items(ctx),
    }
    if ctx.approval is not None:
        # Who signed these questions, and when: the medical approval's own record.
        resource["date"] = _instant(ctx.approval.approved_at)
        resource["approvalDate"] = ctx.approval.reviewed_on.isoformat()
        resource["publisher"] = ctx.approval.byline
        resource["identifier"] = [{"system": ctx.system("sid/treatment-approval"), "value": str(ctx.approval.pk)}]
    return [resource]


def _text_answer(value):
    return [{"valueString": value}] if value else []


def _item(link_id, answers):
    return {"linkId": link_id, "answer": answers} if answers else None


def questionnaire_response(ctx):
    consultation = ctx.consultation
    screening = [
        _item(f"screening-{position}", [{"valueCoding": _answer_coding(ctx, answer.answer)}])
        for position, answer in enumerate(ctx.answers, start=1)
    ]
    goals = [
        _item("treatment", [{"valueString": consultation.treatment.name}]),
        _item("areas", [{"valueString": area} for area in consultation.areas or [] if area]),
        _item("goals-text", _text_answer(consultation.goals)),
        _item("previous-treatments", _text_answer(consultation.previous_treatments)),
    ]
    health = [
        _item("medications", _text_answer(consultation.medications)),
        _item("allergies", _text_answer(consultation.allergies)),
        _item(
            "pregnancy",
            [{"valueCoding": _answer_coding(ctx, consultation.pregnancy)}]
            if consultation.pregnancy in ScreeningAnswer.Answer.values
            else [],
        ),
        *screening,
    ]
    added = _item(
        "information-added", [{"valueString": info.text} for info in consultation.additional_info.all() if info.text]
    )
    items = [
        {"linkId": "goals", "item": [i for i in goals if i]},
        {"linkId": "health", "item": [i for i in health if i]},
        added,
    ]
    return [
        {
            "resourceType": "QuestionnaireResponse",
            "id": f"request-{consultation.reference}",
            "identifier": {"system": ctx.system("sid/consultation-reference"), "value": consultation.reference},
            "questionnaire": f"{questionnaire_url(ctx)}|{ctx.questionnaire_version}",
            "status": "completed",
            "subject": ctx.patient,
            "source": ctx.patient,
            "authored": _instant(consultation.created_at),
            "language": consultation.language,
            "item": [i for i in items if i and i.get("item", True)],
        }
    ]


# --- The person, the time, the consent, the photos -----------------------------------------


def patient(ctx):
    consultation = ctx.consultation
    return [
        {
            "resourceType": "Patient",
            "id": ctx.patient_id,
            "identifier": [{"system": ctx.system("sid/consultation-reference"), "value": consultation.reference}],
            "name": [{"family": consultation.last_name, "given": [consultation.first_name]}],
            "telecom": [
                {"system": "email", "value": consultation.email},
                {"system": "phone", "value": consultation.phone, "use": "mobile"},
            ],
            "birthDate": consultation.date_of_birth.isoformat(),
            "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": consultation.language}]}}],
        }
    ]


def practitioner(ctx):
    """The provider whose time is held, and every injector of a treatment record, once each."""
    providers = {}
    if ctx.consultation.provider is not None:
        providers[ctx.consultation.provider.pk] = ctx.consultation.provider
    for record in _related(ctx.consultation, "treatment_records"):
        providers.setdefault(record.injector_id, record.injector)
    resources = []
    for provider in providers.values():
        resource = {
            "resourceType": "Practitioner",
            "id": f"provider-{provider.pk}",
            "identifier": [{"system": ctx.system("sid/provider"), "value": str(provider.pk)}],
            "name": [{"text": provider.display_name}],
        }
        if provider.credentials:
            resource["qualification"] = [{"code": {"text": provider.credentials}}]
        resources.append(resource)
    return resources


def appointment(ctx):
    consultation = ctx.consultation
    if consultation.slot_start is None:
        return []
    status = APPOINTMENT_STATUS[consultation.status]
    participants = [{"actor": {**ctx.patient, "display": consultation.reference}, "status": "accepted"}]
    if consultation.provider_id:
        participants.append(
            {
                "actor": ctx.ref("Practitioner", f"provider-{consultation.provider_id}"),
                "status": "accepted" if status in ("booked", "fulfilled") else "tentative",
            }
        )
    return [
        {
            "resourceType": "Appointment",
            "id": f"request-{consultation.reference}",
            "identifier": [{"system": ctx.system("sid/consultation-reference"), "value": consultation.reference}],
            "status": status,
            "appointmentType": {"text": _("Consultation")},
            "start": _instant(consultation.slot_start),
            "end": _instant(consultation.slot_end),
            "created": _instant(consultation.created_at),
            "participant": participants,
            "supportingInformation": [ctx.ref("QuestionnaireResponse", f"request-{consultation.reference}")],
        }
    ]


def consent(ctx):
    consultation = ctx.consultation
    privacy_url = absolute.site_url(reverse("consultations:privacy"), base=consultation.site_url)
    return [
        {
            "resourceType": "Consent",
            "id": f"request-{consultation.reference}",
            # The notice's SHA-256 names the exact text agreed to (Attachment.hash would be SHA-1).
            "identifier": [
                {"system": ctx.system("sid/privacy-notice-sha256"), "value": consultation.consent_sha256},
            ],
            "status": "active",
            "scope": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]
            },
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
            "patient": ctx.patient,
            "dateTime": _instant(consultation.consented_at),
            "sourceAttachment": {
                "url": privacy_url,
                "title": f"Privacy notice {consultation.consent_version}",
            },
            "policy": [{"uri": f"{privacy_url}#version-{consultation.consent_version}"}],
        }
    ]


def photo_url(ctx, photo):
    path = reverse("admin:consultations_consultationrequest_photo", args=[ctx.consultation.pk, photo.pk])
    return absolute.site_url(path, base=ctx.consultation.site_url)


def document_references(ctx):
    return [
        {
            "resourceType": "DocumentReference",
            "id": f"photo-{photo.pk}",
            "status": "current",
            "type": {"text": _("Photo")},
            "subject": ctx.patient,
            "date": _instant(photo.uploaded_at),
            "description": f"{photo.width}×{photo.height} px",
            # Metadata only: the image is fetched from the staff page (permission and audit there).
            "content": [
                {
                    "attachment": {
                        "contentType": photo.content_type,
                        "url": photo_url(ctx, photo),
                        "creation": _instant(photo.uploaded_at),
                    }
                }
            ],
        }
        for photo in ctx.consultation.photos.all()
    ]


# --- After the visit (aftercare's models, when they exist) ----------------------------------
# A request without treatment records or complications contributes nothing.

ADVERSE_EVENT_OUTCOME = {
    "recovered": "resolved",
    "recovering": "recovering",
    "not_recovered": "ongoing",
    "sequelae": "resolvedWithSequelae",
    "unknown": "unknown",
}
# MedWatch's boxes as FHIR R4 adverse-event-seriousness codes, most serious first.
SERIOUSNESS = [
    ("life_threatening", "serious-is-life-threatening"),
    ("hospitalisation", "serious-results-in-hospitalization"),
    ("disability", "serious-results-in-persistent-or-significant-disability"),
    ("intervention", "serious-requires-medical-or-surgical-intervention"),
    ("other_serious", "serious"),
]


def _related(consultation, name):
    return list(getattr(consultation, name).all())


def procedures(ctx):
    """Each treatment record (aftercare) as a Procedure: product, areas, amount, lot, injector."""
    return [
        {
            "resourceType": "Procedure",
            "id": f"treatment-{record.pk}",
            "status": "completed",
            "code": {"text": record.product},
            "subject": ctx.patient,
            "performedDateTime": _instant(record.given_at),
            "performer": [{"actor": ctx.ref("Practitioner", f"provider-{record.injector_id}")}],
            "bodySite": [{"text": area} for area in record.areas or [] if area],
            "note": [
                {
                    "text": f"{record.amount_ml} mL, lot {record.lot_number}, "
                    f"lot expiry {record.expiry.isoformat()} (record version {record.revision})"
                }
            ],
        }
        for record in _related(ctx.consultation, "treatment_records")
    ]


def adverse_events(ctx):
    """Each complication (aftercare) as an AdverseEvent pointing at the treatment it followed."""
    resources = []
    for complication in _related(ctx.consultation, "complications"):
        chosen = set(complication.seriousness or [])
        serious = next((code for key, code in SERIOUSNESS if key in chosen), "non-serious")
        resource = {
            "resourceType": "AdverseEvent",
            "id": f"complication-{complication.pk}",
            "actuality": "actual",
            "event": {"text": f"{complication.get_kind_display()}: {complication.description}"},
            "subject": ctx.patient,
            "date": _instant(complication.onset_at),
            "recordedDate": _instant(complication.recorded_at),
            "seriousness": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness", "code": serious}
                ]
            },
            "outcome": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                        "code": ADVERSE_EVENT_OUTCOME.get(complication.outcome, "unknown"),
                    }
                ]
            },
        }
        if complication.record_id:
            resource["suspectEntity"] = [{"instance": ctx.ref("Procedure", f"treatment-{complication.record_id}")}]
        resources.append(resource)
    return resources


# Each returns a list of resources for the request. Append to add resources (e.g. aftercare's
# Procedure for a treatment record, AdverseEvent for a complication).
CONTRIBUTORS = [
    patient,
    practitioner,
    questionnaire,
    questionnaire_response,
    appointment,
    consent,
    document_references,
    procedures,
    adverse_events,
]


def build_bundle(consultation, now=None, base=""):
    """The request as a FHIR R4 Bundle (a dict). Reads answers, photos and added information."""
    base = (base or absolute.site_url(base=consultation.site_url)).rstrip("/")
    answers = list(consultation.answers.all())
    approval = matching_approval(consultation, answers)
    version = approval.fingerprint if approval is not None and approval.fingerprint else ""
    ctx = Context(
        consultation=consultation,
        base=base,
        answers=answers,
        approval=approval,
        questionnaire_version=version or f"asked-{questions_digest(consultation, answers)[:32]}",
    )
    with translation.override(consultation.language):
        resources = [resource for contributor in CONTRIBUTORS for resource in contributor(ctx)]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/fhir/Bundle/{consultation.reference}")),
        "identifier": {"system": ctx.system("sid/consultation-reference"), "value": consultation.reference},
        "type": "collection",
        "timestamp": _instant(now or timezone.now()),
        "entry": [
            {"fullUrl": f"{base}/fhir/{resource['resourceType']}/{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }


def bundles(queryset, now=None):
    """Every request of `queryset` as a Bundle, read in chunks with what the builder needs."""
    rows = queryset.select_related("treatment", "provider").prefetch_related(
        "answers", "photos", "additional_info", "treatment_records", "complications"
    )
    for consultation in rows.iterator(chunk_size=200):
        yield consultation, build_bundle(consultation, now=now)
