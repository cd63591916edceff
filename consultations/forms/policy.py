"""Accepting the cancellation policy (issue 27) wherever a patient books a time online: the intake
form, the self-service page of a request without a time and a waitlist offer's button. The
policy's text is shown next to the time choice (layouts.cancellation_policy) with a hidden
`policy_version`: the version the patient read, so a policy published in between is never
accepted unseen.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FIELD = "accept_policy"


def accept_field():
    return forms.BooleanField(
        label=_("I have read the cancellation policy and accept it for the time I chose."),
        required=False,
    )


def changed(form):
    """Whether the page the form came from showed another policy than the one in force (or none).
    form.policy: the policy in force (None: nothing to accept)."""
    return form.policy is not None and form.data.get("policy_version") != form.policy.version


def check(form, cleaned, chosen):
    """Adds a field error when a time is chosen without the policy in force accepted as shown."""
    if form.policy is None or not chosen:
        return
    if changed(form):
        # Accepting a text the patient has not seen is no acceptance: show the box unticked.
        form.data = form.data.copy()
        form.data.pop(FIELD, None)
        form.add_error(
            FIELD,
            ValidationError(
                _("Our cancellation policy changed after you opened this form. Please read it again and tick the box."),
                code="policy_changed",
            ),
        )
    elif not cleaned.get(FIELD):
        form.add_error(
            FIELD,
            ValidationError(
                _("Please read the cancellation policy and tick the box to book this time, or choose “No preference”."),
                code="policy_required",
            ),
        )
