"""Small factory functions: plain Django ORM, no magic."""

import datetime

from education.models import Precaution, Section, SideEffect, Source, Treatment, TreatmentArea


def make_source(key="fda-test", **kwargs):
    defaults = {"title": "Test label", "publisher": "US FDA", "url": "https://www.fda.gov/test", "date": "2023"}
    return Source.objects.create(key=key, **{**defaults, **kwargs})


def make_treatment(slug="testfill", published=True, **kwargs):
    defaults = {
        "name": slug.title(),
        "summary": "A test filler.",
        "published": published,
        "reviewed_on": datetime.date(2026, 11, 1),
        "reviewer_name": "Dr Test",
        "reviewer_credentials": "MD",
    }
    return Treatment.objects.create(slug=slug, **{**defaults, **kwargs})


def make_section(treatment, kind=Section.Kind.OVERVIEW, body="Short text. It is easy to read.", sources=(), **kwargs):
    section = Section.objects.create(treatment=treatment, kind=kind, body=body, **kwargs)
    section.sources.set(sources)
    return section


def make_precaution(treatment, kind=Precaution.Kind.DO_NOT_TREAT, question="Have you had anaphylaxis?", **kwargs):
    defaults = {"description": "Severe allergy"}
    return Precaution.objects.create(treatment=treatment, kind=kind, question=question, **{**defaults, **kwargs})


def make_area(treatment, name="Nasolabial folds", status=TreatmentArea.Status.FDA_APPROVED, **kwargs):
    return TreatmentArea.objects.create(treatment=treatment, name=name, status=status, **kwargs)


def make_side_effect(treatment, name="Swelling", frequency=SideEffect.Frequency.COMMON, **kwargs):
    return SideEffect.objects.create(treatment=treatment, name=name, frequency=frequency, **kwargs)
