"""System checks for settings production needs (`manage.py check --deploy`, `make serve`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    if not settings.CLINIC_SITE_URL:
        return [
            Error(
                "CLINIC_SITE_URL is not set: links in patients' emails (their self-service page, "
                "reminders) would point to the wrong address.",
                hint="Set it to the public address of the site, e.g. CLINIC_SITE_URL=https://clinic.example.com",
                id="clinic.E001",
            )
        ]
    if not settings.CLINIC_SITE_URL.startswith(("https://", "http://")):
        return [
            Error(
                f"CLINIC_SITE_URL={settings.CLINIC_SITE_URL!r} is not an address starting with https://.",
                hint="e.g. CLINIC_SITE_URL=https://clinic.example.com",
                id="clinic.E002",
            )
        ]
    return []
