"""Content a clinic can launch (issue 22): nothing unsigned is shown as reviewed, the demo says it
is one, checks look at what patients see, Spanish follows English, and review is a real signature."""

import datetime
import json
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from clinic import checks
from consultations.models import ConsultationRequest
from education.models import Reviewer, SiteMode, Treatment, TreatmentReview

from .factories import approve, intake_post_data, make_request, make_reviewer, make_staff

pytestmark = pytest.mark.django_db

FILLER_PAGES = ["belotero", "dermal-fillers"]


def jsonld(html):
    return [
        json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks, mailoutbox):
    def submit(treatment, prefix=""):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{prefix}/consultations/new/", intake_post_data(treatment))
        assert response.status_code == 302, response.content.decode()[:2000]
        return ConsultationRequest.objects.latest("pk")

    return submit


@pytest.fixture
def demo_reviewer():
    reviewer = make_reviewer("Demo Reviewer", "MD (demo data)", username="demo-reviewer")
    Reviewer.objects.filter(pk=reviewer.pk).update(demo=True)
    reviewer.refresh_from_db()
    return reviewer


# --- Scope 1: nothing unsigned is shown as reviewed ---------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_a_fresh_install_shows_each_guide_as_waiting_with_no_reviewer_anywhere(client, prefix):
    assert not TreatmentReview.objects.exists()
    for slug in FILLER_PAGES:
        html = client.get(f"{prefix}/treatments/{slug}/").content.decode()
        assert 'id="waiting-for-review"' in html
        assert "review-note" not in html and "Medically reviewed" not in html and "Revisado" not in html
        for block in jsonld(html):
            assert "reviewedBy" not in block and "lastReviewed" not in block
        # No medical text presented as reviewed: the summary and the sections are not there.
        summary = Treatment.objects.get(slug=slug).summary
        assert summary not in html and 'id="references"' not in html
        # What stays: the phone, 911, and the consultation link.
        assert "911" in html and 'href="tel:' in html
        assert f"/consultations/new/?treatment={slug}" in html


def test_a_fresh_install_home_page_links_to_every_guide_by_name(client):
    html = client.get("/").content.decode()
    for treatment in Treatment.objects.published():
        assert f'href="{treatment.get_absolute_url()}">{treatment.name}</a>' in html
    assert ">Belotero</a>" in html
    assert Treatment.objects.get(slug="belotero").summary not in html


def test_a_fresh_install_sitemap_gives_no_review_date(client):
    xml = client.get("/sitemap.xml").content.decode()
    assert "/treatments/belotero/" in xml and "<lastmod>" not in xml


def test_an_approval_recorded_for_a_role_is_not_a_signature(client):
    """What the old migration 0005 wrote on existing installs: a role, a date, no reviewer."""
    belotero = Treatment.objects.get(slug="belotero")
    content, fingerprint = belotero.current_content()
    review = TreatmentReview.objects.create(
        treatment=belotero, reviewer=None, reviewer_name="Clinic medical director", reviewer_credentials="MD",
        reviewed_on=datetime.date(2026, 11, 25), content=content, fingerprint=fingerprint,
    )  # fmt: skip
    Treatment.objects.filter(pk=belotero.pk).update(approved=review, reviewed_on=review.reviewed_on)
    html = client.get("/treatments/belotero/").content.decode()
    assert "Clinic medical director" not in html and 'id="waiting-for-review"' in html
    assert "<lastmod>" not in client.get("/sitemap.xml").content.decode()
    assert {e.id for e in checks.published_pages_have_a_named_reviewer()} == {"education.E001"}


def test_a_named_reviewers_approval_shows_name_date_and_next_review(client, reviewer_ana):
    belotero = Treatment.objects.get(slug="belotero")
    approve(belotero, reviewer_ana)
    html = client.get("/treatments/belotero/").content.decode()
    assert "by Dr Ana Ruiz, MD" in html and 'id="waiting-for-review"' not in html
    assert "Next review due by" in html
    [page] = [b for b in jsonld(html) if b.get("@type") == "MedicalWebPage"]
    assert page["reviewedBy"]["name"] == "Dr Ana Ruiz"
    assert "<lastmod>" in client.get("/sitemap.xml").content.decode()


@pytest.fixture
def reviewer_ana():
    return make_reviewer("Dr Ana Ruiz", "MD", username="ana")


def test_the_form_says_its_questions_are_not_yet_reviewed_and_flags_the_request(client, submit, staff_client):
    belotero = Treatment.objects.get(slug="belotero")
    html = client.get("/consultations/new/?treatment=belotero").content.decode()
    assert 'id="questions-unsigned-notice"' in html
    consultation = submit(belotero)
    assert consultation.questions_unsigned
    page = staff_client.get(f"/admin/consultations/consultationrequest/{consultation.pk}/change/").content.decode()
    assert 'id="questions-unsigned"' in page


def test_a_request_against_signed_questions_is_not_flagged(client, submit, reviewer_ana):
    belotero = Treatment.objects.get(slug="belotero")
    approve(belotero, reviewer_ana)
    assert 'id="questions-unsigned-notice"' not in client.get("/consultations/new/?treatment=belotero").text
    consultation = submit(belotero)
    assert not consultation.questions_unsigned and not consultation.call_in_patients_language


# --- Scope 2: demo is explicit -------------------------------------------------------------------------


def test_seed_demo_marks_a_demo_site_with_a_banner_on_every_page(staff_client):
    client = Client()  # a patient
    assert "Demo site" not in client.get("/").text
    assert "Demo site" not in staff_client.get("/admin/").text
    call_command("seed_demo", stdout=None)
    assert SiteMode.is_demo()
    for url in ["/", "/treatments/belotero/", "/consultations/new/"]:
        assert "Demo site — invented data" in client.get(url).text, url
    assert "Sitio de demostración: datos inventados" in client.get("/es/").text
    assert "Demo site — invented data" in staff_client.get("/admin/").text


def test_seed_demo_signs_every_language(client):
    call_command("seed_demo")
    html = client.get("/es/treatments/belotero/").content.decode()
    assert 'id="language-notice"' not in html and "Busque ayuda de inmediato" in html
    assert "Demo Reviewer" in html


def test_a_demo_reviewers_signature_counts_only_on_a_demo_site(client, demo_reviewer):
    for treatment in Treatment.objects.filter(slug__in=FILLER_PAGES):
        approve(treatment, demo_reviewer)
    assert {e.id for e in checks.published_pages_have_a_named_reviewer()} == {"education.E001"}
    assert 'id="waiting-for-review"' in client.get("/treatments/belotero/").text
    SiteMode.set_demo(True)
    cache.clear()
    assert checks.published_pages_have_a_named_reviewer() == []
    assert "Demo Reviewer" in client.get("/treatments/belotero/").text


# --- Scope 3: checks on what patients see --------------------------------------------------------------


@pytest.mark.parametrize(
    ("office", "emergency", "warned"),
    [
        ("+1 207 555 0134", "+1 207 555 0134", True),  # unset: settings fall back to the office number
        ("+1 207 555 0134", "(207) 555-0134", True),  # the same number, written another way
        ("+1 207 555 0134", "", True),
        ("+1 207 555 0134", "+1 207 555 0199", False),
    ],
)
def test_deploy_check_warns_when_the_emergency_line_is_the_office_number(settings, office, emergency, warned):
    settings.CLINIC = {**settings.CLINIC, "PHONE": office, "EMERGENCY_PHONE": emergency}
    assert [w.id for w in checks.emergency_line_is_its_own()] == (["education.W003"] if warned else [])


def test_overdue_reviews_are_warned_and_listed_for_editors(reviewer_ana, staff_client):
    belotero = Treatment.objects.get(slug="belotero")
    approve(belotero, reviewer_ana)
    assert checks.reviews_are_not_overdue() == []
    TreatmentReview.objects.filter(pk=belotero.approved_id).update(
        next_review_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert [w.id for w in checks.reviews_are_not_overdue()] == ["education.W004"]
    listing = staff_client.get("/admin/education/treatment/?review=overdue").text
    assert "overdue" in listing and ">Belotero<" in listing and ">Dermal fillers<" not in listing


def test_default_next_review_is_twelve_months_after_the_approval(reviewer_ana):
    belotero = Treatment.objects.get(slug="belotero")
    review = approve(belotero, reviewer_ana)
    assert review.next_review_on == review.reviewed_on.replace(year=review.reviewed_on.year + 1)


# --- Scope 4: Spanish tied to English ------------------------------------------------------------------


def test_an_approved_english_change_sends_spanish_back_to_review(staff_client, reviewer_ana):
    """The scenario of issue 22: edit the English help box, approve it; Spanish readers get the
    current English page with the notice, and the admin says the Spanish needs review."""
    belotero = Treatment.objects.get(slug="belotero")
    approve(belotero, reviewer_ana)
    spanish = approve(belotero, reviewer_ana, language="es")
    assert spanish.translates_id == belotero.approved_id
    help_box = belotero.sections.get(kind="get_help")
    help_box.body_en = help_box.body_en + "\n\nNew English sentence about help."
    help_box.save()
    approve(belotero, reviewer_ana)
    cache.clear()
    client = Client()  # a patient, not the staff member signed in below
    html = client.get("/es/treatments/belotero/").content.decode()
    assert "New English sentence about help." in html and 'id="language-notice"' in html
    assert belotero.translation_status("es") == Treatment.ReviewStatus.NEEDS_REVIEW
    admin_page = staff_client.get(f"/admin/education/treatment/{belotero.pk}/change/").text
    assert "the English page was approved again since the Spanish was signed" in admin_page
    # The form tells the Spanish reader the questions are in English; staff are asked to call in Spanish.
    form = client.get("/es/consultations/new/?treatment=belotero").text
    assert 'id="questions-language-notice"' in form


def test_a_spanish_reader_answering_english_questions_is_flagged_call_in_spanish(submit, staff_client, reviewer_ana):
    belotero = Treatment.objects.get(slug="belotero")
    approve(belotero, reviewer_ana)  # English only: Spanish readers get the English questions
    consultation = submit(belotero, prefix="/es")
    assert consultation.language == "es" and consultation.questions_language == "en"
    assert consultation.call_in_patients_language
    page = staff_client.get(f"/admin/consultations/consultationrequest/{consultation.pk}/change/").text
    assert 'id="call-in-language"' in page and "Call in Spanish" in page


def test_a_translation_cannot_be_signed_before_the_english(reviewer_ana):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        approve(Treatment.objects.get(slug="belotero"), reviewer_ana, language="es")


# --- Scope 6: the reviewer's approval page -------------------------------------------------------------


@pytest.fixture
def reviewer_client(client, reviewer_ana):
    from django.contrib.auth.models import Permission

    reviewer_ana.user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_treatment", "change_treatment"])
    )
    client.force_login(reviewer_ana.user)
    return client


def test_approval_page_shows_the_change_and_requires_an_attestation(reviewer_client, reviewer_ana):
    belotero = Treatment.objects.get(slug="belotero")
    approve(belotero, reviewer_ana)
    overview = belotero.sections.get(kind="overview")
    overview.body_en = "A brand new overview sentence."
    overview.save()
    url = f"/admin/education/treatment/{belotero.pk}/approve/en/"
    page = reviewer_client.get(url).text
    assert "A brand new overview sentence." in page and 'class="diff-add"' in page and 'class="diff-remove"' in page
    assert "Signing as <strong>Dr Ana Ruiz, MD</strong>" in page
    next_year = (timezone.localdate() + datetime.timedelta(days=300)).isoformat()
    response = reviewer_client.post(url, {"next_review_on": next_year})  # no attestation ticked
    assert response.status_code == 200 and "Tick the box to sign" in response.text
    belotero.refresh_from_db()
    assert belotero.review_status == Treatment.ReviewStatus.NEEDS_REVIEW
    response = reviewer_client.post(url, {"attest": "on", "next_review_on": next_year})
    assert response.status_code == 302
    belotero.refresh_from_db()
    assert belotero.review_status == Treatment.ReviewStatus.REVIEWED
    assert belotero.approved.reviewer == reviewer_ana
    assert belotero.approved.next_review_on.isoformat() == next_year
    assert "Dr Ana Ruiz, MD" in belotero.approved.attestation


def test_staff_without_the_approve_permission_cannot_open_the_approval_page(client):
    client.force_login(make_staff("Content editor"))
    belotero = Treatment.objects.get(slug="belotero")
    assert client.get(f"/admin/education/treatment/{belotero.pk}/approve/en/").status_code == 403


def test_author_and_translator_are_credited_on_the_page(client, reviewer_ana):
    belotero = Treatment.objects.get(slug="belotero")
    Treatment.objects.filter(pk=belotero.pk).update(author="Dr Lee Park", translator="Marta Gil")
    belotero.refresh_from_db()
    approve(belotero, reviewer_ana)
    approve(belotero, reviewer_ana, language="es")
    cache.clear()
    assert "Written by Dr Lee Park." in client.get("/treatments/belotero/").text
    spanish = client.get("/es/treatments/belotero/").text
    assert "Dr Lee Park" in spanish and "Marta Gil" in spanish


# --- Scope 8 (loader) and the requests made before this change ---------------------------------------------


def test_requests_made_before_default_to_no_note(staff_client):
    consultation = make_request(Treatment.objects.get(slug="belotero"))
    assert not consultation.questions_unsigned and not consultation.call_in_patients_language


def test_migrate_says_plainly_which_guides_are_unsigned(reviewer_ana):
    import io

    from education.apps import load_content_after_migrate

    out = io.StringIO()
    load_content_after_migrate(sender=None, verbosity=1, stdout=out)
    assert "UNSIGNED: 2 published guide(s)" in out.getvalue() and "belotero" in out.getvalue()
    for treatment in Treatment.objects.filter(slug__in=FILLER_PAGES):
        approve(treatment, reviewer_ana)
    out = io.StringIO()
    load_content_after_migrate(sender=None, verbosity=1, stdout=out)
    assert "UNSIGNED" not in out.getvalue()


def test_a_treatment_with_a_signed_translation_can_be_deleted(reviewer_ana):
    belotero = Treatment.objects.get(slug="belotero")
    approve(belotero, reviewer_ana)
    approve(belotero, reviewer_ana, language="es")
    # Treatment.approved protects the signed version (on purpose); once cleared, the Spanish
    # approval's link to the English one it translates does not block the delete.
    Treatment.objects.filter(pk=belotero.pk).update(approved=None)
    belotero.delete()
    assert not TreatmentReview.objects.filter(treatment_id=belotero.pk).exists()
