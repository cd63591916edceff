"""What the patients' forms share: Bootstrap's widget classes and is-invalid set by the form, a
visible limit on text boxes, and the error summary's items in page order.

How a form looks is not here. Patient forms are laid out with crispy-forms in
consultations/layouts.py (one function per form, attached by the view); staff forms are written
in the admin's templates, each field through templates/admin/clinic/field.html.
"""

from django import forms
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

COUNTER = _("{count} of {max} characters")


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
