"""The same page in each language: the addresses behind the language switch, hreflang and the sitemap.

English keeps the addresses it always had; Spanish adds /es/ in front (clinic/urls.py). A page
is the same view with the same arguments in every language, so its other-language address is
found by resolving the current path and reversing it with the other language active.
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.translation import get_language, override

from .formatting import clinic_phones


@dataclass(frozen=True)
class Version:
    code: str
    name: str
    url: str
    current: bool
    default: bool  # the x-default version for search engines


def language_name(code):
    return dict(settings.LANGUAGES).get(code, code)


def page_in(request, language):
    """The address of the page being shown, in `language`, query string included.

    A path no view answers (a 404 page) has no other-language version: its home page is offered.
    """
    path = request.get_full_path()
    if language == get_language():
        return path
    translated = translate_url(path, language)
    if translated == path:
        with override(language):
            return reverse("education:home")
    return translated


def versions(request):
    """The page being shown in every language, the current one first."""
    current = get_language()
    codes = [current] + [code for code, _name in settings.LANGUAGES if code != current]
    return [
        Version(code, language_name(code), page_in(request, code), code == current, code == settings.LANGUAGE_CODE)
        for code in codes
    ]


def clinic_details():
    """settings.CLINIC with the opening hours in the active language (HOURS_ES for Spanish) and
    the phone numbers as people read them ("(207) 555-0134"; PHONE_TEL for the `tel:` link)."""
    clinic = settings.CLINIC
    hours = clinic.get(f"HOURS_{(get_language() or '').upper()}") or clinic["HOURS"]
    return {**clinic, **clinic_phones(), "HOURS": hours}
