"""The staff work queue, the admin home, the request page and staff sessions."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consultations.availability import clinic_tz
from consultations.models import AuditEvent, ConsultationRequest, Note, Precaution, Status
from tests.factories import make_precaution, make_provider, make_request, make_staff, make_treatment

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

QUEUE = reverse("admin:consultations_consultationrequest_changelist")


def page(consultation):
    return reverse("admin:consultations_consultationrequest_change", args=[consultation.pk])


def received(consultation, hours_ago):
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=hours_ago)
    )
    return consultation


@pytest.fixture
def treatment():
    treatment = make_treatment()
    make_precaution(treatment, kind=Precaution.Kind.DO_NOT_TREAT, question="Severe allergic reaction?")
    make_precaution(treatment, kind=Precaution.Kind.DISCUSS, question="Cold sores?", description="Cold sores")
    return treatment


@pytest.fixture
def ask(treatment):
    """Make a request with a given flag kind (or none), status and age in hours."""
    by_kind = {p.kind: p for p in treatment.precautions.all()}

    def build(flag=None, status=Status.NEW, hours_ago=1, **kwargs):
        answers = {by_kind[flag]: "yes"} if flag else {}
        return received(make_request(treatment, answers=answers, status=status, **kwargs), hours_ago)

    return build


@pytest.fixture
def provider():
    return make_provider()


@pytest.fixture
def provider_client(client, provider):
    client.force_login(provider.user)
    return client


def queue_references(response):
    return [c.reference for c in response.context["cl"].result_list]


def test_queue_puts_new_then_flagged_then_oldest_first(provider_client, ask):
    plain_new = ask(hours_ago=5)
    discuss_new = ask("discuss", hours_ago=1)
    dnt_new = ask("do_not_treat", hours_ago=2)
    dnt_triaged = ask("do_not_treat", status=Status.TRIAGED, hours_ago=10)
    plain_triaged = ask(status=Status.TRIAGED, hours_ago=20)
    response = provider_client.get(QUEUE)
    assert queue_references(response) == [
        r.reference for r in (dnt_new, discuss_new, plain_new, dnt_triaged, plain_triaged)
    ]


def test_queue_row_shows_what_staff_work_from(provider_client, ask, provider):
    start = datetime.datetime(2030, 3, 5, 14, 30, tzinfo=clinic_tz())
    consultation = ask(
        "do_not_treat",
        hours_ago=3,
        provider=provider,
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
        assigned_to=provider.user,
    )
    html = provider_client.get(QUEUE).content.decode()
    for text in (
        consultation.reference,
        "3\xa0hours ago",
        "Testfill",
        '<span class="clinic-badge status-new">New</span>',
        '<span class="clinic-badge flag-do_not_treat">Do not treat</span>',
        "Tue, Mar 5, 2030, 2:30 PM",
        "Dr Quinn",
    ):
        assert text in html
    # Health answers never appear in the queue.
    assert consultation.goals not in html


@pytest.mark.parametrize("rows", [3, 20])
def test_queue_query_count_does_not_grow_with_rows(rows, provider_client, ask, provider, django_assert_num_queries):
    start = timezone.now() + datetime.timedelta(days=3)
    for index in range(rows):
        slot = start + datetime.timedelta(hours=index)
        ask(
            "discuss" if index % 2 else None,
            provider=provider,
            slot_start=slot,
            slot_end=slot + datetime.timedelta(minutes=30),
            assigned_to=provider.user,
        )
    provider_client.get(QUEUE)  # warm process-wide caches (content types) so only the page is counted
    # 12: the page's 11 and one INSERT of the audit rows for the requests shown (issue 23).
    with django_assert_num_queries(12):
        response = provider_client.get(QUEUE)
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=new", {"new_dnt", "new_plain"}),
        ("status=open", {"new_dnt", "new_plain", "booked_discuss", "info"}),
        ("status=declined", {"declined"}),
        ("status=all&flag=any", {"new_dnt", "booked_discuss", "declined"}),
        ("status=all&flag=do_not_treat", {"new_dnt", "declined"}),
        ("status=all&flag=discuss", {"booked_discuss"}),
        ("status=all&flag=none", {"new_plain", "info"}),
        ("status=all&assigned=me", {"booked_discuss"}),
        ("status=all&assigned=nobody", {"new_dnt", "new_plain", "info", "declined"}),
        ("status=all&slot=today", {"booked_discuss"}),
        ("status=all&slot=week", {"info"}),
        ("status=all&slot=past", {"booked_discuss", "declined"}),
        ("status=all&slot=none", {"new_dnt", "new_plain"}),
        ("status=open&flag=any&slot=today", {"booked_discuss"}),
    ],
)
def test_queue_filters(query, expected, provider_client, ask, provider, treatment):
    # Since issue 14 the queue opens on open requests: "status=all" includes the closed ones.
    now = timezone.now()
    half_hour = datetime.timedelta(minutes=30)
    # Midnight at the clinic today: today's, and already past.
    this_morning = datetime.datetime.combine(timezone.localdate(timezone=clinic_tz()), datetime.time.min, clinic_tz())
    in_three_days = now + datetime.timedelta(days=3)
    last_week = now - datetime.timedelta(days=7)
    made = {
        "new_dnt": ask("do_not_treat"),
        "new_plain": ask(),
        "booked_discuss": ask(
            "discuss",
            status=Status.APPROVED,
            provider=provider,
            slot_start=this_morning,
            slot_end=this_morning + half_hour,
            assigned_to=provider.user,
        ),
        "info": ask(
            status=Status.NEEDS_INFO, provider=provider, slot_start=in_three_days, slot_end=in_three_days + half_hour
        ),
        "declined": ask(
            "do_not_treat",
            status=Status.DECLINED,
            provider=provider,
            slot_start=last_week,
            slot_end=last_week + half_hour,
        ),
    }
    names = {consultation.reference: name for name, consultation in made.items()}
    response = provider_client.get(f"{QUEUE}?{query}")
    assert {names[reference] for reference in queue_references(response)} == expected


@pytest.mark.parametrize(
    "term",
    [
        lambda c: c.reference,
        lambda c: c.reference.lower(),
        lambda c: "Grace",
        lambda c: "grace hopper",
        lambda c: "grace@navy.example",
        lambda c: "+12075550199",
        lambda c: "(207) 555-0199",
    ],
)
def test_queue_search_by_reference_name_email_or_phone(term, provider_client, ask):
    wanted = ask(first_name="Grace", last_name="Hopper", email="grace@navy.example", phone="+12075550199")
    ask(first_name="Ada", last_name="Lovelace", email="ada@example.com", phone="+12075550100")
    response = provider_client.get(QUEUE, {"q": term(wanted)})
    assert queue_references(response) == [wanted.reference]


def test_admin_home_counts_link_to_the_filtered_queue(provider_client, ask, provider):
    this_morning = datetime.datetime.combine(timezone.localdate(timezone=clinic_tz()), datetime.time.min, clinic_tz())
    ask("do_not_treat")
    ask()
    ask("discuss", status=Status.NEEDS_INFO)
    ask(
        status=Status.APPROVED,
        provider=provider,
        slot_start=this_morning,
        slot_end=this_morning + datetime.timedelta(minutes=30),
    )
    ask("do_not_treat", status=Status.DECLINED)
    response = provider_client.get(reverse("admin:index"))
    counts = {item["key"]: item for item in response.context["counts"]}
    expected = {"new": 2, "flagged": 2, "needs_info": 1, "today": 1}
    for key, count in expected.items():
        assert counts[key]["count"] == count
        assert f'href="{counts[key]["url"].replace("&", "&amp;")}"' in response.content.decode()
        assert len(provider_client.get(counts[key]["url"]).context["cl"].result_list) == count


def test_admin_home_has_no_queue_for_content_editors(client, ask):
    ask()
    client.force_login(make_staff("Content editor"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Work queue</h2>" not in response.content.decode()


def test_request_page_shows_answers_read_only_with_flags_first(provider_client, ask):
    consultation = ask("do_not_treat", medications="Warfarin 5 mg", allergies="Lidocaine")
    html = provider_client.get(page(consultation)).content.decode()
    flags_at, about_at = html.index("Flags from the screening questions"), html.index("Patient</h2>")
    assert flags_at < about_at
    assert "Severe allergy" in html[flags_at:about_at]  # the contraindication the flag came from
    for text in (
        "Severe allergic reaction?",
        "Warfarin 5 mg",
        "Lidocaine",
        consultation.goals,
        consultation.consent_version,
    ):
        assert text in html
    # Nothing the patient said is a form field: the only editable field is the assignment.
    for name in ("first_name", "goals", "medications", "allergies", "date_of_birth", "status", "answer"):
        assert f'name="{name}"' not in html
    assert 'name="assigned_to"' in html


@pytest.mark.parametrize("extra", [0, 5])
def test_request_page_query_count_does_not_grow(extra, provider_client, ask, provider, django_assert_num_queries):
    consultation = ask("do_not_treat")
    for index in range(extra):
        Note.objects.create(consultation=consultation, author=provider.user, text=f"Note {index}")
        consultation.transition(Status.TRIAGED if index % 2 == 0 else Status.NEEDS_INFO, by=provider.user)
    provider_client.get(page(consultation))  # warm process-wide caches (content types)
    # 17, and 4 for "After the visit" (treatment records, check-ins, complications, and marking an
    # urgent check-in opened): tests/test_aftercare.py keeps those from growing with the records.
    with django_assert_num_queries(21):
        response = provider_client.get(page(consultation))
    assert response.status_code == 200


def test_requests_cannot_be_added_in_the_admin(client):
    client.force_login(make_staff(username="root", is_superuser=True))
    assert client.get(reverse("admin:consultations_consultationrequest_add")).status_code == 403


def test_approve_button_confirms_the_time_and_reports_it(
    provider_client, ask, provider, mailoutbox, django_capture_on_commit_callbacks
):
    start = timezone.now() + datetime.timedelta(days=2)
    consultation = ask(provider=provider, slot_start=start, slot_end=start + datetime.timedelta(minutes=30))
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "approve"])
    with django_capture_on_commit_callbacks(execute=True):
        response = provider_client.post(url, {"confirmed": "yes"}, follow=True)
    consultation.refresh_from_db()
    assert consultation.status == Status.APPROVED
    assert f"{consultation.reference} is now “Approved / booked”." in response.content.decode()
    assert [m.to for m in mailoutbox] == [[consultation.email]]


def test_workflow_button_from_a_stale_page_explains_instead_of_failing(provider_client, ask):
    consultation = ask(status=Status.DECLINED)
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "approve"])
    response = provider_client.post(url, {"confirmed": "yes"}, follow=True)
    assert response.status_code == 200
    assert "cannot become" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.status == Status.DECLINED


def test_decline_without_a_reason_asks_for_one(provider_client, ask):
    consultation = ask()
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "decline"])
    response = provider_client.post(url, {"decline-reason": ""}, follow=True)
    assert "Choose why the request is declined." in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW


def test_decline_with_a_reason_records_it(provider_client, ask):
    consultation = ask()
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "decline"])
    provider_client.post(url, {"decline-reason": "in_person", "confirmed": "yes"})
    consultation.refresh_from_db()
    assert (consultation.status, consultation.decline_reason) == (Status.DECLINED, "in_person")


def test_unknown_workflow_action_is_not_found(provider_client, ask):
    consultation = ask()
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "teleport"])
    assert provider_client.post(url).status_code == 404


def test_note_is_added_with_author_and_time(provider_client, ask, provider):
    consultation = ask()
    url = reverse("admin:consultations_consultationrequest_note", args=[consultation.pk])
    response = provider_client.post(url, {"text": "Called back, prefers mornings."}, follow=True)
    note = Note.objects.get(consultation=consultation)
    assert (note.author, note.text) == (provider.user, "Called back, prefers mornings.")
    html = response.content.decode()
    assert "Called back, prefers mornings." in html
    assert "Note added." in html


def test_empty_note_shows_an_error_and_adds_nothing(provider_client, ask):
    consultation = ask()
    url = reverse("admin:consultations_consultationrequest_note", args=[consultation.pk])
    response = provider_client.post(url, {"text": "   "}, follow=True)
    assert "Write the note before adding it." in response.content.decode()
    assert not Note.objects.exists()


def test_assignment_is_the_only_change_the_form_saves(provider_client, ask, provider):
    consultation = ask()
    response = provider_client.post(
        page(consultation), {"assigned_to": provider.user.pk, "goals": "Changed by staff", "first_name": "X"}
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.assigned_to == provider.user
    assert consultation.goals == "Softer lines around my mouth."
    assert consultation.first_name == "Ada"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, consultation=consultation).count() == 1


def test_staff_session_expires_after_inactivity(client, settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client.force_login(make_staff("Front desk"))
    assert client.get(reverse("admin:index")).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # Each request pushes the expiry a full SESSION_COOKIE_AGE ahead...
    assert session.expire_date > timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    # ...so only a session left idle that long runs out.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_session_is_renewed_by_activity(client, settings):
    client.force_login(make_staff("Front desk"))
    key = client.session.session_key
    soon = timezone.now() + datetime.timedelta(seconds=60)
    Session.objects.filter(pk=key).update(expire_date=soon)
    assert client.get(reverse("admin:index")).status_code == 200
    assert Session.objects.get(pk=key).expire_date > soon


# Replaces the cancel form's own checkbox: every action that emails the patient now has a
# confirmation step (issue 14).
@pytest.mark.parametrize(
    ("action", "data", "target"),
    [
        ("cancel", {}, Status.CANCELLED),
        ("approve", {}, Status.APPROVED),
        ("decline", {"decline-reason": "in_person"}, Status.DECLINED),
        ("request_info", {"request_info-topic": "photos"}, Status.NEEDS_INFO),
    ],
)
def test_actions_that_email_the_patient_ask_for_confirmation_first(
    provider_client, ask, action, data, target, mailoutbox, django_capture_on_commit_callbacks
):
    consultation = ask()
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, action])
    with django_capture_on_commit_callbacks(execute=True):
        response = provider_client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The patient is emailed as soon as you confirm." in page
    assert 'name="confirmed" value="yes"' in page
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = provider_client.post(url, {**data, "confirmed": "yes"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == target
    assert [m.to for m in mailoutbox] == [[consultation.email]]


def test_confirmation_page_shows_a_missing_decline_reason_at_the_field(provider_client, ask):
    consultation = ask()
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "decline"])
    response = provider_client.post(url, {"decline-reason": "", "confirmed": "yes"})
    assert response.status_code == 200
    assert "Choose why the request is declined." in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW


@pytest.mark.parametrize("value", ["", "false"])
def test_approving_a_do_not_treat_request_without_acknowledgement_is_refused(provider_client, provider, value):
    treatment = make_treatment("ackfill")
    precaution = make_precaution(treatment)
    consultation = make_request(treatment, answers={precaution: "yes"}, email="flagged@example.com")
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "approve"])
    data = {"confirmed": "yes", **({"approve-acknowledged": value} if value else {})}
    response = provider_client.post(url, data)
    assert response.status_code == 200
    assert "tick the box to confirm you have read the flags" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW
    provider_client.post(url, {"confirmed": "yes", "approve-acknowledged": "on"})
    consultation.refresh_from_db()
    assert consultation.status == Status.APPROVED
    change = consultation.status_changes.get()
    assert change.acknowledged_flag == "do_not_treat"


QUEUE_VIEWS = [
    "",
    "?status=open",
    "?status=new",
    "?flag=any",
    "?flag=do_not_treat",
    "?flag=none",
    "?assigned=me",
    "?assigned=nobody",
    "?slot=today",
    "?slot=week",
    "?slot=past",
    "?slot=none",
    "?q=Hopper",
    "?q=ABCD2345",
    "?q=(207) 555-0199",
    "export.csv?status=open",
]


@pytest.mark.parametrize("view", QUEUE_VIEWS)
def test_queue_filters_search_and_export_run_the_same_queries_for_3_or_30_requests(
    view, provider_client, ask, provider, django_assert_num_queries
):
    """At a clinic's scale (tens of thousands of requests) a query per row would be thousands."""
    provider.user.user_permissions.add(*Permission.objects.filter(codename="export_requests"))
    start = timezone.now() + datetime.timedelta(days=2)

    def add(rows):
        for index in range(ConsultationRequest.objects.count(), ConsultationRequest.objects.count() + rows):
            slot = start + datetime.timedelta(hours=index)
            ask(
                "discuss" if index % 2 else "do_not_treat",
                provider=provider,
                slot_start=slot,
                slot_end=slot + datetime.timedelta(minutes=30),
                assigned_to=provider.user if index % 3 else None,
                last_name="Hopper",
                phone="+12075550199",
            )

    add(3)
    provider_client.get(QUEUE + view)  # warm process-wide caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        provider_client.get(QUEUE + view)
    add(27)
    with django_assert_num_queries(len(few)):
        response = provider_client.get(QUEUE + view)
    assert response.status_code == 200
