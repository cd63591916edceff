"""The peer's pages from scripts/peers/content.py: a home page at the site's root with the treatments under it."""

from content import TREATMENTS, sections
from django.core.management.base import BaseCommand
from wagtail.models import Page, Site

from pages.models import HomePage, TreatmentPage


class Command(BaseCommand):
    help = "Create the peer's pages (in a fresh database)."

    def handle(self, *args, **options):
        root = Page.get_first_root_node()
        for page in root.get_children():  # Wagtail's welcome page
            page.delete()
        home = root.add_child(instance=HomePage(title="Patient information", slug="home"))
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "root_page": home, "port": 80}
        )
        body = [
            {
                "type": "section",
                "value": {
                    "heading": heading,
                    "paragraphs": paragraphs,
                    "sources": [{"title": title, "url": url} for title, url in sources],
                },
            }
            for heading, paragraphs, sources in sections()
        ]
        for slug, name, summary in TREATMENTS:
            page = home.add_child(instance=TreatmentPage(title=name, slug=slug, summary=summary, body=body))
            page.save_revision().publish()
        self.stdout.write(f"{len(TREATMENTS)} treatment pages under {home.url_path}")
