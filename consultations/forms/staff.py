"""The forms on the staff request page: the extra input a workflow button needs, and notes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import workflow
from ..models import DeclineReason, InfoTopic, Note


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


class ApproveForm(ActionForm):
    """Approving a Do-not-treat or Postpone request takes a ticked acknowledgement, stored with the change."""

    acknowledged = forms.BooleanField(
        label=_("I have read the flags and approve this request anyway"),
        required=False,
    )

    def __init__(self, *args, consultation=None, **kwargs):
        super().__init__(*args, **kwargs)
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


ACTION_FORMS = {"approve": ApproveForm, "decline": DeclineForm, "request_info": RequestInfoForm}
# Sent by the confirmation page only: a click on the request page leads there first.
CONFIRMED = "confirmed"


def action_form(action_name, data=None, consultation=None):
    form_class = ACTION_FORMS.get(action_name)
    if form_class is None:
        return None
    kwargs = {"consultation": consultation} if form_class is ApproveForm else {}
    form = form_class(data, prefix=action_name, **kwargs)
    return form if form.fields else None
