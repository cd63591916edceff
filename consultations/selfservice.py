"""The patient's self-service page, reached by the signed link in their emails (no account).

The page shows the reference, the treatment, the time and the status in plain
words, and nothing about the patient's health: anyone who sees the email can
open the link. Every change is a POST (CSRF-protected) followed by a redirect.

The link is exchanged, not carried (issue 23, finding 8): GET /manage/<token>/ checks the
token, sets a short-lived HttpOnly cookie naming the request (signed, with its own salt and
CLINIC_SELF_SERVICE_MINUTES as its age) and redirects once to /manage/. From then on no page
address, form action, Referer or server log line holds the 60-day secret. Old links, also
those to a sub-page (/manage/<token>/move/), keep working: they exchange the same way.
"""

import contextlib
import functools

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clinic import formatting
from clinic.clientip import client_ip

from . import booking, layouts, links, waitlist, workflow
from .availability import Slot
from .forms.selfservice import AttendanceForm, CancelForm, ConfirmHoldForm, InfoForm, MoveForm
from .forms.waitlist import AcceptOfferForm, LeaveWaitlistForm, WaitlistForm
from .models import (
    CancellationPolicy,
    ConsultationRequest,
    InsideCancellationWindow,
    InvalidTransition,
    OfferState,
    Status,
    WaitlistOffer,
)

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


COOKIE = "clinic_selfservice"
COOKIE_SALT = "consultations.self-service.visit"
# Sub-pages only posted to: an old link to one lands on the request's page.
POST_ONLY = {"info"}


def visit_max_age():
    return settings.CLINIC_SELF_SERVICE_MINUTES * 60


def _read_link(request, token):
    """(reference, None), or (None, the problem page): never a 500."""
    try:
        return links.read_token(token), None
    except signing.SignatureExpired:
        return None, _link_problem(request, "expired", status=400)
    except signing.BadSignature:
        return None, _link_problem(request, "invalid", status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def exchange(request, token, page=""):
    """The emailed link: trade it for the visit cookie and go on to the same page without it.

    A POST here comes from a page opened before the exchange existed: nothing is done with it
    (its form may be stale), the patient lands on the page and sends it again."""
    target = _page_url("" if request.method == "POST" else page)
    reference, problem = _read_link(request, token)
    if problem is not None:
        return problem
    if not ConsultationRequest.objects.filter(reference=reference).exists():
        return _link_problem(request, "missing", status=404)
    response = redirect(target)
    if request.method == "POST":
        response.status_code = 303
    return links.traded_for_cookie(response, COOKIE, reference, salt=COOKIE_SALT, max_age=visit_max_age())


def _page_url(page):
    """The token-free address of an old link's sub-page (manage_<page>); 404 for no such page."""
    if not page or page in POST_ONLY:
        return reverse("consultations:manage_page")
    try:
        return reverse(f"consultations:manage_{page}")
    except NoReverseMatch:
        raise Http404 from None


def with_consultation(view):
    """The request named by this browser's visit cookie, or a page saying to open the link again."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        reference = request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT, max_age=visit_max_age())
        if reference is None:
            return _link_problem(request, "visit", status=403)
        consultation = ConsultationRequest.objects.select_related("treatment").filter(reference=reference).first()
        if consultation is None:
            return _link_problem(request, "missing", status=404)
        return view(request, consultation, *args, **kwargs)

    return wrapper


def _link_problem(request, problem, status):
    response = render(request, "consultations/manage_invalid.html", {"problem": problem}, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def _actions(consultation, now=None):
    # Inside the accepted cancellation policy's window the page offers "call us" instead (issue 27).
    inside_window = consultation.inside_cancellation_window(now)
    can_change = booking.can_change(consultation, now) and not inside_window
    return {
        "can_cancel": can_change and Status.CANCELLED in consultation.allowed_transitions(),
        # A booking agreed by phone without a time is changed by phone too.
        "can_move": can_change and not (consultation.status == Status.APPROVED and consultation.slot_start is None),
        "can_add_info": consultation.status == Status.NEEDS_INFO,
        "moves_left": booking.reschedules_left(consultation),
        "inside_window": inside_window,
        "policy": CancellationPolicy.of(consultation.policy_version) if inside_window else None,
        "can_confirm_or_release": workflow.can_release(consultation, now) and bool(settings.CLINIC_CONFIRM_HOURS),
    }


def _call_us(request, consultation, status=200):
    """Inside the cancellation window: a clear page saying to call, with the policy's window
    (`policy` in the context, from _actions)."""
    return _page(request, "consultations/manage_call_us.html", consultation, status=status)


def _confirm_hold_form(consultation):
    """The "I want this time" button while a held time waits for the patient's confirmation."""
    waiting = (
        consultation.holds_time
        and consultation.status in booking.UNCONFIRMED
        and consultation.hold_confirmed_at is None
        and booking.can_change(consultation)
    )
    if not waiting:
        return {}
    form = ConfirmHoldForm()
    return {
        "confirm_hold_form": form,
        "confirm_hold_helper": layouts.confirm_hold(form, action=reverse("consultations:manage_confirm")),
    }


def _page(request, template, consultation, status=200, **context):
    response = render(
        request,
        template,
        {
            "consultation": consultation,
            "held": Slot.of(consultation),
            "status_words": STATUS_WORDS[consultation.status],
            **_confirm_hold_form(consultation),
            "hold_lapses_when": formatting.slot_when(booking.lapse_deadline(consultation)),
            **_actions(consultation),
            **context,
        },
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


def _back_url():
    return reverse("consultations:manage_page")


def _info_form(consultation, data=None, files=None):
    """The "please add…" form and its layout, for manage.html."""
    form = InfoForm(data, files, topic=consultation.info_topic)
    return {
        "info_form": form,
        "info_helper": layouts.add_information(form, action=reverse("consultations:manage_info")),
    }


@require_http_methods(["GET", "HEAD"])
@with_consultation
def manage(request, consultation):
    return _page(
        request,
        "consultations/manage.html",
        consultation,
        can_waitlist=waitlist.can_join(consultation),
        waitlist_entry=waitlist.entry_of(consultation),
        **_info_form(consultation),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@with_consultation
def cancel(request, consultation):
    actions = _actions(consultation)
    if actions["inside_window"]:
        return _call_us(request, consultation, status=409 if request.method == "POST" else 200)
    if not actions["can_cancel"]:
        messages.info(request, _("This request can no longer be cancelled online. Please call us."))
        return redirect("consultations:manage_page")
    if request.method == "POST":
        try:
            workflow.cancel_by_patient(consultation)
        except InsideCancellationWindow:
            return _call_us(request, consultation, status=409)
        except InvalidTransition:
            messages.info(request, _("This request can no longer be cancelled online. Please call us."))
        else:
            messages.success(request, _("Your request is cancelled. We have sent you an email to confirm."))
        return redirect("consultations:manage_page")
    form = CancelForm()
    return _page(
        request,
        "consultations/manage_cancel.html",
        consultation,
        form=form,
        helper=layouts.cancel(form, back_url=_back_url()),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@with_consultation
def move(request, consultation):
    actions = _actions(consultation)
    if actions["inside_window"]:
        return _call_us(request, consultation, status=409 if request.method == "POST" else 200)
    if not actions["can_move"]:
        messages.info(request, _("This request can no longer be moved online. Please call us."))
        return redirect("consultations:manage_page")
    if consultation.slot_start is not None and actions["moves_left"] == 0:
        return _page(request, "consultations/manage_move.html", consultation, limit_reached=True)
    form = MoveForm(request.POST or None, consultation=consultation, moves_left=actions["moves_left"])
    if request.method == "POST" and form.is_valid():
        slot = form.cleaned_data["slot"]
        try:
            if consultation.slot_start is None:
                # No time yet: choosing one is not a move, but it is booking (the policy is accepted).
                workflow.choose_time(consultation, slot, policy=form.policy, ip=client_ip(request))
            else:
                workflow.reschedule(consultation, slot, by_patient=True)
        except InsideCancellationWindow:
            return _call_us(request, consultation, status=409)
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
            return redirect("consultations:manage_page")
    helper = layouts.move(form, back_url=_back_url())
    return _page(request, "consultations/manage_move.html", consultation, form=form, helper=helper)


@require_POST
@with_consultation
def add_info(request, consultation):
    if not _actions(consultation)["can_add_info"]:
        messages.info(request, _("We are not waiting for information on this request any more."))
        return redirect("consultations:manage_page")
    info = _info_form(consultation, request.POST, request.FILES)
    form = info["info_form"]
    if form.is_valid():
        sent_photos = form.cleaned_data.get("photos") or []
        try:
            workflow.add_information(consultation, form.cleaned_data["text"], photos=sent_photos)
        except InvalidTransition:
            messages.info(request, _("We are not waiting for information on this request any more."))
        else:
            messages.success(request, _("Thank you. We have your information and will be in touch."))
        return redirect("consultations:manage_page")
    return _page(request, "consultations/manage.html", consultation, **info)


@require_POST
@with_consultation
def confirm_hold(request, consultation):
    """The patient wants the time held for them: it no longer lapses (workflow.lapse_hold)."""
    if workflow.confirm_hold(consultation):
        messages.success(request, _("Thank you. We keep this time for you until the clinic confirms it."))
    else:
        messages.info(request, _("There is no held time waiting for your confirmation on this request."))
    return redirect("consultations:manage_page")


@require_http_methods(["GET", "HEAD", "POST"])
@with_consultation
def attendance(request, consultation):
    """Confirm or release (issue 27), opened from the reminder's link: GET shows the two buttons and
    changes nothing; POST "confirm" stores the confirmation, POST "release" frees the time (allowed
    inside the cancellation window: that is its point)."""
    if not _actions(consultation)["can_confirm_or_release"]:
        messages.info(request, _("There is no booked time to confirm or release on this request."))
        return redirect("consultations:manage_page")
    if request.method == "POST":
        if "release" in request.POST:
            try:
                workflow.release_by_patient(consultation)
            except InvalidTransition:
                messages.info(request, _("There is no booked time to confirm or release on this request."))
            else:
                messages.success(request, _("Your time is released. Thank you for letting us know."))
        elif workflow.confirm_attendance(consultation) or consultation.attendance_confirmed_at:
            messages.success(request, _("Thank you. We look forward to seeing you."))
        return redirect("consultations:manage_page")
    form = AttendanceForm()
    helper = layouts.attendance(form, action=reverse("consultations:manage_attendance"))
    return _page(request, "consultations/manage_attendance.html", consultation, form=form, helper=helper)


# --- The waitlist (issue 27) ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@with_consultation
def manage_waitlist(request, consultation):
    """Join the waitlist for an earlier time, change one's choices, or leave it."""
    entry = waitlist.entry_of(consultation)
    if not waitlist.can_join(consultation):
        messages.info(request, _("This request can no longer wait for an earlier time online. Please call us."))
        return redirect("consultations:manage_page")
    action = reverse("consultations:manage_waitlist")
    if request.method == "POST" and "leave" in request.POST:
        if waitlist.leave(consultation):
            messages.success(request, _("You have left the waitlist. We will not email you about earlier times."))
        return redirect("consultations:manage_page")
    form = WaitlistForm(request.POST if request.method == "POST" else None, entry=entry)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        waitlist.join(consultation, days=data["days"], parts=data["parts"], provider=data["provider"])
        messages.success(
            request,
            _("Your waitlist choices are saved. You keep your place on the list.")
            if entry
            else _("You are on the waitlist. We will email you when an earlier time that suits you opens."),
        )
        return redirect("consultations:manage_page")
    leave_form = LeaveWaitlistForm() if entry else None
    return _page(
        request,
        "consultations/manage_waitlist.html",
        consultation,
        form=form,
        helper=layouts.waitlist(form, action=action),
        entry=entry,
        leave_form=leave_form,
        leave_helper=leave_form and layouts.leave_waitlist(leave_form, action=action, back_url=_back_url()),
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def waitlist_offer(request, token):
    """The emailed offer of a freed time: GET shows it and one button, the POST takes it.

    Opening the link changes nothing (mail scanners open links). The token names the offer only;
    it stops working once the offer ended (expired, withdrawn, taken by someone else or accepted)."""
    offer = WaitlistOffer.for_token(token)
    if offer is None:
        return _link_problem(request, "invalid", status=404)
    # A form with no fields is bound by the method, not by its data (request.POST may be empty).
    form = AcceptOfferForm(request.POST if request.method == "POST" else None, policy=CancellationPolicy.current())
    if form.is_valid():
        # Refused (taken by someone else, ended): the page after the redirect says which.
        # The policy the page showed next to the button is accepted with the time (issue 27).
        with contextlib.suppress(booking.SlotTaken, workflow.OfferClosed):
            workflow.accept_offer(offer, policy=form.policy, ip=client_ip(request))
        # Back to the same address (PRG): a reload shows the outcome instead of sending again.
        response = redirect(request.path)
        response.status_code = 303
        return _offer_headers(response)
    consultation = offer.entry.consultation
    state = offer.state
    if state == OfferState.PENDING and not offer.is_open():
        state = OfferState.EXPIRED  # past its time, before the timer marked it
    pending = state == OfferState.PENDING
    response = render(
        request,
        "consultations/waitlist_offer.html",
        {
            "offer": offer,
            "state": state,
            "offer_when": formatting.slot_when(offer.start),
            "offer_expires": formatting.slot_when(offer.expires_at),
            "current": Slot.of(consultation) if consultation.holds_time else None,
            "still_listed": offer.entry.is_active and consultation.is_active,
            "form": form if pending else None,
            "helper": layouts.accept_offer(form) if pending else None,
        },
    )
    return _offer_headers(response)


def _offer_headers(response):
    response["X-Robots-Tag"] = "noindex"
    # The address holds the offer's token: it is not sent on to another site. Not "no-referrer":
    # the browser would then send its own button's POST with "Origin: null", which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    return response
