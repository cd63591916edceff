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


# "Book again" (issue 27): the recall email's link to the form prefilled with the patient's contact
# details. Like the self-service link, the token names the request only (its reference), signed with
# its own salt; views.book_again trades it for a short-lived cookie, so no address holds it for long.
RECALL_SALT = "consultations.book-again"


def make_recall_token(consultation):
    return signing.dumps(consultation.reference, salt=RECALL_SALT, compress=True)


def read_recall_token(token):
    """The reference in a valid recall token; raises signing.BadSignature (incl. SignatureExpired)."""
    return signing.loads(token, salt=RECALL_SALT, max_age=max_age())


def book_again_path(consultation):
    return reverse("consultations:book_again", kwargs={"token": make_recall_token(consultation)})


def traded_for_cookie(response, cookie, reference, *, salt, max_age):
    """The redirect away from an emailed link's address, carrying what the link named in a signed,
    HttpOnly cookie instead (none for reference None: a link that names nothing): the secret
    address is not indexed and not sent on as a referrer."""
    if reference is not None:
        response.set_signed_cookie(
            cookie,
            reference,
            salt=salt,
            max_age=max_age,
            path="/",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
