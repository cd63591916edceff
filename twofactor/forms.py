"""The code form of the second sign-in step, rendered by crispy-forms in the admin login page's look."""

from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clinic.forms import StaffFormHelper, StaffSubmit, Text


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        error_messages={"required": _("Enter the code from your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )
    button = _("Continue")

    def __init__(self, *args, next_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = StaffFormHelper(self)
        self.helper.form_id = "login-form"  # the admin's login.css lays the page out by it
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            # A Field object has its own template: the staff one, in the login box's "form-row".
            Field("otp_token", template=StaffFormHelper.field_template, wrapper_class="form-row"),
            # Not crispy's Hidden: it compiles its value as a template, and this one comes from the URL.
            Text(format_html('<input type="hidden" name="next" value="{}">', next_url)),
            Div(StaffSubmit("continue", self.button), css_class="submit-row"),
        )

    def clean_otp_token(self):
        # People copy "123 456" as the app shows it, or a recovery code with a stray space.
        return "".join(self.cleaned_data["otp_token"].split()).lower()


class SetUpForm(CodeForm):
    button = _("Turn on two-step sign-in")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["otp_token"]
        field.help_text = _("The 6-digit code the app shows for this clinic after you added it.")
        field.widget.attrs["inputmode"] = "numeric"
        field.widget.attrs.pop("autofocus", None)
