import json
import re

import pytest
from django.urls import reverse

from clinic.templatetags.clinic_tags import is_demo_site
from education.models import Section, Treatment
from education.rendering import render_markdown

from .factories import make_area, make_precaution, make_section, make_side_effect, make_source, make_treatment

pytestmark = pytest.mark.django_db


def jsonld_blocks(html):
    return [
        json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def test_published_queryset_excludes_drafts():
    make_treatment("live")
    make_treatment("draft", published=False, reviewed_on=None)
    assert set(Treatment.objects.filter(slug__in=["live", "draft"]).published().values_list("slug", flat=True)) == {
        "live"
    }


def test_draft_treatment_is_404_for_the_public(client):
    draft = make_treatment("draft", published=False)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_draft_treatment_is_previewable_by_staff(staff_client):
    draft = make_treatment("draft", published=False)
    response = staff_client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Draft preview" in response.text


def test_a_published_page_nobody_signed_shows_as_waiting_for_review(client):
    # Publishing no longer needs an approval: the page says it waits for the clinic's clinician.
    treatment = Treatment.objects.create(
        slug="unreviewed", name="Unreviewed", summary="A medical claim.", published=True
    )
    response = client.get(treatment.get_absolute_url())
    assert response.status_code == 200
    assert 'id="waiting-for-review"' in response.text and "A medical claim." not in response.text
    assert "Medically reviewed" not in response.text and "reviewedBy" not in response.text


def test_home_links_to_each_published_treatment_by_name(client):
    response = client.get("/")
    assert response.status_code == 200
    for treatment in Treatment.objects.published():
        assert f'href="{treatment.get_absolute_url()}">{treatment.name}</a>' in response.text


def test_detail_page_shows_sections_references_and_review(client):
    source = make_source()
    treatment = make_treatment()
    make_section(treatment, body="Plain words.", sources=[source])
    response = client.get(treatment.get_absolute_url())
    assert response.status_code == 200
    assert 'id="references"' in response.text
    assert 'id="ref-1"' in response.text and source.title in response.text
    assert "Medically reviewed on November 1, 2026 by Dr Test, MD" in response.text
    assert f"{reverse('consultations:new')}?treatment={treatment.slug}" in response.text


def test_references_are_numbered_in_order_of_first_citation(client):
    first, second = make_source("a-first", title="First source"), make_source("b-second", title="Second source")
    treatment = make_treatment()
    make_section(treatment, Section.Kind.OVERVIEW, sources=[second], order=1)
    make_section(treatment, Section.Kind.RESULTS, sources=[first, second], order=2)
    page = Treatment.objects.with_content().get(pk=treatment.pk).page()
    assert [ref["title"] for ref in page["references"]] == ["Second source", "First source"]
    assert page["sections"][1]["citations"] == [2, 1]


def test_detail_query_count_is_constant_as_content_grows(client, django_assert_num_queries):
    treatment = make_treatment()
    source = make_source()

    def add_content(i):
        kind = list(Section.Kind)[i + 1]  # [0], "get help", is a box, not a content section
        make_section(treatment, kind, sources=[source])
        make_area(treatment, name=f"Area {i}").sources.add(source)
        make_side_effect(treatment, name=f"Effect {i}").sources.add(source)
        make_precaution(treatment, question=f"Q{i}?").sources.add(source)

    add_content(0)
    is_demo_site()  # read once per content version (every page asks it for the demo banner)
    # One query: the treatment with its approved version, which holds the whole page.
    with django_assert_num_queries(1) as small:
        client.get(treatment.get_absolute_url())
    for i in range(1, 6):
        add_content(i)
    is_demo_site()  # a new content version asks once more (the banner's flag is kept per version)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(treatment.get_absolute_url())
    assert response.text.count('class="content-section"') == 6


def test_markdown_script_is_never_rendered(client):
    treatment = make_treatment()
    make_section(
        treatment, body='Hello <script>alert("x")</script> [link](javascript:alert(1)) <img src=x onerror=alert(1)>'
    )
    response = client.get(treatment.get_absolute_url())
    assert "<script>alert" not in response.text
    assert "javascript:" not in response.text
    assert "onerror" not in response.text


def test_markdown_keeps_lists_and_emphasis():
    html = render_markdown("**Bold** text.\n\n- one.\n- two.")
    assert "<strong>Bold</strong>" in html and html.count("<li>") == 2


def test_detail_jsonld_is_medical_web_page_about_procedure(client):
    treatment = make_treatment()
    make_section(treatment, sources=[make_source()])
    data = jsonld_blocks(client.get(treatment.get_absolute_url()).text)
    assert len(data) == 1
    assert data[0]["@type"] == "MedicalWebPage"
    assert data[0]["about"]["@type"] == "MedicalProcedure"
    assert data[0]["lastReviewed"] == "2026-11-01"
    assert data[0]["citation"][0]["url"] == "https://www.fda.gov/test"


def test_home_jsonld_has_clinic_contact_details(client, settings):
    data = jsonld_blocks(client.get("/").text)
    assert data[0]["@type"] == "MedicalClinic"
    assert data[0]["telephone"] == settings.CLINIC["PHONE"]


def test_jsonld_cannot_break_out_of_script(client):
    treatment = make_treatment(summary="</script><script>alert(1)</script>")
    html = client.get(treatment.get_absolute_url()).text
    assert "</script><script>alert(1)" not in html
    assert jsonld_blocks(html)[0]["description"] == "</script><script>alert(1)</script>"


def test_sitemap_lists_published_treatments_only(client):
    make_treatment("live")
    make_treatment("draft", published=False)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert "/treatments/live/" in response.text
    assert "/treatments/draft/" not in response.text


def test_robots_txt_points_to_sitemap_and_hides_admin(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /admin/" in response.text
    assert "Sitemap: http://testserver/sitemap.xml" in response.text


def test_unknown_page_gets_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.text


def test_pages_have_no_inline_script_or_style(client):
    treatment = make_treatment()
    make_section(treatment)
    for url in ["/", "/treatments/", treatment.get_absolute_url(), "/no-such-page/"]:
        html = client.get(url).text
        assert " style=" not in html
        assert not re.search(r"<script(?![^>]*application/ld\+json)", html), url
        assert "<style" not in html


def test_base_layout_has_lang_skip_link_and_navigation(client):
    html = client.get("/").text
    assert re.search(r'<html lang="en">', html)
    assert 'href="#main"' in html
    assert ">Treatments</a>" in html and ">Book a consultation</a>" in html
    assert "favicon.svg" in html
