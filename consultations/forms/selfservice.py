"""The forms on the patient's self-service page (moving the time, adding information)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.text import strip_disguising_characters

from ..availability import Slot


class MoveForm(forms.Form):
    slot = forms.CharField(
        label=_("New time"), error_messages={"required": _("Choose a new time from the list.")}, max_length=100
    )

    def clean_slot(self):
        try:
            return Slot.from_key(self.cleaned_data["slot"])
        except ValueError:
            raise forms.ValidationError(_("Choose a new time from the list."), code="invalid") from None


class InfoForm(forms.Form):
    text = forms.CharField(
        label=_("The information we asked for"),
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off"}),
        max_length=4000,
        strip=True,
        error_messages={"required": _("Write the information we asked for, or call us.")},
    )

    def clean_text(self):
        return strip_disguising_characters(self.cleaned_data["text"])
