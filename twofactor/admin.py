"""Staff accounts in the admin: who has a second factor, and the owner's reset for a lost phone.

django-otp's own device admins are removed: they show each person's secret key to anyone who
may view devices. The reset below is the only way to change someone else's second factor.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from . import devices

User = get_user_model()

for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.action(description=_("Reset two-step sign-in (lost phone)"), permissions=["reset_second_factor"])
def reset_second_factor(modeladmin, request, queryset):
    for user in queryset:
        devices.reset(user)
        # Django's admin log: the user's History page shows who reset it and when.
        modeladmin.log_change(request, user, [{"changed": {"fields": ["two-step sign-in (reset: lost phone)"]}}])
    count = len(queryset)
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d account must set up two-step sign-in again at its next sign-in.",
            "%(count)d accounts must set up two-step sign-in again at their next sign-in.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "second_factor"]
    actions = [reset_second_factor]

    def get_queryset(self, request):
        confirmed_app = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_second_factor=Exists(confirmed_app))

    @admin.display(description=_("two-step sign-in"), boolean=True, ordering="has_second_factor")
    def second_factor(self, user):
        return user.has_second_factor

    def has_reset_second_factor_permission(self, request):
        # The owner only: anyone else who could reset a device could also take over an account.
        return request.user.is_active and request.user.is_superuser
