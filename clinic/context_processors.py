from .formatting import address_lines
from .i18n import clinic_details


def clinic(request):
    return {"clinic": clinic_details(), "clinic_address_lines": address_lines()}
