from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ClinicAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the clinic's site as admin.site, so every ModelAdmin and every staff
    view under /admin/ (photos, exports, schedules) sits behind the second factor."""

    default = False  # "twofactor" in INSTALLED_APPS means TwoFactorConfig
    default_site = "twofactor.sites.ClinicAdminSite"


class TwoFactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = _("Two-step sign-in")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system check)
