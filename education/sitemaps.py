from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Treatment


class StaticSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return ["education:home", "education:treatment_list", "consultations:new"]

    def location(self, item):
        return reverse(item)


class TreatmentSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Treatment.objects.published().select_related("approved").defer("approved__content")

    def lastmod(self, treatment):
        # What the public sees changes when a reviewer approves, not when an editor saves.
        return treatment.approved.approved_at


sitemaps = {"pages": StaticSitemap, "treatments": TreatmentSitemap}
