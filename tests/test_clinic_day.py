"""A clinic day that holds up (issue 14): the time everywhere, workflow guards, providers as
people, answering what was asked, honest forms, closed days, staff screens and the day schedule."""

import datetime
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from clinic import formatting
from clinic.management.commands.seed_demo import opening_hours
from consultations import availability, workflow
from consultations.availability import open_slots
from consultations.forms import IntakeForm
from consultations.models import (
    AdditionalInfo,
    AuditEvent,
    ClosedDay,
    ConsultationRequest,
    InfoTopic,
    Photo,
    Provider,
    Status,
    StatusChange,
)
from tests.factories import (
    intake_post_data,
    make_booked_request,
    make_precaution,
    make_provider,
    make_request,
    make_staff,
    make_treatment,
    png_upload,
    self_service,
)

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NEW = reverse("consultations:new")
NY = formatting.clinic_tz()


def admin_url(name, *args):
    return reverse(f"admin:consultations_consultationrequest_{name}", args=args)


@pytest.fixture
def provider():
    return make_provider(display_name="Dr Rivera", weekdays=range(7))


@pytest.fixture
def treatment():
    treatment = make_treatment()
    make_precaution(treatment, question="Have you had anaphylaxis?")
    return treatment


# --- 1. The time, everywhere -------------------------------------------------------------------


def test_formatting_names_the_day_with_the_time_at_the_clinic():
    moment = datetime.datetime(2026, 12, 7, 16, 0, tzinfo=datetime.UTC)  # 11:00 in New York
    assert formatting.slot_when(moment) == "Mon, Dec 7, 11:00 AM"
    assert formatting.when(moment) == "Mon, Dec 7, 2026, 11:00 AM"
    assert formatting.time_zone_name() == "Eastern Time (America/New_York)"


@pytest.mark.parametrize(
    ("stored", "shown"), [("+12075550134", "(207) 555-0134"), ("+442079460000", "+44 20 7946 0000"), ("", "")]
)
def test_formatting_phone_for_reading(stored, shown):
    assert formatting.phone(stored) == shown


def test_form_time_options_name_their_day_and_the_clinic_time_zone(client, treatment, provider):
    html = client.get(NEW).content.decode()
    first = open_slots()[0]
    assert f'<option value="{first.key}">{formatting.slot_when(first.start)}</option>' in html
    # Not a bare "10:20": every option starts with its weekday.
    options = re.findall(r'<option value="\d+\|[^"]+">([^<]+)</option>', html)
    assert options and all(
        re.match(r"^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d\d [AP]M$", text) for text in options
    )
    assert "Eastern Time (America/New_York)" in html
    assert 'aria-describedby="id_preferred_time_helptext"' in html


def test_move_page_uses_the_same_time_select(client, provider):
    slot = open_slots()[0]
    consultation = make_booked_request(slot)
    html = client.get(self_service(client, consultation, "manage_move")).content.decode()
    other = open_slots()[1]
    assert '<select name="slot"' in html
    assert f'<option value="{other.key}">{formatting.slot_when(other.start)}</option>' in html
    assert "Eastern Time (America/New_York)" in html


def test_confirmation_and_receipt_state_the_held_time(
    client, treatment, provider, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.CLINIC_MIN_FILL_SECONDS = 0
    slot = open_slots()[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, intake_post_data(treatment, preferred_time=slot.key), follow=True)
    page = response.content.decode()
    assert formatting.slot_when(slot.start) in page
    assert "We hold this time for you until the clinic confirms it" in page
    assert "to arrange your consultation" not in page
    assert "email you to confirm your time" in page
    (receipt,) = [m for m in mailoutbox if m.to == ["ada.quillfeather@example.com"]]
    assert f"Your requested time: {formatting.slot_when(slot.start)} (clinic time)." in receipt.body
    assert "We hold this time for you until the clinic confirms it." in receipt.body
    assert formatting.slot_when(slot.start) in receipt.alternatives[0][0]


def test_confirmation_without_a_time_says_the_clinic_will_arrange_one(
    client, treatment, provider, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.CLINIC_MIN_FILL_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, intake_post_data(treatment), follow=True)
    page = response.content.decode()
    assert "to arrange your consultation" in page
    assert "We hold this time" not in page
    (receipt,) = [m for m in mailoutbox if m.to == ["ada.quillfeather@example.com"]]
    assert "requested time" not in receipt.body
    assert "to arrange your consultation" in receipt.body


# --- 2. Workflow guards ------------------------------------------------------------------------


@pytest.fixture
def provider_client(client, provider):
    client.force_login(provider.user)
    return client


def approved(provider, start):
    return make_request(
        status=Status.APPROVED,
        provider=provider,
        slot_start=start,
        slot_end=start + datetime.timedelta(minutes=30),
        email="booked@example.com",
    )


@pytest.mark.parametrize("action", ["no_show", "complete"])
def test_future_no_show_or_completed_post_is_refused(
    provider_client, provider, action, mailoutbox, django_capture_on_commit_callbacks
):
    consultation = approved(provider, timezone.now() + datetime.timedelta(days=6))
    page = provider_client.get(admin_url("change", consultation.pk)).content.decode()
    assert admin_url("transition", consultation.pk, action) not in page  # no button
    with django_capture_on_commit_callbacks(execute=True):
        response = provider_client.post(admin_url("transition", consultation.pk, action), {"confirmed": "yes"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Status.APPROVED
    assert mailoutbox == []
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TRANSITION).exists()
    page = provider_client.get(response["Location"]).content.decode()
    assert "possible from the start of the appointment" in page


def test_no_show_button_appears_once_the_appointment_started(provider_client, provider):
    consultation = approved(provider, timezone.now() - datetime.timedelta(minutes=5))
    page = provider_client.get(admin_url("change", consultation.pk)).content.decode()
    assert admin_url("transition", consultation.pk, "no_show") in page
    assert admin_url("transition", consultation.pk, "complete") in page


def test_patient_cancel_through_the_link_is_in_history_and_audit(client, provider, staff_client):
    consultation = make_booked_request(open_slots()[0])
    client.post(self_service(client, consultation, "manage_cancel"))
    change = StatusChange.objects.get(consultation=consultation)
    assert (change.by, change.by_patient, change.actor) == (None, True, "patient (self-service link)")
    event = AuditEvent.objects.get(action=AuditEvent.Action.TRANSITION)
    assert (event.user, event.by_patient, event.reference) == (None, True, consultation.reference)
    assert event.detail == "New → Cancelled"
    page = staff_client.get(admin_url("change", consultation.pk)).content.decode()
    assert "New → Cancelled" in page
    assert "(patient (self-service link))" in page
    listing = staff_client.get(reverse("admin:consultations_auditevent_changelist")).content.decode()
    assert "patient (self-service link)" in listing
    assert "Changed status" in listing
    assert formatting.when(event.at) in listing


def test_patient_move_is_in_history_and_audit(client, provider):
    first, second = open_slots()[:2]
    consultation = make_booked_request(first)
    client.post(self_service(client, consultation, "manage_move"), {"slot": second.key})
    change = StatusChange.objects.get(consultation=consultation)
    assert change.by_patient and change.note == f"Moved from {first.label} to {second.label}"
    assert AuditEvent.objects.filter(by_patient=True, detail="moved to another time").count() == 1


def test_transition_audit_detail_uses_labels(provider_client, provider):
    consultation = make_request(email="x@example.com")
    provider_client.post(admin_url("transition", consultation.pk, "triage"))
    event = AuditEvent.objects.get(action=AuditEvent.Action.TRANSITION)
    assert event.detail == "New → Triaged"


# --- 3. Providers are people -------------------------------------------------------------------


def test_adding_a_user_to_the_provider_group_makes_them_assignable(staff_client):
    user = make_staff(username="dr-new", first_name="Noor", last_name="Haddad")
    assert not Provider.objects.filter(user=user).exists()
    user.groups.add(Group.objects.get(name="Provider"))
    provider = Provider.objects.get(user=user)
    assert (provider.display_name, provider.active) == ("Noor Haddad", True)
    consultation = make_request(email="a@example.com")
    page = staff_client.get(admin_url("change", consultation.pk)).content.decode()
    assert f'<option value="{user.pk}">Noor Haddad</option>' in page
    staff_client.post(admin_url("change", consultation.pk), {"assigned_to": user.pk})
    consultation.refresh_from_db()
    assert consultation.assigned_to == user


def test_group_membership_from_the_group_side_and_removal(staff_client):
    user = make_staff(username="dr-side")
    group = Group.objects.get(name="Provider")
    group.user_set.add(user)
    assert Provider.objects.get(user=user).active
    user.groups.remove(group)
    assert not Provider.objects.get(user=user).active  # past bookings keep their provider


def test_provider_group_user_is_bookable_once_hours_are_filled():
    user = make_staff("Provider", username="dr-hours")
    assert open_slots() == []
    user.provider.working_hours.create(weekday=0, start=datetime.time(9), end=datetime.time(12))
    user.provider.working_hours.create(weekday=3, start=datetime.time(9), end=datetime.time(12))
    assert {slot.provider_id for slot in open_slots()} == {user.provider.pk}


def test_assigned_to_me_works_for_a_provider_group_user(client):
    user = make_staff("Provider", username="dr-mine")
    mine = make_request(email="mine@example.com", assigned_to=user)
    make_request(email="other@example.com")
    client.force_login(user)
    html = client.get(admin_url("changelist") + "?assigned=me").content.decode()
    assert mine.reference in html and html.count('class="field-reference"') == 1


# --- 4. Asked for it, can send it ---------------------------------------------------------------


def asked(topic, provider_user, run):
    consultation = make_request(email="asked@example.com")
    run(workflow.request_info, consultation, provider_user, topic=topic)
    return consultation


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def call(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return call


def test_asked_for_photos_the_page_offers_an_upload(client, provider, run):
    consultation = asked(InfoTopic.PHOTOS, provider.user, run)
    html = client.get(self_service(client, consultation, "manage_page")).content.decode()
    assert "Clearer photos of the area you would like treated" in html
    assert 'type="file"' in html and 'name="photos"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "do not send photos here" not in html


def test_asked_for_information_the_page_says_what_and_offers_text(client, provider, run):
    consultation = asked(InfoTopic.HISTORY, provider.user, run)
    html = client.get(self_service(client, consultation, "manage_page")).content.decode()
    assert "Details of any previous aesthetic treatments" in html
    assert 'name="text"' in html and 'type="file"' not in html


def test_photos_sent_through_the_link_reach_the_request(
    client, provider, run, mailoutbox, django_capture_on_commit_callbacks
):
    consultation = asked(InfoTopic.PHOTOS, provider.user, run)
    mailoutbox.clear()
    url = self_service(client, consultation, "manage_info")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"text": "", "photos": [png_upload("a.png"), png_upload("b.png")]})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Status.TRIAGED
    info = AdditionalInfo.objects.get(consultation=consultation)
    assert info.topic == InfoTopic.PHOTOS
    assert Photo.objects.filter(consultation=consultation, additional_info=info).count() == 2
    (notice,) = mailoutbox
    assert notice.to == ["staff@clinic.test"] and consultation.reference in notice.subject
    assert "They sent 2 photos." in notice.body
    event = AuditEvent.objects.get(action=AuditEvent.Action.PATIENT_CHANGE)
    assert (event.by_patient, event.detail) == (True, "added information (2 photos)")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "Choose the photos we asked for, or call us."),
        ({"photos": "not-a-photo"}, "Choose the photos we asked for, or call us."),
    ],
)
def test_photo_answer_without_a_photo_is_refused(client, provider, run, files, message):
    consultation = asked(InfoTopic.PHOTOS, provider.user, run)
    response = client.post(self_service(client, consultation, "manage_info"), files)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AdditionalInfo.objects.exists()


def test_photo_answer_with_a_fake_image_gets_the_intakes_check(client, provider, run):
    from django.core.files.uploadedfile import SimpleUploadedFile

    consultation = asked(InfoTopic.PHOTOS, provider.user, run)
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    response = client.post(self_service(client, consultation, "manage_info"), {"photos": fake})
    assert response.status_code == 200
    assert 'id="info_photos_error"' in response.content.decode()
    assert not Photo.objects.exists()


# --- 5. Form honesty ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1990-02-30", "1990-13-01", "2001-02-29"])
def test_impossible_date_says_it_does_not_exist(treatment, value):
    form = IntakeForm(intake_post_data(treatment, date_of_birth=value), treatment=treatment)
    assert not form.is_valid()
    assert form.errors.as_data()["date_of_birth"][0].code == "nonexistent"
    assert form.errors["date_of_birth"] == ["That date does not exist. Please check the day and the month."]


def test_malformed_date_still_asks_for_a_real_date(treatment):
    form = IntakeForm(intake_post_data(treatment, date_of_birth="yesterday"), treatment=treatment)
    assert form.errors.as_data()["date_of_birth"][0].code == "invalid"


def test_text_areas_show_their_limit_before_typing(client, treatment):
    html = client.get(NEW).content.decode()
    for name in ("goals", "previous_treatments", "medications", "allergies"):
        assert re.search(rf'<textarea name="{name}"[^>]*maxlength="2000"[^>]*data-counter=', html) or re.search(
            rf'<textarea name="{name}"[^>]*data-counter=[^>]*maxlength="2000"', html
        ), name
    assert "Up to 2000 characters." in html
    assert '<script src="/static/js/counter.js" defer></script>' in html


def test_too_long_text_is_refused_with_the_count_not_truncated(client, treatment, settings):
    settings.CLINIC_MIN_FILL_SECONDS = 0
    response = client.post(NEW, intake_post_data(treatment, goals="x" * 2001))
    assert "at most 2000 characters (it has 2001)" in response.content.decode()
    assert ConsultationRequest.objects.count() == 0


def test_switching_treatment_keeps_shared_answers_and_says_what_changed(treatment):
    other = make_treatment("otherfill", name="Otherfill")
    shared = make_precaution(other, question="Have you had  anaphylaxis?")  # same question, other spacing
    new = make_precaution(other, question="Do you bruise easily?")
    (old,) = treatment.precautions.all()
    data = intake_post_data(treatment, treatment="otherfill", **{IntakeForm.question_name(old): "yes"})
    form = IntakeForm(data, treatment=other)
    assert not form.is_valid()
    (message,) = form.errors["__all__"]
    assert "You changed the treatment, so the health questions changed (before: Testfill; now: Otherfill)." in message
    assert "We kept your answer to the 1 question both treatments ask." in message
    assert form[IntakeForm.question_name(shared)].value() == "yes"
    assert not form[IntakeForm.question_name(new)].value()


# --- 6. Closures and hours ---------------------------------------------------------------------


def test_closed_day_offers_no_times(provider):
    day = open_slots()[0].start.astimezone(NY).date()
    ClosedDay.objects.create(date=day, name="Staff training")
    assert all(slot.start.astimezone(NY).date() != day for slot in open_slots())
    assert not availability.is_generated(open_slots()[0]) or open_slots()[0].start.astimezone(NY).date() != day


def test_closed_day_refuses_a_booking_posted_for_it(client, treatment, provider, settings):
    settings.CLINIC_MIN_FILL_SECONDS = 0
    slot = open_slots()[0]
    ClosedDay.objects.create(date=slot.start.astimezone(NY).date(), name="Holiday")
    response = client.post(NEW, intake_post_data(treatment, preferred_time=slot.key))
    assert response.status_code == 200
    assert ConsultationRequest.objects.count() == 0


def test_seed_demo_closes_christmas_and_new_year_and_works_the_footers_hours(settings):
    settings.CLINIC = {**settings.CLINIC, "OPENING_HOURS": "Mo-Fr 09:00-17:00"}
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    year = timezone.localdate().year
    dates = set(ClosedDay.objects.values_list("date", flat=True))
    assert {datetime.date(year, 12, 25), datetime.date(year + 1, 1, 1)} <= dates
    hours = Provider.objects.get(user__username="demo-provider").working_hours.all()
    assert sorted((h.weekday, h.start, h.end) for h in hours) == [
        (day, datetime.time(9), datetime.time(17)) for day in range(5)
    ]


def test_opening_hours_are_read_as_the_footer_states_them():
    assert opening_hours("Mo-We 09:00-17:00; Sa 10:00-14:00") == [
        (0, datetime.time(9), datetime.time(17)),
        (1, datetime.time(9), datetime.time(17)),
        (2, datetime.time(9), datetime.time(17)),
        (5, datetime.time(10), datetime.time(14)),
    ]


def test_closed_day_in_the_admin_refuses_a_second_entry_for_the_date(staff_client):
    ClosedDay.objects.create(date=datetime.date(2026, 12, 25), name="Christmas Day")
    response = staff_client.post(reverse("admin:consultations_closedday_add"), {"date": "2026-12-25", "name": "Again"})
    assert response.status_code == 200
    assert ClosedDay.objects.count() == 1
    response = staff_client.post(reverse("admin:consultations_closedday_add"), {"date": "2026-02-30", "name": "X"})
    assert response.status_code == 200 and ClosedDay.objects.count() == 1


# --- 7. Staff screens --------------------------------------------------------------------------


def test_queue_opens_on_open_requests_with_the_patients_name(provider_client):
    open_one = make_request(email="o@example.com", first_name="Grace", last_name="Hopper")
    closed = make_request(email="c@example.com", status=Status.CANCELLED)
    html = provider_client.get(admin_url("changelist")).content.decode()
    assert open_one.reference in html and closed.reference not in html
    assert "Grace Hopper" in html
    everything = provider_client.get(admin_url("changelist") + "?status=all").content.decode()
    assert closed.reference in everything


def test_request_page_uses_staff_wording_and_a_readable_phone(staff_client):
    consultation = make_request(email="w@example.com", phone="+12075550134")
    html = staff_client.get(admin_url("change", consultation.pk)).content.decode()
    assert ">Patient</h2>" in html and ">Health</h2>" in html and ">Goals</h2>" in html
    assert "About you" not in html and "Your health" not in html
    assert '<a href="tel:+12075550134">(207) 555-0134</a>' in html
    assert "Save and continue editing" not in html


def test_flag_label_agrees_between_box_and_answers_table(staff_client):
    treatment = make_treatment("flagfill")
    precaution = make_precaution(treatment, question="Are you allergic to gram-positive bacteria proteins?")
    consultation = make_request(treatment, answers={precaution: "unsure"}, email="u@example.com")
    html = staff_client.get(admin_url("change", consultation.pk)).content.decode()
    table = html[html.index('class="clinic-answers"') :]
    table = table[: table.index("</table>")]
    assert '<span class="clinic-badge flag-discuss">Discuss</span>' in table
    assert "Do not treat" not in table


def test_forbidden_staff_page_is_styled_in_the_admin_look(client):
    client.force_login(make_staff("Front desk"))
    consultation = make_request(email="f@example.com")
    response = client.get(admin_url("export_json", consultation.pk))
    assert response.status_code == 403
    html = response.content.decode()
    assert "clinic-admin.css" in html and 'id="header"' in html
    assert "Your role does not include this page or action." in html
    assert "Back to the work queue" in html


def test_forbidden_public_page_is_styled_in_the_site_look(rf):
    from clinic.views import permission_denied

    response = permission_denied(rf.get("/consultations/x/"))
    assert response.status_code == 403
    assert b"clinic.css" in response.content


# --- 8. The front desk's day -------------------------------------------------------------------


@pytest.fixture
def day_of(provider):
    today_slot = [s for s in open_slots(weeks=1) if s.start.astimezone(NY).date() > formatting.clinic_today()][0]
    # Times on the clinic's today at any hour the test runs (now + 30 minutes is tomorrow after 23:30).
    noon = datetime.datetime.combine(formatting.clinic_today(), datetime.time(12), tzinfo=NY)
    today = approved(provider, noon)
    held = make_booked_request(today_slot, medications="Warfarin 5 mg", goals="Private goals")
    cancelled = make_request(
        email="gone@example.com",
        status=Status.CANCELLED,
        provider=provider,
        slot_start=noon + datetime.timedelta(hours=1),
        slot_end=noon + datetime.timedelta(hours=1, minutes=30),
    )
    return today, held, cancelled


def test_schedule_lists_today_by_provider_for_front_desk_without_health(client, day_of, django_assert_max_num_queries):
    today, held, cancelled = day_of
    desk = make_staff("Front desk")
    client.force_login(desk)
    with django_assert_max_num_queries(12):
        response = client.get(admin_url("schedule"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dr Rivera" in html
    assert f'href="{admin_url("change", today.pk)}">{today.reference}</a>' in html
    assert "Approved / booked" in html
    assert cancelled.reference not in html
    assert "clinic-print.css" in html and 'media="print"' in html
    week = client.get(admin_url("schedule") + "?range=week").content.decode()
    if held.slot_start.astimezone(NY).date() < formatting.clinic_today() + datetime.timedelta(
        days=7 - formatting.clinic_today().weekday()
    ):
        assert held.reference in week
    for secret in ("Warfarin", "Private goals", "anaphylaxis"):
        assert secret not in html and secret not in week


@pytest.mark.parametrize("value", ["", "month", "<script>"])
def test_schedule_range_falls_back_to_today_for_unknown_values(client, staff_client, value):
    response = staff_client.get(admin_url("schedule"), {"range": value})
    assert response.status_code == 200
    assert "<h1>Today&#x27;s schedule</h1>" in response.content.decode()


def test_schedule_needs_the_view_permission(client):
    client.force_login(make_staff("Content editor"))
    assert client.get(admin_url("schedule")).status_code == 403


def test_request_page_prints_as_a_summary(staff_client):
    consultation = make_request(email="p@example.com")
    html = staff_client.get(admin_url("change", consultation.pk)).content.decode()
    assert "clinic-print.css" in html and 'media="print"' in html
    assert "js/print.js" in html and "data-print hidden" in html
