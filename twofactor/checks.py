"""check --deploy says so when staff would reach patient data with a password only."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def staff_second_factor(app_configs, **kwargs):
    if settings.DEBUG or settings.CLINIC_STAFF_2FA:
        return []
    return [
        Warning(
            "CLINIC_STAFF_2FA is off with DEBUG off: staff reach patients' health data with a password only.",
            hint="Unset CLINIC_STAFF_2FA (or set it to 'on') in production; 'off' is for local trials and "
            "automated checks.",
            id="twofactor.W001",
        )
    ]
