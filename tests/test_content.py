"""The content shipped in migrations: complete, cited, readable, and signed before patients see it.

Covers issue 15: emergencies first, allergy, contraindications as labeled, evidence strength,
sources of record, no sentence the audit flagged, the review workflow, one place per fact.
"""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from clinic import pagecache
from clinic.checks import published_pages_have_a_named_reviewer
from consultations.intake import screening_flags
from education.admin import MAX_READING_GRADE
from education.models import (
    Precaution,
    Section,
    SideEffect,
    Source,
    Treatment,
    TreatmentArea,
    misattributed_organisations,
)

from .factories import approve, make_reviewer

pytestmark = pytest.mark.django_db

FILLER_PAGES = ["dermal-fillers", "belotero"]

# The lines the editorial audit of 2026-12-01 found unsupported by the facts file (issue 15).
FLAGGED_SENTENCES = [
    "most side effects are mild",
    "less common",
    "results fade slowly over time",
    "they fade slowly over time",
    "fda and aad both warn",
    "the fda and the american academy of dermatology both warn",
    "approved outside the us only",
    "the fda has approved these",
    "even weeks or years after treatment",
]


@pytest.fixture
def reviewer():
    return make_reviewer("Dr Ana Ruiz", "MD, board-certified dermatologist")


@pytest.fixture
def signed(reviewer):
    """The shipped content as a named reviewer approved it (migrations leave it "needs review")."""
    for treatment in Treatment.objects.filter(slug__in=FILLER_PAGES):
        approve(treatment, reviewer)


def page_html(client, slug):
    response = client.get(f"/treatments/{slug}/")
    assert response.status_code == 200
    return response.text


def article_text(html):
    article = html[html.index("<article") : html.index("</article>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article)).strip()


# --- 1. Safety first ---------------------------------------------------------------------------


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_help_box_comes_first_with_emergency_signs_911_and_the_clinic_line(client, signed, settings, slug):
    settings.CLINIC = {**settings.CLINIC, "EMERGENCY_PHONE": "+1 207 555 0999"}
    text = article_text(page_html(client, slug))
    lowered = text.lower()
    box = lowered.index("get help at once")
    assert box < len(lowered) / 3
    assert box < lowered.index("the procedure")
    help_text = lowered[box : lowered.index("our emergency line", box)]
    for sign in ("sight", "droops", "weak arm", "trouble speaking", "pale or white", "pain that is not normal"):
        assert sign in help_text, sign
    assert "call 911" in help_text
    assert "hyaluronidase" in help_text
    assert 'href="tel:+12075550999"' in page_html(client, slug)


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_help_box_is_complete_and_promises_no_rescue(client, signed, slug):
    """Issue 22, Why 5: allergy signs with 911, when to watch, every skin sign, HA defined before
    use, necrosis named in plain words, the FDA's higher-risk areas, and no promise of rescue."""
    text = article_text(page_html(client, slug))
    lowered = text.lower()
    box = lowered.index("get help at once")
    help_text = lowered[box : lowered.index("our emergency line", box)]
    for sign in (
        "severe allergic reaction: call 911",
        "trouble breathing",
        "during treatment, or in the hours or days after",
        "dusky, blue-purple or blotchy",
        "blisters",
        "a change in your sight",
        "death of skin and deeper tissue (necrosis)",
        "between the eyebrows",
        "nose",
        "forehead",
        "around the eyes",
        "may be able to treat",
    ):
        assert sign in help_text, sign
    first_ha = re.search(r"\bha\b", help_text)  # the abbreviation is defined where it is first used
    assert help_text[: first_ha.start()].endswith("hyaluronic acid (")
    assert "we can break down" not in help_text


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_help_box_side_effects_and_contraindications_cite_the_fda_safety_communication_first(slug):
    """Issue 22, Why 7: the FDA's 2015 safety communication is each of these sections' first source,
    and the FDA's Spanish consumer page is cited (the Spanish pages share the sources)."""
    treatment = Treatment.objects.get(slug=slug)
    for kind in (Section.Kind.GET_HELP, Section.Kind.SIDE_EFFECTS, Section.Kind.CONTRAINDICATIONS):
        keys = list(treatment.sections.get(kind=kind).sources.values_list("key", flat=True))
        assert keys[0] == "fda-2015-vessels", (kind, keys)
        assert "fda-consumidor-es" in keys, (kind, keys)
    vessel = Source.objects.get(key="fda-2015-vessels")
    assert vessel.url.startswith("http://www.fda.gov/") and vessel.date == "2015-05-28"


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_lines_lost_in_the_correction_are_back(slug):
    """Issue 22, Why 6: blood thinners, previous fillers, infection signs, permanent fillers."""
    treatment = Treatment.objects.get(slug=slug)
    everything = " ".join(
        [
            *treatment.sections.values_list("body", flat=True),
            *treatment.precautions.values_list("description", flat=True),
            *treatment.side_effects.values_list("description", flat=True),
        ]
    ).lower()
    assert "do not stop a blood thinner or other medicine a doctor prescribed" in everything
    assert "some fillers are permanent and cannot be dissolved" in everything
    assert "gets worse" in everything and "pus" in everything and "fever" in everything
    previous = treatment.precautions.get(key="previous-fillers")
    assert "permanent" in previous.question and previous.kind == Precaution.Kind.DISCUSS


def test_general_page_says_who_should_wait():
    fillers = Treatment.objects.get(slug="dermal-fillers")
    assert fillers.precautions.get(key="skin-infection").kind == Precaution.Kind.POSTPONE
    assert "pregnancy" in fillers.precautions.get(key="pregnancy-breastfeeding").description


def test_off_label_areas_carry_their_status():
    fine_lines = TreatmentArea.objects.get(treatment__slug="belotero", key="fine-lines")
    assert fine_lines.status == TreatmentArea.Status.NOT_APPROVED_US


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_allergic_reaction_is_a_listed_side_effect_with_what_to_do(slug):
    allergy = SideEffect.objects.get(treatment__slug=slug, name__icontains="allergic")
    assert "911" in allergy.description
    assert allergy.sources.exists()


# --- 2. Contraindications as labeled; lidocaine allergy on the page and in the screening --------


def test_belotero_contraindications_use_the_labeling_wording():
    do_not_treat = " ".join(
        Precaution.objects.filter(treatment__slug="belotero", kind=Precaution.Kind.DO_NOT_TREAT).values_list(
            "description", flat=True
        )
    ).lower()
    for labeled in ("anaphylaxis", "several severe allergies", "gram-positive", "amide-type", "blood vessel"):
        assert labeled in do_not_treat, labeled
    pregnancy = Precaution.objects.get(treatment__slug="belotero", description__icontains="pregnan")
    assert pregnancy.kind == Precaution.Kind.DISCUSS


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_numbing_injection_pages_screen_for_amide_anaesthetic_allergy_and_flag_it(client, signed, slug):
    treatment = Treatment.objects.get(slug=slug)
    text = article_text(page_html(client, slug)).lower()
    assert "inject a numbing drug" in text  # the page says a numbing injection may be used ...
    lidocaine = treatment.precautions.get(description__icontains="amide-type")
    assert lidocaine.question  # ... so the intake form asks about it, from the same record
    assert lidocaine.description in article_text(page_html(client, slug))
    [flag] = screening_flags(age=40, pregnancy="no", answers=[(lidocaine, "yes")])
    assert "lidocaine" in flag.reason
    assert flag.kind == lidocaine.kind


# --- 3. Evidence strength ----------------------------------------------------------------------


def test_lips_approval_known_only_from_the_database_says_so_wherever_stated(client, signed):
    lips = TreatmentArea.objects.get(treatment__slug="belotero", product__icontains="Intense")
    assert lips.status == TreatmentArea.Status.FDA_RECORD_ONLY
    belotero = Treatment.objects.get(slug="belotero")
    places = [belotero.summary, lips.description, *belotero.sections.values_list("body", flat=True)]
    stating = [text for text in places if "lip" in text.lower() and "approv" in text.lower()]
    assert stating
    for text in stating:
        assert "database" in text.lower() or "not approved" in text.lower() or "not an approved" in text.lower(), text
    html = page_html(client, "belotero")
    assert "FDA database lists approval; no label published yet" in html


# --- 4. Sources of record ----------------------------------------------------------------------


def test_no_source_names_an_organisation_its_address_does_not_belong_to():
    wrong = {
        source.key: misattributed_organisations(f"{source.title} {source.publisher}", source.url)
        for source in Source.objects.all()
    }
    assert {key: orgs for key, orgs in wrong.items() if orgs} == {}


@pytest.mark.parametrize(
    ("label", "url"),
    [
        ("Fillers: FAQs (copy of AAD text) American Academy of Dermatology", "https://www.practo.com/post"),
        ("Injectable silicone: FDA tips US FDA Consumer Health Information", "http://www.notjustthekitchen.com/x/"),
        ("FDA bulletin", "https://content.govdelivery.com/accounts/SOMEONE/bulletins/1"),
    ],
)
def test_misattributed_source_is_caught(label, url):
    assert misattributed_organisations(label, url)


def test_editor_cannot_save_a_misattributed_source():
    source = Source(key="x", title="Fillers FAQ", publisher="AAD", url="https://www.practo.com/post")
    with pytest.raises(Exception, match="not theirs"):
        source.full_clean()


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_references_have_no_internal_notes_raw_api_links_or_slips(client, signed, slug):
    html = page_html(client, slug)
    references = html[html.index('id="references"') :]
    for slip in ("api.fda.gov", ".json", "n.d.", "reproduction", "..", "unvalidated"):
        assert slip not in references, slip
    page = Treatment.objects.get(slug=slug).public_page()
    for ref in page["references"]:
        if ref["copy_of"]:
            assert "clinic website" in ref["publisher"] or "blog" in ref["publisher"]
    assert all(ref["copy_of"] == "" or "Copy of" in references for ref in page["references"])


# --- 5. Every sentence supported or gone ---------------------------------------------------------


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_no_sentence_the_audit_flagged_is_on_the_page(client, signed, slug):
    text = article_text(page_html(client, slug)).lower()
    assert [sentence for sentence in FLAGGED_SENTENCES if sentence in text] == []


def test_belotero_page_claims_no_belotero_cannula_and_no_late_infection(client, signed):
    text = article_text(page_html(client, "belotero")).lower()
    assert "cannula" not in text  # Belotero-specific cannula labeling is unconfirmed
    infection = SideEffect.objects.get(treatment__slug="belotero", name="Infection")
    assert infection.frequency != SideEffect.Frequency.DELAYED
    assert "years" not in infection.description


def test_every_shipped_section_cites_a_source():
    for section in Section.objects.filter(treatment__slug__in=FILLER_PAGES):
        assert section.sources.exists(), section


def test_belotero_page_has_every_section_kind():
    belotero = Treatment.objects.get(slug="belotero")
    assert set(belotero.sections.values_list("kind", flat=True)) == set(Section.Kind.values)


def test_every_shipped_section_reads_at_grade_eight_or_below():
    grades = {f"{s.treatment.slug}/{s.kind}": s.reading_grade for s in Section.objects.select_related("treatment")}
    assert grades
    too_hard = {key: grade for key, grade in grades.items() if grade > MAX_READING_GRADE}
    assert too_hard == {}


def test_belotero_follows_the_labeling_not_the_marketing_article():
    text = " ".join(Section.objects.filter(treatment__slug="belotero").values_list("body", flat=True)).lower()
    assert "6–12 months" not in text and "6-12 months" not in text
    assert "6 months" in text and "48 weeks" in text
    anaphylaxis = Precaution.objects.get(treatment__slug="belotero", question__icontains="anaphylaxis")
    assert anaphylaxis.kind == Precaution.Kind.DO_NOT_TREAT


# --- 6. Review workflow ------------------------------------------------------------------------


def test_shipped_content_waits_for_the_clinics_reviewer():
    # The loader ships the content; nobody has signed it: no approval at all, not even a typed-in role.
    for treatment in Treatment.objects.filter(slug__in=FILLER_PAGES):
        assert treatment.published
        assert treatment.review_status == Treatment.ReviewStatus.NEEDS_REVIEW
        assert treatment.approved is None and treatment.reviewed_on is None


def _edit(treatment, what):
    if what == "section":
        section = treatment.sections.get(kind="overview")
        section.body = "Unsigned new overview sentence."
        section.save()
    elif what == "precaution":
        precaution = treatment.precautions.first()
        precaution.description = "Unsigned new precaution sentence."
        precaution.save()
    elif what == "side_effect":
        SideEffect.objects.create(treatment=treatment, name="Unsigned new side effect", frequency="common")
    elif what == "area":
        treatment.areas.first().delete()
    elif what == "source":
        treatment.sections.get(kind="overview").sources.add(
            Source.objects.create(key="unsigned", title="Unsigned new source", publisher="X", url="https://x.org")
        )
    elif what == "summary":
        treatment.summary = "Unsigned new summary sentence."
        treatment.save()


@pytest.mark.parametrize("what", ["section", "precaution", "side_effect", "area", "source", "summary"])
def test_medical_edit_needs_review_and_patients_keep_the_approved_page(client, signed, what):
    belotero = Treatment.objects.get(slug="belotero")
    before = page_html(client, "belotero")
    reviewed_on = belotero.reviewed_on
    _edit(belotero, what)
    belotero.refresh_from_db()
    assert belotero.review_status == Treatment.ReviewStatus.NEEDS_REVIEW
    assert belotero.reviewed_on == reviewed_on
    assert page_html(client, "belotero") == before
    assert "Unsigned new" not in page_html(client, "belotero")


def test_staff_preview_shows_the_unsigned_edit_with_a_warning(client, signed, staff_client):
    belotero = Treatment.objects.get(slug="belotero")
    _edit(belotero, "section")
    html = staff_client.get("/treatments/belotero/").text
    assert "Unsigned new overview sentence." in html
    assert "Needs medical review" in html


def test_reviewer_approval_publishes_the_edit_dates_it_and_keeps_history(client, signed, reviewer):
    belotero = Treatment.objects.get(slug="belotero")
    page_html(client, "belotero")  # cached for anonymous visitors
    reviews = belotero.reviews.count()
    _edit(belotero, "section")
    approve(belotero, reviewer)
    belotero.refresh_from_db()
    html = page_html(client, "belotero")
    assert "Unsigned new overview sentence." in html
    assert belotero.review_status == Treatment.ReviewStatus.REVIEWED
    assert belotero.reviewed_on == timezone.localdate()
    assert belotero.reviews.count() == reviews + 1
    assert belotero.reviews.latest().reviewer == reviewer
    assert "by Dr Ana Ruiz, MD, board-certified dermatologist" in html


def test_only_a_named_reviewer_with_the_permission_can_approve(staff_client):
    belotero = Treatment.objects.get(slug="belotero")
    staff_client.user.is_superuser = False
    with pytest.raises(PermissionError):
        belotero.approve(by=staff_client.user)  # permission, but no reviewer record: not a named person


def test_reviewer_approves_in_the_admin_on_the_approval_page(client, reviewer):
    client.force_login(reviewer.user)
    belotero = Treatment.objects.get(slug="belotero")
    from django.contrib.auth.models import Permission

    reviewer.user.user_permissions.add(*Permission.objects.filter(codename__in=["view_treatment", "change_treatment"]))
    change = client.get(f"/admin/education/treatment/{belotero.pk}/change/").text
    url = f"/admin/education/treatment/{belotero.pk}/approve/en/"
    assert f'href="{url}"' in change
    next_year = (timezone.localdate() + datetime.timedelta(days=300)).isoformat()
    response = client.post(url, {"attest": "on", "next_review_on": next_year}, follow=True)
    assert response.status_code == 200
    belotero.refresh_from_db()
    assert belotero.review_status == Treatment.ReviewStatus.REVIEWED
    assert belotero.approved.reviewer == reviewer


def test_there_is_no_one_click_bulk_approval(staff_client):
    response = staff_client.get("/admin/education/treatment/")
    assert response.status_code == 200
    assert 'value="approve"' not in response.text and 'value="approve_spanish"' not in response.text


def test_deploy_check_refuses_a_published_page_without_a_named_reviewer(reviewer):
    errors = published_pages_have_a_named_reviewer()
    assert {e.id for e in errors} == {"education.E001"}
    assert len(errors) == len(FILLER_PAGES)
    for treatment in Treatment.objects.filter(slug__in=FILLER_PAGES):
        approve(treatment, reviewer)
    assert published_pages_have_a_named_reviewer() == []


def test_approval_starts_a_new_page_cache_version(client, signed, reviewer):
    page_html(client, "belotero")
    version = cache.get(pagecache.VERSION_KEY)
    approve(Treatment.objects.get(slug="belotero"), reviewer)
    assert cache.get(pagecache.VERSION_KEY) != version


# --- 7. One place per fact -----------------------------------------------------------------------


@pytest.mark.parametrize("slug", FILLER_PAGES)
def test_each_contraindication_and_side_effect_appears_once(client, signed, slug):
    text = article_text(page_html(client, slug))
    treatment = Treatment.objects.get(slug=slug)
    for precaution in treatment.precautions.all():
        assert text.count(precaution.description) == 1, precaution
    for effect in treatment.side_effects.all():
        assert text.count(effect.name) == 1, effect
    # The prose no longer repeats the lists.
    prose = " ".join(
        treatment.sections.filter(kind__in=["side_effects", "contraindications"]).values_list("body", flat=True)
    )
    for word in ("anaphylaxis", "gram-positive", "bruising", "itching", "lumps"):
        assert word not in prose.lower()


def test_admin_shows_editors_each_sections_grade(staff_client):
    belotero = Treatment.objects.get(slug="belotero")
    response = staff_client.get(f"/admin/education/treatment/{belotero.pk}/change/")
    assert response.status_code == 200
    assert "reading grade" in response.text
    assert str(belotero.sections.first().reading_grade) in response.text


# --- 2 (continued). The screening asks what the reviewer signed ---------------------------------


def test_screening_asks_an_unsigned_question_only_after_approval(client, signed, reviewer):
    belotero = Treatment.objects.get(slug="belotero")
    Precaution.objects.create(
        treatment=belotero, kind=Precaution.Kind.DISCUSS, description="Unsigned", question="Unsigned new question?"
    )
    assert "Unsigned new question?" not in client.get(reverse("consultations:new") + "?treatment=belotero").text
    approve(belotero, reviewer)
    assert "Unsigned new question?" in client.get(reverse("consultations:new") + "?treatment=belotero").text


def test_screening_flag_carries_the_approved_wording(signed):
    belotero = Treatment.objects.get(slug="belotero")
    lidocaine = belotero.precautions.get(description__icontains="amide-type")
    approved_text = lidocaine.description
    lidocaine.description = "Reworded but not yet signed."
    lidocaine.save()
    [asked] = [p for p in belotero.screening_precautions() if p.pk == lidocaine.pk]
    [flag] = screening_flags(age=40, pregnancy="no", answers=[(asked, "yes")])
    assert flag.reason == approved_text


def test_deploy_check_warns_about_a_public_page_without_a_help_box(signed, reviewer):
    from clinic.checks import published_pages_have_a_help_box

    assert published_pages_have_a_help_box() == []
    Section.objects.filter(treatment__slug="belotero", kind=Section.Kind.GET_HELP).delete()
    # Patients still see the signed page, which has the box: the draft is not what they read.
    assert published_pages_have_a_help_box() == []
    approve(Treatment.objects.get(slug="belotero"), reviewer)
    assert [w.id for w in published_pages_have_a_help_box()] == ["education.W002"]


def test_help_box_check_looks_at_the_signed_page_not_the_draft(signed):
    """A draft with a help box does not help patients reading a signed page without one."""
    from clinic.checks import published_pages_have_a_help_box

    belotero = Treatment.objects.get(slug="belotero")
    approval = belotero.approved
    approval.content = {
        **approval.content,
        "sections": [s for s in approval.content["sections"] if s["kind"] != "get_help"],
    }
    approval.save()
    assert belotero.sections.filter(kind=Section.Kind.GET_HELP).exists()
    assert [w.id for w in published_pages_have_a_help_box()] == ["education.W002"]


def test_saving_without_a_change_keeps_the_page_reviewed(signed):
    belotero = Treatment.objects.get(slug="belotero")
    belotero.sections.get(kind="overview").save()
    belotero.save()
    belotero.refresh_from_db()
    assert belotero.review_status == Treatment.ReviewStatus.REVIEWED


def test_admin_lists_reviewers_and_each_treatments_approvals(staff_client, signed):
    assert staff_client.get(reverse("admin:education_reviewer_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:education_reviewer_add")).status_code == 200
    belotero = Treatment.objects.get(slug="belotero")
    response = staff_client.get(reverse("admin:education_treatment_change", args=[belotero.pk]))
    assert "Approvals (version history)" in response.text
    assert "Dr Ana Ruiz" in response.text


def test_form_shows_the_status_of_an_area_whose_use_is_not_approved(client, signed):
    html = client.get(reverse("consultations:new") + "?treatment=belotero").content.decode()
    assert "forehead lines (Not an approved use in the US)" in html
    assert "Hollows under the eyes (" not in html  # an approved use needs no note
