"""The forms on the patient's self-service pages: moving the time (the intake form's time picker),
answering what the clinic asked for (text, or photos with the intake's checks) and cancelling.

Each carries its crispy layout (helpers in clinic/forms.py); the pages render {% crispy form %}.
"""

import functools

from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.forms import DangerSubmit, ErrorSummary, PatientFormHelper, PatientFormMixin, link
from clinic.text import strip_disguising_characters

from ..availability import Slot
from ..models import InfoTopic
from . import timechoice
from .intake import PhotosField

PROBLEM = _("There is a problem")
BUTTONS = "d-flex flex-wrap gap-3 align-items-center"


class MoveForm(PatientFormMixin, forms.Form):
    """The same time picker as the intake form (consultations/timechoice.py)."""

    slot = timechoice.SlotChoiceField(
        label=_("New time"),
        error_messages={
            "required": _("Choose a new time from the list."),
            "invalid_choice": _("Choose a new time from the list."),
        },
    )

    def __init__(self, *args, consultation, moves_left=None, back_url="", **kwargs):
        super().__init__(*args, auto_id="%s", **kwargs)
        held = Slot.of(consultation)
        self.held, self.back_url = held, back_url
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
        self.style_widgets()

    @functools.cached_property
    def helper(self):
        helper = PatientFormHelper(self)
        helper.label_class = "fw-semibold"
        held = self.held is not None
        helper.layout = Layout(
            ErrorSummary(PROBLEM),
            Field("slot", wrapper_class="time-field"),
            Div(
                Submit("move", _("Move to this time") if held else _("Choose this time")),
                link(self.back_url, _("Keep my current time") if held else _("Back to your request")),
                css_class=f"{BUTTONS} mt-3",
            ),
        )
        return helper

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

    def __init__(self, *args, topic="", action="", **kwargs):
        super().__init__(*args, auto_id="info_%s", **kwargs)
        self.topic, self.action = topic, action
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

    @functools.cached_property
    def helper(self):
        helper = PatientFormHelper(self)
        helper.form_action = self.action
        helper.layout = Layout(
            # The section's heading is an <h2>: the summary's comes under it.
            ErrorSummary(PROBLEM, level=3),
            *self.fields,
            Submit("send", _("Send the photos") if self.wants_photos else _("Send the information")),
        )
        return helper

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
    """Nothing to fill in: the button that cancels, and a way back that changes nothing."""

    def __init__(self, *args, back_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PatientFormHelper(self)
        self.helper.form_class = BUTTONS
        self.helper.layout = Layout(
            DangerSubmit("cancel", _("Yes, cancel my request")), link(back_url, _("No, keep it"))
        )


class ConfirmHoldForm(forms.Form):
    """Nothing to fill in: the button by which the patient says they want the held time (it then
    does not lapse: workflow.confirm_hold)."""

    def __init__(self, *args, action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PatientFormHelper(self)
        self.helper.form_action = action
        self.helper.form_class = BUTTONS
        self.helper.layout = Layout(Submit("confirm", _("Yes, I want this time")))


class AttendanceForm(forms.Form):
    """Confirm or release (issue 27): nothing to fill in, two buttons. "Yes, I will come" stores the
    confirmation; "Release my time" cancels the booking and frees the time for someone else."""

    def __init__(self, *args, action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PatientFormHelper(self)
        self.helper.form_action = action
        self.helper.form_class = BUTTONS
        self.helper.layout = Layout(
            Submit("confirm", _("Yes, I will come")), DangerSubmit("release", _("No, release my time"))
        )
