"""The intake form, screening flags, photo cleaning and rate parsing, without HTTP."""

import datetime
import io

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from PIL import Image

from consultations import photos, ratelimit
from consultations.forms import IntakeForm, make_submission_token
from consultations.intake import find_duplicate, screening_flags, worst_kind
from consultations.models import FlagKind, PrivacyNotice
from education.models import Precaution

from .factories import intake_post_data, make_area, make_precaution, make_treatment

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def treatment():
    treatment = make_treatment("testfill", order=0)
    make_area(treatment, name="Nasolabial folds")
    make_area(treatment, name="Lips")
    make_precaution(treatment, kind=Precaution.Kind.DO_NOT_TREAT, question="Have you had anaphylaxis?")
    make_precaution(
        treatment, kind=Precaution.Kind.POSTPONE, question="Do you have a cold sore?", description="Active infection"
    )
    make_precaution(treatment, kind=Precaution.Kind.DISCUSS, question="", description="Age under 21")
    return treatment


def image_bytes(fmt="JPEG", size=(60, 40), exif=None):
    out = io.BytesIO()
    options = {"exif": exif.tobytes()} if exif is not None else {}
    Image.new("RGB", size, "teal").save(out, format=fmt, **options)
    return out.getvalue()


def upload(name="face.jpg", content=None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, image_bytes() if content is None else content, content_type=content_type)


def bound(for_treatment, /, files=None, **overrides):
    data = as_query(intake_post_data(for_treatment, **overrides))
    return IntakeForm(data, MultiValueDict(files or {}), treatment=for_treatment)


def as_query(data):
    """What request.POST would hold: a QueryDict (lists for repeated fields)."""
    return MultiValueDict({key: value if isinstance(value, list) else [value] for key, value in data.items()})


def birthday(years_ago, days=0):
    today = timezone.localdate()
    return (today.replace(year=today.year - years_ago) + datetime.timedelta(days=days)).isoformat()


# --- The fields ---------------------------------------------------------------------------


def test_form_complete_answers_are_valid(treatment):
    form = bound(treatment)
    assert form.is_valid(), form.errors


def test_form_asks_every_precaution_that_has_a_question(treatment):
    form = IntakeForm(treatment=treatment)
    labels = [field.label for field in form.screening_fields()]
    assert labels == ["Have you had anaphylaxis?", "Do you have a cold sore?"]


def test_form_offers_only_the_chosen_treatments_areas(treatment):
    other = make_treatment("otherfill", order=1)
    make_area(other, name="Hands")
    form = IntakeForm(treatment=treatment)
    assert [label for _value, label in form.fields["areas"].choices] == ["Nasolabial folds", "Lips"]


def test_form_phone_is_normalised_to_e164(treatment):
    form = bound(treatment, phone="(207) 774-1234")
    assert form.is_valid()
    assert form.cleaned_data["phone"] == "+12077741234"


@pytest.mark.parametrize("phone", ["12345", "not a number", "+1 000 000 0000", "207 774 12345678"])
def test_form_invalid_phone_is_refused(treatment, phone):
    form = bound(treatment, phone=phone)
    assert not form.is_valid()
    assert form.errors.as_data()["phone"][0].code == "invalid_phone"


@pytest.mark.parametrize("email", ["ada", "ada@", "ada@example", "@example.com"])
def test_form_invalid_email_is_refused(treatment, email):
    form = bound(treatment, email=email)
    assert not form.is_valid()
    assert "email" in form.errors


def test_form_future_birth_date_is_refused(treatment):
    form = bound(treatment, date_of_birth=birthday(-1))
    assert not form.is_valid()
    assert form.errors.as_data()["date_of_birth"][0].code == "future"


def test_form_under_18_is_refused_with_a_clear_message(treatment):
    form = bound(treatment, date_of_birth=birthday(18, days=1))  # 18th birthday is tomorrow
    assert not form.is_valid()
    assert form.errors.as_data()["date_of_birth"][0].code == "under_age"
    assert "18 or older" in form.errors["date_of_birth"][0]


def test_form_18th_birthday_today_is_accepted(treatment):
    form = bound(treatment, date_of_birth=birthday(18))
    assert form.is_valid(), form.errors


def test_form_impossible_birth_date_is_refused(treatment):
    form = bound(treatment, date_of_birth="1990-02-31")
    assert not form.is_valid()
    assert "date_of_birth" in form.errors


@pytest.mark.parametrize("field", ["first_name", "last_name", "goals", "previous_treatments", "medications"])
def test_form_nul_byte_in_text_is_a_field_error(treatment, field):
    form = bound(treatment, **{field: "Ada\x00 wants softer lines"})
    assert not form.is_valid()
    assert form.errors.as_data()[field][0].code == "null_characters_not_allowed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "A" * 81),
        ("last_name", "B" * 81),
        ("email", "a" * 250 + "@example.com"),
        ("phone", "2" * 41),
        ("goals", "g" * 2001),
        ("previous_treatments", "p" * 2001),
        ("medications", "m" * 2001),
        ("allergies", "a" * 2001),
        ("treatment", "t" * 5000),
    ],
)
def test_form_overlong_value_is_refused(treatment, field, value):
    form = bound(treatment, **{field: value})
    assert not form.is_valid()
    assert field in form.errors


def test_form_goals_need_at_least_ten_characters(treatment):
    form = bound(treatment, goals="lips")
    assert not form.is_valid()
    assert "at least 10 characters" in form.errors["goals"][0]


def test_form_unknown_treatment_is_refused(treatment):
    form = bound(treatment, treatment="no-such-treatment")
    assert not form.is_valid()
    assert form.errors["treatment"] == ["Please choose one of the treatments in the list."]


def test_form_unpublished_treatment_is_refused(treatment):
    make_treatment("draftfill", published=False, reviewed_on=None)
    form = bound(treatment, treatment="draftfill")
    assert not form.is_valid()
    assert "treatment" in form.errors


def test_form_area_of_another_treatment_is_refused(treatment):
    other_area = make_area(make_treatment("otherfill"), name="Hands")
    form = bound(treatment, areas=[str(other_area.pk)])
    assert not form.is_valid()
    assert form.errors["areas"] == ["Please choose areas from the list."]


@pytest.mark.parametrize("value", ["999999", "abc", "1; DROP TABLE"])
def test_form_unknown_area_id_is_refused(treatment, value):
    form = bound(treatment, areas=[value])
    assert not form.is_valid()
    assert "areas" in form.errors


def test_form_chosen_areas_are_cleaned(treatment):
    lips = treatment.areas.get(name="Lips")
    form = bound(treatment, areas=[str(lips.pk)])
    assert form.is_valid()
    assert list(form.cleaned_data["areas"]) == [lips]


def test_form_unanswered_screening_question_is_an_error(treatment):
    question = IntakeForm.question_name(treatment.precautions.get(question="Do you have a cold sore?"))
    form = bound(treatment, **{question: None})
    assert not form.is_valid()
    assert form.errors[question] == ["Please answer this question."]


def test_form_screening_answer_outside_yes_no_unsure_is_refused(treatment):
    question = IntakeForm.question_name(treatment.precautions.first())
    form = bound(treatment, **{question: "maybe"})
    assert not form.is_valid()
    assert question in form.errors


def test_form_consent_is_required(treatment):
    form = bound(treatment, consent=None)
    assert not form.is_valid()
    assert form.errors["consent"] == ["Please confirm that you have read the privacy notice."]


def test_form_changed_privacy_notice_asks_to_consent_again(treatment):
    form = bound(treatment, notice_version="an-older-version")
    assert not form.is_valid()
    assert form.errors.as_data()["consent"][0].code == "notice_changed"
    assert "consent" not in form.data  # the box is shown unticked


def test_form_changed_treatment_asks_the_new_treatments_questions_only(treatment):
    other = make_treatment("otherfill", order=1)
    make_precaution(other, question="Do you bruise easily?")
    form = IntakeForm(as_query(intake_post_data(treatment, treatment="otherfill")), treatment=other)
    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["__all__"]] == ["treatment_changed"]
    assert list(form.errors) == ["__all__"]
    assert [field.label for field in form.screening_fields()] == ["Do you bruise easily?"]


def test_form_tampered_submission_token_is_refused_and_replaced(treatment):
    form = bound(treatment, submission_token="forged")
    assert not form.is_valid()
    assert form.errors.as_data()["__all__"][0].code == "bad_token"
    assert form.submission_token_value != "forged"
    assert find_duplicate(form) is None


def test_form_preferred_time_defaults_to_no_preference(treatment):
    form = IntakeForm(treatment=treatment)
    assert form.fields["preferred_time"].choices == [("", "No preference / please call me")]
    assert form["preferred_time"].value() == ""


def test_form_error_summary_links_to_each_field_in_page_order(treatment):
    form = IntakeForm({}, treatment=treatment)
    targets = [target for target, _message in form.error_summary()]
    question = IntakeForm.question_name(treatment.precautions.first())
    assert targets[:2] == ["", "id_first_name"]  # the (missing) submission token, then the first field
    assert targets.index("id_goals") < targets.index(f"id_{question}_0") < targets.index("id_pregnancy_0")
    assert targets[-1] == "id_consent"


def test_form_invalid_fields_are_marked_for_assistive_technology(treatment):
    form = bound(treatment, email="nope")
    html = str(form["email"])
    assert 'aria-invalid="true"' in html
    assert "id_email_error" in html
    assert "is-invalid" in html


# --- Bots --------------------------------------------------------------------------------


def test_form_filled_honeypot_is_a_bot(treatment):
    assert bound(treatment, website="https://spam.example").is_bot()


def test_form_sent_faster_than_min_fill_time_is_a_bot(treatment, settings):
    settings.CLINIC_MIN_FILL_SECONDS = 3
    assert bound(treatment, submission_token=make_submission_token()).is_bot()


def test_form_sent_after_min_fill_time_is_not_a_bot(treatment, settings):
    settings.CLINIC_MIN_FILL_SECONDS = 0
    assert not bound(treatment).is_bot()


# --- Photos --------------------------------------------------------------------------------


def test_form_accepts_up_to_three_photos(treatment):
    files = {"photos": [upload(f"p{i}.jpg") for i in range(3)]}
    form = bound(treatment, files=files)
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["photos"]) == 3


def test_form_more_than_three_photos_are_refused(treatment):
    form = bound(treatment, files={"photos": [upload(f"p{i}.jpg") for i in range(4)]})
    assert not form.is_valid()
    assert form.errors.as_data()["photos"][0].code == "too_many"


def test_form_file_that_is_not_an_image_is_refused(treatment):
    notes = upload("notes.jpg", b"Dear doctor, here are my notes.", "image/jpeg")
    form = bound(treatment, files={"photos": [notes]})
    assert not form.is_valid()
    assert form.errors.as_data()["photos"][0].code == "not_an_image"


def test_form_renamed_executable_is_refused(treatment):
    executable = upload("holiday.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500, "image/jpeg")
    form = bound(treatment, files={"photos": [executable]})
    assert not form.is_valid()
    assert form.errors.as_data()["photos"][0].code == "not_an_image"


def test_form_too_large_photo_is_refused(treatment):
    # A real JPEG header followed by padding: over the limit whatever the content.
    big = upload("big.jpg", image_bytes() + b"\x00" * (photos.MAX_BYTES + 1))
    form = bound(treatment, files={"photos": [big]})
    assert not form.is_valid()
    assert form.errors.as_data()["photos"][0].code == "too_large"


def test_form_image_in_a_format_we_do_not_take_is_refused(treatment):
    gif = upload("anim.gif", image_bytes("GIF"), "image/gif")
    form = bound(treatment, files={"photos": [gif]})
    assert not form.is_valid()
    assert form.errors.as_data()["photos"][0].code == "not_an_image"


def test_form_truncated_image_is_refused(treatment):
    broken = upload("cut.png", image_bytes("PNG")[:60], "image/png")
    form = bound(treatment, files={"photos": [broken]})
    assert not form.is_valid()
    assert "photos" in form.errors


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_clean_photo_removes_exif_and_gps(fmt, content_type):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (43.0, 39.0, 12.0), 3: "W", 4: (70.0, 15.0, 20.0)}  # GPS position
    original = image_bytes(fmt, exif=exif)
    assert Image.open(io.BytesIO(original)).getexif()  # the test file really carries EXIF

    cleaned = photos.clean_photo(upload(f"x.{fmt.lower()}", original, content_type))

    reopened = Image.open(io.BytesIO(cleaned.content))
    assert dict(reopened.getexif()) == {}
    assert reopened.format == fmt
    assert cleaned.content_type == content_type
    assert b"PhoneMaker" not in cleaned.content


def test_clean_photo_applies_orientation_before_dropping_exif():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90°": the camera held upright
    cleaned = photos.clean_photo(upload("tall.jpg", image_bytes("JPEG", size=(60, 40), exif=exif)))
    assert (cleaned.width, cleaned.height) == (40, 60)


def test_clean_photo_shrinks_huge_images():
    cleaned = photos.clean_photo(upload("wide.png", image_bytes("PNG", size=(5000, 100)), "image/png"))
    assert cleaned.width == photos.MAX_EDGE


def test_clean_photo_refuses_decompression_bomb():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # 81 megapixels in a file of a few kB
    bomb = upload("bomb.png", out.getvalue(), "image/png")
    with pytest.raises(ValidationError) as caught:
        photos.clean_photo(bomb)
    assert caught.value.code == "too_many_pixels"
    assert "more pixels than we can take" in caught.value.messages[0]


def test_clean_photo_refuses_a_png_with_more_pixels_than_it_keeps():
    # 25 MP of flat colour: a tiny file, but 100 MB once decoded (PNG cannot decode at a smaller scale).
    out = io.BytesIO()
    Image.new("RGB", (5000, 5000), "pink").save(out, format="PNG")
    with pytest.raises(ValidationError) as caught:
        photos.clean_photo(upload("flat.png", out.getvalue(), "image/png"))
    assert caught.value.code == "too_many_pixels"


def test_clean_photo_decodes_a_large_jpeg_at_a_reduced_scale(monkeypatch):
    decoded = []
    real_load = Image.Image.load

    def load(image):
        decoded.append(image.size)
        return real_load(image)

    out = io.BytesIO()
    Image.new("RGB", (8000, 6000), "teal").save(out, format="JPEG")
    monkeypatch.setattr(Image.Image, "load", load)
    cleaned = photos.clean_photo(upload("camera.jpg", out.getvalue()))
    assert decoded and max(w * h for w, h in decoded) <= 4000 * 3000
    assert (cleaned.width, cleaned.height) == (4000, 3000)


def test_form_photos_of_one_request_share_a_pixel_budget(treatment, monkeypatch):
    monkeypatch.setattr(photos, "MAX_REQUEST_PIXELS", 5000)
    pictures = [upload(f"p{n}.jpg", image_bytes("JPEG", size=(80, 60))) for n in range(3)]
    form = bound(treatment, files={"photos": pictures})
    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["photos"]] == ["request_too_many_pixels"] * 2


# --- Flags ---------------------------------------------------------------------------------


def precaution(kind, description="Severe allergy"):
    return Precaution(kind=kind, description=description, question="Q?")


@pytest.mark.parametrize("kind", [FlagKind.DO_NOT_TREAT, FlagKind.POSTPONE, FlagKind.DISCUSS])
def test_screening_flags_yes_raises_the_precautions_kind(kind):
    flags = screening_flags(age=40, pregnancy="no", answers=[(precaution(kind), "yes")])
    assert [(flag.kind, flag.reason) for flag in flags] == [(kind, "Severe allergy")]


def test_screening_flags_not_sure_asks_to_discuss():
    flags = screening_flags(age=40, pregnancy="no", answers=[(precaution(FlagKind.DO_NOT_TREAT), "unsure")])
    assert [flag.kind for flag in flags] == [FlagKind.DISCUSS]
    assert "Severe allergy" in flags[0].reason


def test_screening_flags_no_raises_nothing():
    assert screening_flags(age=40, pregnancy="no", answers=[(precaution(FlagKind.DO_NOT_TREAT), "no")]) == []


@pytest.mark.parametrize(("age", "flagged"), [(18, True), (20, True), (21, False), (65, False)])
def test_screening_flags_under_the_labeled_age_asks_to_discuss(age, flagged):
    flags = screening_flags(age=age, pregnancy="no", answers=[], labeled_min_age=21)
    assert bool(flags) is flagged
    if flagged:
        assert flags[0].kind == FlagKind.DISCUSS
        assert "under 21" in flags[0].reason


def test_screening_flags_no_age_flag_for_a_treatment_without_a_labeled_age():
    assert screening_flags(age=18, pregnancy="no", answers=[], labeled_min_age=None) == []


def test_belotero_carries_its_labeled_minimum_age_and_other_treatments_none():
    from education.models import Treatment

    ages = dict(Treatment.objects.values_list("slug", "labeled_min_age"))
    assert ages["belotero"] == 21
    assert ages["dermal-fillers"] is None


@pytest.mark.parametrize(("answer", "flagged"), [("yes", True), ("unsure", True), ("no", False)])
def test_screening_flags_pregnancy_or_breastfeeding_asks_to_discuss(answer, flagged):
    flags = screening_flags(age=40, pregnancy=answer, answers=[])
    assert [flag.reason for flag in flags] == (
        ["Pregnancy or breastfeeding: safety not established"] if flagged else []
    )


def test_screening_flags_long_description_fits_the_reason_column():
    flags = screening_flags(age=40, pregnancy="no", answers=[(precaution(FlagKind.POSTPONE, "x" * 300), "unsure")])
    assert len(flags[0].reason) == 300


def test_worst_kind_is_the_most_serious_flag():
    flags = screening_flags(
        age=19,
        pregnancy="no",
        answers=[(precaution(FlagKind.POSTPONE), "yes"), (precaution(FlagKind.DO_NOT_TREAT), "yes")],
    )
    assert worst_kind(flags) == FlagKind.DO_NOT_TREAT
    assert worst_kind([]) == ""


# --- Rate parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "parsed"), [("10/h", (10, 3600)), ("5/m", (5, 60)), ("100/d", (100, 86400)), ("off", None), ("", None)]
)
def test_parse_rate_reads_the_setting(rate, parsed):
    assert ratelimit.parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["ten/h", "10/week", "10 per hour"])
def test_parse_rate_rejects_a_malformed_setting(rate):
    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_rate(rate)


def test_privacy_notice_current_is_what_the_form_records(treatment):
    form = IntakeForm(treatment=treatment)
    assert form.notice == PrivacyNotice.current()


def test_of_two_versions_published_in_the_same_instant_the_one_saved_last_is_in_force(treatment):
    # A tie on the publication time (an import, a frozen clock) was left to the database: PostgreSQL
    # could show one notice and record another, and a test saw the older of two requests as newest.
    from consultations.models import CancellationPolicy, ConsultationRequest
    from consultations.views import _form_content

    from .factories import make_request

    at = timezone.now()
    PrivacyNotice.objects.create(version="tie-1", text="First.", published_at=at)
    notice = PrivacyNotice.objects.create(version="tie-2", text="Second.", published_at=at)
    CancellationPolicy.objects.create(version="tie-1", text="First.", published_at=at)
    policy = CancellationPolicy.objects.create(version="tie-2", text="Second.", published_at=at)
    assert (PrivacyNotice.current(), PrivacyNotice.objects.latest(), IntakeForm(treatment=treatment).notice) == (
        notice,
        notice,
        notice,
    )
    assert (CancellationPolicy.current(), CancellationPolicy.objects.latest()) == (policy, policy)
    content = _form_content("tie-test", treatment)
    assert (content["notice"], content["policy"]) == (notice, policy)

    first, second = make_request(treatment=treatment), make_request(treatment=treatment)
    ConsultationRequest.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=at)
    assert list(ConsultationRequest.objects.filter(pk__in=[first.pk, second.pk])) == [second, first]


def test_form_does_not_offer_products_sold_outside_the_us_as_areas(db):
    from consultations.forms import IntakeForm
    from education.models import Treatment, TreatmentArea

    belotero = Treatment.objects.get(slug="belotero")
    offered = set(IntakeForm(treatment=belotero).fields["areas"].queryset.values_list("status", flat=True))
    assert TreatmentArea.Status.FDA_APPROVED in offered
    assert TreatmentArea.Status.NO_US_APPROVAL_FOUND not in offered


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_has_the_rows_migrate_created():
    """Every transactional test starts from what `migrate` created: after Django's `flush` on
    PostgreSQL, from a copy of the migrated database on SQLite (tests/conftest.py). Both must give
    the same rows, model by model (content, roles, permissions, notices, policies)."""
    from django.apps import apps
    from django.core.management import call_command

    def rows():
        return {model._meta.label: model._base_manager.count() for model in apps.get_models()}

    before = rows()
    assert before["education.Treatment"] >= 2 and before["auth.Group"] >= 3
    call_command("flush", interactive=False, verbosity=0)
    assert rows() == before


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_the_shipped_privacy_notice_back():
    # The form cannot ask for consent without a notice: after a flush (every transactional test
    # ends with one) post_migrate writes the shipped notice again, in both languages.
    from django.core.management import call_command
    from django.utils import translation

    from consultations.models import PrivacyNotice

    call_command("flush", interactive=False, verbosity=0)
    notice = PrivacyNotice.current()
    with translation.override("es"):
        assert notice.version == "2026-11-1" and "clínica" in notice.text.lower()
