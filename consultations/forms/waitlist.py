"""The waitlist's choices (issue 27): any time, or chosen weekdays and parts of the day.

The same fields on the intake form (prefixed "waitlist_", behind a "tell me" box) and on the
self-service waitlist page; `cleaned_choices` turns them into what waitlist.join() takes.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import PatientFormMixin

from ..models import DayPart, Provider, WorkingHours
from . import policy

ANY, CHOSEN = "any", "chosen"
WHEN_CHOICES = [(ANY, _("Any day and time")), (CHOSEN, _("Only on the days and at the times I choose"))]


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

    def __init__(self, *args, entry=None, **kwargs):
        if entry is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "when": ANY if entry.any_time else CHOSEN,
                "days": entry.weekdays,
                "parts": [int(part) for part in entry.day_parts],
                "provider": entry.provider_id,
            }
        super().__init__(*args, auto_id="waitlist_%s", **kwargs)
        self.joined = entry is not None
        self.style_widgets()

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
    """Nothing to fill in: the button that takes the request off the list (layouts.leave_waitlist)."""


class AcceptOfferForm(PatientFormMixin, forms.Form):
    """The offer page's one button (layouts.accept_offer). Pressing it accepts the cancellation
    policy in force as the page showed it: one published since the page was opened is shown and
    asked for again, never accepted unseen (the time is not taken meanwhile)."""

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy

    def clean(self):
        if policy.changed(self):
            raise forms.ValidationError(
                _(
                    "Our cancellation policy changed after you opened this page. Please read it again: pressing the button accepts it."
                ),
                code="policy_changed",
            )
        return super().clean()
