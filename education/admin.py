from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Precaution, Section, SideEffect, Source, Treatment, TreatmentArea

MAX_READING_GRADE = 8


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ["order", "kind", "title", "body", "reading_grade_display", "sources", "reviewed_on"]
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


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    list_display = ["name", "published", "reviewed_on", "reviewer_name", "updated_at"]
    list_filter = ["published"]
    search_fields = ["name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "order", "published"]}),
        (
            _("Medical review"),
            {"fields": ["reviewed_on", "reviewer_name", "reviewer_credentials", "labeled_min_age"]},
        ),
    ]
    inlines = [SectionInline, AreaInline, SideEffectInline, PrecautionInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "publisher", "date"]
    search_fields = ["key", "title", "publisher"]
