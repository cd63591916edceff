"""The consultation form's expensive part, rendered once for every visitor: all of it but its tokens.

Each visitor's page is rendered for them: the <form> tag with their CSRF token and a new
submission token (crispy-forms, as for any form). What is kept, in the shared cache, is the
rest of the empty form as crispy renders it without those (the fields, the screening questions
and the list of open times), per treatment, language, content version, privacy notice, cancellation policy and
ten-second window (times drop off the list as the clock passes the booking lead time). So a kept
part holds nothing of any visitor's: no token is ever copied or replaced.

Any booking, cancellation, provider, hours or closed day deletes the open times, and with them
every kept form (consultations.signals), for every node at once. A time shown a few seconds too
long is caught when the form is sent: the patient is told it was just taken. A form sent back
with errors is always rendered afresh, and so is a form prefilled for one patient ("book again",
views.book_again): it never comes from or goes into this cache.
"""

import copy
import secrets
import time

from crispy_forms.layout import Layout
from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from clinic import pagecache

from . import layouts
from .forms import timechoice

# The open times follow the clock: kept for at most this many seconds.
SECONDS = 10
SUBMISSION_FIELD = "submission_token"


def window():
    """The ten-second window the times belong to."""
    return int(time.time() // SECONDS)


def _times_key(language, window):
    return f"formpage:times:{language}:{window}"


def open_times():
    """(A name for this list, the form's time choices) in the active language."""
    key = _times_key(get_language(), window())
    kept = cache.get(key)
    if kept is None:
        kept = (secrets.token_hex(4), timechoice.choices())
        cache.set(key, kept, SECONDS)
    return kept


def empty_form_helper(form):
    """The crispy helper for an empty intake form (layouts.intake): its own submission token, the rest kept."""
    times, choices = open_times()
    language, notice = get_language(), form.notice.version
    policy = form.policy.version if form.policy else "-"
    key = f"formpage:form:{form.treatment.pk}:{language}:{pagecache.content_version()}:{notice}:{policy}:{times}"
    helper = layouts.intake(form)
    fields = cache.get(key)
    if fields is None:
        form.fields["preferred_time"].choices = choices
        kept = copy.copy(helper)
        kept.form_tag = False  # no <form>, no CSRF token
        kept.layout = Layout(*(part for part in helper.layout.fields if getattr(part, "name", "") != SUBMISSION_FIELD))
        fields = str(render_crispy_form(form, kept))
        cache.set(key, fields, SECONDS)
    helper.layout = Layout(
        layouts.Hidden(SUBMISSION_FIELD, form.submission_token_value),
        layouts.Text(mark_safe(fields)),  # noqa: S308 - crispy's output
    )
    return helper


def times_changed(**kwargs):
    """Bookings, providers, hours or closed days changed: the next form works the times out afresh."""
    now = window()
    cache.delete_many([_times_key(code, now + step) for code, _name in settings.LANGUAGES for step in (0, 1)])
