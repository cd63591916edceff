from django.conf import settings

from .formatting import address_lines


def clinic(request):
    return {"clinic": settings.CLINIC, "clinic_address_lines": address_lines()}
