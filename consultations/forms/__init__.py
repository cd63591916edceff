"""The consultation forms: intake (the public request form), selfservice (the patient's link)
and staff (the request page in the admin). Shared pieces live in mixins."""

from .intake import IntakeForm
from .mixins import make_submission_token, read_submission_token

__all__ = ["IntakeForm", "make_submission_token", "read_submission_token"]
