"""The consultation form's expensive part, its list of open times, worked out once for every visitor.

The form page itself is rendered for each visitor (it holds their CSRF token and a new
submission token); only the time choices are kept, in the shared cache, per language and
ten-second window (times drop off the list as the clock passes the booking lead time). Any
booking, cancellation, provider, hours or closed day deletes them (consultations.signals), for
every node at once. A time shown a few seconds too long is caught when the form is sent: the
patient is told it was just taken.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from .forms import timechoice

# The open times follow the clock: kept for at most this many seconds.
SECONDS = 10


def window():
    """The ten-second window the times belong to."""
    return int(time.time() // SECONDS)


def _key(language, window):
    return f"formpage:times:{language}:{window}"


def time_choices():
    """The form's time choices (timechoice.choices()), in the active language."""
    key = _key(get_language(), window())
    choices = cache.get(key)
    if choices is None:
        choices = timechoice.choices()
        cache.set(key, choices, SECONDS)
    return choices


def times_changed(**kwargs):
    """Bookings, providers, hours or closed days changed: the next form works the times out afresh."""
    now = window()
    cache.delete_many([_key(code, now + step) for code, _name in settings.LANGUAGES for step in (0, 1)])
