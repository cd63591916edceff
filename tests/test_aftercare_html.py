"""Every page after the visit (issue 26) is valid HTML according to the Nu HTML Checker, in each state
a patient or a provider meets it (with errors too), in English and Spanish. Fixed clock."""

import datetime
import decimal
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from consultations import aftercare
from consultations.models import Status, WarningSign
from tests.factories import make_provider, make_request, self_service, sign_every_language
from tests.test_html_valid import vnu_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def belotero(belotero):
    # After the visit the clinic has launched: its reviewer signed the page (aftercare comes from it).
    return sign_every_language(belotero)


NOW = datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC)
GIVEN = NOW - datetime.timedelta(days=2, hours=1)


def treated(belotero, provider, language="en"):
    consultation = make_request(belotero, status=Status.COMPLETED, language=language)
    aftercare.record_treatment(
        consultation,
        by=provider.user,
        now=NOW,
        product="Belotero Balance",
        areas=["Lips"],
        amount_ml=decimal.Decimal("1"),
        lot_number="VNU1",
        expiry=datetime.date(2027, 6, 30),
        injector=provider,
        given_at=GIVEN,
    )
    return consultation


def patient_pages(client, consultation, prefix=""):
    with translation.override(consultation.language):
        check_in = self_service(client, consultation, "manage_check-in")
        page = reverse("consultations:manage_aftercare")
    name = f"{consultation.language}-"
    pages = [
        (name + "aftercare", client.get(page)),
        (name + "check-in", client.get(check_in)),
        (name + "check-in-with-errors", client.post(check_in, {"day": 2, "note": "x"})),
    ]
    client.post(check_in, {"day": 2, "feeling": "worse", "signs": [WarningSign.SKIN_COLOUR]})
    pages.append((name + "urgent", client.get(check_in)))
    return pages


def test_after_visit_pages_are_valid_html(client, belotero, tmp_path):
    provider = make_provider(display_name="Dr Rivera")
    with time_machine.travel(NOW, tick=False):
        english, spanish = treated(belotero, provider), treated(belotero, provider, language="es")
        pages = patient_pages(client, english) + patient_pages(client, spanish)
        calm = treated(belotero, provider)
        thanks_url = self_service(client, calm, "manage_check-in")
        client.post(thanks_url, {"day": 2, "feeling": "settled"})
        pages.append(("thanks", client.get(thanks_url)))
        record = english.treatment_records.get()
        event = aftercare.log_complication(
            english, by=provider.user, now=NOW, record=record, kind="vascular", onset_at=NOW, description="x",
            actions=["hyaluronidase"], action_details="", outcome="recovering", seriousness=["intervention"],
        )  # fmt: skip
        client.force_login(provider.user)
        admin = "admin:consultations_consultationrequest_"
        pages += [
            ("request-page", client.get(reverse(admin + "change", args=[english.pk]))),
            ("record", client.get(reverse(admin + "treatment", args=[calm.pk]))),
            ("record-with-errors", client.post(reverse(admin + "treatment", args=[calm.pk]), {"lot_number": ""})),
            ("correct", client.get(reverse(admin + "treatment_correct", args=[english.pk, record.pk]))),
            ("complication", client.get(reverse(admin + "complication", args=[english.pk]))),
            ("medwatch", client.get(reverse(admin + "medwatch", args=[english.pk, event.pk]))),
            ("lot-recall", client.get(reverse(admin + "lot_recall"))),
            ("lot-recall-found", client.get(reverse(admin + "lot_recall"), {"lot": "VNU1"})),
            ("lot-recall-none", client.get(reverse(admin + "lot_recall"), {"lot": "NONE"})),
        ]
    for name, response in pages:
        assert response.status_code == 200, name
        (tmp_path / f"{name}.html").write_bytes(response.content)
    errors = [message for message in vnu_errors(tmp_path) if message["type"] != "info"]
    lines = [f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m['message']}" for m in errors]
    assert not errors, "\n".join(lines)
