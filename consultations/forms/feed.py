"""The provider's calendar feed page (staff_views.calendar_feed): make or rotate, or switch off."""

from django import forms

ROTATE, REVOKE = "rotate", "revoke"


class FeedForm(forms.Form):
    """No fields: the button pressed is the choice (its name is in the POST; calendar_feed.html)."""

    def choice(self):
        data = self.data or {}
        return ROTATE if ROTATE in data else REVOKE if REVOKE in data else ""
