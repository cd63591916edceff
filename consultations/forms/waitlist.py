"""The waitlist's choices (issue 27): any time, or chosen weekdays and parts of the day.

The same fields on the intake form (prefixed "waitlist_", behind a "tell me" box) and on the
self-service waitlist page; `cleaned_choices` turns them into what waitlist.join() takes.
"""

import functools

from crispy_forms.layout import Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import ErrorSummary, PatientFormHelper, PatientFormMixin, link

from ..models import DayPart, Provider, WorkingHours

ANY, CHOSEN = "any", "chosen"
WHEN_CHOICES = [(ANY, _("Any day and time")), (CHOSEN, _("Only on the days and at the times I choose"))]


class SecondarySubmit(Submit):
    """A patient's button for a step back, not the page's main action."""

    field_classes = "btn btn-outline-secondary"


NOTHING_CHOSEN = _("Choose at least one day or part of the day, or choose “Any day and time”.")


def when_field():
    return forms.ChoiceField(
        label=_("Which times suit you?"),
        choices=WHEN_CHOICES,
        initial=ANY,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the options.")},
    )


def days_field():
    return forms.TypedMultipleChoiceField(
        label=_("Days (optional)"),
        choices=WorkingHours.Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any day."),
        error_messages={"invalid_choice": _("Choose days from the list.")},
    )


def parts_field():
    return forms.TypedMultipleChoiceField(
        label=_("Parts of the day (optional)"),
        choices=DayPart.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("In the clinic's local time. None ticked: any time of day."),
        error_messages={"invalid_choice": _("Choose parts of the day from the list.")},
    )


def cleaned_choices(form, when, days, parts, *, days_name, when_name):
    """(days, parts) for waitlist.join(); "any" clears both. Adds a field error when "chosen" names none."""
    if when != CHOSEN:
        return [], []
    if not days and not parts:
        form.add_error(when_name, forms.ValidationError(NOTHING_CHOSEN, code="nothing_chosen"))
    return list(days or []), list(parts or [])


class WaitlistForm(PatientFormMixin, forms.Form):
    """Join the waitlist or change one's choices (self-service page)."""

    when = when_field()
    days = days_field()
    parts = parts_field()
    provider = forms.ModelChoiceField(
        label=_("Provider"),
        queryset=Provider.objects.filter(active=True),
        required=False,
        empty_label=_("Any provider"),
        error_messages={"invalid_choice": _("Choose a provider from the list.")},
    )

    def __init__(self, *args, entry=None, action="", **kwargs):
        if entry is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "when": ANY if entry.any_time else CHOSEN,
                "days": entry.weekdays,
                "parts": [int(part) for part in entry.day_parts],
                "provider": entry.provider_id,
            }
        super().__init__(*args, auto_id="waitlist_%s", **kwargs)
        self.joined, self.action = entry is not None, action
        self.style_widgets()

    @functools.cached_property
    def helper(self):
        helper = PatientFormHelper(self)
        helper.form_action = self.action
        helper.layout = Layout(
            ErrorSummary(_("There is a problem"), level=2),
            "when",
            "days",
            "parts",
            "provider",
            Submit("join", _("Save my choices") if self.joined else _("Put me on the waitlist")),
        )
        return helper

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            cleaned["days"], cleaned["parts"] = cleaned_choices(
                self,
                cleaned.get("when"),
                cleaned.get("days"),
                cleaned.get("parts"),
                days_name="days",
                when_name="when",
            )
        return cleaned


class LeaveWaitlistForm(forms.Form):
    """Nothing to fill in: the button that takes the request off the list, and a way back."""

    def __init__(self, *args, action="", back_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PatientFormHelper(self)
        self.helper.form_action = action
        self.helper.form_class = "d-flex flex-wrap gap-3 align-items-center"
        self.helper.layout = Layout(
            SecondarySubmit("leave", _("Leave the waitlist")),
            link(back_url, _("Back to your request")),
        )


class AcceptOfferForm(forms.Form):
    """The offer page's one button (a POST: opening the emailed link never takes the time)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PatientFormHelper(self)
        self.helper.layout = Layout(Submit("accept", _("Yes, give me this time"), css_class="btn-lg"))
