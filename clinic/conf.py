"""The clinic's details (name, address, phone, hours, phone region from settings), read here.

Modules ask `clinic()` or `clinic("NAME")` instead of reaching into the settings, so a second
location (details per site or per request) changes this module, not every reader.
"""

from django.conf import settings


def clinic(key=None):
    """All of the clinic's details (a dict), or the one named `key` (e.g. "NAME", "PHONE_REGION")."""
    details = settings.CLINIC
    return details if key is None else details[key]
