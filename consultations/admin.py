"""The staff workspace: a work queue, a read-only request page with workflow buttons, roles.

Patients create requests and staff never edit what a patient said: the change form
edits the assignment only, status moves through the workflow buttons
(staff_views.py), and every look at a request is written to the audit trail.
What a user sees follows their permissions (see permissions.py).
"""

import datetime
import re

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db import models
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from clinic import conf
from clinic.adminlookups import DeclaredFiltersOnly
from clinic.clientip import client_ip
from clinic.formatting import clinic_today, time_of_day, when

from . import aftercare, permissions, staff_views, workflow
from .forms.staff import NoteForm, action_form
from .models import (
    AuditEvent,
    AvailabilityException,
    CancellationPolicy,
    CheckIn,
    ClosedDay,
    ConsultationRequest,
    Flag,
    FlagKind,
    FollowUpPlan,
    OfferState,
    PrivacyNotice,
    Provider,
    ProviderFeed,
    ScreeningAnswer,
    Status,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
    weekday_bit,
)
from .queries import day_range, day_start

admin.site.site_header = format_lazy("{} · {}", conf.clinic("NAME"), _("staff"))
admin.site.site_title = format_lazy("{} {}", conf.clinic("NAME"), _("staff"))
admin.site.index_title = _("Work queue and content")

# --- URL lookups -------------------------------------------------------------------------


# DeclaredFiltersOnly lives in clinic/adminlookups.py; the site adds it to every admin.


class ReadOnly:
    """A record to look at: nobody adds, changes or deletes it in the admin (the audit trail, the waitlist)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Queue filters -------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """The queue opens on the work still to do (open requests); "All" is one click away."""

    title = _("status")
    parameter_name = "status"
    DEFAULT = "open"

    def lookups(self, request, model_admin):
        return [("open", _("Open (not closed)")), ("all", _("All, closed ones too")), *Status.choices]

    def value(self):
        return super().value() or self.DEFAULT

    def choices(self, changelist):
        # No Django "All" entry (it would mean the default, open): "all" is a lookup of its own.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "open":
            if request.GET.get(CheckInFilter.parameter_name) and self.parameter_name not in request.GET:
                # Check-ins come after the visit: their filter looks at closed requests too.
                return queryset
            # Closed requests with an urgent check-in too: they are the first thing to do.
            return queryset.open_work()
        if self.value() in Status.values:
            return queryset.filter(status=self.value())
        return queryset


class FlagFilter(admin.SimpleListFilter):
    title = _("flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("any", _("Any flag")), *FlagKind.choices, ("none", _("No flag"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.flagged()
        if value == "none":
            return queryset.filter(worst_flag="")
        if value in FlagKind.values:
            # Any flag of this kind, not only the worst one. IN (the few flagged ids) rather than
            # EXISTS per request: one pass over the flags instead of a probe for each of 50,000 rows.
            return queryset.filter(pk__in=Flag.objects.filter(kind=value).values("consultation_id"))
        return queryset


class CheckInFilter(admin.SimpleListFilter):
    """After the visit: urgent check-ins, and the ones nobody answered (to call, not an alarm)."""

    title = _("check-ins")
    parameter_name = "checkin"

    def lookups(self, request, model_admin):
        return [("urgent", _("Urgent check-in")), ("no_answer", _("Check-in not answered"))]

    def queryset(self, request, queryset):
        if self.value() == "urgent":
            return queryset.filter(urgent_since__isnull=False)
        if self.value() == "no_answer":
            return queryset.filter(pk__in=CheckIn.objects.unanswered(timezone.now()).values("consultation_id"))
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("nobody", _("Not assigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class AppointmentFilter(admin.SimpleListFilter):
    title = _("appointment date")
    parameter_name = "slot"

    def lookups(self, request, model_admin):
        return [
            ("today", _("Today")),
            ("tomorrow", _("Tomorrow")),
            ("week", _("Next 7 days")),
            ("past", _("Past")),
            ("none", _("No time chosen")),
        ]

    def queryset(self, request, queryset):
        today = clinic_today()
        day = datetime.timedelta(days=1)
        ranges = {
            "today": day_range(today),
            "tomorrow": day_range(today + day),
            "week": (timezone.now(), day_start(today + 8 * day)),
        }
        value = self.value()
        if value in ranges:
            start, end = ranges[value]
            return queryset.filter(slot_start__gte=start, slot_start__lt=end)
        if value == "past":
            return queryset.filter(slot_start__lt=timezone.now())
        if value == "none":
            return queryset.filter(slot_start__isnull=True)
        return queryset


class QueueChangeList(ChangeList):
    """Orders by default as ConsultationRequest.objects.for_queue() does: new, flagged, oldest first.

    Set here rather than in ModelAdmin.get_ordering(), which other admins also apply to plain
    querysets (foreign-key choices), where the queue's annotations do not exist.
    """

    def _get_default_ordering(self):
        return list(self.model.objects.for_queue().query.order_by)


def provider_name(user):
    if user is None:
        return ""
    provider = getattr(user, "provider", None)
    return str(provider) if provider else (user.get_full_name() or user.get_username())


# --- Consultation requests -----------------------------------------------------------------


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    list_display = [
        "reference",
        "patient",
        "received",
        "treatment",
        "status_badge",
        "flag_badge",
        "requested_time",
        "assigned",
    ]
    list_display_links = ["reference"]
    list_filter = [StatusFilter, "treatment", FlagFilter, AssignedFilter, AppointmentFilter, CheckInFilter]
    search_fields = ["reference", "first_name", "last_name", "email", "phone"]
    search_help_text = _("Reference, name, email or phone number.")
    list_per_page = 50
    # The form edits the assignment only; the rest of the page is the read-only template.
    fieldsets = [(_("Assignment"), {"fields": ["assigned_to"]})]
    view_on_site = False
    save_as_continue = False

    # --- queue ---

    def get_queryset(self, request):
        return self.model.objects.for_queue().select_related("assigned_to__provider")

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    @admin.display(description=_("patient"), ordering="last_name")
    def patient(self, obj):
        return obj.full_name

    @admin.display(description=_("received"), ordering="created_at")
    def received(self, obj):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            obj.created_at.isoformat(),
            when(obj.created_at),
            naturaltime(obj.created_at),
        )

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        badge = format_html('<span class="clinic-badge status-{}">{}</span>', obj.status, obj.get_status_display())
        if obj.urgent_since:
            return format_html('<span class="clinic-badge urgent">{}</span> {}', _("Urgent check-in"), badge)
        return badge

    @admin.display(description=_("flag"), ordering="flag_severity")
    def flag_badge(self, obj):
        if not obj.worst_flag:
            return ""
        return format_html('<span class="clinic-badge flag-{}">{}</span>', obj.worst_flag, obj.get_worst_flag_display())

    @admin.display(description=_("requested time"), ordering="slot_start")
    def requested_time(self, obj):
        return when(obj.slot_start) or _("No time chosen")

    @admin.display(description=_("assigned to"), ordering="assigned_to")
    def assigned(self, obj):
        return provider_name(obj.assigned_to)

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Phone numbers are stored as +12075550134; staff type them as (207) 555-0134.
        digits = re.sub(r"\D", "", search_term)
        if len(digits) >= 4 and re.fullmatch(r"[\d\s().+-]+", search_term.strip()):
            results |= queryset.filter(phone__contains=digits)
        return results, may_have_duplicates

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export": request.user.has_perm(permissions.EXPORT),
            "can_lot_recall": request.user.has_perm(permissions.LOT_RECALL),
        }
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and request.method == "GET":
            # The queue shows names and contact details: each request on the page is a look at
            # patient data, audited like the request page (one row each, so "who has seen my
            # data" finds it). The page's rows are fetched once; the template reuses them.
            staff_views.audit_many(request, AuditEvent.Action.VIEW, list(changelist.result_list), detail="queue")
        return response

    # --- permissions: patients create requests, only superusers delete them ---

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    # --- the request page ---

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(provider__isnull=False, is_active=True)
                .select_related("provider")
                .order_by("provider__display_name")
            )
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = provider_name
            field.empty_label = _("Nobody yet")
            field.help_text = _(
                "Providers only. Someone missing? Add them to the “Provider” group (Users) and fill in their hours "
                "(Providers)."
            )
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "assigned_to" and hasattr(field.widget, "widget"):
            # No edit/add/delete-user icons next to the choice: assigning is all this form does.
            field.widget = field.widget.widget
        return field

    def change_view(self, request, object_id, form_url="", extra_context=None):
        consultation = self.get_object(request, unquote(object_id))
        if consultation is not None and self.has_view_permission(request, consultation):
            extra_context = {**(extra_context or {}), **self.request_page(request, consultation)}
        # One "Save" for the one field (assignment); a second button only made an empty-looking bar.
        extra_context = {**(extra_context or {}), "show_save_and_continue": False}
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and consultation is not None:
            shown = "with health data" if request.user.has_perm(permissions.VIEW_HEALTH) else "without health data"
            AuditEvent.record(request, AuditEvent.Action.VIEW, consultation, detail=shown)
            if request.user.has_perm(permissions.VIEW_HEALTH):
                # A provider has the answers in front of them: no more resends of an urgent check-in.
                aftercare.note_opened(consultation, request.user, timezone.now())
        return response

    def request_page(self, request, consultation):
        """What the read-only request page shows this user: health data and photos by permission only."""
        user = request.user
        can_see_health = user.has_perm(permissions.VIEW_HEALTH)
        can_see_photos = user.has_perm(permissions.VIEW_PHOTOS)
        # Each button with the input its action needs (a decline reason…): change_form.html writes them out.
        actions = [
            {
                "name": a.name,
                "label": self.action_label(a, consultation),
                "form": action_form(a.name, consultation=consultation),
            }
            for a in workflow.available_actions(consultation, user)
        ]
        return {
            "can_see_health": can_see_health,
            "can_see_photos": can_see_photos,
            "can_export": can_see_health and user.has_perm(permissions.EXPORT),
            "flags": consultation.sorted_flags if can_see_health else [],
            "answers": list(consultation.answers.select_related("precaution")) if can_see_health else [],
            "additional_info": list(consultation.additional_info.all()) if can_see_health else [],
            "photos": list(consultation.photos.all()) if can_see_photos else [],
            "notes": list(consultation.notes.select_related("author")),
            "history": list(consultation.status_changes.select_related("by")),
            "workflow_actions": actions,
            "note_form": NoteForm() if user.has_perm(permissions.ADD_NOTE) else None,
            "requested_time": when(consultation.slot_start),
            "slot_end": time_of_day(consultation.slot_end),
            "patient_age": consultation.age_on(clinic_today()),
            "decline_reason": consultation.get_decline_reason_display(),
            "pregnancy": dict(ScreeningAnswer.Answer.choices).get(consultation.pregnancy, consultation.pregnancy),
            **self.after_the_visit(request, consultation),
        }

    @staticmethod
    def after_the_visit(request, consultation):
        """Treatment records, check-ins and complications: health data, for providers. Everyone who
        sees the request sees that it is urgent and which check-ins went unanswered (to call)."""
        user = request.user
        can_see_health = user.has_perm(permissions.VIEW_HEALTH)
        can_record = can_see_health and user.has_perm(permissions.RECORD_TREATMENT)
        now = timezone.now()
        check_ins = list(consultation.check_ins.all())
        return {
            "can_record": can_record,
            "can_record_treatment": can_record and consultation.status == Status.COMPLETED,
            "treatment_records": (
                list(consultation.treatment_records.select_related("injector").prefetch_related("revisions__by"))
                if can_see_health
                else []
            ),
            "check_ins": [{"check_in": c, "state": c.state(now), "label": c.get_state_display(now)} for c in check_ins],
            "complications": list(consultation.complications.all()) if can_see_health else [],
            "can_clear_urgent": bool(can_record and consultation.urgent_since),
        }

    @staticmethod
    def action_label(action, consultation):
        if action.name == "approve":
            if consultation.slot_start:
                return format_lazy("{} {}", _("Approve and confirm"), when(consultation.slot_start))
            return _("Approve (no time chosen: call the patient to book)")
        return action.label

    def save_model(self, request, obj, form, change):
        if "assigned_to" in form.changed_data:
            workflow.assign(obj, form.cleaned_data["assigned_to"], by=request.user, ip=client_ip(request))

    def delete_model(self, request, obj):
        AuditEvent.record(request, AuditEvent.Action.DELETE, obj, detail="deleted in the admin")
        workflow.delete_with_photos(ConsultationRequest.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            AuditEvent.record(request, AuditEvent.Action.DELETE, obj, detail="deleted in the admin")
        workflow.delete_with_photos(queryset)

    # --- staff views under this admin's URLs ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("export.csv", wrap(self.export_csv_view), name=f"{name}_export"),
            path("schedule/", wrap(self.schedule_view), name=f"{name}_schedule"),
            path("<int:object_id>/export.json", wrap(self.export_json_view), name=f"{name}_export_json"),
            path("<int:object_id>/workflow/<slug:action>/", wrap(self.transition_view), name=f"{name}_transition"),
            path("<int:object_id>/notes/", wrap(self.note_view), name=f"{name}_note"),
            path("<int:object_id>/photos/<int:photo_id>/", wrap(self.photo_view), name=f"{name}_photo"),
            path("<int:object_id>/treatment/", wrap(self.treatment_view), name=f"{name}_treatment"),
            path(
                "<int:object_id>/treatment/<int:record_id>/",
                wrap(self.treatment_view),
                name=f"{name}_treatment_correct",
            ),
            path("<int:object_id>/complication/", wrap(self.complication_view), name=f"{name}_complication"),
            path(
                "<int:object_id>/complication/<int:complication_id>/medwatch/",
                wrap(self.medwatch_view),
                name=f"{name}_medwatch",
            ),
            path("<int:object_id>/urgent-handled/", wrap(self.urgent_handled_view), name=f"{name}_urgent_handled"),
            path("lot-recall/", wrap(self.lot_recall_view), name=f"{name}_lot_recall"),
            path("lot-recall/contact/", wrap(self.lot_recall_contact_view), name=f"{name}_lot_recall_contact"),
            path("<int:object_id>/fhir.json", wrap(self.export_fhir_view), name=f"{name}_export_fhir"),
            path("calendar-feed/", wrap(self.calendar_feed_view), name=f"{name}_calendar_feed"),
            *super().get_urls(),
        ]

    def export_csv_view(self, request):
        return staff_views.export_csv(request, self)

    def schedule_view(self, request):
        return staff_views.schedule(request, self)

    def export_json_view(self, request, object_id):
        return staff_views.export_json(request, self, object_id)

    def transition_view(self, request, object_id, action):
        return staff_views.transition(request, self, object_id, action)

    def note_view(self, request, object_id):
        return staff_views.add_note(request, self, object_id)

    def photo_view(self, request, object_id, photo_id):
        return staff_views.photo(request, self, object_id, photo_id)

    def treatment_view(self, request, object_id, record_id=None):
        return staff_views.treatment_record(request, self, object_id, record_id)

    def complication_view(self, request, object_id):
        return staff_views.complication(request, self, object_id)

    def medwatch_view(self, request, object_id, complication_id):
        return staff_views.medwatch(request, self, object_id, complication_id)

    def urgent_handled_view(self, request, object_id):
        return staff_views.urgent_handled(request, self, object_id)

    def lot_recall_view(self, request):
        return staff_views.lot_recall(request, self)

    def lot_recall_contact_view(self, request):
        return staff_views.lot_recall_contact(request, self)

    def export_fhir_view(self, request, object_id):
        return staff_views.export_fhir(request, self, object_id)

    def calendar_feed_view(self, request):
        return staff_views.calendar_feed(request, self)


# --- Providers and their hours ---------------------------------------------------------------


def may_edit_provider(request, provider):
    """The owner (superuser) edits every provider; a provider edits only their own profile and hours."""
    user = request.user
    if user.is_superuser:
        return True
    return provider is not None and provider.user_id == user.pk


class OwnProviderInline(admin.TabularInline):
    """Hours and days off: editable on one's own provider page only."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and may_edit_provider(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and may_edit_provider(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and may_edit_provider(request, obj)


class WorkingHoursInline(OwnProviderInline):
    model = WorkingHours


class AvailabilityExceptionInline(OwnProviderInline):
    model = AvailabilityException
    verbose_name_plural = _("days off and extra hours (from today)")

    def get_queryset(self, request):
        # Past exceptions change nothing any more; listing years of them hides the next one.
        return super().get_queryset(request).filter(date__gte=clinic_today())


@admin.register(Provider)
class ProviderAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    list_display = ["display_name", "credentials", "user", "active"]
    list_filter = ["active"]
    list_select_related = ["user"]
    search_fields = ["display_name", "user__username"]
    inlines = [WorkingHoursInline, AvailabilityExceptionInline]

    # Linking a provider to a staff account decides who sees patients as that provider: the
    # owner's decision. Everyone else may view the list and edit their own profile and hours.

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or may_edit_provider(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ClosedDay)
class ClosedDayAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    """Holidays and other days the whole clinic is shut: no provider can be booked on them."""

    list_display = ["date", "name"]
    date_hierarchy = "date"
    search_fields = ["name"]


# --- Privacy notices ------------------------------------------------------------------------


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(DeclaredFiltersOnly, TranslationAdmin):
    list_display = ["version", "published_at"]
    # One text per language (django-modeltranslation): a version is written in each at once.
    fields = ["version", "published_at", "text"]

    def get_readonly_fields(self, request, obj=None):
        # Patients consented to this exact text (its SHA-256 is stored with each request):
        # a change is a new version, never an edit.
        return ["version", "published_at", *(f"text_{code}" for code, _name in settings.LANGUAGES)] if obj else []

    def has_delete_permission(self, request, obj=None):
        if not request.user.is_superuser:
            return False
        return obj is None or not ConsultationRequest.objects.filter(consent_version=obj.version).exists()


@admin.register(CancellationPolicy)
class CancellationPolicyAdmin(DeclaredFiltersOnly, TranslationAdmin):
    """Issue 27: versioned like the privacy notice. Patients accepted a version: a change is a new one."""

    list_display = ["version", "window_hours", "grace_minutes", "published_at"]
    fields = ["version", "published_at", "window_hours", "grace_minutes", "text"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["version", "published_at", "window_hours", "grace_minutes"] + [
            f"text_{code}" for code, _name in settings.LANGUAGES
        ]

    def has_delete_permission(self, request, obj=None):
        if not request.user.is_superuser:
            return False
        return obj is None or not ConsultationRequest.objects.filter(policy_version=obj.version).exists()


# --- Audit trail ----------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly, DeclaredFiltersOnly, admin.ModelAdmin):
    """Read-only, and for superusers only: the record of who looked at what."""

    list_display = ["at_display", "who", "action", "request_link", "ip", "detail"]
    list_filter = ["action", "by_patient"]
    list_select_related = ["user"]
    search_fields = ["reference", "user__username"]
    search_help_text = _("Reference or username.")
    date_hierarchy = "at"

    @admin.display(description=_("when"), ordering="at")
    def at_display(self, event):
        # The same "Tue 1 Dec 2026, 09:40" (clinic time) as the request page and the queue.
        return when(event.at)

    @admin.display(description=_("who"), ordering="user")
    def who(self, event):
        # A staff member by name, or "patient (self-service link)" for the patient's own changes.
        return event.actor

    @admin.display(description=_("request"), ordering="reference")
    def request_link(self, event):
        if event.consultation_id is None:
            return event.reference  # purged or deleted since; the reference stays
        url = reverse("admin:consultations_consultationrequest_change", args=[event.consultation_id])
        return format_html('<a href="{}">{}</a>', url, event.reference)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


# django-tasks-db registers an admin for its task results; queued work is the worker's business,
# and tasks stored by earlier releases held whole emails (addresses, self-service links).
from django_tasks_db.models import DBTaskResult  # noqa: E402

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
# --- After the visit ------------------------------------------------------------------------------


@admin.register(FollowUpPlan)
class FollowUpPlanAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    """When each treatment's patients are asked how they are (2 and 14 days without a plan)."""

    list_display = ["treatment", "check_in_days"]
    list_select_related = ["treatment"]


# --- Calendar feeds (issue 28) ----------------------------------------------------------------


@admin.register(ProviderFeed)
class ProviderFeedAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    """The owner sees every provider's feed and can switch one off (a lost phone, a provider who
    left). Providers make, rotate and revoke their own on the calendar feed page (staff_views)."""

    list_display = ["provider", "live", "rotated_at", "revoked_at"]
    readonly_fields = ["provider", "created_at", "rotated_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("on"), boolean=True)
    def live(self, feed):
        return feed.is_live

    @admin.action(description=_("Switch the selected feeds off"))
    def revoke(self, request, queryset):
        for feed in queryset.live():
            feed.revoke()

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The action needs it; the form has nothing editable (the secret's hash is not a field).
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


# --- The waitlist (issue 27) ----------------------------------------------------------------------


class WaitlistProviderFilter(admin.SimpleListFilter):
    """Per provider: the patients who wait for this provider's times, "any provider" included."""

    title = _("provider")
    parameter_name = "for_provider"

    def lookups(self, request, model_admin):
        return [(str(provider.pk), str(provider)) for provider in Provider.objects.filter(active=True)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(models.Q(provider__isnull=True) | models.Q(provider_id=int(self.value())))
        return queryset


class WaitlistDayFilter(admin.SimpleListFilter):
    """Per day of the week: the patients a freed time on that day would be offered to."""

    title = _("day")
    parameter_name = "day"

    def lookups(self, request, model_admin):
        return [(str(value), label) for value, label in WorkingHours.Weekday.choices]

    def queryset(self, request, queryset):
        if self.value() in {str(day) for day in range(7)}:
            bit = weekday_bit(int(self.value()))
            return queryset.annotate(day_hit=models.F("days").bitand(bit)).filter(
                models.Q(days=0) | models.Q(day_hit__gt=0)
            )
        return queryset


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnly, DeclaredFiltersOnly, admin.ModelAdmin):
    """Who waits for an earlier time, in the order offers go out. Read-only: patients join and
    leave through their link; a look at the list (names) is audited like the queue."""

    list_display = ["joined_at_display", "patient", "request_link", "wants", "provider_display", "held_time"]
    list_filter = [WaitlistProviderFilter, WaitlistDayFilter]
    list_select_related = ["consultation", "provider"]
    ordering = ["joined_at", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).active()

    @admin.display(description=_("joined"), ordering="joined_at")
    def joined_at_display(self, entry):
        return when(entry.joined_at)

    @admin.display(description=_("patient"))
    def patient(self, entry):
        return entry.consultation.full_name

    @admin.display(description=_("request"))
    def request_link(self, entry):
        url = reverse("admin:consultations_consultationrequest_change", args=[entry.consultation_id])
        return format_html('<a href="{}">{}</a>', url, entry.consultation.reference)

    @admin.display(description=_("days and times"))
    def wants(self, entry):
        return entry.get_preferences_display()

    @admin.display(description=_("provider"))
    def provider_display(self, entry):
        return str(entry.provider) if entry.provider_id else _("Any provider")

    @admin.display(description=_("time held now"))
    def held_time(self, entry):
        return when(entry.consultation.slot_start) if entry.consultation.holds_time else "—"

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and request.method == "GET":
            # Names of patients: each one on the page is a look at patient data, as in the queue.
            shown = [entry.consultation for entry in changelist.result_list]
            staff_views.audit_many(request, AuditEvent.Action.VIEW, shown, detail="waitlist")
        return response


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ReadOnly, DeclaredFiltersOnly, admin.ModelAdmin):
    """The freed times offered, per provider and day: references and states, no names."""

    list_display = ["start_display", "provider", "reference", "state", "sent_at_display", "expires_display"]
    list_filter = ["state", "provider"]
    list_select_related = ["provider", "entry__consultation"]
    date_hierarchy = "start"

    @admin.display(description=_("offered time"), ordering="start")
    def start_display(self, offer):
        return when(offer.start)

    @admin.display(description=_("request"))
    def reference(self, offer):
        return offer.entry.consultation.reference

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent_at_display(self, offer):
        return when(offer.sent_at)

    @admin.display(description=_("expires"), ordering="expires_at")
    def expires_display(self, offer):
        return when(offer.expires_at) if offer.state == OfferState.PENDING else "—"
