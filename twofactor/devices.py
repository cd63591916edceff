"""Staff's second factor: the one place that knows the rules.

Built on django-otp: a confirmed TOTPDevice is the authenticator app, a StaticDevice holds the
one-time recovery codes (django-otp deletes each code as it is used). Failed codes count toward
django-axes' lockout like failed passwords, under their own key, so signing in again with the
password does not wipe the count of wrong codes.
"""

import logging

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

logger = logging.getLogger("clinic.security")

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6


def required():
    """Is the second factor enforced? (CLINIC_STAFF_2FA; on by default when DEBUG is off.)"""
    return settings.CLINIC_STAFF_2FA


def awaits_second_step(user):
    """Signed in with the password as staff, but this session has not passed the second factor."""
    return required() and user.is_authenticated and user.is_active and user.is_staff and not user.is_verified()


def has_authenticator(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def passkey_count(user):
    return WebAuthnCredential.objects.devices_for_user(user, confirmed=True).count()


def can_set_up(user):
    """A new authenticator may be added by someone with no second factor at all (first sign-in or
    after the owner's reset), or after passing it in this session. Never with the password alone
    on an account that has one: that would let a stolen password replace the device."""
    return not has_authenticator(user) and (not user_has_device(user) or user.is_verified())


def new_authenticator(user):
    """A fresh, unconfirmed authenticator key, made each time the set-up page is shown, so a key
    someone else may have seen is never the one confirmed later."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def pending_authenticator(user):
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def confirm_authenticator(request, device, token):
    """The first code from the app proves it was set up; returns the new recovery codes, or None."""
    device = use_once(device, token)
    if device is None:
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(device.user)
    sign_in(request, device)
    logger.info("event=second_factor_enrolled user_id=%s", device.user_id)
    return codes


def new_recovery_codes(user):
    """Replace the user's recovery codes; the plain codes are returned once and never stored elsewhere."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def sign_in(request, device):
    # A new session key with the raised privilege, as Django's login() does for the password.
    request.session.cycle_key()
    otp_login(request, device)
    AxesProxyHandler.reset_attempts(username=lockout_credentials(request.user)["username"])


def lockout_credentials(user):
    # ":" cannot occur in a Django username, so this key never meets a real account's.
    return {"username": f"otp:{user.get_username()}"}


def is_locked_out(request):
    return not AxesProxyHandler.is_allowed(request, lockout_credentials(request.user))


def verify(request, token):
    """Check a code from the app or a recovery code; on success mark the session as verified.

    Returns the device that matched, or None (the failure is counted toward the lockout).
    Six digits are tried against the app only, anything else against the recovery codes, so
    one kind of code never advances the other's throttle.
    """
    user = request.user
    kind = TOTPDevice if token.isdigit() and len(token) == TOTP_DIGITS else StaticDevice
    for device in kind.objects.devices_for_user(user, confirmed=True):
        used = use_once(device, token)
        if used is not None:
            sign_in(request, used)
            return used
    user_login_failed.send(sender=__name__, credentials=lockout_credentials(user), request=request)
    return None


def use_once(device, token):
    """Check a code on `device` so that concurrent posts of one code verify at most one session.

    django-otp reads, then writes: a recovery code is found, then deleted; an app code is checked
    against `last_t`, then `last_t` is saved. Two posts of the same code in between both pass
    (issue 23, finding 10). Here the device's row is locked first (SELECT ... FOR UPDATE on
    PostgreSQL; on SQLite the IMMEDIATE transaction holds the write lock), and django-otp's check
    runs on the row as it is after any other use of the code committed.
    Returns the locked, updated device, or None.
    """
    with transaction.atomic():
        locked = type(device).objects.select_for_update().get(pk=device.pk)
        return locked if locked.verify_token(token) else None


def reset(user):
    """The owner's answer to a lost phone: the account sets up a new second factor at next sign-in."""
    with transaction.atomic():
        removed = sum(
            model.objects.filter(user=user).delete()[0] for model in (TOTPDevice, StaticDevice, WebAuthnCredential)
        )
    logger.info("event=second_factor_reset user_id=%s", user.pk)
    return removed
