from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Precaution, Reviewer, Section, SideEffect, Source, Treatment, TreatmentArea, TreatmentReview

MAX_READING_GRADE = 8


class SectionInline(admin.StackedInline):
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


class RecordInline(admin.TabularInline):
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
    fields = ["reviewed_on", "reviewer_name", "reviewer_credentials", "approved_at"]
    readonly_fields = fields
    verbose_name_plural = _("approvals (version history)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    list_display = ["name", "published", "review_status", "reviewed_on", "reviewer_display", "updated_at"]
    list_filter = ["published", "review_status"]
    list_select_related = ["approved"]
    search_fields = ["name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "order", "published", "labeled_min_age"]}),
        (
            _("Medical review"),
            {
                "fields": ["review_status", "reviewed_on", "reviewer_display"],
                "description": _(
                    "Any change to what this page says needs a reviewer's approval. Until then patients see the "
                    'last approved version. Reviewers approve with the "Approve" action on the list of treatments.'
                ),
            },
        ),
    ]
    readonly_fields = ["review_status", "reviewed_on", "reviewer_display"]
    inlines = [SectionInline, AreaInline, SideEffectInline, PrecautionInline, ReviewInline]
    actions = ["approve"]

    @admin.display(description=_("reviewed by"))
    def reviewer_display(self, treatment):
        return treatment.reviewer or "–"

    def has_approve_permission(self, request):
        return request.user.has_perm("education.approve_treatment") and hasattr(request.user, "medical_reviewer")

    @admin.action(
        permissions=["approve"], description=_("Approve the current content as the medical reviewer (signs it)")
    )
    def approve(self, request, queryset):
        for treatment in queryset:
            treatment.approve(by=request.user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext(
                "Approved %(count)d page: patients now see its current content.",
                "Approved %(count)d pages: patients now see their current content.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "user"]
    search_fields = ["name", "credentials"]
    autocomplete_fields = ["user"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "publisher", "copy_of", "date"]
    search_fields = ["key", "title", "publisher"]
