"""The consultation form's expensive part, rendered once for every visitor: all of it but its tokens.

Each visitor's page is rendered for them: the <form> tag with their CSRF token and a new
submission token (crispy-forms, as for any form). What is kept, in each process's memory (the
cache alias "pages", as for public pages), is the rest of the empty form as crispy renders it
without those (the fields, the screening questions and the list of open times), and the list of
open times itself. So a kept part holds nothing of any visitor's: no token is ever copied or replaced.

Both are keyed on what they show: the treatment, the language, the content version (questions,
notice: clinic.pagecache), the privacy notice, the cancellation policy, the times version and a ten-second window (times
drop off the list as the clock passes the booking lead time). The times version is one small key
in the shared cache, read on every form shown: any booking, cancellation, provider, hours or
closed day starts a new one after its commit (consultations.signals), so the next form on every
worker and node shows the times open now. A time shown a few seconds too long is caught when the
form is sent: the patient is told it was just taken. A form sent back with errors is always
rendered afresh, and so is a form prefilled for one patient ("book again", views.book_again):
it never comes from or goes into this cache.
"""

import copy
import secrets
import time

from crispy_forms.layout import Layout
from crispy_forms.utils import render_crispy_form
from django.core.cache import cache, caches
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from clinic import pagecache

from . import layouts
from .forms import timechoice

# The open times follow the clock: kept for at most this many seconds.
SECONDS = 10
SUBMISSION_FIELD = "submission_token"
TIMES_VERSION_KEY = "formpage:times-version"


def window():
    """The ten-second window the times belong to."""
    return int(time.time() // SECONDS)


def open_times(times_version):
    """The form's time choices in the active language, worked out once per times version and window."""
    key = f"formpage:times:{get_language()}:{times_version}:{window()}"
    kept = caches["pages"]
    choices = kept.get(key)
    if choices is None:
        choices = timechoice.choices()
        kept.set(key, choices, SECONDS)
    return choices


def empty_form_helper(form, content_version):
    """The crispy helper for an empty intake form (layouts.intake): its own submission token, the
    rest kept. content_version: the one the form's treatment and questions were read under."""
    times = pagecache.shared_version(TIMES_VERSION_KEY)
    policy = form.policy.version if form.policy else "-"
    parts = (form.treatment.pk, get_language(), content_version, form.notice.version, policy, times, window())
    key = "formpage:form:" + ":".join(map(str, parts))
    kept = caches["pages"]
    helper = layouts.intake(form)
    fields = kept.get(key)
    if fields is None:
        form.fields["preferred_time"].choices = open_times(times)
        without_tokens = copy.copy(helper)
        # No <form> and no CSRF token: crispy writes {% csrf_token %} for a POST form even without
        # its tag, which without a request renders nothing but warns "the context did not provide
        # the value" (make run, DEBUG on).
        without_tokens.form_tag, without_tokens.disable_csrf = False, True
        without_tokens.layout = Layout(
            *(part for part in helper.layout.fields if getattr(part, "name", "") != SUBMISSION_FIELD)
        )
        fields = str(render_crispy_form(form, without_tokens))
        kept.set(key, fields, SECONDS)
    helper.layout = Layout(
        layouts.Hidden(SUBMISSION_FIELD, form.submission_token_value),
        layouts.Text(mark_safe(fields)),  # noqa: S308 - crispy's output
    )
    helper.include_media = False  # the kept part has the widgets' media, if any
    return helper


def times_changed(**kwargs):
    """Bookings, providers, hours or closed days changed: a new times version, for every process at once."""
    cache.set(TIMES_VERSION_KEY, secrets.token_hex(4), timeout=None)
