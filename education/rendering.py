"""Markdown to safe HTML, and readability scoring for editors."""

import re
from functools import lru_cache

import markdown
import nh3
import textstat
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "abbr",
    "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}


@lru_cache(maxsize=256)
def _render(text, page_level=False):
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS | {"h2"} if page_level else ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https", "http", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


def render_markdown(text, page_level=False):
    """Editors write Markdown; nh3 strips anything (script, style, on*) that is not plain content.

    Inside a treatment page a body sits under its section's <h2>, so its own headings start at
    <h3>; a whole page of Markdown (page_level, e.g. the privacy notice) may use "##" too.
    """
    return mark_safe(_render(text or "", page_level))  # noqa: S308  (sanitised by nh3 above)


def plain_text(text):
    html = _render(text or "")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def reading_grade(text):
    """Flesch-Kincaid grade of the text as a reader sees it (Markdown removed)."""
    words = plain_text(text)
    if not words:
        return 0.0
    return round(textstat.flesch_kincaid_grade(words), 1)
