"""System checks (`manage.py check --deploy`, `make serve`): the settings production needs
(clinic.*), and what patients see of the content (education.*: signed pages, the help box, the
emergency line, reviews). Project-level: it reads the education app, so it sits above the apps
(tests/test_layers.py); the IDs stay as operators silence them (SILENCED_SYSTEM_CHECKS).

The content checks look at the public version of a page (the approval patients are served), never
at the editors' draft: a draft with a help box does not help a patient reading a signed page without one.
"""

import re

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from clinic import conf
from education.models import ContentLoad, Section, SiteMode, Treatment


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    if not settings.CLINIC_SITE_URL:
        return [
            Error(
                "CLINIC_SITE_URL is not set: links in patients' emails (their self-service page, "
                "reminders) would point to the wrong address.",
                hint="Set it to the public address of the site, e.g. CLINIC_SITE_URL=https://clinic.example.com",
                id="clinic.E001",
            )
        ]
    if not settings.CLINIC_SITE_URL.startswith(("https://", "http://")):
        return [
            Error(
                f"CLINIC_SITE_URL={settings.CLINIC_SITE_URL!r} is not an address starting with https://.",
                hint="e.g. CLINIC_SITE_URL=https://clinic.example.com",
                id="clinic.E002",
            )
        ]
    return []


def _database_ready(run):
    def check(app_configs=None, **kwargs):
        try:
            return run()
        except DatabaseError:
            return []  # no database yet (a fresh checkout): nothing is published

    check.__name__ = run.__name__
    check.__doc__ = run.__doc__
    return check


@register(deploy=True)
@_database_ready
def published_pages_have_a_named_reviewer():
    """E001: every published page is signed by a named reviewer, and not by a demo one outside a demo site."""

    demo_site = SiteMode.is_demo()
    errors = []
    for treatment in Treatment.objects.published().select_related("approved__reviewer"):
        approval = treatment.approved
        if approval is None or approval.reviewer_id is None:
            problem = "no named medical reviewer has signed it: patients see it as waiting for review"
        elif approval.reviewer.demo and not demo_site:
            problem = f"it is signed by the demo reviewer {approval.byline!r}, and this is not a demo site"
        else:
            continue
        errors.append(
            Error(
                f"The published treatment page {treatment.slug!r} is not signed: {problem}.",
                hint="Add the clinic's clinician under Patient education > Medical reviewers, give their login the "
                '"Can approve medical content" permission, and have them approve the page in the admin.',
                id="education.E001",
            )
        )
    return errors


@register(deploy=True)
@_database_ready
def published_pages_have_a_help_box():
    """W002: the page patients see (the signed version) opens with the "Get help at once" box."""

    missing = []
    for treatment in Treatment.objects.published().select_related("approved__reviewer"):
        approval = treatment.signed_approval
        if approval is None:
            shown = treatment.sections.filter(kind=Section.Kind.GET_HELP).exists()  # the waiting page shows it
        else:
            shown = any(s.get("kind") == Section.Kind.GET_HELP for s in approval.content.get("sections", []))
        if not shown:
            missing.append(treatment.slug)
    return [
        Warning(
            f'The public version of the treatment page {slug!r} has no "Get help at once" section.',
            hint="Every filler page should open with the emergency signs and what to do; add the section and "
            "have a reviewer approve the page (patients see only the signed version).",
            id="education.W002",
        )
        for slug in missing
    ]


def _digits(phone):
    return re.sub(r"\D", "", phone or "").removeprefix("1")


@register(deploy=True)
def emergency_line_is_its_own(app_configs=None, **kwargs):
    """W003: the help box's emergency line is set, and is not the office number (office hours only)."""
    clinic = conf.clinic()
    if _digits(clinic.get("EMERGENCY_PHONE")) and _digits(clinic["EMERGENCY_PHONE"]) != _digits(clinic["PHONE"]):
        return []
    return [
        Warning(
            "CLINIC_EMERGENCY_PHONE is unset or is the office number: the help box tells patients with an "
            "emergency after a filler to call a line that is answered only in office hours.",
            hint="Set CLINIC_EMERGENCY_PHONE to a number answered at all hours (an on-call clinician).",
            id="education.W003",
        )
    ]


@register(deploy=True)
@_database_ready
def reviews_are_not_overdue():
    """W004: no published page is past its next-review date."""

    return [
        Warning(
            f"The treatment page {slug!r} was due for its medical review on {due}.",
            hint="A reviewer re-reads the page and approves it again (Patient education > Treatments).",
            id="education.W004",
        )
        for slug, due in Treatment.objects.review_overdue().values_list("slug", "approved__next_review_on")
    ]


@register()
@_database_ready
def shipped_content_is_applied():
    """W005: a newer version of the shipped guides was not loaded because editors changed the page."""

    return [
        Warning(
            f"A newer shipped version of the treatment page {slug!r} (education/content/) was not loaded: "
            "editors changed the page since the last load, and their text was kept.",
            hint="Compare the page with the shipped files and make the changes in the admin (a reviewer then "
            "signs it); `manage.py load_content` stops reporting it once the rows and the files agree.",
            id="education.W005",
        )
        for slug in ContentLoad.objects.exclude(pending_digest="").values_list("slug", flat=True)
    ]
