"""The content shipped in migrations: complete, cited, and readable."""

import pytest

from education.admin import MAX_READING_GRADE
from education.models import Precaution, Section, Treatment

pytestmark = pytest.mark.django_db


def test_belotero_page_has_every_section_kind():
    belotero = Treatment.objects.published().get(slug="belotero")
    assert set(belotero.sections.values_list("kind", flat=True)) == set(Section.Kind.values)


@pytest.mark.parametrize("slug", ["belotero", "dermal-fillers"])
def test_every_shipped_section_cites_a_source(slug):
    for section in Section.objects.filter(treatment__slug=slug):
        assert section.sources.exists(), section


def test_every_shipped_section_reads_at_grade_eight_or_below():
    grades = {f"{s.treatment.slug}/{s.kind}": s.reading_grade for s in Section.objects.select_related("treatment")}
    assert grades
    too_hard = {key: grade for key, grade in grades.items() if grade > MAX_READING_GRADE}
    assert too_hard == {}


def test_belotero_follows_the_labeling_not_the_marketing_article():
    text = " ".join(Section.objects.filter(treatment__slug="belotero").values_list("body", flat=True)).lower()
    assert "6–12 months" not in text and "6-12 months" not in text
    assert "6 months" in text and "48 weeks" in text
    pregnancy = Precaution.objects.get(treatment__slug="belotero", description__icontains="pregnan")
    assert pregnancy.kind == Precaution.Kind.DISCUSS
    anaphylaxis = Precaution.objects.get(treatment__slug="belotero", question__icontains="anaphylaxis")
    assert anaphylaxis.kind == Precaution.Kind.DO_NOT_TREAT


def test_admin_shows_editors_each_sections_grade(staff_client):
    belotero = Treatment.objects.get(slug="belotero")
    response = staff_client.get(f"/admin/education/treatment/{belotero.pk}/change/")
    assert response.status_code == 200
    assert "reading grade" in response.text
    assert str(belotero.sections.first().reading_grade) in response.text
