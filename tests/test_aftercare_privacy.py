"""After the visit (issue 26): who may do what (the roles as a matrix, on the real pages), and no
health data in any email, log line or URL of the journey."""

import datetime
import decimal
import logging
import re

import pytest
from django.core import mail
from django.urls import reverse

from consultations import aftercare, links
from consultations.models import CheckIn, Status, WarningSign
from consultations.permissions import CONTENT_EDITOR, FRONT_DESK, PROVIDER
from tests.factories import BEATRIX, make_provider, make_request, make_staff, self_service, sign_every_language

pytestmark = pytest.mark.django_db


@pytest.fixture
def belotero(belotero):
    # After the visit the clinic has launched: its reviewer signed the page (aftercare comes from it).
    return sign_every_language(belotero)


NOW = datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC)
GIVEN = NOW - datetime.timedelta(hours=1)
DAY_TWO = GIVEN + datetime.timedelta(days=2, minutes=5)

# What the journey stores that no email, log or URL may carry.
SECRETS = [
    BEATRIX["first_name"],
    BEATRIX["last_name"],
    "2075550177",
    BEATRIX["goals"],
    "Belotero Balance",
    "LOTSECRET9",
    "Lips",
    "My skin looks blotchy",
    "skin_colour",
    "blotchy, pale",
    "Dusky upper lip",
]


@pytest.fixture
def journey(belotero, django_capture_on_commit_callbacks):
    """A completed request, its treatment, a red-flag check-in, a complication and a recall email."""
    provider = make_provider(display_name="Dr Rivera")
    consultation = make_request(
        belotero,
        status=Status.COMPLETED,
        first_name=BEATRIX["first_name"],
        last_name=BEATRIX["last_name"],
        email=BEATRIX["email"],
        phone=BEATRIX["phone"],
        goals=BEATRIX["goals"],
        assigned_to=provider.user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        record = aftercare.record_treatment(
            consultation,
            by=provider.user,
            now=NOW,
            product="Belotero Balance",
            areas=["Lips"],
            amount_ml=decimal.Decimal("1"),
            lot_number="lotsecret9",
            expiry=datetime.date(2027, 6, 30),
            injector=provider,
            given_at=GIVEN,
        )
        aftercare.invite_due(DAY_TWO)
        check_in = aftercare.current_check_in(consultation, DAY_TWO)
        aftercare.answer_check_in(
            check_in, feeling="worse", signs=[WarningSign.SKIN_COLOUR], note="My skin looks blotchy", now=DAY_TWO
        )
        aftercare.escalate_unopened(DAY_TWO + datetime.timedelta(minutes=31))
        aftercare.log_complication(
            consultation, by=provider.user, now=NOW, record=record, kind="vascular", onset_at=DAY_TWO,
            description="Dusky upper lip", actions=["hyaluronidase"], action_details="", outcome="recovering",
            seriousness=[],
        )  # fmt: skip
        aftercare.contact_for_recall([consultation], by=provider.user)
    consultation.provider_user = provider.user
    consultation.record = record
    return consultation


def found_in(text):
    return [secret for secret in SECRETS if secret.lower() in text.lower()]


def test_every_email_of_the_journey_is_free_of_health_data(journey):
    subjects = sorted(email.subject.split(" (")[0] for email in mail.outbox)
    # aftercare, day-2 check-in, urgent to staff + provider, resent to staff, recall
    assert len(mail.outbox) == 6, subjects
    for email in mail.outbox:
        html = email.alternatives[0][0] if email.alternatives else ""
        assert found_in(email.subject + email.body + html) == [], email.subject


def test_every_link_in_the_emails_carries_only_the_signed_reference(journey):
    for email in mail.outbox:
        for url in re.findall(r"https?://\S+", email.body):
            assert found_in(url) == []
            token = re.search(r"/manage/([^/]+)/", url)
            if token:
                assert links.read_token(token.group(1)) == journey.reference


def test_the_check_in_page_logs_no_health_data(journey, client, caplog, time_machine, belotero):
    caplog.set_level(logging.DEBUG)
    other = make_request(belotero, status=Status.COMPLETED, email="x@example.com")
    aftercare.record_treatment(
        other, by=journey.provider_user, now=NOW, product="Belotero Balance", areas=["Lips"],
        amount_ml=decimal.Decimal("1"), lot_number="LOTSECRET9", expiry=datetime.date(2027, 6, 30),
        injector=journey.record.injector, given_at=GIVEN,
    )  # fmt: skip
    time_machine.move_to(DAY_TWO)
    url = self_service(client, other, "manage_check-in")
    response = client.post(
        url, {"day": 2, "feeling": "worse", "signs": ["skin_colour"], "note": "My skin looks blotchy"}
    )
    assert response.status_code == 302
    assert found_in(response["Location"]) == []
    assert found_in(caplog.text) == []


def test_audit_details_carry_no_health_data(journey):
    from consultations.models import AuditEvent

    details = " ".join(AuditEvent.objects.values_list("detail", flat=True))
    assert "check-in" in details
    assert found_in(details) == []


# --- The roles, on the pages ---------------------------------------------------------------------

PAGES = ["record", "correct", "complication", "medwatch", "urgent_handled", "lot_recall", "lot_recall_csv"]
# role -> the pages it may open (the rest answer 403). Content editors never see patients.
ALLOWED = {
    PROVIDER: set(PAGES),
    FRONT_DESK: {"lot_recall", "lot_recall_csv"},
    CONTENT_EDITOR: set(),
}
CASES = [(role, page) for role in ALLOWED for page in PAGES]


def open_page(client, page, consultation):
    name = "admin:consultations_consultationrequest_"
    record = consultation.record
    event = consultation.complications.get()
    if page == "record":
        return client.get(reverse(name + "treatment", args=[consultation.pk]))
    if page == "correct":
        return client.get(reverse(name + "treatment_correct", args=[consultation.pk, record.pk]))
    if page == "complication":
        return client.get(reverse(name + "complication", args=[consultation.pk]))
    if page == "medwatch":
        return client.get(reverse(name + "medwatch", args=[consultation.pk, event.pk]))
    if page == "urgent_handled":
        return client.post(reverse(name + "urgent_handled", args=[consultation.pk]))
    if page == "lot_recall":
        return client.get(reverse(name + "lot_recall"), {"lot": "LOTSECRET9"})
    return client.get(reverse(name + "lot_recall"), {"lot": "LOTSECRET9", "format": "csv"})


@pytest.mark.parametrize(("role", "page"), CASES)
def test_role_matrix_of_the_after_visit_pages(journey, client, role, page):
    user = journey.provider_user if role == PROVIDER else make_staff(role)
    client.force_login(user)
    response = open_page(client, page, journey)
    expected = {200, 302} if page in ALLOWED[role] else {403}
    assert response.status_code in expected, (role, page, response.status_code)


def test_front_desk_sees_the_urgent_mark_and_unanswered_rows_but_no_answers(journey, client):
    client.force_login(make_staff(FRONT_DESK))
    page = client.get(reverse("admin:consultations_consultationrequest_change", args=[journey.pk])).content.decode()
    assert "Urgent: a check-in named a warning sign" in page
    assert "Answered: red flag" in page
    assert "My skin looks blotchy" not in page and "LOTSECRET9" not in page
    # A front-desk look is not a provider opening it: the urgent check-in is still unopened.
    assert CheckIn.objects.get(day=2).opened_at is None
