"""Signed, expiring self-service links for patients without accounts.

The token carries only the request's reference, signed with SECRET_KEY and a
salt. It says nothing about the patient's health and cannot be forged.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "consultations.self-service"


def max_age():
    return settings.CLINIC_LINK_MAX_AGE_DAYS * 24 * 3600


def make_token(consultation):
    return signing.dumps(consultation.reference, salt=SALT, compress=True)


def read_token(token):
    """The reference in a valid token; raises signing.BadSignature (incl. SignatureExpired)."""
    return signing.loads(token, salt=SALT, max_age=max_age())


def manage_path(consultation):
    return reverse("consultations:manage", kwargs={"token": make_token(consultation)})
