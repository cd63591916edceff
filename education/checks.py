"""Production checks for the content: no public medical page without a named reviewer."""

from django.core.checks import Error, Warning, register
from django.db import DatabaseError


@register(deploy=True)
def published_pages_have_a_named_reviewer(app_configs=None, **kwargs):
    from .models import Treatment

    try:
        unsigned = list(
            Treatment.objects.published().filter(approved__reviewer__isnull=True).values_list("slug", flat=True)
        )
    except DatabaseError:
        return []  # no database yet (a fresh checkout): nothing is published
    return [
        Error(
            f"The published treatment page {slug!r} was not approved by a named medical reviewer.",
            hint="Add the clinician under Patient education > Medical reviewers, give their login the "
            '"Can approve medical content" permission, and approve the page in the admin; or unpublish it.',
            id="education.E001",
        )
        for slug in unsigned
    ]


@register(deploy=True)
def published_pages_have_a_help_box(app_configs=None, **kwargs):
    from .models import Section, Treatment

    try:
        missing = list(
            Treatment.objects.published().exclude(sections__kind=Section.Kind.GET_HELP).values_list("slug", flat=True)
        )
    except DatabaseError:
        return []
    return [
        Warning(
            f'The published treatment page {slug!r} has no "Get help at once" section.',
            hint="Every filler page should open with the emergency signs and what to do (see the Belotero page).",
            id="education.W002",
        )
        for slug in missing
    ]
