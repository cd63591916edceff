"""The patient's self-service page, reached by the signed link in their emails (no account).

The page shows the reference, the treatment, the time and the status in plain
words, and nothing about the patient's health: anyone who sees the email can
open the link. Every change is a POST (CSRF-protected) followed by a redirect.
"""

import functools

from django import forms
from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clinic import formatting

from . import booking, links, workflow
from .availability import Slot
from .forms.selfservice import CancelForm, ConfirmHoldForm, InfoForm, MoveForm
from .models import ConsultationRequest, InvalidTransition, Status

STATUS_WORDS = {
    Status.NEW: _("We have your request. A provider will review it soon."),
    Status.TRIAGED: _("A provider is reviewing your request."),
    Status.NEEDS_INFO: _("We need a little more information from you before we can go on. Please add it below."),
    Status.APPROVED: _("Your consultation is booked."),
    Status.COMPLETED: _("Your consultation has taken place. Thank you for visiting us."),
    Status.NO_SHOW: _("We missed you at your consultation. Call us if you would like a new time."),
    Status.DECLINED: _("We cannot offer this consultation. The clinic will explain why by phone."),
    Status.CANCELLED: _("This request is cancelled. The time is free for someone else."),
    Status.EXPIRED: _("This request expired because its time passed before it could be confirmed."),
}


def with_consultation(view):
    """Resolve the token to the request, or answer with a clear page: never a 500."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request, token, *args, **kwargs):
        try:
            reference = links.read_token(token)
        except signing.SignatureExpired:
            return _link_problem(request, "expired", status=400)
        except signing.BadSignature:
            return _link_problem(request, "invalid", status=400)
        consultation = ConsultationRequest.objects.select_related("treatment").filter(reference=reference).first()
        if consultation is None:
            return _link_problem(request, "missing", status=404)
        return view(request, token, consultation, *args, **kwargs)

    return wrapper


def _link_problem(request, problem, status):
    response = render(request, "consultations/manage_invalid.html", {"problem": problem}, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def _actions(consultation, now=None):
    can_change = booking.can_change(consultation, now)
    return {
        "can_cancel": can_change and Status.CANCELLED in consultation.allowed_transitions(),
        # A booking agreed by phone without a time is changed by phone too.
        "can_move": can_change and not (consultation.status == Status.APPROVED and consultation.slot_start is None),
        "can_add_info": consultation.status == Status.NEEDS_INFO,
        "moves_left": booking.reschedules_left(consultation),
    }


def _confirm_hold_form(consultation, token):
    """The "I want this time" button while a held time waits for the patient's confirmation."""
    waiting = (
        consultation.holds_time
        and consultation.status in booking.UNCONFIRMED
        and consultation.hold_confirmed_at is None
        and booking.can_change(consultation)
    )
    if not waiting:
        return None
    return ConfirmHoldForm(action=reverse("consultations:manage_confirm", kwargs={"token": token}))


def _page(request, template, consultation, token, status=200, **context):
    response = render(
        request,
        template,
        {
            "consultation": consultation,
            "token": token,
            "held": Slot.of(consultation),
            "status_words": STATUS_WORDS[consultation.status],
            "confirm_hold_form": _confirm_hold_form(consultation, token),
            "hold_lapses_when": formatting.slot_when(booking.lapse_deadline(consultation)),
            **_actions(consultation),
            **context,
        },
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


def _back_url(token):
    return reverse("consultations:manage", kwargs={"token": token})


def _info_form(consultation, token, data=None, files=None):
    action = reverse("consultations:manage_info", kwargs={"token": token})
    return InfoForm(data, files, topic=consultation.info_topic, action=action)


@require_http_methods(["GET", "HEAD"])
@with_consultation
def manage(request, token, consultation):
    return _page(request, "consultations/manage.html", consultation, token, info_form=_info_form(consultation, token))


@require_http_methods(["GET", "HEAD", "POST"])
@with_consultation
def cancel(request, token, consultation):
    if not _actions(consultation)["can_cancel"]:
        messages.info(request, _("This request can no longer be cancelled online. Please call us."))
        return redirect("consultations:manage", token=token)
    if request.method == "POST":
        try:
            workflow.cancel_by_patient(consultation)
        except InvalidTransition:
            messages.info(request, _("This request can no longer be cancelled online. Please call us."))
        else:
            messages.success(request, _("Your request is cancelled. We have sent you an email to confirm."))
        return redirect("consultations:manage", token=token)
    return _page(
        request, "consultations/manage_cancel.html", consultation, token, form=CancelForm(back_url=_back_url(token))
    )


@require_http_methods(["GET", "HEAD", "POST"])
@with_consultation
def move(request, token, consultation):
    actions = _actions(consultation)
    if not actions["can_move"]:
        messages.info(request, _("This request can no longer be moved online. Please call us."))
        return redirect("consultations:manage", token=token)
    if consultation.slot_start is not None and actions["moves_left"] == 0:
        return _page(request, "consultations/manage_move.html", consultation, token, limit_reached=True)
    form = MoveForm(
        request.POST or None, consultation=consultation, moves_left=actions["moves_left"], back_url=_back_url(token)
    )
    if request.method == "POST" and form.is_valid():
        slot = form.cleaned_data["slot"]
        try:
            if consultation.slot_start is None:
                workflow.choose_time(consultation, slot)  # No time yet: choosing one is not a move.
            else:
                workflow.reschedule(consultation, slot, by_patient=True)
        except booking.BookingError as error:
            form.add_error("slot", forms.ValidationError(str(error), code=type(error).__name__))
        else:
            messages.success(
                request,
                _("Done. Your new time is %(when)s. We hold it for you until the clinic confirms it.")
                % {"when": slot.label}
                if consultation.status != Status.APPROVED
                else _("Done. Your new time is %(when)s.") % {"when": slot.label},
            )
            return redirect("consultations:manage", token=token)
    return _page(request, "consultations/manage_move.html", consultation, token, form=form)


@require_POST
@with_consultation
def add_info(request, token, consultation):
    if not _actions(consultation)["can_add_info"]:
        messages.info(request, _("We are not waiting for information on this request any more."))
        return redirect("consultations:manage", token=token)
    form = _info_form(consultation, token, request.POST, request.FILES)
    if form.is_valid():
        sent_photos = form.cleaned_data.get("photos") or []
        try:
            workflow.add_information(consultation, form.cleaned_data["text"], photos=sent_photos)
        except InvalidTransition:
            messages.info(request, _("We are not waiting for information on this request any more."))
        else:
            messages.success(request, _("Thank you. We have your information and will be in touch."))
        return redirect("consultations:manage", token=token)
    return _page(request, "consultations/manage.html", consultation, token, info_form=form)


@require_POST
@with_consultation
def confirm_hold(request, token, consultation):
    """The patient wants the time held for them: it no longer lapses (workflow.lapse_hold)."""
    if workflow.confirm_hold(consultation):
        messages.success(request, _("Thank you. We keep this time for you until the clinic confirms it."))
    else:
        messages.info(request, _("There is no held time waiting for your confirmation on this request."))
    return redirect("consultations:manage", token=token)
