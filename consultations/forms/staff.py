"""The forms on the staff request page: each workflow button with the extra input it needs, and notes.

Fields and validation only. The admin's templates write them out: the request page shows an
action's fields and button (change_form.html), the confirmation step (for an action that emails
the patient) the same fields again with the confirming button and a way back (confirm_action.html).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.text import strip_disguising_characters

from .. import workflow
from ..models import DeclineReason, InfoTopic, Note

# Sent by the confirmation page only (confirm_action.html): a click on the request page leads there first.
CONFIRMED = "confirmed"


class ActionForm(forms.Form):
    """A workflow button with the extra input it needs (none here); arguments() is what the
    workflow function takes."""

    def __init__(self, data=None, *, action, consultation=None, **kwargs):
        super().__init__(data, prefix=action.name, **kwargs)
        self.action = action

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


class ApproveForm(ActionForm):
    """Approving a Do-not-treat or Postpone request takes a ticked acknowledgement, stored with the change."""

    acknowledged = forms.BooleanField(
        label=_("I have read the flags and approve this request anyway"),
        required=False,
    )

    def __init__(self, *args, consultation=None, **kwargs):
        super().__init__(*args, consultation=consultation, **kwargs)
        self.needs_acknowledgement = consultation is not None and workflow.needs_acknowledgement(consultation)
        if self.needs_acknowledgement:
            self.fields["acknowledged"].required = True
            self.fields["acknowledged"].error_messages["required"] = _(
                "This request is flagged “%(flag)s”: tick the box to confirm you have read the flags."
            ) % {"flag": consultation.get_worst_flag_display()}
        else:
            del self.fields["acknowledged"]

    def arguments(self):
        return {"acknowledged": self.cleaned_data.get("acknowledged", False)}


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["text"]
        labels = {"text": _("Add an internal note")}
        help_texts = {"text": _("Seen by clinic staff only, never by the patient. Notes cannot be edited later.")}
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "maxlength": 4000})}

    def clean_text(self):
        # Cleaned like the patients' free text: a note of only invisible characters is an empty note.
        return strip_disguising_characters(self.cleaned_data["text"])


ACTION_FORMS = {"approve": ApproveForm, "decline": DeclineForm, "request_info": RequestInfoForm}


def action_form(action_name, data=None, consultation=None):
    """The form behind a workflow button: the button alone, or with the input the action needs."""
    form_class = ACTION_FORMS.get(action_name, ActionForm)
    return form_class(data, action=workflow.ACTIONS[action_name], consultation=consultation)
