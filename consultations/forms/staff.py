"""The forms on the staff request page: the extra input a workflow button needs, and notes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import DeclineReason, Note
from ..workflow import InfoTopic


class ActionForm(forms.Form):
    """The extra input a workflow button needs; arguments() is what the workflow function takes."""

    def arguments(self):
        return self.cleaned_data


class DeclineForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason…")), *DeclineReason.choices],
        help_text=_("Kept in the clinic's records; the patient is told by phone, never by email."),
        error_messages={"required": _("Choose why the request is declined.")},
    )


class RequestInfoForm(ActionForm):
    topic = forms.ChoiceField(
        label=_("What is needed"),
        choices=InfoTopic.choices,
        help_text=_("The patient's email says this and links to a private page to add it."),
    )


class CancelForm(ActionForm):
    # One click would otherwise free a booked time and email the patient: ask once.
    confirm = forms.BooleanField(
        label=_("Yes, cancel it and email the patient"),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )

    def arguments(self):
        return {}


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["text"]
        labels = {"text": _("Add an internal note")}
        help_texts = {"text": _("Seen by clinic staff only, never by the patient. Notes cannot be edited later.")}
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "maxlength": 4000})}


ACTION_FORMS = {"decline": DeclineForm, "request_info": RequestInfoForm, "cancel": CancelForm}


def action_form(action_name, data=None):
    form_class = ACTION_FORMS.get(action_name)
    return form_class(data, prefix=action_name) if form_class else None
