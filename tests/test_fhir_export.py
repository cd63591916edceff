"""FHIR R4 export (issue 28): every resource validates, answers round-trip, roles and audit."""

import datetime
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from consultations import fhir
from consultations.models import AuditEvent, ConsultationRequest, Status
from tests.factories import (
    make_photo,
    make_precaution,
    make_provider,
    make_request,
    make_request_staff_see,
    make_staff,
    make_treatment,
)

pytestmark = pytest.mark.django_db


def resources(bundle):
    return {entry["resource"]["resourceType"]: entry["resource"] for entry in bundle["entry"]}


def validate_every_resource(bundle):
    """Each resource through its own fhir.resources model, then the Bundle as a whole."""
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return Bundle.model_validate_json(json.dumps(bundle))


def answers_by_link(parsed_response):
    found = {}

    def walk(items):
        for item in items or []:
            if item.answer:
                found[item.linkId] = [
                    answer.valueCoding.code if answer.valueCoding else answer.valueString for answer in item.answer
                ]
            walk(item.item)

    walk(parsed_response.item)
    return found


@pytest.fixture
def consultation():
    consultation = make_request_staff_see(medications="Isotretinoin 20 mg")
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        areas=["Nasolabial folds", "Lips"], allergies="Lidocaine", previous_treatments="Botox 2024"
    )
    consultation.refresh_from_db()
    return consultation


def test_fhir_bundle_every_resource_validates(consultation):
    bundle = fhir.build_bundle(consultation)

    validate_every_resource(bundle)
    assert sorted(resources(bundle)) == [
        "Appointment",
        "Consent",
        "DocumentReference",
        "Patient",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
    ]


def test_fhir_answers_round_trip(consultation):
    parsed = validate_every_resource(json.loads(json.dumps(fhir.build_bundle(consultation))))

    response = next(e.resource for e in parsed.entry if e.resource.get_resource_type() == "QuestionnaireResponse")
    answers = answers_by_link(response)
    stored = list(consultation.answers.all())
    assert [answers[f"screening-{n}"] for n in range(1, len(stored) + 1)] == [[a.answer] for a in stored]
    assert answers["screening-1"] == ["yes"]
    assert answers["medications"] == ["Isotretinoin 20 mg"]
    assert answers["allergies"] == ["Lidocaine"]
    assert answers["goals-text"] == [consultation.goals]
    assert answers["areas"] == ["Nasolabial folds", "Lips"]
    assert answers["previous-treatments"] == ["Botox 2024"]
    assert answers["pregnancy"] == ["no"]
    patient = next(e.resource for e in parsed.entry if e.resource.get_resource_type() == "Patient")
    assert (patient.name[0].family, str(patient.birthDate)) == (consultation.last_name, "1990-04-21")


def test_fhir_questionnaire_is_the_signed_questions_and_the_response_points_at_its_version(consultation):
    bundle = fhir.build_bundle(consultation)
    questionnaire, response = resources(bundle)["Questionnaire"], resources(bundle)["QuestionnaireResponse"]

    approval = consultation.treatment.approved
    assert questionnaire["version"] == approval.fingerprint
    assert response["questionnaire"] == f"{questionnaire['url']}|{approval.fingerprint}"
    health = next(item for item in questionnaire["item"] if item["linkId"] == "health")
    asked = [item["text"] for item in health["item"] if item["linkId"].startswith("screening-")]
    assert asked == [answer.question for answer in consultation.answers.all()]


def test_fhir_questionnaire_changes_version_when_the_questions_asked_differ(consultation):
    other = make_request(consultation.treatment)
    first = resources(fhir.build_bundle(consultation))["Questionnaire"]
    assert resources(fhir.build_bundle(other))["Questionnaire"]["id"] == first["id"]

    # Questions that no approval signed (a snapshot from a draft): the version is their own digest.
    other.answers.update(question="Have you ever had a reaction to a filler?")
    changed = resources(fhir.build_bundle(other))["Questionnaire"]
    assert changed["version"].startswith("asked-")
    assert changed["id"] != first["id"]


def test_fhir_photo_is_metadata_and_a_staff_link_never_the_image(consultation):
    make_photo(consultation, size=(8, 6))
    bundle = fhir.build_bundle(consultation)
    documents = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DocumentReference"]

    assert len(documents) == 2
    for document in documents:
        attachment = document["content"][0]["attachment"]
        assert "data" not in attachment
        assert "/admin/consultations/consultationrequest/" in attachment["url"]


# FHIR R4 Appointment.status (required binding): fhir.resources checks the shape, not the code.
APPOINTMENT_STATUSES = {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow"}


def test_fhir_appointment_status_is_an_r4_code_for_every_status():
    assert set(fhir.APPOINTMENT_STATUS.values()) <= APPOINTMENT_STATUSES
    assert set(fhir.APPOINTMENT_STATUS) == set(Status)


def test_fhir_request_without_time_has_no_appointment_and_still_validates():
    treatment = make_treatment()
    make_precaution(treatment)
    consultation = make_request(treatment)
    bundle = fhir.build_bundle(consultation)

    validate_every_resource(bundle)
    assert "Appointment" not in resources(bundle)


def test_fhir_consent_names_the_privacy_notice_version_and_hash(consultation):
    consent = resources(fhir.build_bundle(consultation))["Consent"]

    assert consent["identifier"][0]["value"] == consultation.consent_sha256
    assert consent["sourceAttachment"]["title"].endswith(consultation.consent_version)


@pytest.mark.parametrize(
    ("role", "allowed"), [("Provider", True), (None, True), ("Front desk", False), ("Content editor", False)]
)
def test_fhir_download_by_role_and_audited(client, consultation, role, allowed):
    user = make_staff(role, username=f"user-{role or 'owner'}".replace(" ", "-"), is_superuser=role is None)
    client.force_login(user)
    url = reverse("admin:consultations_consultationrequest_export_fhir", args=[consultation.pk])

    response = client.get(url)

    exports = AuditEvent.objects.filter(consultation=consultation, action=AuditEvent.Action.EXPORT, user=user)
    if allowed:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/fhir+json")
        validate_every_resource(json.loads(response.content))
        assert list(exports.values_list("detail", flat=True)) == ["FHIR export"]
    else:
        assert response.status_code == 403
        assert not exports.exists()


def test_fhir_link_on_the_request_page_for_providers_only(client, consultation):
    provider = make_provider(display_name="Dr Link")
    client.force_login(provider.user)
    page = client.get(reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]))
    assert b'data-testid="export-fhir"' in page.content

    client.force_login(make_staff("Front desk"))
    page = client.get(reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]))
    assert b'data-testid="export-fhir"' not in page.content


def test_export_fhir_command_writes_ndjson_of_every_request_and_audits_each(tmp_path, consultation):
    second = make_request(consultation.treatment, first_name="Bea")
    target = tmp_path / "all.ndjson"

    call_command("export_fhir", "--output", str(target), stdout=io.StringIO())

    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    references = []
    for line in lines:
        bundle = json.loads(line)
        validate_every_resource(bundle)
        references.append(bundle["identifier"]["value"])
    assert sorted(references) == sorted([consultation.reference, second.reference])
    audited = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, detail__startswith="FHIR NDJSON")
    assert sorted(audited.values_list("reference", flat=True)) == sorted(references)
    assert target.stat().st_mode & 0o077 == 0


def test_fhir_spanish_request_keeps_the_questions_as_asked():
    treatment = make_treatment()
    make_precaution(treatment)
    consultation = make_request(treatment, language="es")
    consultation.answers.update(question="¿Ha tenido anafilaxia?")
    bundle = fhir.build_bundle(consultation)

    validate_every_resource(bundle)
    questionnaire = resources(bundle)["Questionnaire"]
    health = next(item for item in questionnaire["item"] if item["linkId"] == "health")
    assert health["item"][-1]["text"] == "¿Ha tenido anafilaxia?"
    assert questionnaire["language"] == "es"


def test_fhir_instant_is_utc():
    moment = datetime.datetime(2026, 12, 6, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))
    assert fhir._instant(moment) == "2026-12-06T14:30:00Z"


def test_fhir_aftercare_records_become_procedure_and_adverse_event(consultation):
    """The treatment record and a complication (issue 26) in the Bundle: product, lot, outcome."""
    import decimal

    from consultations import aftercare

    given = consultation.slot_start
    ConsultationRequest.objects.filter(pk=consultation.pk).update(status=Status.COMPLETED)
    consultation.refresh_from_db()
    with time_machine.travel(given + datetime.timedelta(hours=1), tick=False):
        record = aftercare.record_treatment(
            consultation, by=consultation.provider.user, now=given + datetime.timedelta(hours=1),
            product="Belotero Balance (+) Lidocaine", areas=["Lips"], amount_ml=decimal.Decimal("0.50"),
            lot_number="LOT123", expiry=datetime.date(2030, 6, 30), injector=consultation.provider, given_at=given,
        )  # fmt: skip
        aftercare.log_complication(
            consultation, by=consultation.provider.user, now=given + datetime.timedelta(days=4), record=record,
            kind="nodule", onset_at=given + datetime.timedelta(days=3), description="Small lump on the upper lip",
            actions=["hyaluronidase"], action_details="", outcome="recovering", seriousness=["intervention"],
        )  # fmt: skip

    bundle = fhir.build_bundle(ConsultationRequest.objects.get(pk=consultation.pk))

    validate_every_resource(bundle)
    found = resources(bundle)
    assert found["Procedure"]["code"]["text"] == "Belotero Balance (+) Lidocaine"
    assert "LOT123" in found["Procedure"]["note"][0]["text"]
    assert found["AdverseEvent"]["suspectEntity"][0]["instance"]["reference"] == f"Procedure/treatment-{record.pk}"
    assert found["AdverseEvent"]["outcome"]["coding"][0]["code"] == "recovering"
    assert found["AdverseEvent"]["seriousness"]["coding"][0]["code"] == (
        "serious-requires-medical-or-surgical-intervention"
    )


def test_fhir_without_aftercare_models_adds_no_procedure(consultation):
    found = resources(fhir.build_bundle(consultation))
    assert "Procedure" not in found
    assert "AdverseEvent" not in found


def test_fhir_every_reference_points_at_an_entry_of_the_bundle(consultation):
    bundle = fhir.build_bundle(consultation)
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}

    def references(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "reference":
                    yield value
                else:
                    yield from references(value)
        elif isinstance(node, list):
            for item in node:
                yield from references(item)

    found = set(references(bundle))
    assert found
    assert found <= present


def test_fhir_questionnaire_version_survives_a_deleted_precaution():
    treatment = make_treatment(slug="draftonly", published=False)
    precaution = make_precaution(treatment)
    consultation = make_request(treatment)
    before = resources(fhir.build_bundle(consultation))["Questionnaire"]
    assert before["version"].startswith("asked-")  # a draft: no approval signed the questions

    precaution.delete()
    consultation.refresh_from_db()
    after = resources(fhir.build_bundle(consultation))["Questionnaire"]
    assert (after["id"], after["version"]) == (before["id"], before["version"])


def test_fhir_export_alone_without_the_health_permission_is_refused(client, consultation):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Exports only")
    group.permissions.add(
        Permission.objects.get(codename="view_consultationrequest"), Permission.objects.get(codename="export_fhir")
    )
    user = make_staff(username="exporter")
    user.groups.add(group)
    client.force_login(user)

    response = client.get(reverse("admin:consultations_consultationrequest_export_fhir", args=[consultation.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
