"""How each patient form looks: its crispy-forms layout, built where the form is shown.

The forms (consultations/forms/) hold fields and validation only. A view that shows one asks
here for its FormHelper and passes it to the template, which renders `{% crispy form helper %}`
(crispy's documented way to use a helper that is not the form's `helper` attribute). One
function per form, in the order of the patient's journey: to add a field to a form, give it
its place in that form's function. Staff forms are not laid out here: they are written in
the admin's templates (templates/admin/clinic/field.html), the way the admin shows its own.

Field markup (label or legend, help and error texts with the ids aria-describedby names) is
one template for every patient form: templates/bootstrap5/field.html, crispy-bootstrap5's
own overridden. Careful: crispy's Submit, Hidden and HTML compile their text as a template.
The Submit, Hidden and Text here print theirs, escaped, so nothing shown is ever evaluated.
"""

from crispy_forms import layout
from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout
from crispy_forms.utils import TEMPLATE_PACK
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from education.rendering import render_markdown

from .forms.intake import WAITLIST_FIELDS
from .forms.mixins import HONEYPOT

PROBLEM = _("There is a problem")
BUTTONS = "d-flex flex-wrap gap-3 align-items-center"

# --- The pieces every patient form is built from ---------------------------------------------


class PatientFormHelper(FormHelper):
    """A POST form on a patient page. Validation is server-side only (novalidate): the browser's
    bubbles are not announced consistently; errors are shown in the summary and at each field."""

    form_method = "post"

    def __init__(self, form=None, *parts, action="", css_class="", label_class=""):
        super().__init__(form)
        self.attrs = {"novalidate": ""}
        self.form_action, self.form_class, self.label_class = action, css_class, label_class
        self.layout = Layout(*parts)


class PrintedValue:
    """For crispy's inputs: the value printed (escaped by the template), never compiled as a
    template as crispy's own BaseInput.render does; the element is not changed by rendering."""

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        return render_to_string(self.get_template_name(template_pack), {"input": self})


class Submit(PrintedValue, layout.Submit):
    """A <button type="submit"> (templates/bootstrap5/layout/baseinput.html), id submit-id-<name>."""


class SecondarySubmit(Submit):
    """A patient's button for a step back, not the page's main action."""

    field_classes = "btn btn-outline-secondary"


class DangerSubmit(Submit):
    """The button for what cannot be undone online (cancelling a request)."""

    field_classes = "btn btn-danger"


class Hidden(PrintedValue, layout.Hidden):
    """A hidden input carrying what the page was rendered with."""


class Text:
    """A piece of HTML made in Python with format_html (an introduction, a link to read first).
    Unlike crispy's HTML object it is not compiled as a template, so text from the database
    (a treatment's name) is only ever escaped, never evaluated."""

    def __init__(self, html):
        self.html = html

    def render(self, form, context, template_pack=None, **kwargs):
        return self.html


def link(url, text):
    """A way out beside a form's button ("No, keep it"): a plain link, not a POST."""
    return Text(format_html('<a href="{}">{}</a>', url, text))


class ErrorSummary:
    """The summary above a patient form's fields when it has errors: a focused alert whose links
    lead to each field in page order (form.error_summary()); `level` is its heading's rank on the page."""

    template = "bootstrap5/layout/error_summary.html"

    def __init__(self, title, level=2):
        self.title, self.level = title, level

    def render(self, form, context, template_pack=None, **kwargs):
        if not form.errors:
            return ""
        return render_to_string(
            self.template, {"title": self.title, "level": self.level, "items": form.error_summary()}
        )


# --- The consultation request (consultations:new) --------------------------------------------


def intake(form):
    """Sections as fieldsets with a legend, the screening questions as Yes/No/Not sure radio
    groups, the honeypot hidden from people. What the page was rendered with travels in hidden
    fields, so a change in between is noticed (consultations/forms/intake.py)."""
    screening_intro = _(
        "These questions come from the %(name)s product information. A “yes” does not rule you out: "
        "your provider will talk it through with you."
    ) % {"name": form.treatment.name}
    privacy = _(
        "Our privacy notice (version %(version)s) explains who sees your answers and how long we keep them."
    ) % {"version": form.notice.version}
    return PatientFormHelper(
        form,
        Hidden("submission_token", form.submission_token_value),
        Hidden("rendered_for", form.treatment.slug),
        Hidden("notice_version", form.notice.version),
        ErrorSummary(_("Please check the following")),
        Fieldset(_("About you"), "first_name", "last_name", "email", "phone", "date_of_birth", css_class="mb-4"),
        Fieldset(
            _("Your goals"),
            "treatment",
            # A treatment without areas a US clinic can offer asks no area question.
            *(["areas"] if form.questions.has_areas else []),
            "goals",
            "previous_treatments",
            css_class="mb-4",
        ),
        Fieldset(
            _("Health screening"),
            Text(format_html("<p>{}</p>", screening_intro)),
            *(InlineRadios(field.name) for field in form.screening_fields()),
            InlineRadios("pregnancy"),
            "medications",
            "allergies",
            css_id="screening",
            css_class="mb-4",
            tabindex="-1",
        ),
        Fieldset(_("Photos"), Field("photos", template="consultations/crispy/photos_field.html"), css_class="mb-4"),
        Fieldset(
            _("Your consultation"),
            Field("preferred_time", wrapper_class="time-field"),
            *cancellation_policy(form),
            # "Tell me if an earlier time opens" and its choices (forms/waitlist.py), under the time picker.
            # The choices show once the box is ticked (static/css/clinic.css), so the form stays short.
            WAITLIST_FIELDS[0],
            Div(*WAITLIST_FIELDS[1:], css_class="waitlist-choices ms-4"),
            css_class="mb-4",
        ),
        Fieldset(
            _("Privacy"),
            Text(
                format_html(
                    '<p>{} <a href="{}" target="_blank" rel="noopener">{}</a></p>',
                    privacy,
                    reverse("consultations:privacy"),
                    _("Read the privacy notice (opens in a new tab)"),
                )
            ),
            "consent",
            css_class="mb-4",
        ),
        # Honeypot: hidden from people and from screen readers, skipped by the keyboard.
        Div(HONEYPOT, css_class="visually-hidden", aria_hidden="true"),
        Submit("send", _("Send my request"), css_class="btn-lg"),
        action=reverse("consultations:new"),
        css_class="intake-form",
        label_class="fw-semibold",
    )


def policy_text(policy):
    """The policy's text in the reader's language, else the site's first language."""
    language = get_language() if getattr(policy, f"text_{get_language()}", None) else settings.LANGUAGE_CODE
    return getattr(policy, f"text_{language}")


def _policy_shown(policy, summary, *after):
    """The policy's version (hidden: the one the patient read, checked when the form is sent) and
    its text in a <details> in the reader's language, readable without leaving the page."""
    return [
        Hidden("policy_version", policy.version),
        Text(
            format_html(
                '<details class="mb-3 cancellation-policy" data-testid="cancellation-policy">'
                '<summary>{}</summary><div class="mt-2">{}</div></details>',
                summary,
                render_markdown(policy_text(policy)),
            )
        ),
        *after,
    ]


def cancellation_policy(form):
    """The cancellation policy next to the time choice, and the box that accepts it."""
    policy = getattr(form, "policy", None)
    if policy is None:
        return []
    summary = _("Cancellation policy (version %(version)s): please read it if you choose a time") % {
        "version": policy.version
    }
    return _policy_shown(policy, summary, "accept_policy")


# --- The self-service pages (consultations/selfservice.py) -----------------------------------


def move(form, *, back_url):
    """The time picker of the intake form; a way back that changes nothing."""
    held = form.held is not None
    return PatientFormHelper(
        form,
        ErrorSummary(PROBLEM),
        Field("slot", wrapper_class="time-field"),
        *cancellation_policy(form),
        Div(
            Submit("move", _("Move to this time") if held else _("Choose this time")),
            link(back_url, _("Keep my current time") if held else _("Back to your request")),
            css_class=f"{BUTTONS} mt-3",
        ),
        label_class="fw-semibold",
    )


def add_information(form, *, action):
    """Under the page's "please add…" section: the photos asked for first, else the text box."""
    return PatientFormHelper(
        form,
        # The section's heading is an <h2>: the summary's comes under it.
        ErrorSummary(PROBLEM, level=3),
        *form.fields,
        Submit("send", _("Send the photos") if form.wants_photos else _("Send the information")),
        action=action,
    )


def cancel(form, *, back_url):
    """Nothing to fill in: the button that cancels, and a way back that changes nothing."""
    return PatientFormHelper(
        form, DangerSubmit("cancel", _("Yes, cancel my request")), link(back_url, _("No, keep it")), css_class=BUTTONS
    )


def confirm_hold(form, *, action):
    """Nothing to fill in: the patient says they want the held time (it then does not lapse)."""
    return PatientFormHelper(form, Submit("confirm", _("Yes, I want this time")), action=action, css_class=BUTTONS)


def attendance(form, *, action):
    """Confirm or release (issue 27): nothing to fill in, two buttons."""
    return PatientFormHelper(
        form,
        Submit("confirm", _("Yes, I will come")),
        DangerSubmit("release", _("No, release my time")),
        action=action,
        css_class=BUTTONS,
    )


# --- The waitlist (selfservice.manage_waitlist, selfservice.waitlist_offer) ------------------


def waitlist(form, *, action):
    """Any time, or chosen days and parts of the day; the button says whether this joins or changes."""
    return PatientFormHelper(
        form,
        ErrorSummary(PROBLEM, level=2),
        "when",
        "days",
        "parts",
        "provider",
        Submit("join", _("Save my choices") if form.joined else _("Put me on the waitlist")),
        action=action,
    )


def leave_waitlist(form, *, action, back_url):
    """Nothing to fill in: the button that takes the request off the list, and a way back."""
    return PatientFormHelper(
        form,
        SecondarySubmit("leave", _("Leave the waitlist")),
        link(back_url, _("Back to your request")),
        action=action,
        css_class=BUTTONS,
    )


def accept_offer(form):
    """The offer page's one button (a POST: opening the emailed link never takes the time), under
    the cancellation policy in force: taking the time accepts it (the version shown is sent)."""
    policy = getattr(form, "policy", None)
    shown = []
    if policy is not None:
        summary = _("Cancellation policy (version %(version)s)") % {"version": policy.version}
        accepted = Text(format_html("<p>{}</p>", _("By taking this time you accept our cancellation policy.")))
        shown = _policy_shown(policy, summary, accepted)
    return PatientFormHelper(
        form, ErrorSummary(PROBLEM), *shown, Submit("accept", _("Yes, give me this time"), css_class="btn-lg")
    )


# --- After the visit (consultations/aftercare_views.py) --------------------------------------


def check_in(form, *, action):
    """How it feels, the warning signs asked plainly, and a free line; which day's form it is, hidden."""
    return PatientFormHelper(
        form,
        ErrorSummary(PROBLEM),
        "day",
        Field("feeling"),
        Field("signs"),
        Field("note"),
        Submit("send", _("Send my answers")),
        action=action,
        label_class="fw-semibold",
    )
