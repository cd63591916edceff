"""The empty consultation form, rendered once and reused for the next visitors.

Rendering the form (a dozen crispy-forms fields, the screening questions and a few hundred
open times) takes tens of milliseconds; a visit that only asks for the empty form gets a
copy of the last one rendered instead, with its two per-visitor secrets replaced: the CSRF
token (this visitor's, so the CSRF cookie is set as usual) and the submission token (new, so
duplicates and bot timing work as for a fresh form). Nothing a patient typed is ever in a
copy: a form sent back with errors is always rendered afresh.

A copy is used only while everything it shows is unchanged: the same address (scheme, host,
path and query string: only ?treatment=… is ever copied), treatment and language, the same
content version (questions, approvals: clinic.pagecache), the same bookings version (any
booking, cancellation, provider hours, closed days or privacy notice: consultations.signals
bumps it, on every node within a second) and the same ten-second window (times drop off the
list as the clock passes the booking lead time). Visitors with a session or a pending message
neither make nor get copies. A time shown a
few seconds too long is caught when the form is sent: the patient is told it was just taken.
"""

import threading
import time

from django.core.signals import setting_changed
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from clinic import pagecache

from .forms.mixins import make_submission_token

# The open times follow the clock: a copy is used for at most this many seconds.
SECONDS = 10
# Treatments x languages: a handful. The bound stops anything from growing without end.
MAX_PAGES = 64
BOOKINGS = pagecache.SharedVersion("consultations:bookings-version")

_lock = threading.Lock()
_pages = {}


def bookings_changed(**kwargs):
    """Times, hours or the privacy notice changed: forms rendered before show stale choices."""
    BOOKINGS.bump()
    BOOKINGS.forget()


def window():
    """The ten-second window a copy belongs to."""
    return int(time.time() // SECONDS)


def forget(**kwargs):
    """Drop every copy (and read the bookings version again)."""
    with _lock:
        _pages.clear()
    BOOKINGS.forget()


# Tests change the cache, hosts and languages: copies made under the old ones go.
setting_changed.connect(forget, dispatch_uid="consultations.formpage.forget")


def response(request, treatment_id, render):
    """The empty form page for the treatment: a copy when one is current; else render(csrf_token),
    which returns (the HttpResponse, the submission token it shows or None), kept for the next visitor."""
    csrf_token = get_token(request)
    # The page links to itself (the language switch, hreflang) with its scheme, host and query
    # string: a copy is only ever made for, and sent to, the same address. Any other query string
    # (a campaign tag, a typo) is rendered afresh, so no address can put its own text in a copy.
    # A signed-in member of staff or a pending message ("Your request was cancelled") is shown on
    # the page: such a page is neither copied nor given a copy.
    if set(request.GET) - {"treatment"} or not pagecache.shares_pages(request):
        return render(csrf_token)[0]
    key = (
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        treatment_id,
        get_language(),
        pagecache.content_version(),
        BOOKINGS.current(),
        window(),
    )
    page = _pages.get(key)
    if page is not None:
        html, content_type, rendered_csrf, rendered_token = page
        html = html.replace(rendered_csrf, csrf_token).replace(rendered_token, make_submission_token())
        return HttpResponse(html, content_type=content_type)
    response, submission_token = render(csrf_token)
    html = response.content.decode(response.charset)
    # Reused only when both secrets can be found and replaced, and nothing else varies with them.
    if response.status_code == 200 and submission_token and csrf_token in html and html.count(submission_token) == 1:
        with _lock:
            if len(_pages) >= MAX_PAGES:
                _pages.clear()
            _pages[key] = (html, response["Content-Type"], csrf_token, submission_token)
    return response
