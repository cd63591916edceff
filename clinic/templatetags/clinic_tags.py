import functools
import json
from urllib.parse import urlsplit

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from clinic import formatting, i18n, pagecache
from clinic.absolute import site_url

register = template.Library()

# Same escaping as Django's json_script: the JSON can never close the <script> element.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(data):
    """Render a dict as a JSON-LD data block (not executed, so the CSP does not apply)."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.filter
def site_name(url):
    """A reference's link text: the site it goes to ("fda.gov"), short enough for a phone line."""
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


# --- Phone numbers, as clinic/formatting.py writes them everywhere -------------------------


@register.filter
def phone_display(value):
    """{{ consultation.phone|phone_display }} -> "(207) 555-0134"."""
    return formatting.phone(value)


@register.filter
def phone_tel(value):
    """{{ consultation.phone|phone_tel }} -> "+12075550134", for a `tel:` link."""
    return formatting.tel(value)


@register.filter
def source_date(value):
    """A reference's date in the reader's language: "2023-09-27" -> "September 27, 2023"."""
    return formatting.source_date(value)


@register.simple_tag(takes_context=True)
def page_versions(context):
    """This page in every language (clinic.i18n.Version), for the language switch and hreflang links."""
    request = context.get("request")
    return i18n.versions(request) if request is not None else []


@register.simple_tag
def absolute_url(path):
    """path on the site's own address (clinic.absolute: CLINIC_SITE_URL, never a visitor's Host header)."""
    return site_url(path)


@register.inclusion_tag("education/partials/demo_banner.html")
def demo_banner(admin=False):
    """The "Demo site — invented data" banner, on every page of a demo install (SiteMode)."""
    from django.db import DatabaseError  # noqa: PLC0415

    try:
        demo = is_demo_site()
    except DatabaseError:  # an error page while the database is down: no banner rather than no page
        demo = False
    return {"demo": demo, "admin": admin}


def is_demo_site():
    """Whether this install is a demo site (SiteMode): asked by every page for its banner, so read
    once per content version (a saved SiteMode starts a new one), not on every page."""
    return _is_demo(pagecache.content_version())


@functools.lru_cache(maxsize=2)
def _is_demo(content_version):
    from education.models import SiteMode  # noqa: PLC0415

    return SiteMode.is_demo()
