"""The forms on the patient's self-service pages: moving the time (the intake form's time picker),
answering what the clinic asked for (text, or photos with the intake's checks) and cancelling.

Fields and validation only: how each looks is consultations/layouts.py, attached by the view.
"""

import functools

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.forms import PatientFormMixin
from clinic.text import strip_disguising_characters

from ..availability import Slot
from ..models import CancellationPolicy, InfoTopic
from . import policy, timechoice
from .intake import PhotosField


class MoveForm(PatientFormMixin, forms.Form):
    """The same time picker as the intake form (consultations/timechoice.py)."""

    slot = timechoice.SlotChoiceField(
        label=_("New time"),
        error_messages={
            "required": _("Choose a new time from the list."),
            "invalid_choice": _("Choose a new time from the list."),
        },
    )

    def __init__(self, *args, consultation, moves_left=None, **kwargs):
        super().__init__(*args, auto_id="%s", **kwargs)
        held = Slot.of(consultation)
        self.held = held
        field = self.fields["slot"]
        if held is None:
            field.label = _("Your time")
        field.choices = functools.cache(lambda: timechoice.choices(exclude=held, no_preference=False))
        extra = ""
        if held is not None and moves_left is not None:
            extra = ngettext(
                "You can move your request once more online.",
                "You can move your request %(count)d more times online.",
                moves_left,
            ) % {"count": moves_left}
        field.help_text = timechoice.help_text(extra)
        # Choosing a first time online is booking it: the cancellation policy is accepted as on the form.
        self.policy = CancellationPolicy.current() if held is None else None
        if self.policy is not None:
            self.fields[policy.FIELD] = policy.accept_field()
        self.style_widgets()

    def clean(self):
        cleaned = super().clean()
        policy.check(self, cleaned, cleaned.get("slot"))
        return cleaned

    def clean_slot(self):
        key = self.cleaned_data["slot"]
        if not key:
            raise forms.ValidationError(_("Choose a new time from the list."), code="required")
        return Slot.from_key(key)

    def has_times(self):
        return bool(self.fields["slot"].choices)


NO_PHOTOS_HERE = _("Please do not send photos here: we ask for them separately when we need them.")


class InfoForm(PatientFormMixin, forms.Form):
    """The patient's answer to "please add…": a text box, or photos when photos were asked for."""

    text = forms.CharField(
        label=_("The information we asked for"),
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "maxlength": 4000}),
        max_length=4000,
        required=False,
        strip=True,
        help_text=_("Only the clinic's staff can read it."),
    )
    photos = PhotosField(label=_("Your photos"))

    def __init__(self, *args, topic="", **kwargs):
        super().__init__(*args, auto_id="info_%s", **kwargs)
        self.topic = topic
        self.wants_photos = topic == InfoTopic.PHOTOS
        if self.wants_photos:
            self.fields["text"].label = _("Anything you would like to add (optional)")
            self.order_fields(["photos", "text"])  # the photos asked for first, on the page and in the summary
        else:
            del self.fields["photos"]
        self.style_widgets()
        if not self.wants_photos:
            text = self.fields["text"]
            text.help_text = f"{text.help_text} {NO_PHOTOS_HERE}"

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self.wants_photos and not cleaned.get("photos"):
            self.add_error(
                "photos", forms.ValidationError(_("Choose the photos we asked for, or call us."), code="required")
            )
        elif not self.wants_photos and not cleaned.get("text"):
            self.add_error(
                "text", forms.ValidationError(_("Write the information we asked for, or call us."), code="required")
            )
        return cleaned

    def clean_text(self):
        return strip_disguising_characters(self.cleaned_data["text"])


class CancelForm(forms.Form):
    """Nothing to fill in: the button is the answer (layouts.cancel)."""


class ConfirmHoldForm(forms.Form):
    """Nothing to fill in: the button by which the patient says they want the held time (it then
    does not lapse: workflow.confirm_hold; layouts.confirm_hold)."""


class AttendanceForm(forms.Form):
    """Confirm or release (issue 27): nothing to fill in, two buttons (layouts.attendance). "Yes, I
    will come" stores the confirmation; "Release my time" cancels the booking and frees the time."""
