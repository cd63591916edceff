"""The patient intake form.

The form is built for one treatment: its areas become checkboxes and each of its
precautions with a screening question becomes a Yes/No/Not sure radio group, the
same records the treatment page shows. Hidden fields carry what the page was
rendered with (treatment, privacy notice version, a signed submission token), so
a change in between is noticed instead of silently saved. How it looks is
consultations/layouts.py (intake).
"""

import datetime
import functools
import re
from dataclasses import dataclass

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.forms.utils import ErrorDict
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic import conf
from clinic.formatting import clinic_today
from clinic.forms import PatientFormMixin
from clinic.text import has_disguising_characters, strip_disguising_characters
from education.models import Treatment, TreatmentArea

from .. import availability, photos
from ..availability import Slot
from ..models import CancellationPolicy, ConsultationRequest, PrivacyNotice, ScreeningAnswer, age_on
from . import policy, timechoice
from . import waitlist as waitlist_fields
from .mixins import HONEYPOT, SubmissionTokenMixin
from .timechoice import SlotChoiceField

SLOT_TAKEN = _(
    "Sorry, that time was just taken by someone else. Please choose another time; the list shows the times still open."
)

PHOTO_BUDGET_USED = _(
    "You have sent photos many times in a short while. Please try again in an hour, or send the form "
    "without photos: we will ask you for them if we need them."
)

MIN_AGE = 18
# "Tell me if an earlier time opens" and its choices (forms/waitlist.py), under the time picker.
# IntakeForm(policy=…) not given: the form reads the cancellation policy in force itself (None is
# an answer: no policy in force, nothing to accept).
UNREAD = object()

WAITLIST_FIELDS = ["waitlist", "waitlist_when", "waitlist_days", "waitlist_parts"]
OLDEST_AGE = 120


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to three photos, each checked and re-encoded; cleans to a list of photos.CleanPhoto.

    deferred=True: clean() makes only the cheap checks (how many, how large) and returns the
    uploads; the form decodes them (photos.clean_photos) once everything else is valid."""

    widget = MultipleFileInput

    def __init__(self, *, deferred=False, **kwargs):
        self.deferred = deferred
        # The same rules wherever a patient sends photos (the intake form, the self-service page).
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": photos.ACCEPT}))
        kwargs.setdefault(
            "help_text",
            _(
                "Up to 3 photos, JPEG, PNG or WebP, 10 MB each at most. We remove location and camera "
                "details from them. Only the clinic's providers can see them."
            ),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data or []) if upload]
        if not uploads:
            return []
        if len(uploads) > photos.MAX_FILES:
            raise ValidationError(
                _("Please choose at most %(max)d photos (you chose %(count)d)."),
                code="too_many",
                params={"max": photos.MAX_FILES, "count": len(uploads)},
            )
        errors = []
        for upload in uploads:
            try:
                super().clean(upload)
                if upload.size > photos.MAX_BYTES:
                    raise photos.too_large(upload)
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return uploads if self.deferred else photos.clean_photos(uploads)


DATE_SHAPE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class RealDateField(forms.DateField):
    """A date typed as 2026-02-30 is well formed but does not exist: say that, not "enter a date"."""

    default_error_messages = {"nonexistent": _("That date does not exist. Please check the day and the month.")}

    def to_python(self, value):
        match = DATE_SHAPE.match(value) if isinstance(value, str) else None
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                raise ValidationError(self.error_messages["nonexistent"], code="nonexistent") from None
        return super().to_python(value)


class TreatmentChoiceField(forms.ModelChoiceField):
    """The treatment select: the one the form was built for (nearly every send) needs no query."""

    known = None

    def to_python(self, value):
        if self.known is not None and value == self.known.slug:
            return self.known
        return super().to_python(value)


def area_label(area):
    """An area as the form offers it: "Lips", or "Fine lines (Not an approved use in the US)"."""
    if area.status == TreatmentArea.Status.FDA_APPROVED:
        return area.name
    return f"{area.name} ({area.get_status_display()})"


@dataclass(frozen=True)
class Questions:
    """What the form asks about one treatment in one language, as a reviewer signed it: the screening
    precautions, whether no named reviewer signed them yet, the language they are asked in, and the
    signed age under which a request is flagged. Read-only: the view keeps one per content version."""

    precautions: tuple
    unsigned: bool
    language: str
    labeled_min_age: int | None
    # The areas a patient may tick: an unevaluated queryset (each form takes its own copy), and
    # whether there are any.
    areas: object
    has_areas: bool

    @classmethod
    def of(cls, treatment, language):
        with translation.override(language):
            precautions = tuple(treatment.screening_precautions())
        unsigned, asked_in = treatment.screening_status(language)
        # Products only sold outside the US are on the page for completeness; a US clinic
        # cannot offer them, so they are not areas a patient can ask about.
        areas = treatment.areas.exclude(status=TreatmentArea.Status.NO_US_APPROVAL_FOUND)
        return cls(precautions, unsigned, asked_in, treatment.approved_labeled_min_age(), areas, areas.exists())


class IntakeForm(PatientFormMixin, SubmissionTokenMixin, forms.ModelForm):
    # Server-side validation only: the browser's own bubbles are not announced consistently and
    # cannot be styled; every error is shown in the summary and next to its field instead.
    use_required_attribute = False

    treatment = TreatmentChoiceField(
        label=_("Treatment you are interested in"),
        queryset=Treatment.objects.published(),
        to_field_name="slug",
        empty_label=None,
        help_text=_(
            "The areas and health questions below are for this treatment. If you change it, we show you "
            "the new treatment's questions before your request is sent."
        ),
        error_messages={
            "required": _("Please choose a treatment."),
            "invalid_choice": _("Please choose one of the treatments in the list."),
        },
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas of concern (optional)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick any that apply. Your provider will talk them through with you."),
        error_messages={
            "invalid_choice": _("Please choose areas from the list."),
            "invalid_pk_value": _("Please choose areas from the list."),
        },
    )
    pregnancy = forms.ChoiceField(
        label=_("Are you pregnant, could you be pregnant, or are you breastfeeding?"),
        choices=ScreeningAnswer.Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please answer this question.")},
    )
    # Decoded last, once every other field and the submission token are valid (full_clean).
    photos = PhotosField(label=_("Photos of the areas of concern (optional)"), deferred=True)
    preferred_time = SlotChoiceField(label=_("Preferred time"), required=False)
    # The waitlist (issue 27): optional, with a chosen time or with "No preference".
    waitlist = forms.BooleanField(
        label=_("Tell me if an earlier time opens"),
        required=False,
        help_text=_("We email you a link when a time that suits you frees up; you choose whether to take it."),
    )
    waitlist_when = waitlist_fields.when_field()
    waitlist_days = waitlist_fields.days_field()
    waitlist_parts = waitlist_fields.parts_field()
    # The cancellation policy (issue 27): accepted with the chosen time; not asked for "No preference".
    accept_policy = policy.accept_field()
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that the clinic may use my answers to assess my request."),
        error_messages={"required": _("Please confirm that you have read the privacy notice.")},
    )

    class Meta:
        model = ConsultationRequest
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "treatment",
            "goals",
            "previous_treatments",
            "pregnancy",
            "medications",
            "allergies",
        ]
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "email": _("Email address"),
            "phone": _("Mobile phone number"),
            "date_of_birth": _("Date of birth"),
            "goals": _("What would you like to change or achieve?"),
            "previous_treatments": _("Previous aesthetic treatments (optional)"),
            "medications": _("Current medicines and supplements (optional)"),
            "allergies": _("Allergies (optional)"),
        }
        help_texts = {
            "email": _("We send your reference code here. Our emails never contain your health information."),
            "phone": _("We may call or text you about your appointment."),
            "date_of_birth": _("You need to be 18 or older."),
            "goals": _("In your own words, 10 to 2000 characters."),
            "previous_treatments": _("Which treatments, roughly when, and any complications."),
            "medications": _(
                "Include blood thinners (such as warfarin), aspirin, anti-inflammatory painkillers (NSAIDs such as "
                "ibuprofen or naproxen) and supplements (such as fish oil, vitamin E or ginkgo)."
            ),
            "allergies": _("For example to medicines, lidocaine or other numbing injections, or latex."),
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "date_of_birth": forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
            "goals": forms.Textarea(attrs={"rows": 4}),
            "previous_treatments": forms.Textarea(attrs={"rows": 3}),
            "medications": forms.Textarea(attrs={"rows": 3}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"date_of_birth": RealDateField}
        error_messages = {
            "first_name": {"required": _("Please enter your first name.")},
            "last_name": {"required": _("Please enter your last name.")},
            "email": {
                "required": _("Please enter your email address."),
                "invalid": _("Please enter an email address like name@example.com."),
            },
            "phone": {"required": _("Please enter your mobile phone number.")},
            "date_of_birth": {
                "required": _("Please enter your date of birth."),
                "invalid": _("Please enter a real date of birth, for example 1990-04-21."),
            },
            "goals": {"required": _("Please tell us what you would like to change or achieve.")},
        }

    def __init__(
        self,
        data=None,
        files=None,
        *,
        treatment,
        photo_budget=None,
        questions=None,
        notice=None,
        policy=UNREAD,
        **kwargs,
    ):
        """questions (Questions) and notice (the PrivacyNotice in force): read here unless given."""
        super().__init__(data, files, **kwargs)
        self.treatment = treatment
        # Called before photos are decoded: falsy when this client has used up its photo budget.
        self.photo_budget = photo_budget
        self.notice = notice or PrivacyNotice.current()
        self.policy = policy if policy is not UNREAD else CancellationPolicy.current()
        self.fields["treatment"].initial = treatment
        # The view found it among the published treatments: sent back unchanged, it is valid as it is.
        self.fields["treatment"].known = treatment
        self.questions = questions or Questions.of(treatment, translation.get_language() or settings.LANGUAGE_CODE)
        self.precautions = list(self.questions.precautions)
        self.fields["areas"].queryset = self.questions.areas  # a copy (ModelChoiceField takes .all())
        # An area whose use is not FDA-approved says so on the form too, as on the page (issue 22).
        self.fields["areas"].label_from_instance = area_label
        # People type phone numbers with spaces, brackets and extensions: allow that much, store E.164.
        self.fields["phone"] = forms.CharField(
            label=self.fields["phone"].label,
            help_text=self.fields["phone"].help_text,
            max_length=40,
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
            error_messages={"required": _("Please enter your mobile phone number.")},
        )
        self.fields["goals"].validators.append(
            MinLengthValidator(10, _("Please tell us a little more (at least %(limit_value)d characters)."))
        )
        # Worked out only if the form is shown: a valid POST never needs the list.
        self.fields["preferred_time"].choices = functools.cache(timechoice.choices)
        self.fields["preferred_time"].initial = ""
        self.fields["preferred_time"].help_text = timechoice.help_text(
            _(
                "Choose a time and we hold it for you until a provider has reviewed your answers and the clinic "
                "confirms it. If none suits you, choose “No preference” and we will call you."
            )
        )
        self.fields[HONEYPOT].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

        for precaution in self.precautions:
            self.fields[self.question_name(precaution)] = forms.ChoiceField(
                label=precaution.question,
                choices=ScreeningAnswer.Answer.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Please answer this question.")},
            )

        # The patient answered the questions of the treatment the page was rendered for.
        rendered_for = self.data.get("rendered_for") if self.is_bound else None
        self.treatment_changed = bool(rendered_for) and rendered_for != treatment.slug
        self.previous_treatment, self.kept_answers = None, 0
        if self.treatment_changed:
            self._keep_shared_answers(rendered_for)
        self.notice_changed = self.is_bound and self.data.get("notice_version") != self.notice.version
        # Browsers never re-send a chosen file, so a re-rendered form must say so.
        self.photos_lost = bool(self.is_bound and self.files and self.files.get("photos"))
        questions = [self.question_name(precaution) for precaution in self.precautions]
        self.order_fields(self.BEFORE_QUESTIONS + questions + self.AFTER_QUESTIONS)
        self.style_widgets()

    def _keep_shared_answers(self, rendered_for):
        """After a change of treatment, carry over the answers to questions both treatments ask
        (same wording), so the patient answers only what is new."""
        self.previous_treatment = Treatment.objects.published().filter(slug=rendered_for).first()
        if self.previous_treatment is None:
            return
        given = {}
        for old in self.previous_treatment.precautions.exclude(question=""):
            answer = self.data.get(self.question_name(old))
            if answer in ScreeningAnswer.Answer.values:
                given[" ".join(old.question.lower().split())] = answer
        data = self.data.copy()
        for precaution in self.precautions:
            answer = given.get(" ".join(precaution.question.lower().split()))
            name = self.question_name(precaution)
            if answer and not data.get(name):
                data[name] = answer
                self.kept_answers += 1
        self.data = data

    # Field order on the page (layouts.intake places them so), so the error summary lists problems
    # top to bottom; the treatment's own screening questions come first in "Health screening".
    BEFORE_QUESTIONS = [
        *("first_name", "last_name", "email", "phone", "date_of_birth"),
        *("treatment", "areas", "goals", "previous_treatments"),
    ]
    AFTER_QUESTIONS = [
        "pregnancy",
        "medications",
        "allergies",
        "photos",
        "preferred_time",
        "accept_policy",
        *WAITLIST_FIELDS,
        "consent",
    ]

    def time_taken(self):
        """After losing a race for the chosen time: say so at the field and offer what is open now."""
        self.add_error("preferred_time", ValidationError(SLOT_TAKEN, code="slot_taken"))
        self.fields["preferred_time"].choices = functools.cache(timechoice.choices)

    @staticmethod
    def question_name(precaution):
        return f"precaution_{precaution.pk}"

    # --- Groups for the layout (consultations/layouts.py) ---------------------------------

    def screening_fields(self):
        return [self[self.question_name(precaution)] for precaution in self.precautions]

    @property
    def non_field_error_target(self):
        # After a change of treatment the message is about the new health questions.
        return "screening" if self.treatment_changed else ""

    # --- Validation -------------------------------------------------------------------

    FREE_TEXT = ["goals", "previous_treatments", "medications", "allergies"]

    @staticmethod
    def _plain_name(value):
        if has_disguising_characters(value):
            raise ValidationError(
                _("Please type your name with letters only: it contains an invisible or control character."),
                code="disguising_characters",
            )
        return value.strip()

    def clean_first_name(self):
        return self._plain_name(self.cleaned_data["first_name"])

    def clean_last_name(self):
        return self._plain_name(self.cleaned_data["last_name"])

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        invalid = ValidationError(
            _("Please enter a mobile number we can call, for example (207) 555-0134."), code="invalid_phone"
        )
        try:
            number = phonenumbers.parse(value, conf.clinic("PHONE_REGION"))
        except phonenumbers.NumberParseException:
            raise invalid from None
        if not phonenumbers.is_valid_number(number):
            raise invalid
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = clinic_today()
        if born > today:
            raise ValidationError(_("Your date of birth cannot be in the future."), code="future")
        age = age_on(today, born)
        if age > OLDEST_AGE:
            raise ValidationError(_("Please check the year of your date of birth."), code="too_old")
        if age < MIN_AGE:
            raise ValidationError(
                _("Sorry, we can only see adults: you need to be 18 or older to ask for a consultation."),
                code="under_age",
            )
        return born

    def clean_preferred_time(self):
        key = self.cleaned_data["preferred_time"]
        if not key:
            return None
        slot = Slot.from_key(key)
        # Checked here for a clear message; the database constraint settles a race at save time.
        if not availability.is_open(slot):
            raise ValidationError(SLOT_TAKEN, code="slot_taken")
        return slot

    def clean_consent(self):
        if self.notice_changed:
            raise ValidationError(
                _("Our privacy notice changed after you opened this form. Please read it again and tick the box."),
                code="notice_changed",
            )
        return self.cleaned_data["consent"]

    def clean(self):
        cleaned = super().clean()
        policy.check(self, cleaned, cleaned.get("preferred_time"))
        for name in self.FREE_TEXT:
            if cleaned.get(name):
                cleaned[name] = strip_disguising_characters(cleaned[name])
        if cleaned.get("waitlist"):
            cleaned["waitlist_days"], cleaned["waitlist_parts"] = waitlist_fields.cleaned_choices(
                self,
                cleaned.get("waitlist_when"),
                cleaned.get("waitlist_days"),
                cleaned.get("waitlist_parts"),
                days_name="waitlist_days",
                when_name="waitlist_when",
            )
        return cleaned

    def _get_validation_exclusions(self):
        # The treatment field only accepts a published treatment: the model's own check of the
        # foreign key would ask the database again for the same row.
        return super()._get_validation_exclusions() | {"treatment"}

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self._errors and self.cleaned_data.get("photos") and not self.is_bot():
            self._decode_photos()
        if self.notice_changed:
            # Consent to a text the patient has not seen is no consent: show the box unticked.
            self.data = self.data.copy()
            self.data.pop("consent", None)
        if self.is_bound and self.treatment_changed:
            # Answers to another treatment's questions are no use, and not the patient's mistake:
            # drop the field errors and ask only for the new questions.
            self._errors = ErrorDict(renderer=self.renderer)
            self.add_error(None, ValidationError(self.treatment_change_message(), code="treatment_changed"))
        if self.photos_lost and self._errors:
            auto_id = self["photos"].auto_id
            described_by = [f"{auto_id}_helptext", f"{auto_id}_lost"]
            if "photos" in self._errors:
                described_by.append(f"{auto_id}_error")
            self.fields["photos"].widget.attrs["aria-describedby"] = " ".join(described_by)

    def _decode_photos(self):
        """Decode the photos of an otherwise valid form: the costly step comes last, so a post
        that would be sent back anyway (or from a bot) never costs a decode."""
        if self.photo_budget is not None and not self.photo_budget():
            self.add_error("photos", ValidationError(PHOTO_BUDGET_USED, code="photo_budget"))
            return
        try:
            self.cleaned_data["photos"] = photos.clean_photos(self.cleaned_data["photos"])
        except ValidationError as error:
            self.add_error("photos", error)

    def treatment_change_message(self):
        """What changed with the treatment, and what was kept: the patient should not have to guess."""
        new = self.treatment.name
        parts = []
        if self.previous_treatment is not None:
            parts.append(
                # The names end the sentence as labels: "Dermal fillers" is not capitalised mid-sentence.
                _("You changed the treatment, so the health questions changed (before: %(old)s; now: %(new)s).")
                % {"old": self.previous_treatment.name, "new": new}
            )
            if self.kept_answers:
                parts.append(
                    ngettext(
                        "We kept your answer to the %(count)d question both treatments ask.",
                        "We kept your answers to the %(count)d questions both treatments ask.",
                        self.kept_answers,
                    )
                    % {"count": self.kept_answers}
                )
        parts.append(_("Please answer the health questions for this treatment (%(treatment)s).") % {"treatment": new})
        return " ".join(str(part) for part in parts)

    # --- Results -----------------------------------------------------------------------

    def screening_answers(self):
        """(precaution, answer) pairs in the order asked; call after is_valid()."""
        return [(precaution, self.cleaned_data[self.question_name(precaution)]) for precaution in self.precautions]
