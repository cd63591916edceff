"""The patient's pages after the visit, behind the same signed self-service link as the request page
(selfservice.with_consultation verifies it): the aftercare page and the day-N check-in form.

They show the reviewed aftercare and "Get help at once" text, the clinic's emergency line and
the check-in days; never what was given or what the patient answered (anyone holding the link
could read it). A red-flag answer leads to the emergency steps, shown at the check-in's own
address (PRG), so nothing about the answer is ever in a URL.
"""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from clinic import formatting

from . import aftercare
from .forms.aftercare import CheckInForm
from .models import InvalidTransition
from .selfservice import with_consultation


def _render(request, template, consultation, token, status=200, **context):
    # In the page's language (the emailed link is in the patient's): reviewed there, else the English page.
    content = aftercare.aftercare_content(consultation.treatment, translation.get_language())
    response = render(
        request,
        template,
        {
            "consultation": consultation,
            "token": token,
            "content": content,
            "emergency_phone": settings.CLINIC["EMERGENCY_PHONE"],
            **context,
        },
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "HEAD"])
@with_consultation
def aftercare_page(request, token, consultation):
    now = timezone.now()
    if not consultation.treatment_records.exists():
        return _render(request, "consultations/aftercare/none.html", consultation, token, status=404)
    check_ins = [
        {
            "day": check_in.day,
            "when": formatting.day(check_in.due_at),
            "open": check_in.answered_at is None and check_in.due_at <= now,
            "answered": check_in.answered_at is not None,
            "url": reverse("consultations:check_in", kwargs={"token": token, "day": check_in.day}),
        }
        for check_in in consultation.check_ins.all()
    ]
    return _render(request, "consultations/aftercare/page.html", consultation, token, check_ins=check_ins)


@require_http_methods(["GET", "HEAD", "POST"])
@with_consultation
def check_in(request, token, consultation, day):
    now = timezone.now()
    answered = consultation.check_ins.filter(day=day, answered_at__isnull=False).order_by("-answered_at").first()
    open_check_in = aftercare.open_check_in(consultation, day, now)
    back = reverse("consultations:aftercare", kwargs={"token": token})
    if open_check_in is None:
        if answered is not None:
            # After the POST: the emergency steps for a red flag, else thanks.
            template = (
                "consultations/aftercare/urgent.html" if answered.urgent else "consultations/aftercare/thanks.html"
            )
            return _render(request, template, consultation, token, day=day, back_url=back)
        messages.info(request, _("This check-in is not open. Call us if you have any questions."))
        return redirect(back)
    action = reverse("consultations:check_in", kwargs={"token": token, "day": day})
    form = CheckInForm(request.POST if request.method == "POST" else None, action=action)
    if request.method == "POST" and form.is_valid():
        # Answered in another tab meanwhile: the page it leads to says what to do.
        with contextlib.suppress(InvalidTransition):
            aftercare.answer_check_in(
                open_check_in,
                feeling=form.cleaned_data["feeling"],
                signs=form.cleaned_data["signs"],
                note=form.cleaned_data["note"],
                now=now,
            )
        return redirect(action)
    return _render(request, "consultations/aftercare/check_in.html", consultation, token, day=day, form=form)
