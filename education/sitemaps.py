from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Treatment


class LanguageSitemap(Sitemap):
    """Every page once per language, each entry listing the others as hreflang alternates."""

    i18n = True
    alternates = True
    x_default = True


class StaticSitemap(LanguageSitemap):
    changefreq = "monthly"

    def items(self):
        return ["education:home", "education:treatment_list", "consultations:new"]

    def location(self, item):
        return reverse(item)


class TreatmentSitemap(LanguageSitemap):
    changefreq = "monthly"

    def items(self):
        return (
            Treatment.objects.published()
            .select_related("approved__reviewer")
            .defer("approved__content")
            .with_signed_languages()
        )

    def get_languages_for_item(self, treatment):
        # A guide is offered to search engines only in the languages a reviewer signed it in.
        return [
            code
            for code in self._languages()
            if code == settings.LANGUAGE_CODE or getattr(treatment, f"signed_{code}", False)
        ]

    def lastmod(self, treatment):
        # What the public sees changes when a reviewer approves, not when an editor saves; a page
        # waiting for its first signature has no review date to give.
        approval = treatment.signed_approval
        return approval.approved_at if approval else None


sitemaps = {"pages": StaticSitemap, "treatments": TreatmentSitemap}
