"""The peer's pages: a home page listing its treatment pages, each a StreamField of cited sections."""

from django.db import models
from wagtail import blocks
from wagtail.fields import StreamField
from wagtail.models import Page

SOURCE = blocks.StructBlock([("title", blocks.CharBlock()), ("url", blocks.URLBlock())])
SECTION = blocks.StructBlock(
    [
        ("heading", blocks.CharBlock()),
        ("paragraphs", blocks.ListBlock(blocks.TextBlock())),
        ("sources", blocks.ListBlock(SOURCE)),
    ]
)


class HomePage(Page):
    template = "home.html"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["treatments"] = [
            (page.slug, page.title, page.specific.summary) for page in self.get_children().live().specific()
        ]
        context["prefix"] = "/"
        return context


class TreatmentPage(Page):
    template = "treatment.html"
    summary = models.CharField(max_length=200, blank=True)
    body = StreamField([("section", SECTION)])

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        home = self.get_parent().specific
        context["treatments"] = [
            (page.slug, page.title, page.summary) for page in home.get_children().live().specific()
        ]
        context["prefix"] = "/"
        context["sections"] = [
            (
                block.value["heading"],
                list(block.value["paragraphs"]),
                [(source["title"], source["url"]) for source in block.value["sources"]],
            )
            for block in self.body
        ]
        return context
