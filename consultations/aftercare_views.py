"""The patient's pages after the visit, behind the same signed self-service link as the request page
(selfservice.with_consultation verifies it): the aftercare page and the day-N check-in form.

They show the reviewed aftercare and "Get help at once" text, the clinic's emergency line and
the check-in days; never what was given or what the patient answered (anyone holding the link
could read it). A red-flag answer leads to the emergency steps, shown at the check-in's own
address (PRG), so nothing about the answer is ever in a URL.
"""

import contextlib

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from clinic import formatting

from . import aftercare, layouts
from .forms.aftercare import CheckInForm
from .models import InvalidTransition
from .selfservice import with_consultation


def _render(request, template, consultation, status=200, **context):
    # In the page's language (the emailed link is in the patient's): reviewed there, else the English page.
    content = aftercare.aftercare_content(consultation.treatment, translation.get_language())
    phones = formatting.clinic_phones()
    response = render(
        request,
        template,
        {
            "consultation": consultation,
            "content": content,
            "emergency_phone": phones["EMERGENCY_PHONE"],
            "emergency_tel": phones["EMERGENCY_PHONE_TEL"],
            **context,
        },
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "HEAD"])
@with_consultation
def aftercare_page(request, consultation):
    now = timezone.now()
    if not consultation.treatment_records.exists():
        return _render(request, "consultations/aftercare/none.html", consultation, status=404)
    check_in_url = reverse("consultations:manage_check-in")
    check_ins = [
        {
            "day": check_in.day,
            "when": formatting.day(check_in.due_at),
            "open": check_in.answered_at is None and check_in.due_at <= now,
            "answered": check_in.answered_at is not None,
        }
        for check_in in consultation.check_ins.all()
    ]
    # Only the check-in most recently due is open (current_check_in).
    current = aftercare.current_check_in(consultation, now)
    for row, check_in in zip(check_ins, consultation.check_ins.all(), strict=True):
        row["open"] = current is not None and check_in.pk == current.pk and row["open"]
    return _render(
        request,
        "consultations/aftercare/page.html",
        consultation,
        check_ins=check_ins,
        check_in_url=check_in_url,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@with_consultation
def check_in(request, consultation):
    """The check-in most recently due: its form while unanswered, then (after the POST) the emergency
    steps for a red flag or thanks. One address for every day, so the link needs no day in it."""
    now = timezone.now()
    current = aftercare.current_check_in(consultation, now)
    back = reverse("consultations:manage_aftercare")
    if current is None:
        messages.info(request, _("This check-in is not open. Call us if you have any questions."))
        return redirect(back)
    if current.answered_at is not None:
        template = "consultations/aftercare/urgent.html" if current.urgent else "consultations/aftercare/thanks.html"
        return _render(request, template, consultation, day=current.day, back_url=back)
    action = reverse("consultations:manage_check-in")
    form = CheckInForm(request.POST if request.method == "POST" else None, day=current.day)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["day"] != current.day:
            # The form of an earlier day, sent after a newer check-in opened: show the newer one.
            messages.info(request, _("A newer check-in has opened. Please answer this one."))
            return redirect(action)
        # Answered in another tab meanwhile: the page it leads to says what to do.
        with contextlib.suppress(InvalidTransition):
            aftercare.answer_check_in(
                current,
                feeling=form.cleaned_data["feeling"],
                signs=form.cleaned_data["signs"],
                note=form.cleaned_data["note"],
                now=now,
            )
        return redirect(action)
    helper = layouts.check_in(form, action=action)
    return _render(
        request, "consultations/aftercare/check_in.html", consultation, day=current.day, form=form, helper=helper
    )
