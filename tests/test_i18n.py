"""The Spanish edition: addresses, switching, the interface catalogue, and the patient's language
remembered for every later page, email and calendar invitation (issue 18)."""

import datetime
import io
import re
import uuid

import pytest
import textstat
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from consultations import workflow
from consultations.availability import slot_label
from consultations.forms import IntakeForm
from consultations.models import ConsultationRequest, Flag, PrivacyNotice, ScreeningAnswer, Status
from education.models import Precaution, Section, Treatment
from education.rendering import plain_text

from .factories import (
    approve,
    intake_post_data,
    make_booked_request,
    make_precaution,
    make_provider,
    make_request,
    make_reviewer,
    make_section,
    make_side_effect,
    make_treatment,
    self_service,
)

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# Every public English address, as it answered before the Spanish edition: (path, status, content type).
ENGLISH_URLS = [
    ("/", 200, "text/html"),
    ("/treatments/", 200, "text/html"),
    ("/treatments/belotero/", 200, "text/html"),
    ("/treatments/dermal-fillers/", 200, "text/html"),
    ("/consultations/new/", 200, "text/html"),
    ("/consultations/new/?treatment=belotero", 200, "text/html"),
    ("/consultations/privacy/", 200, "text/html"),
    ("/consultations/thank-you/", 200, "text/html"),
    ("/consultations/submitted/", 404, "text/html"),
    ("/consultations/manage/not-a-token/", 400, "text/html"),
    ("/sitemap.xml", 200, "application/xml"),
    ("/robots.txt", 200, "text/plain"),
    ("/healthz", 200, "text/plain"),
    ("/admin/login/", 200, "text/html"),
]


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def alternates(response):
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', response.content.decode()))


def switch_link(response):
    match = re.search(
        r'<a [^>]*href="([^"]+)" hreflang="([^"]+)" lang="[^"]+" data-language-switch>([^<]+)</a>',
        response.content.decode(),
    )
    return match.groups() if match else None


def spanish_treatment(slug="hialu", reviewed=True):
    """A published treatment with a complete Spanish version (signed by a reviewer unless told otherwise)."""
    treatment = make_treatment(
        slug, name="Hialu", name_es="Hialu", summary="A gel filler.", summary_es="Un relleno de gel."
    )  # fmt: skip
    make_section(treatment, body="It fills lines.", body_es="Rellena las arrugas.")
    make_section(treatment, kind=Section.Kind.SIDE_EFFECTS, body="Most go away.", body_es="Casi todos se van.")
    make_section(treatment, kind=Section.Kind.CONTRAINDICATIONS, body="Not for all.", body_es="No es para todos.")
    make_side_effect(treatment, name="Swelling", name_es="Hinchazón")
    make_precaution(
        treatment, description="Severe allergy", description_es="Alergia grave",
        question="Have you had anaphylaxis?", question_es="¿Ha tenido alguna vez una anafilaxia?",
    )  # fmt: skip
    if reviewed:
        approve(treatment, make_reviewer("Dra. Prueba", "MD", username="dra-prueba"), datetime.date(2026, 11, 30), "es")
    return treatment


# --- Addresses and switching ------------------------------------------------------------------


@pytest.mark.parametrize(("path", "status", "content_type"), ENGLISH_URLS)
def test_every_english_address_answers_as_before(client, path, status, content_type):
    response = client.get(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith(content_type)
    if content_type == "text/html" and not path.startswith("/admin/"):
        assert html_lang(response) == "en"


def test_english_pages_ignore_a_spanish_browser(client):
    response = client.get("/", headers={"accept-language": "es"})
    assert html_lang(response) == "en"
    assert "Book a consultation" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/es/", "/es/treatments/", "/es/consultations/new/", "/es/consultations/privacy/", "/es/consultations/thank-you/"],
)
def test_spanish_pages_live_under_es(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert html_lang(response) == "es"
    assert "Pedir una consulta" in response.content.decode()
    assert "Book a consultation" not in response.content.decode()


def test_admin_stays_english_and_has_no_spanish_address(client):
    assert client.get("/es/admin/login/").status_code == 404
    assert "Log in" in client.get("/admin/login/", headers={"accept-language": "es"}).content.decode()


@pytest.mark.parametrize(
    ("path", "other"),
    [
        ("/", "/es/"),
        ("/es/", "/"),
        ("/treatments/belotero/", "/es/treatments/belotero/"),
        ("/es/treatments/belotero/", "/treatments/belotero/"),
        ("/consultations/new/?treatment=belotero", "/es/consultations/new/?treatment=belotero"),
        ("/es/consultations/privacy/", "/consultations/privacy/"),
    ],
)
def test_language_switch_links_to_the_same_page_in_the_other_language(client, path, other):
    href, hreflang, name = switch_link(client.get(path))
    assert href == other
    assert (hreflang, name) == (("en", "English") if path.startswith("/es/") else ("es", "Español"))


def test_language_switch_on_a_self_service_page_keeps_the_patients_page(client):
    consultation = make_request()
    with translation.override("es"):
        path = self_service(client, consultation)
    href, _hreflang, _name = switch_link(client.get(path))
    assert path == "/es/consultations/manage/"
    assert href == "/consultations/manage/"


def test_missing_page_in_spanish_is_a_spanish_404_that_offers_the_english_home(client):
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    assert html_lang(response) == "es"
    assert "No encontramos esa página" in response.content.decode()
    assert switch_link(response)[0] == "/"
    assert alternates(response) == {}


def test_head_lists_every_language_version_and_english_as_default(client):
    response = client.get("/es/treatments/")
    assert alternates(response) == {
        "es": "http://testserver/es/treatments/",
        "en": "http://testserver/treatments/",
        "x-default": "http://testserver/treatments/",
    }


def test_sitemap_lists_each_page_per_language_with_alternates(client):
    xml = client.get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/es/</loc>" in xml
    assert '<xhtml:link rel="alternate" hreflang="es" href="http://testserver/es/treatments/"/>' in xml
    assert '<xhtml:link rel="alternate" hreflang="x-default" href="http://testserver/"/>' in xml


def test_sitemap_offers_a_guide_in_spanish_only_once_it_has_a_reviewed_spanish_version(client):
    spanish_treatment("hialu")
    make_treatment("solo-english")
    xml = client.get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/es/treatments/hialu/</loc>" in xml
    assert "<loc>http://testserver/treatments/solo-english/</loc>" in xml
    assert "/es/treatments/solo-english/" not in xml


def test_json_ld_says_the_language_of_the_page(client):
    spanish_treatment("hialu")
    assert '"inLanguage": "es"' in client.get("/es/treatments/hialu/").content.decode()
    assert '"inLanguage": "en"' in client.get("/treatments/hialu/").content.decode()
    assert '"inLanguage": "es"' in client.get("/es/").content.decode()


def test_page_cache_keeps_the_languages_apart(client):
    first_en, first_es = client.get("/").content, client.get("/es/").content
    assert client.get("/").content == first_en  # from the cache
    assert client.get("/es/").content == first_es
    assert b'lang="es"' in first_es and b'lang="en"' in first_en


# --- Content: a whole page in one language ------------------------------------------------------


def test_guide_with_a_reviewed_spanish_version_is_shown_in_spanish(client):
    spanish_treatment("hialu")
    html = client.get("/es/treatments/hialu/").content.decode()
    assert "Rellena las arrugas." in html and "Hinchazón" in html and "Alergia grave" in html
    assert "It fills lines." not in html
    assert 'id="language-notice"' not in html
    assert "Revisión médica del 30 de noviembre de 2026: Dra. Prueba, MD." in html


def test_guide_without_a_reviewed_spanish_version_is_shown_whole_in_english_with_a_notice(client):
    spanish_treatment("hialu", reviewed=False)
    response = client.get("/es/treatments/hialu/")
    html = response.content.decode()
    assert 'id="language-notice"' in html
    assert '<article class="treatment" aria-labelledby="treatment-title" lang="en">' in html
    assert "It fills lines." in html and "Rellena las arrugas." not in html
    # The consultation button inside the English guide still leads to the Spanish form.
    assert 'href="/es/consultations/new/?treatment=hialu"' in html
    assert alternates(response) == {
        "en": "http://testserver/treatments/hialu/",
        "x-default": "http://testserver/treatments/hialu/",
    }
    assert '<link rel="canonical" href="http://testserver/treatments/hialu/">' in html


def test_spanish_version_is_signed_only_when_every_record_is_translated():
    treatment = spanish_treatment("hialu", reviewed=False)
    make_side_effect(treatment, name="Bruising")  # no Spanish text
    assert not treatment.is_translated_into("es")
    with pytest.raises(ValidationError):
        approve(treatment, language="es")
    assert treatment.review_in("es") is None


def test_spanish_readers_keep_the_signed_spanish_page_until_an_update_is_signed(client):
    treatment = spanish_treatment("hialu")
    make_side_effect(treatment, name="Bruising", name_es="Moretones")  # English signed at once by the factory
    assert treatment.translation_status("es") == Treatment.ReviewStatus.NEEDS_REVIEW
    # The signed Spanish page translates an older English version: Spanish readers get the
    # current English page, marked as English, until the Spanish is signed again (issue 22).
    html = client.get("/es/treatments/hialu/").content.decode()
    assert "Bruising" in html and 'id="language-notice"' in html and "Moretones" not in html
    approve(treatment, language="es")
    cache.clear()
    html = client.get("/es/treatments/hialu/").content.decode()
    assert "Moretones" in html and 'id="language-notice"' not in html


def test_home_card_of_an_untranslated_guide_is_marked_english(client):
    spanish_treatment("hialu")
    make_treatment("solo-english", name="Solo English", summary="Only in English.")
    html = client.get("/es/").content.decode()
    assert "Un relleno de gel." in html
    assert '<article class="card h-100" lang="en">' in html and "Only in English." in html


# --- The interface catalogue ---------------------------------------------------------------------


def test_privacy_notice_is_shown_in_spanish_and_consent_records_the_text_shown(client):
    html = client.get("/es/consultations/privacy/").content.decode()
    assert "Quiénes somos" in html and "Who we are" not in html


def test_error_pages_follow_the_language_of_the_address(rf, settings):
    from clinic.middleware import database_unavailable_response
    from clinic.views import server_error

    with translation.override("es"):
        assert "Algo salió mal" in server_error(rf.get("/es/")).content.decode()
        busy = database_unavailable_response().content.decode()
    assert '<html lang="es">' in busy and "Nuestro sitio no responde en este momento" in busy
    assert 'href="/es/"' in busy


def test_dates_and_times_use_spanish_conventions():
    start = timezone.make_aware(datetime.datetime(2026, 12, 7, 11, 0))
    slot = type("S", (), {"start": start})()
    with translation.override("es"):
        assert slot_label(slot) == "lun 7 dic, 11:00 a. m."
    assert slot_label(slot) == "Mon, Dec 7, 11:00 AM"


# --- Screening: one record, whatever the language --------------------------------------------------


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks, mailoutbox):
    def submit(treatment, prefix="", **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{prefix}/consultations/new/", intake_post_data(treatment, **overrides))
        assert response.status_code == 302, response.content.decode()[:2000]
        return ConsultationRequest.objects.latest("pk")

    return submit


def test_spanish_form_shows_the_questions_in_spanish(client):
    spanish_treatment("hialu")
    html = client.get("/es/consultations/new/?treatment=hialu").content.decode()
    assert "¿Ha tenido alguna vez una anafilaxia?" in html
    assert "Have you had anaphylaxis?" not in html


def test_spanish_request_stores_the_question_as_asked_and_the_same_flags_as_english(submit):
    treatment = spanish_treatment("hialu")
    precaution = treatment.precautions.get()
    field = IntakeForm.question_name(precaution)
    spanish = submit(treatment, "/es", **{field: "yes"})
    english = submit(treatment, "", **{field: "yes"})

    assert (spanish.language, english.language) == ("es", "en")
    answer = ScreeningAnswer.objects.get(consultation=spanish)
    assert (answer.precaution, answer.question, answer.answer) == (
        precaution,
        "¿Ha tenido alguna vez una anafilaxia?",
        "yes",
    )
    assert ScreeningAnswer.objects.get(consultation=english).question == "Have you had anaphylaxis?"
    # Staff see the same flags, in English, whatever language the patient used.
    assert (
        list(Flag.objects.filter(consultation=spanish).values_list("kind", "reason"))
        == list(Flag.objects.filter(consultation=english).values_list("kind", "reason"))
        == [(Precaution.Kind.DO_NOT_TREAT, "Severe allergy")]
    )
    assert spanish.worst_flag == english.worst_flag


def test_staff_page_shows_the_patients_language_and_the_english_question(admin_client, submit):
    treatment = spanish_treatment("hialu")
    consultation = submit(treatment, "/es")
    html = admin_client.get(
        reverse("admin:consultations_consultationrequest_change", args=[consultation.pk])
    ).content.decode()
    assert re.search(r"<dt>Language</dt>\s*<dd>Español</dd>", html)
    assert "¿Ha tenido alguna vez una anafilaxia?" in html and "Have you had anaphylaxis?" in html


# --- The patient's language sticks -------------------------------------------------------------------


def test_receipt_is_in_the_patients_language_and_the_staff_alert_in_english(submit, mailoutbox):
    consultation = submit(spanish_treatment("hialu"), "/es")
    receipt, alert = mailoutbox
    assert receipt.subject == f"Recibimos su solicitud de consulta ({consultation.reference})"
    assert "/es/consultations/manage/" in receipt.body
    assert alert.subject.startswith(f"New consultation request {consultation.reference}")
    assert "/es/" not in alert.body


def test_english_request_emails_are_unchanged(submit, mailoutbox):
    consultation = submit(spanish_treatment("hialu"))
    assert mailoutbox[0].subject == f"We received your consultation request ({consultation.reference})"
    assert "/es/" not in mailoutbox[0].body


@pytest.fixture
def booked_spanish_request():
    return make_booked_request(treatment=spanish_treatment("hialu"), language="es")


def test_staff_approval_mails_the_patient_in_spanish_with_a_spanish_invitation(
    booked_spanish_request, django_capture_on_commit_callbacks, mailoutbox
):
    consultation = booked_spanish_request
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(consultation, make_provider(display_name="Dr Other").user)
    (message,) = mailoutbox
    assert message.subject == f"Su consulta está reservada ({consultation.reference})"
    with translation.override("es"):
        assert slot_label(type("S", (), {"start": consultation.slot_start})()) in message.body
    (_name, invitation, _mimetype) = message.attachments[0]
    assert "Consulta en" in (invitation.decode() if isinstance(invitation, bytes) else invitation)


def test_reminder_command_sends_a_spanish_request_its_reminder_in_spanish(
    booked_spanish_request, django_capture_on_commit_callbacks, mailoutbox
):
    consultation = booked_spanish_request
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        status=Status.APPROVED,
        slot_start=timezone.now() + datetime.timedelta(hours=3),
        slot_end=timezone.now() + datetime.timedelta(hours=3, minutes=30),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=io.StringIO())
    (message,) = mailoutbox
    assert message.subject.startswith("Recordatorio: su consulta del ")
    assert "Le recordamos su consulta" in message.body
    assert "/es/consultations/manage/" in message.body


def test_self_service_cancel_confirms_in_spanish(
    booked_spanish_request, client, django_capture_on_commit_callbacks, mailoutbox
):
    consultation = booked_spanish_request
    with translation.override("es"):
        cancel = self_service(client, consultation, "manage_cancel")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(cancel, follow=True)
    assert "Su solicitud está cancelada" in response.content.decode()
    assert mailoutbox[0].subject == f"Su solicitud de consulta {consultation.reference} está cancelada"


def test_request_language_is_stored_with_a_default_of_english():
    consultation = ConsultationRequest.objects.create(
        treatment=make_treatment(), first_name="A", last_name="B", email="a@example.com", phone="+12075550100",
        date_of_birth=datetime.date(1990, 1, 1), goals="Smoother lines", submission_token=uuid.uuid4(),
        consent_version="v1", consent_sha256="0" * 64, consented_at=timezone.now(),
    )  # fmt: skip
    consultation.refresh_from_db()
    assert consultation.language == "en"


def test_invitation_for_an_english_request_stays_english(booked_spanish_request):
    from consultations import ics

    consultation = booked_spanish_request
    consultation.language = "en"
    calendar = ics.build_ics(consultation)
    assert b"Consultation at" in calendar


def test_admin_edits_content_and_the_privacy_notice_in_each_language(admin_client):
    treatment = Treatment.objects.get(slug="belotero")
    html = admin_client.get(reverse("admin:education_treatment_change", args=[treatment.pk])).content.decode()
    assert 'name="sections-0-body_en"' in html and 'name="sections-0-body_es"' in html
    notice = PrivacyNotice.objects.get()
    html = admin_client.get(reverse("admin:consultations_privacynotice_change", args=[notice.pk])).content.decode()
    assert "Who we are" in html and "Quiénes somos" in html  # read only: patients consented to it
    assert 'name="text_es"' not in html


def test_robots_txt_treats_the_spanish_pages_like_the_english_ones(client):
    lines = client.get("/robots.txt").text.splitlines()
    for prefix in ("", "/es"):
        assert f"Allow: {prefix}/consultations/new/" in lines
        assert f"Allow: {prefix}/consultations/privacy/" in lines
        assert f"Disallow: {prefix}/consultations/" in lines


# --- The shipped Spanish guides ------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["belotero", "dermal-fillers"])
def test_shipped_guide_has_a_whole_spanish_text_with_the_same_facts_sources_and_safety_box(slug):
    treatment = Treatment.objects.get(slug=slug)
    assert treatment.is_translated_into("es")
    (english, _digest), (spanish, _digest) = treatment.current_content("en"), treatment.current_content("es")
    # Same sections in the same order (the "Get help at once" box first), citing the same sources.
    assert [(s["kind"], s["citations"]) for s in spanish["sections"]] == [
        (s["kind"], s["citations"]) for s in english["sections"]
    ]
    assert spanish["sections"][0]["kind"] == Section.Kind.GET_HELP
    assert [r["url"] for r in spanish["references"]] == [r["url"] for r in english["references"]]
    # Same records: kinds, statuses and frequencies, and the same numbers in every text.
    for es_section, en_section in zip(spanish["sections"], english["sections"], strict=True):
        keep = ("kind", "status", "frequency", "product", "citations", "id")
        assert [{k: r.get(k) for k in keep} for r in es_section["records"]] == [
            {k: r.get(k) for k in keep} for r in en_section["records"]
        ]
        assert numbers(es_section["html"]) == numbers(en_section["html"]), es_section["kind"]


def numbers(text):
    return sorted(re.findall(r"\d+", text.replace("0,3", "0.3").replace("0.3", "03")))


@pytest.mark.parametrize("slug", ["belotero", "dermal-fillers"])
def test_shipped_spanish_sections_are_plain_language(slug):
    textstat.set_lang("es")
    try:
        scores = {
            section.kind: (textstat.fernandez_huerta(text), textstat.szigriszt_pazos(text))
            for section in Section.objects.filter(treatment__slug=slug)
            if (text := plain_text(section.body_es))
        }
    finally:
        textstat.set_lang("en")
    assert len(scores) == Section.objects.filter(treatment__slug=slug).count()
    hard = {kind: score for kind, score in scores.items() if score[0] < 70 and score[1] < 65}
    assert hard == {}


def test_shipped_guide_reads_in_spanish_once_its_spanish_version_is_signed(client):
    treatment = Treatment.objects.get(slug="belotero")
    approve(treatment)  # the English first: a translation is signed against it
    cache.clear()
    assert 'id="language-notice"' in client.get("/es/treatments/belotero/").content.decode()
    approve(treatment, language="es")
    cache.clear()
    html = client.get("/es/treatments/belotero/").content.decode()
    assert 'id="language-notice"' not in html
    assert "Busque ayuda de inmediato" in html and "Relleno que tapa un vaso sanguíneo" in html


@pytest.mark.parametrize(
    "path",
    [
        "//evil.com/consultations/new/",
        "//evil.com/es/consultations/new/",
        "/\\evil.com/consultations/new/",
        "//evil.com/treatments/belotero/?x=1",
        "///evil.com/consultations/new/",
        "/es//evil.com/consultations/new/",
    ],
)
def test_language_switch_never_points_off_site(client, path):
    # Finding 4 (issue 23): a path that reads as "//host/..." must not put that host in the link.
    # The test client would parse "//evil.com" as a host itself: the raw path goes in as nginx passes it.
    path, _, query = path.partition("?")
    response = client.get("/", PATH_INFO=path, QUERY_STRING=query)
    assert response.status_code == 404
    href, _hreflang, _name = switch_link(response)
    assert href.startswith("/")
    assert not href.startswith(("//", "/\\"))
    assert "evil.com" not in href
    assert "evil.com" not in "".join(alternates(response).values())
