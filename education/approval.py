"""The reviewer's approval page in the admin: what changed, and a signed attestation.

A medical director signs one page in one language at a time, after seeing the change against the
version patients see now (a line diff of the page data) and attesting to it under their own name.
This replaces a one-click bulk action that showed nothing and asked nothing.
"""

import difflib
import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .models import Treatment, default_next_review, language_name

ATTESTATION = _(
    "I have read this page in %(language)s as patients will see it, including its screening questions and "
    "sources, and the changes shown here. It is medically accurate and suitable for our patients."
)


class ApprovalForm(forms.Form):
    attest = forms.BooleanField(
        label=_("I attest to the statement above, under my name."),
        error_messages={"required": _("Tick the box to sign: the approval is your attestation.")},
    )
    next_review_on = forms.DateField(
        label=_("Next review due"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("By default 12 months from today. The page is listed as overdue after this date."),
    )

    def clean_next_review_on(self):
        value = self.cleaned_data["next_review_on"]
        if value <= timezone.localdate():
            raise ValidationError(_("Choose a date after today."), code="past")
        return value


def page_lines(page):
    """The page data as stable, readable lines (for the diff)."""
    if not page:
        return []
    return json.dumps(page, ensure_ascii=False, indent=2, sort_keys=True).splitlines()


def changes(signed_page, current_page):
    """[(kind, line)] of a unified diff: kind is "add", "remove", "hunk" or "same"."""
    rows = []
    for line in difflib.unified_diff(page_lines(signed_page), page_lines(current_page), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "same")
        rows.append((kind, line))
    return rows


def approve_view(model_admin, request, object_id, language):
    if language not in dict(settings.LANGUAGES):
        raise PermissionDenied
    if not model_admin.has_approve_permission(request):
        raise PermissionDenied
    treatment = get_object_or_404(Treatment, pk=object_id)
    reviewer = request.user.medical_reviewer
    current, _fingerprint = treatment.current_content(language)
    signed = treatment.review_in(language) or (
        treatment.latest_review_in(language) if language != settings.LANGUAGE_CODE else None
    )
    statement = ATTESTATION % {"language": language_name(language)}
    form = ApprovalForm(request.POST or None, initial={"next_review_on": default_next_review(timezone.localdate())})
    if request.method == "POST" and form.is_valid():
        attestation = f"{statement} — {reviewer}"
        try:
            treatment.approve(
                by=request.user,
                language=language,
                attestation=attestation,
                next_review_on=form.cleaned_data["next_review_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            model_admin.message_user(
                request,
                _("You signed the %(language)s page of %(name)s: patients now see it.")
                % {"language": language_name(language), "name": treatment.name},
                messages.SUCCESS,
            )
            return redirect(reverse("admin:education_treatment_change", args=[treatment.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": treatment,
        "title": _("Approve %(name)s (%(language)s)") % {"name": treatment.name, "language": language_name(language)},
        "language": language,
        "language_name": language_name(language),
        "form": form,
        "statement": statement,
        "reviewer": reviewer,
        "signed": signed,
        "changes": changes(signed.content if signed else None, current),
        "translated": language == settings.LANGUAGE_CODE or treatment.is_translated_into(language),
        "english_signed": treatment.signed_approval is not None,
        "preview_url": translation_url(treatment, language),
    }
    return TemplateResponse(request, "admin/education/treatment/approve.html", context)


def translation_url(treatment, language):
    with translation.override(language):
        return treatment.get_absolute_url()


def urls(model_admin):
    def view(request, object_id, language):
        return approve_view(model_admin, request, object_id, language)

    return [
        path(
            "<path:object_id>/approve/<str:language>/",
            model_admin.admin_site.admin_view(view),
            name="education_treatment_approve",
        )
    ]


def links(treatment):
    if not treatment.pk:
        return "–"
    return format_html_join(
        " · ",
        '<a href="{}">{}</a>',
        (
            (
                reverse("admin:education_treatment_approve", args=[treatment.pk, code]),
                _("Review and approve the %(language)s page") % {"language": name},
            )
            for code, name in settings.LANGUAGES
        ),
    )


def fieldsets(fieldsets):
    """The change form's fieldsets with the credits and the approval links added."""
    result = []
    for name, options in fieldsets:
        fields = list(options.get("fields", []))
        if name is None and "summary" in fields:
            fields += [f for f in ("author", "translator") if f not in fields]
        if "review_status" in fields:
            fields += [f for f in ("approve_links", "credits_note") if f not in fields]
            options = {
                **options,
                "description": _(
                    "Any change to what this page says needs a reviewer's approval. Until then patients see the last "
                    "signed version (or, before any, a page waiting for review). Reviewers approve each language on "
                    "its own page, which shows what changed and asks them to attest."
                ),
            }
        result.append((name, {**options, "fields": fields}))
    return result


class ReviewOverdueFilter(admin.SimpleListFilter):
    """Published pages past their next-review date (also warned by `check --deploy`: education.W004)."""

    title = _("next review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(pk__in=Treatment.objects.review_overdue().values("pk"))
        return queryset
