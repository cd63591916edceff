from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from clinic.formatting import clinic_today

from . import approval
from .models import (
    APPROVE_TREATMENT,
    ContentLoad,
    Precaution,
    Reviewer,
    Section,
    SideEffect,
    SiteMode,
    Source,
    Treatment,
    TreatmentArea,
    TreatmentReview,
)

MAX_READING_GRADE = 8
SPANISH = "es"


# Translated fields appear once per language ("body [en]", "body [es]"). modeltranslation's
# tabbed variant needs jQuery UI from a CDN, which the site's no-third-party rule forbids.
class SectionInline(TranslationStackedInline):
    model = Section
    extra = 0
    fields = ["order", "kind", "title", "body", "reading_grade_display", "sources"]
    readonly_fields = ["reading_grade_display"]
    filter_horizontal = ["sources"]

    @admin.display(description=_("reading grade (aim for 8 or lower)"))
    def reading_grade_display(self, section):
        if not section.pk:
            return _("Shown after saving.")
        grade = section.reading_grade
        if grade > MAX_READING_GRADE:
            return _("%(grade)s: too hard, use shorter sentences and words") % {"grade": grade}
        return grade


class RecordInline(TranslationTabularInline):
    extra = 0
    autocomplete_fields = ["sources"]


class AreaInline(RecordInline):
    model = TreatmentArea
    fields = ["order", "name", "product", "status", "description", "sources"]


class SideEffectInline(RecordInline):
    model = SideEffect
    fields = ["order", "name", "frequency", "duration", "description", "sources"]


class PrecautionInline(RecordInline):
    model = Precaution
    fields = ["order", "kind", "description", "question", "sources"]


class ReviewInline(admin.TabularInline):
    """Every approval, newest first: who signed which version, and when. Read only."""

    model = TreatmentReview
    extra = 0
    can_delete = False
    fields = ["language", "reviewed_on", "reviewer_name", "reviewer_credentials", "next_review_on", "approved_at"]
    readonly_fields = fields
    verbose_name_plural = _("approvals (version history)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Treatment)
class TreatmentAdmin(TranslationAdmin):
    list_display = ["name", "published", "review_status", "reviewed_on", "reviewer_display", "updated_at"]
    list_filter = ["published", "review_status"]
    list_select_related = ["approved__reviewer"]
    search_fields = ["name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "order", "published", "labeled_min_age", "recall_weeks"]}),
        (
            _("Medical review"),
            {
                "fields": ["review_status", "reviewed_on", "reviewer_display", "spanish_review_display"],
                "description": _(
                    "Any change to what this page says needs a reviewer's approval. Until then patients see the "
                    'last approved version. Reviewers approve with the "Approve" action on the list of treatments.'
                ),
            },
        ),
    ]
    readonly_fields = ["review_status", "reviewed_on", "reviewer_display", "spanish_review_display"]
    inlines = [SectionInline, AreaInline, SideEffectInline, PrecautionInline, ReviewInline]

    @admin.display(description=_("reviewed by"))
    def reviewer_display(self, treatment):
        return treatment.reviewer or "–"

    @admin.display(description=_("Spanish version"))
    def spanish_review_display(self, treatment):
        if not treatment.pk:
            return "–"
        if not treatment.is_translated_into(SPANISH):
            return _("Not fully translated: Spanish readers see the English page.")
        review = treatment.review_in(SPANISH)
        if treatment.translation_status(SPANISH) == treatment.ReviewStatus.REVIEWED:
            return _("Reviewed on %(date)s by %(reviewer)s.") % {"date": review.reviewed_on, "reviewer": review.byline}
        latest = treatment.latest_review_in(SPANISH)
        if (
            latest is not None
            and treatment.signed_approval is not None
            and latest.translates_id != treatment.approved_id
        ):
            return _(
                "Needs medical review: the English page was approved again since the Spanish was signed. "
                "Spanish readers see the current English page until a reviewer approves the Spanish."
            )
        return _("Needs medical review: Spanish readers see the English page until a reviewer approves it.")

    def has_approve_permission(self, request):
        return request.user.has_perm(APPROVE_TREATMENT) and hasattr(request.user, "medical_reviewer")

    # Approval happens on its own page (ReviewApproval below): the change against the signed
    # version, and the reviewer's attestation, instead of a one-click bulk action.
    def get_urls(self):
        return approval.urls(self) + super().get_urls()

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), approval.ReviewOverdueFilter]

    def get_list_display(self, request):
        return [*super().get_list_display(request), "next_review_display"]

    @admin.display(description=_("next review due"))
    def next_review_display(self, treatment):
        approval = treatment.signed_approval
        if approval is None or approval.next_review_on is None:
            return "–"
        if approval.next_review_on < clinic_today():
            return format_html('<strong class="review-overdue">{} ({})</strong>', approval.next_review_on, _("overdue"))
        return approval.next_review_on

    def get_fieldsets(self, request, obj=None):
        return approval.fieldsets(super().get_fieldsets(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "approve_links", "credits_note"]

    @admin.display(description=_("approve"))
    def approve_links(self, treatment):
        return approval.links(treatment)

    @admin.display(description=_("credits"))
    def credits_note(self, treatment):
        return _("Shown on the page, as signed: set them before the approval.")


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "user", "demo"]
    search_fields = ["name", "credentials"]
    autocomplete_fields = ["user"]


@admin.register(Source)
class SourceAdmin(TranslationAdmin):
    list_display = ["key", "title", "publisher", "copy_of", "date"]
    search_fields = ["key", "title", "publisher"]


@admin.register(SiteMode)
class SiteModeAdmin(admin.ModelAdmin):
    """Whether this install is a demo: seed_demo sets it; a real clinic's install leaves it off."""

    list_display = ["__str__", "demo"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContentLoad)
class ContentLoadAdmin(admin.ModelAdmin):
    """What the content loader last wrote, and shipped versions it kept off edited pages (read only)."""

    list_display = ["slug", "loaded_at", "pending_digest"]
    readonly_fields = ["slug", "file_digest", "loaded_digest", "pending_digest", "loaded_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
