"""The consultation form's expensive part, its list of open times, worked out once for every visitor.

The form page itself is rendered for each visitor (it holds their CSRF token and a new
submission token); only the time list is kept (the choices, and the <select> rendered from
them: a few hundred options), in the shared cache, per language and ten-second window (times drop off the list as the clock passes the booking lead time). Any
booking, cancellation, provider, hours or closed day deletes them (consultations.signals), for
every node at once. A time shown a few seconds too long is caught when the form is sent: the
patient is told it was just taken.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from .forms import timechoice

# The open times follow the clock: kept for at most this many seconds.
SECONDS = 10


def window():
    """The ten-second window the times belong to."""
    return int(time.time() // SECONDS)


def _keys(language, window):
    return f"formpage:times:{language}:{window}", f"formpage:select:{language}:{window}"


def time_choices():
    """The form's time choices (timechoice.choices()), in the active language."""
    key = _keys(get_language(), window())[0]
    choices = cache.get(key)
    if choices is None:
        choices = timechoice.choices()
        cache.set(key, choices, SECONDS)
    return choices


class KeptTimeSelect(timechoice.TimeSelect):
    """The empty form's time <select>, rendered once per language and window for every visitor.
    Only the empty field (nothing chosen) is kept: it shows nothing of any visitor's."""

    def render(self, name, value, attrs=None, renderer=None):
        if value not in ("", None):
            return super().render(name, value, attrs, renderer)
        key = _keys(get_language(), window())[1]
        # The same form asks with the same attributes (id, aria-describedby ...) every time.
        shape = repr((name, sorted((attrs or {}).items()), sorted(self.attrs.items())))
        kept_shape, html = cache.get(key) or (None, None)
        if kept_shape != shape:
            html = super().render(name, value, attrs, renderer)
            cache.set(key, (shape, str(html)), SECONDS)
        return mark_safe(html)  # noqa: S308 - rendered by TimeSelect above, from format_html


def use_kept_times(form):
    """Give an empty intake form the kept time list."""
    field = form.fields["preferred_time"]
    field.widget = KeptTimeSelect(attrs=field.widget.attrs)
    field.choices = time_choices()


def times_changed(**kwargs):
    """Bookings, providers, hours or closed days changed: the next form works the times out afresh."""
    now = window()
    cache.delete_many([key for code, _name in settings.LANGUAGES for step in (0, 1) for key in _keys(code, now + step)])
