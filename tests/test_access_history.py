"""'Who looked at my request' (issue 28): the patient's page lists, from the audit, who (by role)
opened, changed or exported their request, and says what the audit does not record."""

import pytest
from django.urls import reverse
from django.utils import translation

from consultations import workflow
from consultations.access import access_history
from consultations.models import AuditEvent
from tests.factories import make_request, make_staff, self_service

pytestmark = pytest.mark.django_db


def opened(client, consultation, language="en"):
    """The patient opens their emailed link (in `language`): the token-free page it leads to."""
    with translation.override(language):
        return self_service(client, consultation)


def open_as(client, user, consultation):
    client.force_login(user)
    response = client.get(reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]))
    assert response.status_code == 200
    client.logout()


def test_patient_sees_a_staff_look_by_role_at_once(client):
    consultation = make_request(first_name="Ada")
    provider = make_staff("Provider", username="dr-hidden", first_name="Hildegard", last_name="Vonnegut")
    open_as(client, provider, consultation)

    page = client.get(opened(client, consultation)).content.decode()

    assert 'data-testid="access-history"' in page
    assert "A provider" in page
    assert "Opened your request, with your health answers" in page
    assert "Hildegard" not in page
    assert "Vonnegut" not in page
    assert "dr-hidden" not in page


def test_front_desk_look_says_without_health_answers():
    consultation = make_request()
    desk = make_staff("Front desk")
    AuditEvent.log(AuditEvent.Action.VIEW, consultation, user=desk, detail="without health data")

    (entry,), more = access_history(consultation)
    assert (entry.who, entry.what) == (
        "a member of the front desk",
        "Opened your request, without your health answers",
    )
    assert more is False


def test_staff_names_only_when_the_clinic_turns_them_on(client, settings):
    consultation = make_request()
    provider = make_staff("Provider", username="dr-named", first_name="Hildegard", last_name="Vonnegut")
    open_as(client, provider, consultation)

    settings.CLINIC_SHOW_STAFF_NAMES_TO_PATIENTS = True
    assert "Hildegard Vonnegut (a provider)" in client.get(opened(client, consultation)).content.decode()


def test_status_changes_and_exports_are_listed_and_notes_without_their_text(client):
    consultation = make_request()
    provider = make_staff("Provider")
    workflow.triage(consultation, provider)
    workflow.add_note(consultation, provider, "Secret clinical musing about warfarin")
    AuditEvent.log(AuditEvent.Action.NOTE, consultation, user=provider, detail="note 1")
    AuditEvent.log(AuditEvent.Action.EXPORT, consultation, user=provider, detail="FHIR export")
    AuditEvent.log(AuditEvent.Action.EXPORT, consultation, detail="CSV export of the queue")

    page = client.get(opened(client, consultation)).content.decode()

    assert "Changed the status from “New” to “Triaged”" in page
    assert "Exported for a medical record system" in page
    assert "Exported in a list of requests" in page
    assert "Added an internal note (notes are not shown here)" in page
    assert "warfarin" not in page
    # The audit's own "changed status" row is not listed a second time.
    entries, _more = access_history(consultation)
    assert sum("Changed the status" in entry.what for entry in entries) == 1


def test_patients_own_changes_say_you(client):
    consultation = make_request()
    workflow.cancel_by_patient(consultation)

    entries, _more = access_history(consultation)
    assert [entry.who for entry in entries] == ["you"]
    assert "Changed the status from “New” to “Cancelled”" in entries[0].what


def test_page_names_what_the_audit_does_not_record(client):
    page = client.get(opened(client, make_request())).content.decode()

    assert "Nobody at the clinic has opened your request yet." in page
    assert "does not record the emails and reminders sent to you" in page


def test_access_history_queries_do_not_grow_with_the_trail(django_assert_max_num_queries):
    consultation = make_request()
    staff = [make_staff("Provider", username=f"p{n}") for n in range(5)]
    for user in staff:
        AuditEvent.log(AuditEvent.Action.VIEW, consultation, user=user, detail="with health data")
        AuditEvent.log(AuditEvent.Action.EXPORT, consultation, user=user, detail="FHIR export")
    with django_assert_max_num_queries(4):
        entries, _more = access_history(consultation)
    assert len(entries) == 10


def test_access_history_is_capped_and_says_so(settings, monkeypatch):
    from consultations import access

    monkeypatch.setattr(access, "ACCESS_HISTORY_LIMIT", 3)
    consultation = make_request()
    for _n in range(5):
        AuditEvent.log(AuditEvent.Action.VIEW, consultation)
    entries, more = access.access_history(consultation)
    assert (len(entries), more) == (3, True)


def test_spanish_page_lists_the_history_in_spanish_markup(client):
    consultation = make_request(language="es")
    response = client.get(opened(client, consultation, "es"))
    assert response.status_code == 200
    assert 'data-testid="access-history"' in response.content.decode()


def test_self_service_page_with_a_history_and_the_feed_page_are_valid_html(client, tmp_path):
    from consultations.models import ProviderFeed
    from tests.factories import make_provider
    from tests.test_html_valid import vnu_errors

    consultation = make_request()
    provider = make_provider(display_name="Dr Valid")
    open_as(client, provider.user, consultation)
    AuditEvent.log(AuditEvent.Action.EXPORT, consultation, user=provider.user, detail="FHIR export")
    (tmp_path / "history.html").write_bytes(client.get(opened(client, consultation)).content)
    ProviderFeed.issue(provider)
    client.force_login(provider.user)
    feed_page = client.post(reverse("admin:consultations_consultationrequest_calendar_feed"), {"rotate": "x"})
    (tmp_path / "feed.html").write_bytes(feed_page.content)

    errors = [m for m in vnu_errors(tmp_path) if m["type"] != "info"]
    assert not errors, [(m.get("url", "?").rsplit("/", 1)[-1], m["message"]) for m in errors]
