"""Which content fields exist once per language (django-modeltranslation).

modeltranslation adds a column per language next to each field (``body_en``, ``body_es``) and
makes the plain name (``section.body``) read the active language. Chosen over django-parler
because the content keeps its one table per model, its field names and its queries (the page,
the form and the staff screens read ``precaution.question`` as before), and the admin gets a
field per language without new admin code. A page is shown, and reviewed, per language as a
whole: see ``Treatment.approve`` and ``Treatment.public_version``.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Precaution, Section, SideEffect, Source, Treatment, TreatmentArea


@register(Treatment)
class TreatmentTranslation(TranslationOptions):
    fields = ("name", "summary")


@register(Section)
class SectionTranslation(TranslationOptions):
    fields = ("title", "body")


@register(TreatmentArea)
class TreatmentAreaTranslation(TranslationOptions):
    fields = ("name", "description")


@register(SideEffect)
class SideEffectTranslation(TranslationOptions):
    fields = ("name", "description", "duration")


@register(Precaution)
class PrecautionTranslation(TranslationOptions):
    fields = ("description", "question")


@register(Source)
class SourceTranslation(TranslationOptions):
    # The labels around a source: its title, who published it, whose text a copy reproduces.
    fields = ("title", "publisher", "copy_of")
