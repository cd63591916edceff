"""How the site's forms are rendered: crispy-forms helpers shared by every form (patient pages,
staff pages in the admin, the second-factor pages).

Patient pages use the bootstrap5 template pack, whose templates are overridden once in
templates/bootstrap5/ to keep the accessible markup: labels, help and error texts that
aria-describedby points at, fieldsets with legends for choices, a Submit that is a <button>.
Staff forms sit inside the Django admin: the same layouts, with one admin-styled field
template (StaffFormHelper) and the admin's button classes (StaffSubmit).

Careful: crispy's Submit and Hidden compile their value as a template. Give them only text made
in code; anything a user sent (a `next` address) goes through Text, which only escapes.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.forms.boundfield import BoundField
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

COUNTER = _("{count} of {max} characters")


class PatientFormHelper(FormHelper):
    """A POST form on a patient page. Validation is server-side only (novalidate): the browser's
    bubbles are not announced consistently; errors are shown in the summary and at each field."""

    form_method = "post"

    def __init__(self, form=None):
        super().__init__(form)
        self.attrs = {"novalidate": ""}


class StaffFormHelper(FormHelper):
    """A POST form on a staff page, in the admin's look: one field template for every staff form."""

    form_method = "post"
    field_template = "admin/consultations/crispy/field.html"


class StaffSubmit(Submit):
    """The admin's button; Bootstrap's classes mean nothing in the admin."""

    field_classes = "button"


class DangerSubmit(Submit):
    """A patient's button for what cannot be undone online (cancelling a request)."""

    field_classes = "btn btn-danger"


class Text:
    """A piece of HTML made in Python with format_html (an introduction, a link to read first).
    Unlike crispy's HTML object it is not compiled as a template, so text from the database
    (a treatment's name) is only ever escaped, never evaluated."""

    def __init__(self, html):
        self.html = html

    def render(self, form, context, template_pack=None, **kwargs):
        return self.html


def link(url, text, css_class=""):
    """A way out beside a form's button ("No, keep it"): a plain link, not a POST."""
    if css_class:
        return Text(format_html('<a class="{}" href="{}">{}</a>', css_class, url, text))
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


class PatientBoundField(BoundField):
    """Bootstrap's is-invalid on an input with an error, decided when the field is rendered, so an
    error added after validation (a time taken meanwhile) is marked like any other. Django itself
    adds aria-invalid and the aria-describedby ids of the help and error texts."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            widget = widget or self.field.widget
            css = attrs.get("class", widget.attrs.get("class", ""))
            attrs["class"] = f"{css} is-invalid".strip()
        return attrs


class PatientFormMixin:
    """What every patient form shares: Bootstrap's input classes set by the form (the field
    template prints the widget as it is), a visible limit on text boxes, and the error summary."""

    bound_field_class = PatientBoundField
    # Where a form-wide error (not tied to a field) links to; "" for no link.
    non_field_error_target = ""

    def style_widgets(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Textarea) and getattr(field, "max_length", None):
                mark_limit(field)
            if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.CheckboxInput)):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def error_summary(self):
        """(link target id or "", message) for every error, in page order."""
        items = [(self.non_field_error_target, error) for error in self.non_field_errors()]
        for bound in self:
            for error in bound.errors:
                # "Please answer this question." needs the question; other messages name their field.
                if bound.use_fieldset:
                    separator = " " if str(bound.label)[-1:] in "?." else ": "
                    error = f"{bound.label}{separator}{error}"
                items.append((self.target_id(bound), error))
        return items

    @staticmethod
    def target_id(bound):
        # Radio and checkbox groups: link to the first option, which takes the focus.
        return f"{bound.auto_id}_0" if bound.use_fieldset else bound.auto_id


def mark_limit(field):
    """Show a text field's limit before it is reached: maxlength (the browser stops there), a live
    counter (static/js/counter.js) and, without JavaScript, the limit in the help text."""
    field.widget.attrs["maxlength"] = field.max_length
    field.widget.attrs["data-counter"] = str(COUNTER)
    limit = _("Up to %(max)d characters.") % {"max": field.max_length}
    if str(field.max_length) not in str(field.help_text):
        field.help_text = f"{field.help_text} {limit}".strip()
