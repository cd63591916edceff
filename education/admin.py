from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from .models import Precaution, Reviewer, Section, SideEffect, Source, Treatment, TreatmentArea, TreatmentReview

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
    fields = ["language", "reviewed_on", "reviewer_name", "reviewer_credentials", "approved_at"]
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
    list_select_related = ["approved"]
    search_fields = ["name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "order", "published", "labeled_min_age"]}),
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
    actions = ["approve", "approve_spanish"]

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
        return _("Needs medical review: Spanish readers see the English page until a reviewer approves it.")

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

    @admin.action(
        permissions=["approve"], description=_("Approve the Spanish version as the medical reviewer (signs it)")
    )
    def approve_spanish(self, request, queryset):
        approved, refused = 0, []
        for treatment in queryset:
            try:
                treatment.approve(by=request.user, language=SPANISH)
            except ValidationError:
                refused.append(treatment.name)
            else:
                approved += 1
        if approved:
            self.message_user(
                request,
                ngettext(
                    "Approved the Spanish version of %(count)d page.",
                    "Approved the Spanish version of %(count)d pages.",
                    approved,
                )
                % {"count": approved},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                _("Not approved, the Spanish text is incomplete: %(pages)s.") % {"pages": ", ".join(refused)},
                messages.ERROR,
            )


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "user"]
    search_fields = ["name", "credentials"]
    autocomplete_fields = ["user"]


@admin.register(Source)
class SourceAdmin(TranslationAdmin):
    list_display = ["key", "title", "publisher", "copy_of", "date"]
    search_fields = ["key", "title", "publisher"]
