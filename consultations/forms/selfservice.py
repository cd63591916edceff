"""The forms on the patient's self-service page: moving the time (the intake form's time picker)
and answering what the clinic asked for (text, or photos with the intake's checks)."""

import functools

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.text import strip_disguising_characters

from ..availability import Slot
from ..models import InfoTopic
from . import timechoice
from .intake import PhotosField, mark_limit


class MoveForm(forms.Form):
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
        field.widget.attrs["class"] = "form-select"

    def clean_slot(self):
        key = self.cleaned_data["slot"]
        if not key:
            raise forms.ValidationError(_("Choose a new time from the list."), code="required")
        return Slot.from_key(key)

    def full_clean(self):
        super().full_clean()
        self.mark_errors()

    def mark_errors(self):
        """Style the field and tie its error to it; again after a booking error added later."""
        if "slot" in self.errors and "is-invalid" not in self.fields["slot"].widget.attrs["class"]:
            self.fields["slot"].widget.attrs["class"] += " is-invalid"
        timechoice.describe(self, "slot")

    def has_times(self):
        return bool(self.fields["slot"].choices)


class InfoForm(forms.Form):
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
        else:
            del self.fields["photos"]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
        mark_limit(self.fields["text"])

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

    def full_clean(self):
        super().full_clean()
        for name, field in self.fields.items():
            bound = self[name]
            ids = [f"{bound.auto_id}_helptext"]
            if name in self.errors:
                field.widget.attrs["class"] += " is-invalid"
                ids.append(f"{bound.auto_id}_error")
            field.widget.attrs["aria-describedby"] = " ".join(ids)

    def clean_text(self):
        return strip_disguising_characters(self.cleaned_data["text"])
