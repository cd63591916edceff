"""The forms after the visit: the provider's treatment record, its correction and the complication
record, the lot search (staff: written in the admin's templates), and the patient's check-in
(its layout is consultations/layouts.py).

The product and areas offered are the treatment's approved ones (aftercare.approved_products):
what a reviewer signed, not free text, so a recall finds every patient by the same names.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic import formatting
from clinic.forms import PatientFormMixin
from clinic.text import strip_disguising_characters

from ..aftercare import approved_products
from ..models import CheckIn, Complication, Provider, TreatmentRecord, WarningSign, normalise_lot

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TreatmentRecordForm(forms.ModelForm):
    """What was given. `now` is the clock the checks use (a treatment cannot be given in the future)."""

    product = forms.ChoiceField(label=_("Product"))
    areas = forms.MultipleChoiceField(
        label=_("Areas treated"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one area.")},
    )
    given_at = forms.DateTimeField(label=_("Given at"), widget=DATETIME_INPUT)
    expiry = forms.DateField(label=_("Lot expiry date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        help_text=_("Kept with the earlier version, which stays in the record's history."),
    )

    class Meta:
        model = TreatmentRecord
        fields = ["product", "areas", "amount_ml", "lot_number", "expiry", "injector", "given_at"]
        help_texts = {"lot_number": _("As printed on the syringe's label.")}

    def __init__(self, *args, consultation, now, correcting=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.now, self.correcting = now, correcting
        products, areas = approved_products(consultation.treatment)
        current = self.instance.product if self.instance.pk else ""
        # A record made before the approved page changed keeps its product among the choices.
        extra = [current] if current and current not in products else []
        self.fields["product"].choices = [(p, p) for p in products + extra]
        chosen = list(self.instance.areas or []) if self.instance.pk else []
        self.fields["areas"].choices = [(a, a) for a in areas + [a for a in chosen if a not in areas]]
        self.fields["injector"].queryset = Provider.objects.filter(user__is_active=True)
        self.fields["amount_ml"].widget.attrs.update({"min": "0.01", "step": "0.01"})
        if not correcting:
            del self.fields["reason"]

    def clean_lot_number(self):
        lot = normalise_lot(self.cleaned_data["lot_number"])
        if not lot:
            raise forms.ValidationError(_("Enter the lot number."), code="required")
        return lot

    def clean_given_at(self):
        given = self.cleaned_data["given_at"]
        if given > self.now:
            raise forms.ValidationError(_("The time given cannot be in the future."), code="future")
        return given

    def clean(self):
        cleaned = super().clean()
        expiry, given = cleaned.get("expiry"), cleaned.get("given_at")
        if expiry and given and expiry < formatting.local(given).date():
            self.add_error(
                "expiry",
                forms.ValidationError(
                    _("This lot had expired on the day of the treatment: check the label."), code="expired"
                ),
            )
        return cleaned

    def values(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ComplicationForm(forms.ModelForm):
    actions = forms.MultipleChoiceField(
        label=_("What was done"),
        choices=Complication.Action.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    seriousness = forms.MultipleChoiceField(
        label=_("Seriousness (MedWatch outcomes)"),
        choices=Complication.Seriousness.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick all that apply; none for a non-serious event."),
    )
    onset_at = forms.DateTimeField(label=_("Onset"), widget=DATETIME_INPUT)

    class Meta:
        model = Complication
        fields = ["record", "kind", "onset_at", "description", "actions", "action_details", "outcome", "seriousness"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "action_details": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"action_details": _("For example the hyaluronidase dose, or who the patient was referred to.")}

    def __init__(self, *args, consultation, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.fields["record"].queryset = consultation.treatment_records.all()
        self.fields["record"].label_from_instance = lambda r: (
            f"{r.product}, lot {r.lot_number} ({formatting.local(r.given_at):%Y-%m-%d})"
        )

    def clean_onset_at(self):
        onset = self.cleaned_data["onset_at"]
        if onset > self.now:
            raise forms.ValidationError(_("The onset cannot be in the future."), code="future")
        return onset

    def values(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class LotSearchForm(forms.Form):
    lot = forms.CharField(label=_("Lot number"), max_length=40, help_text=_("As printed on the recall notice."))

    def clean_lot(self):
        lot = normalise_lot(self.cleaned_data["lot"])
        if not lot:
            raise forms.ValidationError(_("Enter the lot number."), code="required")
        return lot


class CheckInForm(PatientFormMixin, forms.Form):
    """How the treated area looks and feels, the warning signs asked plainly, and a free line."""

    feeling = forms.ChoiceField(
        label=_("How does the treated area look and feel?"),
        choices=CheckIn.Feeling.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose the answer closest to how it is.")},
    )
    signs = forms.MultipleChoiceField(
        label=_("Do you have any of these now?"),
        choices=WarningSign.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick every one that applies. Leave them all empty if you have none."),
    )
    # Which day's form this was: a newer check-in may have opened since it was shown.
    day = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label=_("Anything else you would like us to know (optional)"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        max_length=1000,
        required=False,
        strip=True,
    )

    def __init__(self, *args, day=None, **kwargs):
        super().__init__(*args, auto_id="checkin_%s", initial={"day": day}, **kwargs)
        self.style_widgets()

    def clean_note(self):
        return strip_disguising_characters(self.cleaned_data["note"])


class RecallContactForm(forms.Form):
    """Tick who gets the "please contact us" email (everyone found, to start with)."""

    lot = forms.CharField(widget=forms.HiddenInput)
    reference = forms.MultipleChoiceField(
        label=_("Email these patients “please contact us”"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one patient.")},
    )

    def __init__(self, *args, rows=(), lot="", **kwargs):
        initial = {"lot": lot, "reference": [row["reference"] for row in rows]}
        # Its own ids: the search form above has a "lot" field too.
        super().__init__(*args, initial=initial, auto_id="contact_%s", **kwargs)
        self.fields["reference"].choices = [(row["reference"], f"{row['reference']} ({row['name']})") for row in rows]
