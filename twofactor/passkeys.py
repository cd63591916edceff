"""Passkeys as a second factor, through django-otp-webauthn.

Its browser code is two static ES modules and a JSON configuration (json_script), so it runs
under the CSP without inline script. The clinic narrows it: a passkey is added only by staff
who already passed the second factor in this session, it is never a way to sign in without
the password, and it signs the session in the same way a code does (devices.sign_in).
"""

from django.http.request import split_domain_port
from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.helpers import WebAuthnHelper

from . import devices


def relying_party_id(request):
    """The host staff reached (already checked against ALLOWED_HOSTS), without the port."""
    return split_domain_port(request.get_host())[0]


class ClinicWebAuthnHelper(WebAuthnHelper):
    def get_allowed_origins(self):
        # The origin the browser signs must be the one this request came in on: a look-alike
        # site relaying the page gets a different origin and the passkey's answer is refused.
        return [f"{self.request.scheme}://{self.request.get_host()}"]


class StaffOnly:
    def get_user(self):
        user = self.request.user
        return user if user.is_authenticated and user.is_active and user.is_staff else None


class BeginRegistration(StaffOnly, webauthn_views.BeginCredentialRegistrationView):
    def check_can_register(self):
        if not self.request.user.is_verified():
            raise exceptions.NotVerified()


class CompleteRegistration(StaffOnly, webauthn_views.CompleteCredentialRegistrationView):
    def check_can_register(self):
        if not self.request.user.is_verified():
            raise exceptions.NotVerified()


class BeginAuthentication(StaffOnly, webauthn_views.BeginCredentialAuthenticationView):
    def check_can_authenticate(self):
        if self.get_user() is None:
            raise exceptions.NotAuthenticated()


class CompleteAuthentication(StaffOnly, webauthn_views.CompleteCredentialAuthenticationView):
    def check_can_authenticate(self):
        if self.get_user() is None:
            raise exceptions.NotAuthenticated()

    def complete_auth(self, device):
        if device.user_id != self.request.user.pk:
            raise exceptions.CredentialUserMismatch()
        devices.sign_in(self.request, device)


# Included under the "otp_webauthn" namespace, which the package's template tags reverse.
urlpatterns = [
    path("registration/begin/", BeginRegistration.as_view(), name="credential-registration-begin"),
    path("registration/complete/", CompleteRegistration.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", BeginAuthentication.as_view(), name="credential-authentication-begin"),
    path("authentication/complete/", CompleteAuthentication.as_view(), name="credential-authentication-complete"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]
