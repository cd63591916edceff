"""The intake pages over HTTP: PRG, duplicates, abuse protection, bad input, privacy."""

import io
import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter
from PIL import Image

from consultations import intake, photos
from consultations.forms import IntakeForm
from consultations.models import ConsultationRequest, Flag, FlagKind, Photo, PrivacyNotice, ScreeningAnswer
from education.models import Precaution, Treatment

from .factories import intake_post_data, make_area, make_precaution, make_request, make_treatment

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


NEW = reverse("consultations:new")
CONFIRMATION = reverse("consultations:confirmation")


@pytest.fixture
def treatment():
    treatment = make_treatment("testfill", name="Testfill")
    make_area(treatment, name="Nasolabial folds")
    make_precaution(treatment, kind=Precaution.Kind.DO_NOT_TREAT, question="Have you had anaphylaxis?")
    make_precaution(
        treatment, kind=Precaution.Kind.POSTPONE, question="Do you have a cold sore?", description="Cold sore"
    )
    return treatment


def jpeg(name="face.jpg", size=(80, 60)):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (43.0, 39.0, 12.0)}
    Image.new("RGB", size, "teal").save(out, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def post(client, for_treatment, /, **overrides):
    return client.post(NEW, intake_post_data(for_treatment, **overrides))


def question(treatment, text):
    return IntakeForm.question_name(treatment.precautions.get(question=text))


# --- The page --------------------------------------------------------------------------------


def test_form_page_preselects_the_treatment_in_the_query(client, treatment):
    belotero = Treatment.objects.get(slug="belotero")
    response = client.get(f"{NEW}?treatment=belotero")
    assert response.status_code == 200
    assert '<option value="belotero" selected>' in response.text
    for asked in belotero.screening_precautions():
        assert asked.question.replace("'", "&#x27;") in response.text
    assert "Have you had anaphylaxis?" not in response.text


def test_form_page_unknown_treatment_in_the_query_shows_the_first_treatment(client, treatment):
    response = client.get(f"{NEW}?treatment=no-such-thing")
    assert response.status_code == 200
    assert f'<option value="{Treatment.objects.published().first().slug}" selected>' in response.text


def test_form_page_has_labels_fieldsets_and_no_inline_script_or_style(client, treatment):
    html = client.get(NEW).text
    for name in ("first_name", "last_name", "email", "phone", "date_of_birth", "goals", "photos", "consent"):
        assert f'for="id_{name}"' in html
    assert html.count("<legend") >= 8
    assert 'autocomplete="given-name"' in html
    assert 'type="date"' in html
    assert re.search(r'<input type="file" name="photos" accept="image/jpeg,image/png,image/webp[^"]*" multiple', html)
    assert "style=" not in html
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/ld\+json\")\b)", html)


def test_form_page_links_to_the_privacy_notice(client, treatment):
    assert reverse("consultations:privacy") in client.get(NEW).text


def test_form_page_honeypot_is_hidden_and_skipped_by_keyboard(client, treatment):
    html = client.get(NEW).text
    field = re.search(r'<input[^>]*name="website"[^>]*>', html).group(0)
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert "Leave this empty" in html


# --- Success and PRG ----------------------------------------------------------------------------


def test_valid_request_redirects_to_a_confirmation_url_without_reference(client, treatment):
    response = post(client, treatment)
    consultation = ConsultationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == CONFIRMATION
    assert consultation.reference not in response["Location"]


def test_valid_request_is_stored_with_snapshot_consent_and_normalised_phone(client, treatment):
    lips = make_area(treatment, name="Lips")
    post(client, treatment, areas=[str(lips.pk)], **{question(treatment, "Do you have a cold sore?"): "yes"})
    consultation = ConsultationRequest.objects.get()
    notice = PrivacyNotice.current()
    assert consultation.phone == "+12077741234"
    assert consultation.areas == ["Lips"]
    assert (consultation.consent_version, consultation.consent_sha256) == (notice.version, notice.sha256)
    assert consultation.consented_at is not None
    assert consultation.slot_start is None  # "no preference / please call me"
    answers = [(a.question, a.answer, a.flag_kind) for a in consultation.answers.all()]
    assert answers == [
        ("Have you had anaphylaxis?", "no", FlagKind.DO_NOT_TREAT),
        ("Do you have a cold sore?", "yes", FlagKind.POSTPONE),
    ]
    assert [(f.kind, f.reason) for f in consultation.flags.all()] == [(FlagKind.POSTPONE, "Cold sore")]
    assert consultation.worst_flag == FlagKind.POSTPONE


def test_screening_snapshot_survives_later_edits_to_the_question(client, treatment):
    post(client, treatment)
    treatment.precautions.update(question="A reworded question?")
    assert ScreeningAnswer.objects.filter(question="Have you had anaphylaxis?").count() == 1


def test_request_from_a_20_year_old_is_accepted_and_flagged_for_discussion(client, treatment):
    from django.utils import timezone

    treatment.labeled_min_age = 21
    treatment.save()
    today = timezone.localdate()
    response = post(client, treatment, date_of_birth=today.replace(year=today.year - 20).isoformat())
    assert response.status_code == 302
    flag = Flag.objects.get()
    assert flag.kind == FlagKind.DISCUSS
    assert "under 21" in flag.reason


def test_request_from_a_20_year_old_is_not_age_flagged_for_a_treatment_without_a_labeled_age(client, treatment):
    from django.utils import timezone

    today = timezone.localdate()
    response = post(client, treatment, date_of_birth=today.replace(year=today.year - 20).isoformat())
    assert response.status_code == 302
    assert not Flag.objects.exists()


def test_confirmation_shows_the_reference_and_next_steps_to_the_sender(client, treatment):
    post(client, treatment, **{question(treatment, "Have you had anaphylaxis?"): "yes"})
    consultation = ConsultationRequest.objects.get()
    response = client.get(CONFIRMATION)
    assert response.status_code == 200
    assert consultation.reference in response.text
    assert "A licensed provider will review your answers" in response.text
    assert "(207) 555-0134" in response.text
    # Neutral: no diagnosis, no flag, no health data.
    for word in ("anaphylaxis", "Do not treat", "flag", "Ada", "wedding"):
        assert word not in response.text


def test_confirmation_is_not_shown_to_another_browser(client, treatment):
    post(client, treatment)
    response = Client().get(CONFIRMATION)
    assert response.status_code == 404
    assert ConsultationRequest.objects.get().reference not in response.text
    assert "only in the browser that sent it" in response.text


def test_sending_the_form_writes_no_session_and_a_forged_cookie_shows_nothing(client, treatment):
    from django.contrib.sessions.models import Session

    from consultations.views import SUBMITTED_COOKIE

    post(client, treatment)
    other = make_request()
    assert Session.objects.count() == 0
    assert client.cookies[SUBMITTED_COOKIE]["httponly"]
    assert client.get(CONFIRMATION).status_code == 200

    stranger = Client()
    for forged in (str(other.pk), f"{other.pk}:forged-signature", ""):
        stranger.cookies[SUBMITTED_COOKIE] = forged
        response = stranger.get(CONFIRMATION)
        assert response.status_code == 404
        assert other.reference not in response.text


def test_confirmation_is_gone_after_half_an_hour(client, treatment, monkeypatch):
    import time

    post(client, treatment)
    later = time.time() + 31 * 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert client.get(CONFIRMATION).status_code == 404


def test_privacy_page_shows_the_current_notice_with_its_version(client):
    notice = PrivacyNotice.current()
    response = client.get(reverse("consultations:privacy"))
    assert response.status_code == 200
    assert f"Version {notice.version}" in response.text
    assert "<h2>What we collect</h2>" in response.text


# --- Duplicates ------------------------------------------------------------------------------


def test_same_form_sent_twice_creates_one_request_and_shows_its_confirmation(client, treatment):
    data = intake_post_data(treatment)
    client.post(NEW, data)
    second = client.post(NEW, data)
    assert ConsultationRequest.objects.count() == 1
    assert second["Location"] == CONFIRMATION
    assert ConsultationRequest.objects.get().reference in client.get(CONFIRMATION).text


def test_same_form_sent_twice_in_a_race_creates_one_request(client, treatment, monkeypatch):
    data = intake_post_data(treatment)
    client.post(NEW, data)
    # The second send passes the first check before the first one commits: the unique token catches it.
    real = intake.find_duplicate
    calls = []

    def first_check_misses(form):
        calls.append(1)
        return None if len(calls) == 1 else real(form)

    monkeypatch.setattr(intake, "find_duplicate", first_check_misses)
    response = client.post(NEW, data)
    assert response.status_code == 302
    assert response["Location"] == CONFIRMATION
    assert ConsultationRequest.objects.count() == 1


def test_two_different_forms_create_two_requests(client, treatment):
    post(client, treatment)
    post(client, treatment)
    assert ConsultationRequest.objects.count() == 2


# --- Abuse protection ----------------------------------------------------------------------------


def test_rate_limit_answers_429_with_the_clinic_phone(client, treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "2/h"
    assert post(client, treatment).status_code == 302
    assert post(client, treatment).status_code == 302
    response = post(client, treatment)
    assert response.status_code == 429
    assert "try again" in response.text
    assert "(207) 555-0134" in response.text
    assert ConsultationRequest.objects.count() == 2


def test_rate_limit_counts_each_address_separately(client, treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "1/h"
    assert post(client, treatment).status_code == 302
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.post(NEW, intake_post_data(treatment)).status_code == 302
    assert post(client, treatment).status_code == 429


def test_rate_limit_off_lets_every_post_through(client, treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "off"
    statuses = {post(client, treatment).status_code for _ in range(12)}
    assert statuses == {302}
    assert ConsultationRequest.objects.count() == 12


def test_rate_limit_does_not_count_page_views(client, treatment, settings):
    settings.CLINIC_SUBMISSION_RATE = "1/h"
    for _ in range(3):
        client.get(NEW)
    assert post(client, treatment).status_code == 302


def test_honeypot_gets_a_fake_success_and_nothing_is_stored(client, treatment, mailoutbox):
    response = post(client, treatment, website="https://cheap-pills.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("consultations:thanks")
    assert client.get(response["Location"]).status_code == 200
    assert ConsultationRequest.objects.count() == 0
    assert mailoutbox == []


def test_form_sent_faster_than_the_minimum_fill_time_is_dropped(client, treatment, settings):
    settings.CLINIC_MIN_FILL_SECONDS = 3
    response = post(client, treatment)
    assert response["Location"] == reverse("consultations:thanks")
    assert ConsultationRequest.objects.count() == 0


def test_missing_csrf_token_gets_the_friendly_403_page(treatment):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(NEW, intake_post_data(treatment))
    assert response.status_code == 403
    assert "Your form expired or could not be checked" in response.text
    assert ConsultationRequest.objects.count() == 0


# --- Bad input -----------------------------------------------------------------------------------


def test_empty_form_shows_an_error_summary_linking_to_fields(client, treatment):
    response = client.post(NEW, {"rendered_for": "testfill", "treatment": "testfill"})
    assert response.status_code == 200
    summary = re.search(r'<div class="alert alert-danger" id="error-summary"(.*?)</div>', response.text, re.S).group(0)
    assert 'role="alert"' in summary
    assert 'tabindex="-1"' in summary
    assert 'href="#id_first_name"' in summary
    assert f'href="#id_{question(treatment, "Have you had anaphylaxis?")}_0"' in summary
    assert 'href="#id_consent"' in summary
    assert response.text.count('aria-invalid="true"') >= 8
    assert ConsultationRequest.objects.count() == 0


def test_invalid_form_keeps_every_typed_value(client, treatment):
    area = treatment.areas.get()
    response = post(
        client,
        treatment,
        email="not-an-email",
        areas=[str(area.pk)],
        previous_treatments="Lip filler in 2022, no problems",
        medications="Fish oil daily",
        **{question(treatment, "Do you have a cold sore?"): "unsure"},
    )
    html = response.text
    assert response.status_code == 200
    assert 'value="Ada"' in html
    assert 'value="Quillfeather"' in html
    assert 'value="not-an-email"' in html
    assert 'value="(207) 774-1234"' in html
    assert 'value="1990-04-21"' in html
    assert "sister&#x27;s wedding" in html
    assert "Lip filler in 2022, no problems" in html
    assert "Fish oil daily" in html
    assert re.search(rf'value="{area.pk}"[^>]*checked', html)
    assert re.search(r'value="unsure"[^>]*checked', html)
    assert re.search(r'name="consent"[^>]*checked', html)


def test_invalid_form_with_photos_asks_to_choose_them_again(client, treatment):
    response = client.post(NEW, {**intake_post_data(treatment, first_name=""), "photos": [jpeg()]})
    assert response.status_code == 200
    assert "Please choose your photos again" in response.text
    assert Photo.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "ada@"}, "Please enter an email address like name@example.com."),
        ({"phone": "555"}, "Please enter a mobile number we can call"),
        ({"date_of_birth": "2999-01-01"}, "Your date of birth cannot be in the future."),
        ({"date_of_birth": "not a date"}, "Please enter a real date of birth"),
        ({"first_name": "A" * 200}, "Ensure this value has at most 80 characters"),
        ({"goals": "x" * 2500}, "Ensure this value has at most 2000 characters"),
        ({"treatment": "botox-9000"}, "Please choose one of the treatments in the list."),
        ({"areas": ["999999"]}, "Please choose areas from the list."),
        ({"first_name": "Ada\x00"}, "Null characters are not allowed."),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_stored(client, treatment, overrides, message):
    response = post(client, treatment, **overrides)
    assert response.status_code == 200
    assert message.replace("'", "&#x27;") in response.text
    assert ConsultationRequest.objects.count() == 0


def test_under_18_is_refused_with_a_clear_message(client, treatment):
    from django.utils import timezone

    today = timezone.localdate()
    response = post(client, treatment, date_of_birth=today.replace(year=today.year - 17).isoformat())
    assert response.status_code == 200
    assert "we can only see adults" in response.text
    assert ConsultationRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([SimpleUploadedFile("notes.jpg", b"just some text", "image/jpeg")], "is not a JPEG, PNG or WebP photo"),
        ([SimpleUploadedFile("cat.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 400, "image/jpeg")], "is not a JPEG"),
        ([SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\x00" * (photos.MAX_BYTES + 1), "image/jpeg")], "10 MB"),
        ([jpeg(f"p{i}.jpg") for i in range(4)], "Please choose at most 3 photos"),
    ],
    ids=["not-an-image", "renamed-executable", "too-large", "four-files"],
)
def test_bad_photo_is_a_field_error_and_nothing_is_stored(client, treatment, files, message):
    response = client.post(NEW, {**intake_post_data(treatment), "photos": files})
    assert response.status_code == 200
    assert message in response.text
    assert ConsultationRequest.objects.count() == 0
    assert Photo.objects.count() == 0


def test_photos_are_stored_privately_without_location_data(client, treatment, settings, tmp_path):
    client.post(NEW, {**intake_post_data(treatment), "photos": [jpeg("my-face.jpg"), jpeg("my-lips.jpg")]})
    stored = list(Photo.objects.all())
    assert len(stored) == 2
    for photo in stored:
        assert photo.image.path.startswith(str(tmp_path / "private"))
        assert "my-" not in photo.image.name  # stored under a random name (hex: no "m", "y" or "-")
        assert photo.content_type == "image/jpeg"
        with Image.open(photo.image.path) as image:
            assert dict(image.getexif()) == {}


@pytest.mark.parametrize(
    "body",
    [b"first_name=%FF%FE&goals=%C3%28", b"first_name=\xff\xfe\xfa&email=\xc3\x28@example.com"],
    ids=["percent-encoded", "raw-bytes"],
)
def test_non_utf8_post_body_never_gives_a_500(client, treatment, body):
    response = client.post(
        NEW, data=body + b"&rendered_for=testfill&treatment=testfill", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert ConsultationRequest.objects.count() == 0


def test_html_in_goals_is_stored_as_typed_and_rendered_escaped(client, treatment):
    typed = '<script>alert("x")</script><b>fuller lips</b>'
    response = post(client, treatment, goals=typed, first_name="")  # invalid: re-rendered
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in response.text
    post(client, treatment, goals=typed)
    assert ConsultationRequest.objects.get().goals == typed


def test_changed_treatment_shows_its_questions_and_keeps_other_values(client, treatment):
    other = make_treatment("otherfill", name="Otherfill")
    make_precaution(other, question="Do you bruise easily?")
    response = post(client, treatment, treatment="otherfill")  # page was rendered for testfill
    assert response.status_code == 200
    assert "Please answer the health questions for this treatment (Otherfill)." in response.text
    assert "Do you bruise easily?" in response.text
    assert "Have you had anaphylaxis?" not in response.text
    assert 'value="Ada"' in response.text
    assert '<input type="hidden" name="rendered_for" value="otherfill">' in response.text
    assert ConsultationRequest.objects.count() == 0


def test_changed_privacy_notice_asks_to_read_it_again(client, treatment):
    response = post(client, treatment, notice_version="an-old-version")
    assert response.status_code == 200
    assert "Our privacy notice changed after you opened this form" in response.text
    assert not re.search(r'name="consent"[^>]*checked', response.text)
    assert ConsultationRequest.objects.count() == 0


# --- Privacy of errors and logs ----------------------------------------------------------------


def test_error_report_hides_the_patients_answers(client, treatment, monkeypatch):
    """The report Django mails to ADMINS (AdminEmailHandler) for a crash mid-submission has no PHI."""

    def broken_mail(consultation):
        raise RuntimeError("mail template missing")

    reports = []

    class ReportCollector(logging.Handler):
        def emit(self, record):
            # What AdminEmailHandler renders, built while the request is being handled.
            reporter = ExceptionReporter(record.request, *record.exc_info, is_email=True)
            reports.append(reporter.get_traceback_html())

    monkeypatch.setattr("consultations.intake.notify_received", broken_mail)
    collector = ReportCollector(level=logging.ERROR)
    logging.getLogger("django.request").addHandler(collector)
    client.raise_request_exception = False
    try:
        response = post(client, treatment, goals="Please make my chin less pointy", medications="Warfarin 5 mg")
    finally:
        logging.getLogger("django.request").removeHandler(collector)
    assert response.status_code == 500
    assert len(reports) == 1
    assert "mail template missing" in reports[0]
    for secret in ("Quillfeather", "less pointy", "Warfarin", "1990-04-21", "1990, 4, 21", "774-1234", "7741234"):
        assert secret not in reports[0]
    assert ConsultationRequest.objects.count() == 0


def test_submission_logs_the_reference_but_no_health_data(client, treatment, caplog):
    with caplog.at_level(logging.DEBUG):
        post(client, treatment, goals="Please make my chin less pointy", medications="Warfarin 5 mg")
    reference = ConsultationRequest.objects.get().reference
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert reference in logged
    for secret in ("Quillfeather", "less pointy", "Warfarin", "1990-04-21"):
        assert secret not in logged
    # Nor anything derived from the answers.
    assert "flag" not in logged.lower()


def test_make_request_factory_builds_flags_from_answers(treatment):
    consultation = make_request(
        treatment, answers={treatment.precautions.get(question="Do you have a cold sore?"): "yes"}
    )
    assert consultation.answers.count() == 2
    assert consultation.worst_flag == FlagKind.POSTPONE


# --- The notice in force, read once per version of the notices and ten seconds -------------------


def test_a_notice_scheduled_for_later_takes_over_at_its_time(monkeypatch):
    import datetime

    from django.utils import timezone

    now = timezone.now()
    current = PrivacyNotice.current()
    PrivacyNotice.objects.create(version="2099-later", text_en="Later.", published_at=now + datetime.timedelta(hours=1))
    assert PrivacyNotice.current().version == current.version
    monkeypatch.setattr(timezone, "now", lambda: now + datetime.timedelta(hours=1, seconds=1))
    assert PrivacyNotice.current().version == "2099-later"


def test_another_nodes_new_notice_is_in_force_here_at_once():
    before = PrivacyNotice.current().version
    # Written by another node: no signal fires in this process.
    PrivacyNotice.objects.bulk_create([PrivacyNotice(version="2099-other-node", text_en="Elsewhere.")])
    assert before != "2099-other-node"
    assert PrivacyNotice.current().version == "2099-other-node"


def test_each_caller_gets_its_own_copy_of_the_notice():
    first, second = PrivacyNotice.current(), PrivacyNotice.current()
    first.text = "changed by one caller"
    assert second.text != "changed by one caller"
