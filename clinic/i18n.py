"""The same page in each language: the addresses behind the language switch, hreflang and the sitemap.

English keeps the addresses it always had; Spanish adds /es/ in front (clinic/urls.py). A page
is the same view with the same arguments in every language, so its other-language address is
found by resolving the current path and reversing it with the other language active.
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import get_language, override

from clinic import conf

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

    Built from the resolved route (view name and arguments reversed in `language`), never from
    the request's path as a URL: a path such as "//evil.com/consultations/new/" reads as a host
    to urlsplit() (and so to translate_url()), which would make the language link leave the
    site. A path no view answers (a 404 page, those included) has no other-language version:
    its home page is offered.
    """
    if language == get_language() and not _off_site(request.get_full_path()):
        return request.get_full_path()
    with override(language):
        home = reverse("education:home")
    try:
        match = resolve(request.path_info)  # in the language shown now: its prefix is in the path
        with override(language):
            path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
    except (Resolver404, NoReverseMatch):
        return home
    if _off_site(path):
        return home
    query = request.META.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def _off_site(path):
    # reverse() always gives a site path; refuse anything a browser could read as another host.
    return not path.startswith("/") or path.startswith(("//", "/\\"))


def versions(request):
    """The page being shown in every language, the current one first."""
    current = get_language()
    codes = [current] + [code for code, _name in settings.LANGUAGES if code != current]
    return [
        Version(code, language_name(code), page_in(request, code), code == current, code == settings.LANGUAGE_CODE)
        for code in codes
    ]


def clinic_details():
    """The clinic's details (clinic.conf) with the opening hours in the active language (HOURS_ES for
    Spanish) and the phone numbers as people read them ("(207) 555-0134"; PHONE_TEL for the `tel:` link)."""
    clinic = conf.clinic()
    hours = clinic.get(f"HOURS_{(get_language() or '').upper()}") or clinic["HOURS"]
    return {**clinic, **clinic_phones(), "HOURS": hours}
