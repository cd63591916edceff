"""Issue 27: "book again". At the treatment's interval after a completed visit, one PHI-free email
whose link opens the intake form prefilled with the contact details (never the screening answers),
through a signed token traded for a short-lived HttpOnly cookie."""

import datetime
import io
import re
import threading

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from consultations import links, recalls
from consultations.models import ConsultationRequest, Status, TreatmentRecord
from consultations.views import PREFILL_COOKIE
from education.models import Treatment
from tests.factories import BEATRIX, intake_post_data, make_provider, make_request
from tests.races import race

NEW = "/consultations/new/"


@pytest.fixture
def recall_treatment(belotero):
    return belotero  # recall_weeks 24 as shipped (education/content/belotero.en.json)


def completed(treatment, weeks_ago, **kwargs):
    """A request completed `weeks_ago` weeks before now."""
    fields = {**BEATRIX, "status": Status.COMPLETED, **kwargs}
    consultation = make_request(treatment, **fields)
    when = timezone.now() - datetime.timedelta(weeks=weeks_ago)
    ConsultationRequest.objects.filter(pk=consultation.pk).update(status_changed_at=when, created_at=when)
    consultation.refresh_from_db()
    return consultation


def run():
    out = io.StringIO()
    call_command("send_recalls", stdout=out)
    return out.getvalue().strip()


def book_again_path(message):
    return re.search(r"https?://[^/\s]+(/consultations/again/[^/\s]+/)", message.body).group(1)


def test_belotero_ships_with_its_label_duration_as_the_interval(belotero):
    # FDA-P090016: the effect lasts up to 6 months, i.e. 24 weeks (shared facts file, section 6).
    assert belotero.recall_weeks == 24
    assert Treatment.objects.get(slug="dermal-fillers").recall_weeks is None


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_send_recalls_picks_completed_visits_whose_interval_has_passed(recall_treatment, mailoutbox):
    due = completed(recall_treatment, 25)
    completed(recall_treatment, 23, email="early@example.com")  # not yet
    completed(recall_treatment, 30, email="sent@example.com", recall_sent_at=timezone.now())  # already sent
    make_request(recall_treatment, status=Status.CANCELLED, email="c@example.com")  # never visited
    completed(Treatment.objects.get(slug="dermal-fillers"), 60, email="none@example.com")  # no interval
    assert run() == "1 book-again email(s) queued."
    assert [message.to for message in mailoutbox] == [[due.email]]
    due.refresh_from_db()
    assert due.recall_sent_at == timezone.now()
    assert run() == "0 book-again email(s) queued."


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_interval_counts_from_the_treatment_record_when_there_is_one(recall_treatment):
    consultation = completed(recall_treatment, 30)
    provider = make_provider(display_name="Dr Rivera")
    TreatmentRecord.objects.create(
        consultation=consultation,
        product="Belotero Balance",
        areas=["Nasolabial folds"],
        amount_ml=1,
        lot_number="X1",
        expiry=datetime.date(2028, 1, 1),
        injector=provider,
        given_at=timezone.now() - datetime.timedelta(weeks=20),
        recorded_by=provider.user,
    )
    assert recalls.due() == []


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_no_recall_when_the_patient_has_sent_a_newer_request(recall_treatment):
    completed(recall_treatment, 26)
    make_request(recall_treatment, email=BEATRIX["email"].upper())
    assert recalls.due() == []


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_book_again_email_is_phi_free_with_an_opaque_link(recall_treatment, mailoutbox):
    consultation = completed(recall_treatment, 25, allergies="Lidocaine", previous_treatments="Botox 2024")
    recalls.queue_due()
    (message,) = mailoutbox
    text = message.subject + message.body + message.alternatives[0].content
    private = [str(value) for value in BEATRIX.values()] + ["Lidocaine", "Botox", "Belotero", "1979"]
    assert [value for value in private if value in text] == []
    assert links.read_recall_token(book_again_path(message).split("/")[-2]) == consultation.reference
    assert "We ask the health questions again" in message.body


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_spanish_request_gets_the_book_again_email_in_spanish(recall_treatment, mailoutbox):
    completed(recall_treatment, 25, language="es")
    recalls.queue_due()
    (message,) = mailoutbox
    assert message.subject == "¿Es hora de su próxima visita?"
    assert "/es/consultations/again/" in message.body
    assert "Volvemos a hacerle las preguntas de salud" in message.body


@pytest.mark.django_db(transaction=True)
def test_overlapping_recall_runs_send_once(mailoutbox, monkeypatch):
    treatment = Treatment.objects.get(slug="belotero")
    completed(treatment, 25)
    # Every run has picked the request before any claims it: only the claim can keep it to one email.
    picked, due = threading.Barrier(3), recalls.due

    def picked_by_all(now=None):
        ids = due(now)
        picked.wait(timeout=30)
        return ids

    monkeypatch.setattr(recalls, "due", picked_by_all)
    results = race(3, lambda i: recalls.queue_due())
    assert sorted(results) == [0, 0, 1]
    assert len(mailoutbox) == 1


# --- The link: exchanged for a cookie, the form prefilled, the screening asked again ---------------


@pytest.fixture
def recall_link(db, recall_treatment):
    consultation = completed(recall_treatment, 25)
    return consultation, links.book_again_path(consultation)


def test_link_is_traded_for_a_short_lived_httponly_cookie_and_a_clean_address(client, recall_link, settings):
    consultation, path = recall_link
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == NEW
    cookie = response.cookies[PREFILL_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.CLINIC_RECALL_PREFILL_MINUTES * 60
    assert consultation.email not in cookie.value and consultation.first_name not in cookie.value
    assert response["Referrer-Policy"] == "no-referrer"


def test_prefilled_form_has_contact_details_and_asks_every_screening_question_again(client, recall_link):
    consultation, path = recall_link
    html = client.get(path, follow=True).text
    for value in ("Beatrix", "Quennell", "bq@example.com", "1979-04-23"):
        assert f'value="{value}"' in html
    assert 'data-testid="book-again-notice"' in html
    assert "things may have changed since your last visit" in html
    # No screening answer is carried over: no radio is ticked but the waitlist's own default ("any time").
    ticked = re.findall(r'<input[^>]*type="radio"[^>]*checked[^>]*>|<input[^>]*checked[^>]*type="radio"[^>]*>', html)
    assert [tag for tag in ticked if 'name="waitlist_when"' not in tag] == []


def test_a_prefilled_form_sent_without_the_screening_asks_for_every_answer(client, recall_link, belotero):
    _consultation, path = recall_link
    client.get(path)
    data = intake_post_data(belotero, first_name="Beatrix", email="bq@example.com")
    questions = [name for name in data if name.startswith("precaution_")] + ["pregnancy"]
    for name in questions:
        data.pop(name)
    response = client.post(NEW, data)
    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == sorted(questions)


def test_a_second_visitor_never_sees_the_first_ones_prefilled_details(client, recall_link):
    _consultation, path = recall_link
    first = client.get(path, follow=True).text
    assert 'value="bq@example.com"' in first
    for _attempt in range(2):
        other = Client().get(NEW, {"treatment": "belotero"}).text
        assert "bq@example.com" not in other and "Quennell" not in other
        assert 'data-testid="book-again-notice"' not in other


def test_a_broken_link_opens_the_empty_form(client, db):
    response = client.get("/consultations/again/not-a-token/")
    assert response.status_code == 302 and response["Location"] == NEW
    assert PREFILL_COOKIE not in response.cookies


def test_sending_the_form_ends_the_prefill(client, recall_link, belotero):
    _consultation, path = recall_link
    client.get(path)
    response = client.post(NEW, intake_post_data(belotero, preferred_time=""))
    assert response.status_code == 302
    assert response.cookies[PREFILL_COOKIE].value == ""
