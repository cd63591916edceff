"""The code form of the second sign-in step; templates/admin/twofactor/code_form.html writes it
out in the admin login page's look."""

from django import forms
from django.utils.translation import gettext_lazy as _


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

    def clean_otp_token(self):
        # People copy "123 456" as the app shows it, or a recovery code with a stray space.
        return "".join(self.cleaned_data["otp_token"].split()).lower()


class SetUpForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["otp_token"]
        field.help_text = _("The 6-digit code the app shows for this clinic after you added it.")
        field.widget.attrs["inputmode"] = "numeric"
        field.widget.attrs.pop("autofocus", None)
