"""A Spanish-speaking patient reads, asks, books, moves and cancels, on a phone, without meeting
one English sentence (issue 18)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from consultations.availability import Slot, grouped_by_day, open_slots
from consultations.models import ConsultationRequest, Status
from education.models import Treatment
from education.rendering import plain_text
from tests.factories import approve, make_provider
from tests.test_translation_catalogue import read_po

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"


def english_fragments():
    """Pieces of English the patient side could show: every catalogue string whose Spanish differs
    (cut at its placeholders and tags), and every sentence of the English Belotero page."""
    pieces = set()
    for entry in read_po(PO):
        if entry["msgstr"].get(0) == entry["msgid"]:
            continue
        pieces.update(re.split(r"%\(\w+\)[sd]|<[^>]+>|\{\{[^}]+\}\}", entry["msgid"]))
    page, _digest = Treatment.objects.get(slug="belotero").current_content("en")
    for section in page["sections"]:
        pieces.update(re.split(r"(?<=[.:?!])\s+", plain_text(section["html"])))
        for record in section["records"]:
            pieces.update(str(record.get(key, "")) for key in ("name", "description", "question", "duration"))
    # Long enough to be a phrase, not a word both languages share ("Belotero", "FDA", "No").
    return {piece.strip() for piece in pieces if len(piece.strip()) >= 18}


def assert_no_english(page, fragments):
    text = page.locator("body").inner_text()
    found = sorted(fragment for fragment in fragments if fragment in text)
    assert found == [], f"English on {page.url}: {found[:5]}"


def test_patient_reads_asks_books_moves_and_cancels_in_spanish(phone, settings):
    settings.CLINIC_BOOKING_WEEKS = 2
    make_provider(display_name="Dra. Rivera", weekdays=range(7))
    belotero = Treatment.objects.get(slug="belotero")
    approve(belotero)  # a reviewer signs the English page, then the Spanish version that translates it
    approve(belotero, language="es")
    english = english_fragments()
    first = open_slots()[0]

    # The check finds English where there is some: the English guide.
    phone.goto("/treatments/belotero/")
    with pytest.raises(AssertionError, match="English on"):
        assert_no_english(phone, english)

    # Read: from the Spanish home page to the Spanish Belotero guide.
    phone.goto("/es/")
    expect(phone.locator("html")).to_have_attribute("lang", "es")
    assert_no_english(phone, english)
    phone.get_by_role("link", name=re.compile("Belotero")).first.click()
    expect(phone).to_have_url(re.compile("/es/treatments/belotero/$"))
    expect(phone.get_by_role("heading", name="Busque ayuda de inmediato")).to_be_visible()
    expect(phone.locator("#language-notice")).to_have_count(0)
    assert_no_english(phone, english)

    # Ask and book: the form in Spanish, a time chosen.
    phone.get_by_role("main").get_by_role("link", name="Pedir una consulta").first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Pedir una consulta")
    assert_no_english(phone, english)
    phone.get_by_label("Nombre", exact=True).fill("Lucía")
    phone.get_by_label("Apellido").fill("Quintanilla")
    phone.get_by_label("Correo electrónico").fill("lucia@example.com")
    phone.get_by_label("Número de celular").fill("(207) 774-1234")
    phone.get_by_label("Fecha de nacimiento").fill("1990-04-21")
    phone.get_by_label("¿Qué le gustaría cambiar o lograr?").fill("Suavizar las arrugas de la boca.")
    with translation.override("es"):
        questions = [precaution.question for precaution in belotero.screening_precautions()]
    for question in questions:
        phone.get_by_role("group", name=question).get_by_label("No", exact=True).check()
    phone.get_by_role("group", name=re.compile("embarazada")).get_by_label("No", exact=True).check()
    phone.get_by_label("Hora preferida").select_option(first.key)
    phone.locator('input[name="accept_policy"]').check()
    phone.get_by_label("Leí el aviso de privacidad").check()
    phone.get_by_role("button", name="Enviar mi solicitud").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Gracias, recibimos su solicitud")
    assert_no_english(phone, english)

    consultation = ConsultationRequest.objects.get()
    assert consultation.language == "es"
    assert Slot.of(consultation) == first
    assert list(consultation.answers.values_list("question", flat=True)) == questions
    (receipt,) = [message for message in mail.outbox if message.to == ["lucia@example.com"]]
    assert receipt.subject.startswith("Recibimos su solicitud de consulta")
    link = re.search(r"https?://\S+(/es/consultations/manage/\S+/)", receipt.body).group(1)

    # Move: through the emailed link, to the first time of the second day offered.
    phone.goto(link)
    with translation.override("es"):
        expect(phone.get_by_test_id("held-time")).to_have_text(first.label)
    assert_no_english(phone, english)
    phone.get_by_role("link", name="Cambiar a otra hora").click()
    assert_no_english(phone, english)
    (_day, times) = grouped_by_day(open_slots())[1]
    target = times[0]
    phone.get_by_label("Nueva hora").select_option(target.key)
    phone.get_by_role("button", name="Cambiar a esta hora").click()
    with translation.override("es"):
        expect(phone.get_by_test_id("held-time")).to_have_text(target.label)
    expect(phone.get_by_role("status")).to_contain_text("Listo. Su nueva hora es el")
    assert_no_english(phone, english)

    # Cancel.
    phone.get_by_role("link", name="Cancelar esta solicitud").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("¿Cancelar su solicitud?")
    assert_no_english(phone, english)
    phone.get_by_role("button", name="Sí, cancelar mi solicitud").click()
    expect(phone.get_by_role("status")).to_contain_text("Su solicitud está cancelada")
    assert_no_english(phone, english)

    consultation.refresh_from_db()
    assert consultation.status == Status.CANCELLED
    patient_mail = [message for message in mail.outbox if message.to == ["lucia@example.com"]]
    assert [message.subject.split(" ")[0] for message in patient_mail] == ["Recibimos", "Nueva", "Su"]
