"""Staff-only views behind the admin: workflow buttons, notes, photos and exports.

They are routed through ConsultationRequestAdmin.get_urls() and wrapped in
admin_site.admin_view (active staff only, CSRF, never cached). Each one checks its
own permission, and every look at or change to a request is written to the audit
trail. Audit details and messages never carry health data.
"""

import csv
import json

from django.contrib import messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from clinic import formatting
from clinic.clientip import client_ip

from . import aftercare, queries, workflow
from .forms.aftercare import ComplicationForm, LotSearchForm, RecallContactForm, TreatmentRecordForm
from .forms.staff import CONFIRMED, NoteForm, action_form
from .models import AuditEvent, InvalidTransition
from .permissions import ADD_NOTE, EXPORT, LOT_RECALL, RECORD_TREATMENT, VIEW_HEALTH, VIEW_PHOTOS

# Served as images only if they are what the upload check let in; anything else is a download.
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}


def get_viewable(request, model_admin, object_id):
    """The request if this user may open it: 404 if there is none, 403 if they may not."""
    consultation = model_admin.get_object(request, object_id)
    if consultation is None:
        raise Http404
    if not model_admin.has_view_permission(request, consultation):
        raise PermissionDenied
    return consultation


def change_url(consultation, anchor=""):
    return reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]) + anchor


@require_POST
def transition(request, model_admin, object_id, action_name):
    consultation = get_viewable(request, model_admin, object_id)
    action = workflow.ACTIONS.get(action_name)
    if action is None:
        raise Http404
    if not request.user.has_perm(action.permission):
        raise PermissionDenied
    form = action_form(action_name, request.POST, consultation)
    confirmed = request.POST.get(CONFIRMED) == "yes"
    if action.emails_patient and not confirmed:
        # A second look before the patient is emailed: the confirmation page repeats what
        # was chosen and sends it again with CONFIRMED. Plain forms: works without JavaScript.
        form.is_valid()  # errors (a missing reason) are shown there, next to the field
        return confirm_page(request, model_admin, consultation, action, form)
    if not form.is_valid():
        if confirmed:
            return confirm_page(request, model_admin, consultation, action, form)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(change_url(consultation, "#workflow"))
    try:
        # The workflow writes the status history and the audit row, and queues the patient's email.
        workflow.perform(action, consultation, request.user, ip=client_ip(request), **form.arguments())
    except InvalidTransition as error:
        # Someone else moved it first, a stale page, or too early: say so, change nothing.
        messages.error(request, str(error))
        return redirect(change_url(consultation, "#workflow"))
    messages.success(
        request,
        _("%(reference)s is now “%(status)s”.")
        % {"reference": consultation.reference, "status": consultation.get_status_display()},
    )
    return redirect(change_url(consultation))


def confirm_page(request, model_admin, consultation, action, form):
    """ "This emails the patient: are you sure?", in the admin's look, with the action's own fields."""
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "original": consultation,
        "action": action,
        "form": form,
        "title": _("Confirm: %(action)s") % {"action": action.label},
        "when": formatting.when(consultation.slot_start),
    }
    return TemplateResponse(request, "admin/consultations/consultationrequest/confirm_action.html", context, status=200)


def schedule(request, model_admin):
    """The front desk's day: today's (or this week's) held and booked times by provider, with
    reference, patient, status and flag level, each linking to its request. No health details:
    the flag level is all Front desk sees of the screening. Print layout in clinic-print.css."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    span = request.GET.get("range", "today")
    if span not in ("today", "week"):
        span = "today"
    today = formatting.clinic_today()
    first_day, days = (today, 1) if span == "today" else (queries.week_start(today), 7)
    schedule_days = queries.schedule(first_day, days)
    # Names and times of patients: a look at patient data like any other, one audit row each.
    shown = [consultation for day in schedule_days for _provider, rows in day.providers for consultation in rows]
    audit_many(request, AuditEvent.Action.VIEW, shown, detail=f"schedule ({span})")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Today's schedule") if span == "today" else _("This week's schedule"),
        "span": span,
        "days": schedule_days,
        "today": today,
    }
    return TemplateResponse(request, "admin/consultations/consultationrequest/schedule.html", context)


@require_POST
def add_note(request, model_admin, object_id):
    consultation = get_viewable(request, model_admin, object_id)
    if not request.user.has_perm(ADD_NOTE):
        raise PermissionDenied
    form = NoteForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["text"].strip():
        messages.error(request, _("Write the note before adding it."))
        return redirect(change_url(consultation, "#notes"))
    note = workflow.add_note(consultation, request.user, form.cleaned_data["text"])
    AuditEvent.record(request, AuditEvent.Action.NOTE, consultation, detail=f"note {note.pk}")
    messages.success(request, _("Note added."))
    return redirect(change_url(consultation, "#notes"))


def photo(request, model_admin, object_id, photo_id):
    consultation = get_viewable(request, model_admin, object_id)
    if not request.user.has_perm(VIEW_PHOTOS):
        raise PermissionDenied
    image = get_object_or_404(consultation.photos, pk=photo_id)
    try:
        handle = image.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = image.content_type if image.content_type in IMAGE_TYPES else "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    # No file name: even the random stored name is nobody's business.
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    AuditEvent.record(request, AuditEvent.Action.PHOTO_VIEW, consultation, detail=f"photo {image.pk}")
    return response


CSV_COLUMNS = [
    ("reference", _("Reference")),
    ("received", _("Received")),
    ("status", _("Status")),
    ("treatment", _("Treatment")),
    ("flag", _("Flag")),
    ("requested_time", _("Requested time")),
    ("provider", _("Provider")),
    ("assigned_to", _("Assigned to")),
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("email", _("Email")),
    ("phone", _("Phone")),
]


# Columns of a request the CSV file never shows (health answers, goals, consent details).
CSV_LEAVES_OUT = (
    "areas", "goals", "previous_treatments", "medications", "allergies", "pregnancy",
    "date_of_birth", "consent_sha256", "site_url", "decline_reason",
)  # fmt: skip


def spreadsheet_safe(value):
    """Patients type names; a cell starting with = + - @ would run as a formula in a spreadsheet."""
    value = "" if value is None else str(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not value[1:].isdigit():
        return "'" + value
    return value


def _local(value):
    return formatting.local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def csv_row(consultation):
    assigned = consultation.assigned_to
    return {
        "reference": consultation.reference,
        "received": _local(consultation.created_at),
        "status": consultation.get_status_display(),
        "treatment": consultation.treatment.name,
        "flag": consultation.get_worst_flag_display(),
        "requested_time": _local(consultation.slot_start),
        "provider": str(consultation.provider) if consultation.provider else "",
        "assigned_to": assigned.get_username() if assigned else "",
        "first_name": consultation.first_name,
        "last_name": consultation.last_name,
        "email": consultation.email,
        "phone": consultation.phone,
    }


def export_csv(request, model_admin):
    """The queue as the user has filtered and searched it, as CSV; each exported request is audited."""
    if not request.user.has_perm(EXPORT):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
    except (IncorrectLookupParameters, DisallowedModelAdminLookup):
        # A filter the queue does not offer (admin.DeclaredFiltersOnly): back to the queue, as Django does.
        return redirect(reverse("admin:consultations_consultationrequest_changelist") + "?e=1")
    # The answers and goals are not in the file: they are never even read for it.
    rows = list(changelist.queryset.defer(*CSV_LEAVES_OUT))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="consultation-requests-{formatting.clinic_today():%Y-%m-%d}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([str(label) for _key, label in CSV_COLUMNS])
    for consultation in rows:
        row = csv_row(consultation)
        writer.writerow([spreadsheet_safe(row[key]) for key, _label in CSV_COLUMNS])
    audit_many(request, AuditEvent.Action.EXPORT, rows, detail="CSV export of the queue")
    return response


def audit_many(request, action, consultations, detail):
    """One audit row per request, so "who has seen my data" finds exports too."""
    user = request.user if request.user.is_authenticated else None
    ip = client_ip(request) or None
    AuditEvent.objects.bulk_create(
        AuditEvent(user=user, action=action, consultation=c, reference=c.reference, ip=ip, detail=detail)
        for c in consultations
    )


def export_json(request, model_admin, object_id):
    """Everything the clinic holds about one request, for a patient's access request."""
    consultation = get_viewable(request, model_admin, object_id)
    if not (request.user.has_perm(EXPORT) and request.user.has_perm(VIEW_HEALTH)):
        raise PermissionDenied
    data = access_request_data(consultation)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="consultation-{consultation.reference}.json"'
    response["Cache-Control"] = "private, no-store"
    AuditEvent.record(request, AuditEvent.Action.EXPORT, consultation, detail="JSON export (access request)")
    return response


def access_request_data(consultation):
    # Internal staff notes and the audit trail are the clinic's working records and are
    # never shown to the patient; photos are listed here and handed over as image files.
    return {
        "reference": consultation.reference,
        "exported_at": timezone.now(),
        "received": consultation.created_at,
        "status": consultation.status,
        "status_changed_at": consultation.status_changed_at,
        "contact": {
            "first_name": consultation.first_name,
            "last_name": consultation.last_name,
            "email": consultation.email,
            "phone": consultation.phone,
            "date_of_birth": consultation.date_of_birth,
        },
        "treatment": consultation.treatment.name,
        "areas": consultation.areas,
        "goals": consultation.goals,
        "previous_treatments": consultation.previous_treatments,
        "medications": consultation.medications,
        "allergies": consultation.allergies,
        "pregnancy": consultation.pregnancy,
        "screening": [{"question": answer.question, "answer": answer.answer} for answer in consultation.answers.all()],
        "flags": [{"kind": flag.kind, "reason": flag.reason} for flag in consultation.flags.all()],
        "information_added": [
            {"at": info.created_at, "text": info.text} for info in consultation.additional_info.all()
        ],
        "photos": [
            {"uploaded_at": p.uploaded_at, "content_type": p.content_type, "width": p.width, "height": p.height}
            for p in consultation.photos.all()
        ],
        "consent": {
            "privacy_notice_version": consultation.consent_version,
            "privacy_notice_sha256": consultation.consent_sha256,
            "consented_at": consultation.consented_at,
        },
        "appointment": {
            "provider": str(consultation.provider) if consultation.provider else None,
            "start": consultation.slot_start,
            "end": consultation.slot_end,
            "times_rescheduled": consultation.reschedule_count,
        },
        "decline_reason": consultation.decline_reason,
        "status_history": [
            {"from": change.from_status, "to": change.to_status, "at": change.at}
            for change in consultation.status_changes.all()
        ],
        # After the visit: what was given (every version), the check-ins and any complication.
        **aftercare.export_data(consultation),
    }


# --- After the visit (issue 26): treatment records, complications, urgent check-ins, lot recall ---
# Treatment records, check-in answers and complications are health data: providers (VIEW_HEALTH)
# see them, providers (RECORD_TREATMENT) write them, every look and change is audited. The lot
# recall list shows reference, name, phone and date only, to the front desk and providers.


def _aftercare_page(request, model_admin, template, title, consultation=None, status=200, **context):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": consultation,
        "title": title,
        **context,
    }
    return TemplateResponse(request, f"admin/consultations/consultationrequest/{template}", context, status=status)


def _may_record(request):
    if not (request.user.has_perm(RECORD_TREATMENT) and request.user.has_perm(VIEW_HEALTH)):
        raise PermissionDenied


def treatment_record(request, model_admin, object_id, record_id=None):
    """Record what was given (then the aftercare email goes out), or correct a record (a new version)."""
    consultation = get_viewable(request, model_admin, object_id)
    _may_record(request)
    record = get_object_or_404(consultation.treatment_records, pk=record_id) if record_id else None
    now = timezone.now()
    url = (
        reverse("admin:consultations_consultationrequest_treatment_correct", args=[consultation.pk, record.pk])
        if record
        else reverse("admin:consultations_consultationrequest_treatment", args=[consultation.pk])
    )
    initial = {} if record else {"given_at": formatting.local(now), "injector": getattr(request.user, "provider", None)}
    form = TreatmentRecordForm(
        request.POST if request.method == "POST" else None,
        instance=record,
        initial=initial,
        consultation=consultation,
        now=now,
        correcting=record is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if record:
                aftercare.correct_treatment(
                    record, by=request.user, now=now, reason=form.cleaned_data["reason"], ip=client_ip(request),
                    **form.values(),
                )  # fmt: skip
                messages.success(request, _("The correction is saved; the earlier version stays in the history."))
            else:
                aftercare.record_treatment(
                    consultation, by=request.user, now=now, ip=client_ip(request), **form.values()
                )
                messages.success(request, _("Treatment recorded. The patient has been emailed the aftercare link."))
        except InvalidTransition as error:
            messages.error(request, str(error))
        return redirect(change_url(consultation, "#aftercare"))
    if record is not None and request.method == "GET":
        AuditEvent.record(request, AuditEvent.Action.VIEW, consultation, detail=f"treatment record {record.pk}")
    title = _("Correct the treatment record") if record else _("Record the treatment")
    button = _("Save the correction") if record else _("Record and email aftercare")
    return _aftercare_page(
        request, model_admin, "aftercare_form.html", title, consultation, form=form, form_url=url, button=button
    )


def complication(request, model_admin, object_id):
    consultation = get_viewable(request, model_admin, object_id)
    _may_record(request)
    now = timezone.now()
    form = ComplicationForm(
        request.POST if request.method == "POST" else None,
        initial={"record": consultation.treatment_records.order_by("-given_at", "-pk").first()},
        consultation=consultation,
        now=now,
    )
    if request.method == "POST" and form.is_valid():
        logged = aftercare.log_complication(
            consultation, by=request.user, now=now, ip=client_ip(request), **form.values()
        )
        messages.success(request, _("Complication recorded. Print the MedWatch summary for the FDA report."))
        return redirect(reverse("admin:consultations_consultationrequest_medwatch", args=[consultation.pk, logged.pk]))
    return _aftercare_page(
        request,
        model_admin,
        "aftercare_form.html",
        _("Record a complication"),
        consultation,
        form=form,
        form_url=reverse("admin:consultations_consultationrequest_complication", args=[consultation.pk]),
        button=_("Record the complication"),
    )


def medwatch(request, model_admin, object_id, complication_id):
    """A printable page with the fields an FDA MedWatch (Form 3500) report asks for, product and lot filled in."""
    consultation = get_viewable(request, model_admin, object_id)
    if not request.user.has_perm(VIEW_HEALTH):
        raise PermissionDenied
    event = get_object_or_404(consultation.complications.select_related("record__injector"), pk=complication_id)
    AuditEvent.record(request, AuditEvent.Action.VIEW, consultation, detail=f"MedWatch summary {event.pk}")
    record = event.record
    return _aftercare_page(
        request,
        model_admin,
        "medwatch.html",
        _("MedWatch (FDA Form 3500) fields"),
        consultation,
        event=event,
        record=record,
        age=consultation.age_on(formatting.local(event.onset_at).date()),
        reported_on=formatting.clinic_today(),
        clinic_address=formatting.clinic_address(),
    )


@require_POST
def urgent_handled(request, model_admin, object_id):
    consultation = get_viewable(request, model_admin, object_id)
    _may_record(request)
    try:
        workflow.clear_urgent(consultation, request.user, ip=client_ip(request))
    except InvalidTransition as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(reference)s is no longer urgent.") % {"reference": consultation.reference})
    return redirect(change_url(consultation, "#aftercare"))


RECALL_COLUMNS = [
    ("reference", _("Reference")),
    ("name", _("Name")),
    ("phone", _("Phone")),
    ("given", _("Treated on")),
    ("product", _("Product")),
    ("lot", _("Lot number")),
]


def _recall_rows(records):
    return [
        {
            "reference": r.consultation.reference,
            "name": r.consultation.full_name,
            "phone": r.consultation.phone,
            "given": formatting.local(r.given_at).strftime("%Y-%m-%d"),
            "product": r.product,
            "lot": r.lot_number,
            "consultation": r.consultation,
        }
        for r in records
    ]


def lot_recall(request, model_admin):
    """Staff enter a lot number and get every patient treated with it: on screen, as CSV, and a
    "please contact us" email to each. Every patient listed is an audited look."""
    if not request.user.has_perm(LOT_RECALL):
        raise PermissionDenied
    form = LotSearchForm(request.GET or None)
    rows = None
    if form.is_valid():
        lot = form.cleaned_data["lot"]
        rows = _recall_rows(aftercare.lot_patients(lot))
        consultations = list({row["consultation"].pk: row["consultation"] for row in rows}.values())
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="lot-recall-{formatting.clinic_today():%Y-%m-%d}.csv"'
            )
            response["Cache-Control"] = "private, no-store"
            response.write("\ufeff")
            writer = csv.writer(response)
            writer.writerow([str(label) for _key, label in RECALL_COLUMNS])
            for row in rows:
                writer.writerow([spreadsheet_safe(row[key]) for key, _label in RECALL_COLUMNS])
            audit_many(request, AuditEvent.Action.EXPORT, consultations, detail="lot recall CSV")
            return response
        audit_many(request, AuditEvent.Action.VIEW, consultations, detail="lot recall list")
    return _aftercare_page(
        request,
        model_admin,
        "lot_recall.html",
        _("Lot recall"),
        form=form,
        rows=rows,
        columns=RECALL_COLUMNS,
        lot=form.cleaned_data["lot"] if form.is_valid() else "",
        contact_form=RecallContactForm(rows=rows or (), lot=form.cleaned_data["lot"] if form.is_valid() else ""),
    )


@require_POST
def lot_recall_contact(request, model_admin):
    if not request.user.has_perm(LOT_RECALL):
        raise PermissionDenied
    lot = LotSearchForm(request.POST)
    if not lot.is_valid():
        messages.error(request, _("Enter the lot number."))
        return redirect(reverse("admin:consultations_consultationrequest_lot_recall"))
    lot = lot.cleaned_data["lot"]
    records = aftercare.lot_patients(lot)
    form = RecallContactForm(request.POST, rows=_recall_rows(records), lot=lot)
    if not form.is_valid():
        messages.error(request, _("Tick at least one patient."))
        return redirect(reverse("admin:consultations_consultationrequest_lot_recall") + f"?lot={lot}")
    chosen = set(form.cleaned_data["reference"])
    consultations = [r.consultation for r in records if r.consultation.reference in chosen]
    sent = aftercare.contact_for_recall(consultations, by=request.user, ip=client_ip(request))
    messages.success(request, _("“Please contact us” emails sent: %(count)d.") % {"count": sent})
    return redirect(reverse("admin:consultations_consultationrequest_lot_recall") + f"?lot={lot}")


# --- Open records (issue 28): FHIR export and the provider's calendar feed ---------------------


def export_fhir(request, model_admin, object_id):
    """One request as a FHIR R4 Bundle (JSON) for the provider's EHR; audited like every export."""
    from . import fhir
    from .permissions import EXPORT_FHIR

    consultation = get_viewable(request, model_admin, object_id)
    # The Bundle carries the health answers: a group given the export alone does not get them.
    if not (request.user.has_perm(EXPORT_FHIR) and request.user.has_perm(VIEW_HEALTH)):
        raise PermissionDenied
    bundle = fhir.build_bundle(consultation)
    response = HttpResponse(
        json.dumps(bundle, indent=2, ensure_ascii=False), content_type="application/fhir+json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="consultation-{consultation.reference}.fhir.json"'
    response["Cache-Control"] = "private, no-store"
    AuditEvent.record(request, AuditEvent.Action.EXPORT, consultation, detail="FHIR export")
    return response


def calendar_feed(request, model_admin):
    """The signed-in provider's calendar subscription: make, rotate or revoke its secret URL.

    The URL is shown once, in the answer to the POST that made it (not through a redirect and
    a message, which would keep the secret in the session); only its hash is stored.
    """
    from . import calfeed
    from .forms.feed import REVOKE, ROTATE, FeedForm
    from .models import Provider, ProviderFeed

    provider = Provider.objects.filter(user=request.user).first()
    if provider is None:
        raise PermissionDenied
    feed = ProviderFeed.objects.filter(provider=provider).first()
    new_url = ""
    if request.method == "POST":
        choice = FeedForm(request.POST).choice()
        if choice == ROTATE:
            new_url = calfeed.feed_url(ProviderFeed.issue(provider))
            feed = ProviderFeed.objects.get(provider=provider)
        elif choice == REVOKE and feed is not None and feed.is_live:
            feed.revoke()
            messages.success(request, _("Your calendar feed is switched off. The old address shows nothing now."))
            return redirect(reverse("admin:consultations_consultationrequest_calendar_feed"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Your calendar feed"),
        "feed": feed,
        "new_url": new_url,
        "provider": provider,
    }
    response = TemplateResponse(request, "admin/consultations/consultationrequest/calendar_feed.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
