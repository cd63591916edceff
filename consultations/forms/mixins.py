"""What any public form that creates something needs: one submission per rendered form, and no bots.

The form carries a signed (id, time rendered) token. The id makes a second send of the same
form (double click, back button) recognisable as a duplicate; the time, with a honeypot field
people never see, tells a bot (sent faster than anyone can read) from a person.
"""

import time
import uuid

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SALT = "consultations.intake"
HONEYPOT = "website"


def make_submission_token():
    """A signed (id, time the form was rendered) pair: the id stops duplicates, the time stops bots."""
    return _new_token()[0]


def _new_token():
    """(signed value, UUID, rendered-at timestamp) of a new token."""
    token, at = uuid.uuid4(), int(time.time())
    return signing.dumps({"id": token.hex, "at": at}, salt=SALT), token, float(at)


def token_max_age():
    """Seconds a rendered form may be sent in (CLINIC_SUBMISSION_TOKEN_HOURS)."""
    return settings.CLINIC_SUBMISSION_TOKEN_HOURS * 3600


def read_submission_token(value):
    """(UUID, rendered-at timestamp), or None for a missing or tampered token."""
    try:
        payload = signing.loads(value or "", salt=SALT)
        return uuid.UUID(payload["id"]), float(payload["at"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


class SubmissionTokenMixin:
    """For a Form: the hidden `submission_token` and the honeypot field.

    After __init__: submission_token (UUID), started_at (timestamp), submission_token_value
    (what the template puts in the hidden input) and token_invalid.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Honeypot: hidden from people by CSS and skipped by the keyboard; bots fill every field.
        self.fields[HONEYPOT] = forms.CharField(label=_("Leave this empty"), required=False)
        token = read_submission_token(self.data.get("submission_token")) if self.is_bound else None
        self.token_invalid = self.is_bound and token is None
        # A token is good for CLINIC_SUBMISSION_TOKEN_HOURS: one harvested once cannot be replayed
        # for ever (nor make a script look like a person who took their time). Its id still finds
        # a request it already created (a double click on an old page shows that request).
        self.token_expired = token is not None and time.time() - token[1] > token_max_age()
        # A tampered, missing or expired token gets a fresh one, so the re-rendered form can be sent.
        if token and not self.token_expired:
            self.submission_token_value = self.data["submission_token"]
            self.submission_token, self.started_at = token
        else:
            self.submission_token_value, new_id, new_at = _new_token()
            # The id of an expired token still finds the request it created (a late double click).
            self.submission_token, self.started_at = token or (new_id, new_at)

    def clean(self):
        cleaned = super().clean()
        if self.token_invalid:
            raise ValidationError(
                _("This form could not be checked. Please look over your answers and send it again."),
                code="bad_token",
            )
        if self.token_expired:
            raise ValidationError(
                _(
                    "This form was open for a long time, so for your safety it was not sent. Your answers are "
                    "kept below: please look them over and send it again."
                ),
                code="token_expired",
            )
        return cleaned

    def is_bot(self):
        """Honeypot filled in, or sent faster than a person can read and fill the form."""
        if self.data.get(HONEYPOT):
            return True
        return time.time() - self.started_at < settings.CLINIC_MIN_FILL_SECONDS
