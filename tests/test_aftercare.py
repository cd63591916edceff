"""After the visit (issue 26): treatment records, aftercare, check-ins, complications, lot recall.

One test per effect, pretalx style; every clock is explicit (NOW), never the wall clock.
"""

import datetime
import decimal
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from clinic import formatting
from consultations import aftercare, workflow
from consultations.models import (
    AuditEvent,
    CheckIn,
    Complication,
    ConsultationRequest,
    FollowUpPlan,
    InvalidTransition,
    Status,
    StatusChange,
    TreatmentRecord,
    TreatmentRecordRevision,
    WarningSign,
)
from tests.factories import BEATRIX, make_provider, make_request, make_staff, self_service, sign_every_language
from tests.races import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def belotero(belotero):
    # After the visit the clinic has launched: its reviewer signed the page (aftercare comes from it).
    return sign_every_language(belotero)


NOW = datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC)
GIVEN = NOW - datetime.timedelta(hours=1)


@pytest.fixture
def provider():
    return make_provider(display_name="Dr Rivera")


@pytest.fixture
def completed(belotero, provider):
    """A completed Belotero consultation of the invented patient whose details must never leak."""
    details = {key: value for key, value in BEATRIX.items() if key in ("first_name", "last_name", "email", "phone")}
    return make_request(
        belotero, status=Status.COMPLETED, assigned_to=provider.user, provider=None, goals=BEATRIX["goals"], **details
    )


def values(provider, **overrides):
    return {
        "product": "Belotero Balance",
        "areas": ["Lips"],
        "amount_ml": decimal.Decimal("1.00"),
        "lot_number": "h 12345 ab",
        "expiry": datetime.date(2027, 6, 30),
        "injector": provider,
        "given_at": GIVEN,
        **overrides,
    }


def record(consultation, provider, **overrides):
    return aftercare.record_treatment(consultation, by=provider.user, now=NOW, **values(provider, **overrides))


# --- The treatment record ------------------------------------------------------------------------


def test_recording_a_treatment_stores_it_with_the_lot_as_printed(completed, provider):
    saved = record(completed, provider)
    assert TreatmentRecord.objects.get().lot_number == "H12345AB"
    assert saved.recorded_by == provider.user


def test_recording_a_treatment_keeps_its_first_version(completed, provider):
    saved = record(completed, provider)
    (version,) = TreatmentRecordRevision.objects.filter(record=saved)
    assert (version.number, version.data["lot_number"]) == (1, "H12345AB")


def test_recording_a_treatment_is_audited(completed, provider):
    saved = record(completed, provider)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.TREATMENT).get()
    assert (event.consultation, event.detail) == (completed, f"recorded treatment {saved.pk}")


def test_recording_a_treatment_emails_the_aftercare_link(completed, provider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(completed, provider)
    (email,) = mail.outbox
    assert email.to == [BEATRIX["email"]]
    assert completed.reference in email.subject
    assert "/consultations/manage/" in email.body and "/aftercare/" in email.body
    assert "2, 14" in email.body


def test_recording_a_treatment_schedules_the_default_check_ins(completed, provider):
    record(completed, provider)
    assert [(c.day, c.due_at) for c in CheckIn.objects.all()] == [
        (2, GIVEN + datetime.timedelta(days=2)),
        (14, GIVEN + datetime.timedelta(days=14)),
    ]


def test_a_follow_up_plan_sets_the_check_in_days(completed, provider, belotero):
    FollowUpPlan.objects.create(treatment=belotero, check_in_days="1, 7, 30")
    record(completed, provider)
    assert list(CheckIn.objects.values_list("day", flat=True)) == [1, 7, 30]


@pytest.mark.parametrize("status", [Status.NEW, Status.APPROVED, Status.CANCELLED, Status.NO_SHOW])
def test_a_treatment_cannot_be_recorded_before_completion(belotero, provider, status):
    consultation = make_request(belotero, status=status)
    with pytest.raises(aftercare.NotCompleted):
        record(consultation, provider)
    assert TreatmentRecord.objects.count() == 0 and len(mail.outbox) == 0


def test_a_correction_keeps_the_earlier_version(completed, provider):
    saved = record(completed, provider)
    aftercare.correct_treatment(saved, by=provider.user, now=NOW, reason="Typo in the lot", lot_number="H12346AB")
    saved.refresh_from_db()
    assert saved.lot_number == "H12346AB" and saved.revision == 2
    assert [(v.number, v.data["lot_number"], v.reason) for v in saved.revisions.all()] == [
        (1, "H12345AB", ""),
        (2, "H12346AB", "Typo in the lot"),
    ]


def test_a_correction_needs_a_reason(completed, provider):
    saved = record(completed, provider)
    with pytest.raises(ValueError):
        aftercare.correct_treatment(saved, by=provider.user, now=NOW, reason=" ", lot_number="X1")
    assert TreatmentRecord.objects.get().lot_number == "H12345AB"


def test_a_corrected_date_moves_the_check_ins_not_yet_sent(completed, provider):
    saved = record(completed, provider)
    earlier = GIVEN - datetime.timedelta(days=1)
    aftercare.correct_treatment(saved, by=provider.user, now=NOW, reason="Wrong day", given_at=earlier)
    assert CheckIn.objects.get(day=2).due_at == earlier + datetime.timedelta(days=2)


def test_versions_cannot_be_edited_or_deleted(completed, provider):
    version = TreatmentRecordRevision.objects.get(record=record(completed, provider))
    version.reason = "rewritten"
    with pytest.raises(PermissionError):
        version.save()
    with pytest.raises(PermissionError):
        version.delete()


# --- Check-ins ---------------------------------------------------------------------------------------


def test_a_check_in_is_sent_once_when_due(completed, provider, django_capture_on_commit_callbacks):
    record(completed, provider)
    mail.outbox.clear()
    day_two = GIVEN + datetime.timedelta(days=2)
    assert aftercare.invite_due(day_two - datetime.timedelta(minutes=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert aftercare.invite_due(day_two) == 1
        assert aftercare.invite_due(day_two + datetime.timedelta(minutes=15)) == 0
    (email,) = mail.outbox
    assert "/check-in/" in email.body and "day 2" in email.body


def test_the_send_check_ins_command_sends_what_is_due(completed, provider, monkeypatch):
    record(completed, provider)
    mail.outbox.clear()
    monkeypatch.setattr(aftercare, "invite_due", lambda now: 3)
    out = StringIO()
    call_command("send_check_ins", stdout=out)
    assert out.getvalue().strip() == "3 check-in(s) sent."


def test_an_unanswered_check_in_is_a_row_not_an_alarm(completed, provider):
    record(completed, provider)
    day_two = GIVEN + datetime.timedelta(days=2)
    aftercare.invite_due(day_two)
    check_in = CheckIn.objects.get(day=2)
    assert check_in.state(day_two + datetime.timedelta(days=1)) == "waiting"
    assert check_in.state(day_two + datetime.timedelta(days=4)) == "no_answer"
    completed.refresh_from_db()
    assert completed.urgent_since is None


def answer(consultation, day=2, signs=(), feeling=CheckIn.Feeling.AS_EXPECTED, note=""):
    check_in = aftercare.current_check_in(consultation, GIVEN + datetime.timedelta(days=day))
    return aftercare.answer_check_in(
        check_in, feeling=feeling, signs=list(signs), note=note, now=GIVEN + datetime.timedelta(days=day)
    )


def test_an_answer_without_warning_signs_is_not_urgent(completed, provider):
    record(completed, provider)
    mail.outbox.clear()
    check_in = answer(completed)
    completed.refresh_from_db()
    assert (check_in.urgent, completed.urgent_since) == (False, None)
    assert mail.outbox == []


@pytest.mark.parametrize("sign", WarningSign.values)
def test_any_warning_sign_marks_the_request_urgent(completed, provider, sign):
    record(completed, provider)
    answer(completed, signs=[sign])
    completed.refresh_from_db()
    assert completed.urgent_since == GIVEN + datetime.timedelta(days=2)


def test_an_urgent_request_is_first_in_the_queue(completed, provider, belotero):
    record(completed, provider)
    newer_flagged = make_request(belotero, worst_flag="do_not_treat")
    answer(completed, signs=[WarningSign.SKIN_COLOUR])
    assert list(ConsultationRequest.objects.for_queue()[:2]) == [completed, newer_flagged]
    assert completed in ConsultationRequest.objects.open_work()


def test_an_urgent_answer_is_in_the_history_and_the_audit(completed, provider):
    record(completed, provider)
    answer(completed, signs=[WarningSign.SKIN_COLOUR])
    assert StatusChange.objects.filter(consultation=completed, note__startswith="Urgent").count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.URGENT, by_patient=True).count() == 1


def test_an_urgent_answer_tells_staff_and_the_provider_at_once(
    completed, provider, settings, django_capture_on_commit_callbacks
):
    record(completed, provider)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer(completed, signs=[WarningSign.SKIN_COLOUR], note="My skin looks blotchy")
    assert sorted(email.to[0] for email in mail.outbox) == sorted([settings.CLINIC_STAFF_EMAIL, provider.user.email])
    for email in mail.outbox:
        assert completed.reference in email.subject
        assert f"/admin/consultations/consultationrequest/{completed.pk}/change/" in email.body


def test_a_check_in_cannot_be_answered_twice(completed, provider):
    record(completed, provider)
    check_in = answer(completed)
    with pytest.raises(InvalidTransition):
        aftercare.answer_check_in(check_in, feeling="worse", signs=["pain"], note="", now=NOW)
    assert CheckIn.objects.get(pk=check_in.pk).feeling == CheckIn.Feeling.AS_EXPECTED


def test_an_unopened_urgent_check_in_is_sent_to_staff_again_after_30_minutes(
    completed, provider, settings, django_capture_on_commit_callbacks
):
    record(completed, provider)
    answer(completed, signs=[WarningSign.VISION])
    mail.outbox.clear()
    answered = GIVEN + datetime.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert aftercare.escalate_unopened(answered + datetime.timedelta(minutes=29)) == 0
        assert aftercare.escalate_unopened(answered + datetime.timedelta(minutes=30)) == 1
        assert aftercare.escalate_unopened(answered + datetime.timedelta(minutes=35)) == 0
    (email,) = mail.outbox
    assert email.to == [settings.CLINIC_STAFF_EMAIL]
    assert email.subject.startswith("STILL UNOPENED")


def test_an_opened_urgent_check_in_is_not_sent_again(completed, provider):
    record(completed, provider)
    answer(completed, signs=[WarningSign.VISION])
    answered = GIVEN + datetime.timedelta(days=2)
    aftercare.note_opened(completed, provider.user, answered + datetime.timedelta(minutes=10))
    assert aftercare.escalate_unopened(answered + datetime.timedelta(hours=2)) == 0


def test_a_provider_clears_the_urgent_mark(completed, provider):
    record(completed, provider)
    answer(completed, signs=[WarningSign.VISION])
    workflow.clear_urgent(completed, provider.user, now=NOW)
    completed.refresh_from_db()
    assert completed.urgent_since is None
    assert completed not in ConsultationRequest.objects.open_work()


def test_clearing_a_request_that_is_not_urgent_is_refused(completed, provider):
    with pytest.raises(InvalidTransition):
        workflow.clear_urgent(completed, provider.user, now=NOW)


# --- Complications, lot recall, retention -----------------------------------------------------------


def test_a_complication_is_stored_and_audited(completed, provider):
    given = record(completed, provider)
    event = aftercare.log_complication(
        completed,
        by=provider.user,
        now=NOW,
        record=given,
        kind=Complication.Kind.VASCULAR,
        onset_at=GIVEN + datetime.timedelta(days=2),
        description="Blanching of the upper lip",
        actions=[Complication.Action.HYALURONIDASE],
        action_details="",
        outcome=Complication.Outcome.RECOVERING,
        seriousness=[Complication.Seriousness.INTERVENTION],
    )
    assert event.record == given
    assert AuditEvent.objects.filter(action=AuditEvent.Action.COMPLICATION, consultation=completed).count() == 1


def test_lot_search_finds_every_patient_of_the_lot_however_it_is_typed(completed, provider, belotero):
    record(completed, provider)
    other = make_request(belotero, status=Status.COMPLETED, email="other@example.com")
    record(other, provider, lot_number="OTHER1")
    assert [r.consultation for r in aftercare.lot_patients(" h12345ab ")] == [completed]
    assert aftercare.lot_patients("") == []


def test_recall_contact_emails_each_patient_once_in_their_language(
    completed, provider, django_capture_on_commit_callbacks
):
    ConsultationRequest.objects.filter(pk=completed.pk).update(language="es")
    completed.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert aftercare.contact_for_recall([completed, completed], by=provider.user) == 1
    (email,) = mail.outbox
    assert email.to == [BEATRIX["email"]]
    assert '<html lang="es">' in email.alternatives[0][0]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTACT).count() == 1


def test_purge_removes_the_after_visit_records_with_the_request(completed, provider, settings):
    given = record(completed, provider)
    answer(completed, signs=[WarningSign.LUMPS])
    aftercare.log_complication(
        completed, by=provider.user, now=NOW, record=given, kind="nodule", onset_at=NOW, description="A lump",
        actions=[], action_details="", outcome="recovering", seriousness=[],
    )  # fmt: skip
    ConsultationRequest.objects.filter(pk=completed.pk).update(
        status_changed_at=NOW - datetime.timedelta(days=settings.CLINIC_RETENTION_DAYS + 1)
    )
    call_command("purge_requests", stdout=StringIO())
    assert (TreatmentRecord.objects.count(), TreatmentRecordRevision.objects.count()) == (0, 0)
    assert (CheckIn.objects.count(), Complication.objects.count()) == (0, 0)


def test_the_access_request_export_includes_the_after_visit_records(completed, provider, staff_client):
    record(completed, provider)
    answer(completed, signs=[WarningSign.SKIN_COLOUR], note="blotchy")
    response = staff_client.get(reverse("admin:consultations_consultationrequest_export_json", args=[completed.pk]))
    data = response.json()
    assert data["treatments"][0]["lot_number"] == "H12345AB"
    assert data["treatments"][0]["versions"][0]["number"] == 1
    assert data["check_ins"][0]["warning_signs"] == ["skin_colour"]
    assert data["complications"] == []


# --- The patient's pages --------------------------------------------------------------------------------


def test_the_aftercare_page_shows_the_reviewed_aftercare_and_the_emergency_line(completed, provider, client, settings):
    record(completed, provider)
    response = client.get(self_service(client, completed, "manage_aftercare"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Call 911 first" in page and formatting.clinic_phones()["EMERGENCY_PHONE"] in page
    aftercare_section = aftercare.aftercare_content(completed.treatment, "en")["aftercare"]
    assert aftercare_section["heading"] in page


def test_the_aftercare_page_without_a_record_says_so(completed, client):
    response = client.get(self_service(client, completed, "manage_aftercare"))
    assert response.status_code == 404


def test_a_tampered_link_is_a_clear_400(client):
    response = client.get(reverse("consultations:manage_exchange", kwargs={"token": "nonsense", "page": "aftercare"}))
    assert response.status_code == 400


def test_a_red_flag_answer_shows_the_emergency_steps(completed, provider, client, time_machine):
    record(completed, provider)
    time_machine.move_to(GIVEN + datetime.timedelta(days=2, minutes=5))
    url = self_service(client, completed, "manage_check-in")
    response = client.post(
        url, {"day": 2, "feeling": "worse", "signs": ["skin_colour"], "note": "My skin looks blotchy"}
    )
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "Get help now" in page and "Call 911 first" in page
    completed.refresh_from_db()
    assert completed.urgent_since is not None


def test_a_check_in_form_with_errors_keeps_the_answers(completed, provider, client, time_machine):
    record(completed, provider)
    time_machine.move_to(GIVEN + datetime.timedelta(days=2, minutes=5))
    url = self_service(client, completed, "manage_check-in")
    response = client.post(url, {"day": 2, "signs": ["fever"], "note": "hot"})
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'value="fever"[^>]*checked', page) and re.search(r">\s*hot</textarea>", page)
    assert CheckIn.objects.get(day=2).answered_at is None


def test_a_check_in_not_yet_due_is_not_open(completed, provider, client, time_machine):
    record(completed, provider)
    time_machine.move_to(GIVEN + datetime.timedelta(days=1))
    url = self_service(client, completed, "manage_check-in")
    assert client.post(url, {"day": 2, "feeling": "settled"}).status_code == 302
    assert CheckIn.objects.get(day=2).answered_at is None


# --- The staff pages ----------------------------------------------------------------------------------


def provider_client(client, provider):
    client.force_login(provider.user)
    return client


def test_a_provider_records_a_treatment_in_the_admin(completed, provider, client, django_capture_on_commit_callbacks):
    url = reverse("admin:consultations_consultationrequest_treatment", args=[completed.pk])
    provider_client(client, provider)
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "product": "Belotero Balance",
                "areas": ["Lips"],
                "amount_ml": "0.8",
                "lot_number": "h12345",
                "expiry": "2027-06-30",
                "injector": provider.pk,
                "given_at": "2026-11-30T10:00",
            },
        )
    assert response.status_code == 302
    assert TreatmentRecord.objects.get().lot_number == "H12345"
    assert len(mail.outbox) == 1


def test_an_expired_lot_is_refused_with_the_values_kept(completed, provider, client):
    url = reverse("admin:consultations_consultationrequest_treatment", args=[completed.pk])
    provider_client(client, provider)
    data = {
        "product": "Belotero Balance",
        "areas": ["Lips"],
        "amount_ml": "0.8",
        "lot_number": "H777",
        "expiry": "2020-01-01",
        "injector": provider.pk,
        "given_at": "2026-11-30T10:00",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "had expired" in response.content.decode() and 'value="H777"' in response.content.decode()
    assert TreatmentRecord.objects.count() == 0


def test_the_request_page_shows_an_urgent_check_in_and_marks_it_opened(completed, provider, client):
    record(completed, provider)
    answer(completed, signs=[WarningSign.SKIN_COLOUR], note="blotchy")
    provider_client(client, provider)
    page = client.get(reverse("admin:consultations_consultationrequest_change", args=[completed.pk])).content.decode()
    assert "Urgent: a check-in named a warning sign" in page and "blotchy" in page
    assert CheckIn.objects.get(day=2).opened_by == provider.user


def test_the_queue_shows_a_closed_urgent_request_on_top(completed, provider, client):
    record(completed, provider)
    answer(completed, signs=[WarningSign.SKIN_COLOUR])
    provider_client(client, provider)
    page = client.get(reverse("admin:consultations_consultationrequest_changelist")).content.decode()
    assert "Urgent check-in" in page and completed.reference in page


def test_the_medwatch_page_carries_product_and_lot_and_is_audited(completed, provider, client):
    given = record(completed, provider)
    event = aftercare.log_complication(
        completed, by=provider.user, now=NOW, record=given, kind="vascular", onset_at=NOW, description="Dusky lip",
        actions=["hyaluronidase"], action_details="", outcome="recovering", seriousness=["intervention"],
    )  # fmt: skip
    provider_client(client, provider)
    url = reverse("admin:consultations_consultationrequest_medwatch", args=[completed.pk, event.pk])
    page = client.get(url).content.decode()
    assert "Belotero Balance" in page and "H12345AB" in page and "2027-06-30" in page
    assert "Required intervention to prevent permanent impairment or damage" in page
    assert AuditEvent.objects.filter(detail=f"MedWatch summary {event.pk}").count() == 1


def test_the_lot_recall_screen_and_csv_list_the_patient_and_are_audited(completed, provider, client):
    record(completed, provider)
    client.force_login(make_staff("Front desk"))
    url = reverse("admin:consultations_consultationrequest_lot_recall")
    page = client.get(url, {"lot": "H12345AB"}).content.decode()
    assert completed.reference in page and BEATRIX["last_name"] in page
    csv = client.get(url, {"lot": "H12345AB", "format": "csv"}).content.decode("utf-8-sig")
    assert completed.reference in csv and BEATRIX["phone"] in csv
    details = list(AuditEvent.objects.filter(consultation=completed).values_list("detail", flat=True))
    assert "lot recall list" in details and "lot recall CSV" in details


def test_the_lot_recall_sends_the_contact_email(completed, provider, client, django_capture_on_commit_callbacks):
    record(completed, provider)
    mail.outbox.clear()
    client.force_login(make_staff("Front desk"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:consultations_consultationrequest_lot_recall_contact"),
            {"lot": "H12345AB", "reference": [completed.reference]},
        )
    assert response.status_code == 302
    (email,) = mail.outbox
    assert "Please contact us" in email.subject


@pytest.mark.parametrize("extra", [0, 3])
def test_the_request_page_query_count_does_not_grow_with_the_records(
    extra, completed, provider, client, django_assert_num_queries
):
    for index in range(1 + extra):
        given = record(completed, provider, lot_number=f"LOT{index}")
        aftercare.correct_treatment(given, by=provider.user, now=NOW, reason="typo", amount_ml=decimal.Decimal("2"))
        aftercare.log_complication(
            completed, by=provider.user, now=NOW, record=given, kind="nodule", onset_at=NOW, description="A lump",
            actions=[], action_details="", outcome="recovering", seriousness=[],
        )  # fmt: skip
    answer(completed, signs=[WarningSign.LUMPS])
    provider_client(client, provider)
    url = reverse("admin:consultations_consultationrequest_change", args=[completed.pk])
    client.get(url)  # warm process-wide caches
    with django_assert_num_queries(23):
        assert client.get(url).status_code == 200


# --- Races: real threads, each with its own connection ---------------------------------------------


@pytest.mark.races
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tabs_answering_the_same_check_in_store_one_answer(completed, provider):
    record(completed, provider)
    check_in = CheckIn.objects.get(day=2)
    signs = [[WarningSign.VISION], []]

    def attempt(i):
        aftercare.answer_check_in(check_in, feeling="worse", signs=signs[i], note=f"tab {i}", now=NOW)
        return "stored"

    results = race(2, attempt, {InvalidTransition: "refused"})
    assert sorted(results) == ["refused", "stored"]
    stored = CheckIn.objects.get(pk=check_in.pk)
    assert stored.note == f"tab {results.index('stored')}"


@pytest.mark.races
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_overlapping_escalation_runs_send_each_urgent_check_in_once(completed, provider):
    record(completed, provider)
    answer(completed, signs=[WarningSign.VISION])
    mail.outbox.clear()
    later = GIVEN + datetime.timedelta(days=2, minutes=31)
    results = race(4, lambda i: aftercare.escalate_unopened(later), {InvalidTransition: "refused"})
    assert sorted(results) == [0, 0, 0, 1]
    assert len(mail.outbox) == 1


def test_the_queue_filter_finds_check_ins_nobody_answered(completed, provider, client, time_machine):
    record(completed, provider)
    aftercare.invite_due(GIVEN + datetime.timedelta(days=2))
    url = reverse("admin:consultations_consultationrequest_changelist")
    time_machine.move_to(GIVEN + datetime.timedelta(days=3))
    provider_client(client, provider)  # signed in at the test's time (a staff session lasts 30 minutes)
    assert completed.reference not in client.get(url, {"checkin": "no_answer"}).content.decode()
    time_machine.move_to(GIVEN + datetime.timedelta(days=6))
    provider_client(client, provider)
    page = client.get(url, {"checkin": "no_answer"}).content.decode()
    assert completed.reference in page
    completed.refresh_from_db()
    assert completed.urgent_since is None  # a row to call about, not an alarm


def test_a_spanish_patient_gets_the_aftercare_email_and_link_in_spanish(
    completed, provider, django_capture_on_commit_callbacks
):
    ConsultationRequest.objects.filter(pk=completed.pk).update(language="es")
    completed.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        record(completed, provider)
    (email,) = mail.outbox
    assert re.search(r"https?://\S+/es/consultations/manage/\S+/aftercare/", email.body)
    assert '<html lang="es">' in email.alternatives[0][0]


@pytest.mark.parametrize("days", ["", "0, 2", "2, 91", "two"])
def test_a_follow_up_plan_takes_whole_days_from_1_to_90(belotero, days):
    from django.core.exceptions import ValidationError

    plan = FollowUpPlan(treatment=belotero, check_in_days=days)
    with pytest.raises(ValidationError) as raised:
        plan.full_clean()
    assert raised.value.error_dict["check_in_days"][0].code in {"invalid_days", "blank"}


def test_the_check_in_link_leads_to_the_check_in_most_recently_due(completed, provider, client, time_machine):
    record(completed, provider)
    time_machine.move_to(GIVEN + datetime.timedelta(days=14, minutes=5))
    url = self_service(client, completed, "manage_check-in")
    page = client.get(url).content.decode()
    assert "Day 14 check-in" in page and 'name="day" value="14"' in page
    # A day-2 form sent now (kept open in a tab) answers nothing: the day-14 form is shown.
    response = client.post(url, {"day": 2, "feeling": "settled"})
    assert response.status_code == 302
    assert CheckIn.objects.filter(answered_at__isnull=False).count() == 0
    client.post(url, {"day": 14, "feeling": "settled"})
    assert CheckIn.objects.get(day=14).answered_at is not None
    assert CheckIn.objects.get(day=2).answered_at is None  # an unanswered row for staff, not an alarm
