"""The pages between the password and the admin: enter a code, set up an app, recovery codes.

Routed by ClinicAdminSite.get_urls() under /admin/two-factor/ for signed-in active staff.
"""

import base64

import segno
from axes.helpers import get_lockout_response
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice

from . import devices
from .forms import CodeForm, SetUpForm

# The new recovery codes wait here for the one page view that shows them (POST, redirect, GET).
NEW_CODES_KEY = "two_factor_new_codes"


def next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("admin:index")


def with_next(request, name):
    url = reverse(name)
    nxt = request.POST.get("next") or request.GET.get("next")
    return f"{url}?{urlencode({'next': nxt})}" if nxt else url


def page(request, template, title, **context):
    # The admin's look without its navigation: nothing but this step is open yet.
    base = admin.site.each_context(request)
    return render(
        request,
        template,
        {**base, "title": title, "is_nav_sidebar_enabled": False, "next": next_url(request), **context},
    )


def locked_out(request):
    credentials = devices.lockout_credentials(request.user)
    logout(request)
    return get_lockout_response(request, None, credentials)


def verify(request):
    user = request.user
    if not devices.awaits_second_step(user):
        return redirect(next_url(request))
    if not user_has_device(user):
        return redirect(with_next(request, "admin:two_factor_set_up"))
    if devices.is_locked_out(request):
        return locked_out(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = devices.verify(request, form.cleaned_data["otp_token"])
        if device is not None:
            if isinstance(device, StaticDevice):
                left = devices.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code: %(left)d is left. Make new ones under “Recovery codes”.",
                        "You used a recovery code: %(left)d are left. Make new ones under “Recovery codes”.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(next_url(request))
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        form.add_error("otp_token", _("That code is not right, or it has expired. Enter the code the app shows now."))
    return page(
        request,
        "admin/twofactor/verify.html",
        _("Enter your sign-in code"),
        form=form,
        has_passkey=devices.passkey_count(user) > 0,
    )


def set_up(request):
    user = request.user
    if not devices.can_set_up(user):
        if devices.awaits_second_step(user):
            return redirect(with_next(request, "admin:two_factor_verify"))
        messages.info(request, _("Your authenticator app is already set up. To replace it, ask the clinic's owner."))
        return redirect(next_url(request))
    device = devices.new_authenticator(user) if request.method != "POST" else devices.pending_authenticator(user)
    if device is None:  # posted without having seen the page: show a key first
        return redirect(with_next(request, "admin:two_factor_set_up"))
    form = SetUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = devices.confirm_authenticator(request, device, form.cleaned_data["otp_token"])
        if codes is not None:
            request.session[NEW_CODES_KEY] = codes
            return redirect(with_next(request, "admin:two_factor_recovery_codes"))
        form.add_error(
            "otp_token",
            _("That code does not match. Check the app shows this clinic, then enter the code it shows now."),
        )
    secret = base64.b32encode(device.bin_key).decode()
    return page(
        request,
        "admin/twofactor/set_up.html",
        _("Set up two-step sign-in"),
        form=form,
        qr_code=segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2, light="#fff"),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


def recovery_codes(request):
    user = request.user
    if not user.is_verified():
        return redirect(with_next(request, "admin:two_factor_verify"))
    if request.method == "POST":
        request.session[NEW_CODES_KEY] = devices.new_recovery_codes(user)
        return redirect(with_next(request, "admin:two_factor_recovery_codes"))
    codes = request.session.pop(NEW_CODES_KEY, None)
    return page(
        request,
        "admin/twofactor/recovery_codes.html",
        _("Recovery codes"),
        codes=codes,
        left=devices.recovery_codes_left(user),
        has_authenticator=devices.has_authenticator(user),
        passkeys=devices.passkey_count(user),
    )


@require_POST
def sign_out(request):
    logout(request)
    return redirect("admin:login")
