"""The provider's calendar feed page (staff_views.calendar_feed): make or rotate, or switch off."""

from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import StaffFormHelper, StaffSubmit

ROTATE, REVOKE = "rotate", "revoke"


class FeedForm(forms.Form):
    """No fields: the button pressed is the choice (its name is in the POST)."""

    def __init__(self, *args, live=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = StaffFormHelper(self)
        self.helper.form_class = "clinic-inline-form"
        if live:
            buttons = [
                StaffSubmit(ROTATE, _("Make a new address (the old one stops)")),
                StaffSubmit(REVOKE, _("Switch my feed off")),
            ]
        else:
            buttons = [StaffSubmit(ROTATE, _("Make my feed address"))]
        self.helper.layout = Layout(*buttons)

    def choice(self):
        data = self.data or {}
        return ROTATE if ROTATE in data else REVOKE if REVOKE in data else ""
