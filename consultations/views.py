"""Public consultation pages: the intake form, its confirmation, the privacy notice.

None of these put health data in a URL: the confirmation page finds the request
through a signed cookie of the browser that sent it.
"""

import copy
import functools

from django.conf import settings
from django.core import signing
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from clinic import formatting, pagecache
from clinic.clientip import client_ip, client_key
from education.models import Treatment
from education.rendering import render_markdown

from . import booking, formpage, intake, layouts, links, ratelimit
from .availability import Slot
from .forms import IntakeForm
from .forms.intake import Questions
from .models import CancellationPolicy, ConsultationRequest, PrivacyNotice

# The browser that sent a request may see its confirmation page: a signed cookie with the
# request's id, not a session, so sending the form writes nothing but the request itself.
SUBMITTED_COOKIE = "clinic_submitted"
SUBMITTED_SALT = "consultations.submitted"
# Long enough to reload or come back to the page, short enough for a shared computer.
SUBMITTED_MAX_AGE = 30 * 60


def _chosen_slugs(request):
    source = request.POST if request.method == "POST" else request.GET
    return [slug for slug in (source.get("treatment"), source.get("rendered_for")) if slug]


@functools.lru_cache(maxsize=4)
def _published(content_version):
    """{slug: treatment} of the published treatments in their order, under one content version.

    Read once per content version (an editor's save starts a new one: clinic.pagecache), not on
    every form shown or sent; each request gets its own copy of the instance."""
    return {treatment.slug: treatment for treatment in Treatment.objects.for_form()}


@functools.lru_cache(maxsize=32)
def _questions(content_version, slug, language):
    """What the form asks about one treatment in one language (forms.intake.Questions), worked out
    once per content version like the treatments themselves: the same for every visitor."""
    return Questions.of(_published(content_version)[slug], language)


@functools.lru_cache(maxsize=4)
def _notices(content_version):
    """Every privacy notice and cancellation policy, newest first (their Meta.ordering, the order
    current() reads them in): read once per content version (a saved notice or policy starts one)."""
    return list(PrivacyNotice.objects.all()), list(CancellationPolicy.objects.all())


def _form_content(version, treatment):
    """The keyword arguments that give an IntakeForm what is the same for every visitor: the
    questions, the privacy notice and the cancellation policy in force (either may be published
    ahead, so "now" decides)."""
    now = timezone.now()
    notices, policies = _notices(version)
    notice = next((notice for notice in notices if notice.published_at <= now), None)
    if notice is None:
        raise PrivacyNotice.DoesNotExist("No privacy notice is in force.")
    policy = next((policy for policy in policies if policy.published_at <= now), None)
    return {"questions": _questions(version, treatment.slug, get_language()), "notice": notice, "policy": policy}


def _treatment_for(request, version, earlier=None):
    """The treatment whose questions the form shows: the one chosen, else the one rendered, else the
    earlier request's ("book again"), else the first."""
    published = _published(version)
    chosen = next((published[slug] for slug in _chosen_slugs(request) if slug in published), None)
    if chosen is None and earlier is not None:
        chosen = published.get(earlier.treatment.slug)
    if chosen is None:
        chosen = next(iter(published.values()), None)
    return copy.copy(chosen) if chosen is not None else None


def _remember_submitted(response, consultation):
    response.set_signed_cookie(
        SUBMITTED_COOKIE,
        str(consultation.pk),
        salt=SUBMITTED_SALT,
        max_age=SUBMITTED_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def submitted_cookie_value(consultation):
    """The signed value of SUBMITTED_COOKIE for `consultation` (what the browser that sent it keeps)."""
    return _remember_submitted(HttpResponse(), consultation).cookies[SUBMITTED_COOKIE].value


def _confirm(request, consultation):
    response = _remember_submitted(redirect("consultations:confirmation"), consultation)
    if PREFILL_COOKIE in request.COOKIES:
        response.delete_cookie(PREFILL_COOKIE, path="/", samesite="Lax")  # sent: the prefill has done its work
    return response


# "Book again" (issue 27): the recall email's link is traded for this short-lived, signed, HttpOnly
# cookie naming the earlier request (as selfservice.exchange does with the self-service link), so
# neither the token nor any contact detail stays in an address, a Referer or a log line.
PREFILL_COOKIE = "clinic_prefill"
PREFILL_SALT = "consultations.book-again.visit"
# Contact details only: the screening questions are asked again, never carried over.
PREFILL_FIELDS = ("first_name", "last_name", "email", "phone", "date_of_birth")


def _prefill_max_age():
    return settings.CLINIC_RECALL_PREFILL_MINUTES * 60


@never_cache
@require_GET
def book_again(request, token):
    """The recall email's link: set the prefill cookie and go on to the form, without the token."""
    try:
        reference = links.read_recall_token(token)
    except signing.BadSignature:
        reference = None  # an old or broken link: the empty form, nothing lost
    if reference is not None and not ConsultationRequest.objects.filter(reference=reference).exists():
        reference = None  # purged since: the empty form
    return links.traded_for_cookie(
        redirect("consultations:new"), PREFILL_COOKIE, reference, salt=PREFILL_SALT, max_age=_prefill_max_age()
    )


def _prefilled_from(request):
    """The earlier request this browser's prefill cookie names, or None."""
    if PREFILL_COOKIE not in request.COOKIES:
        return None
    reference = request.get_signed_cookie(PREFILL_COOKIE, default=None, salt=PREFILL_SALT, max_age=_prefill_max_age())
    if reference is None:
        return None
    return ConsultationRequest.objects.select_related("treatment").filter(reference=reference).first()


@sensitive_post_parameters()
# no-store: a re-rendered form holds the patient's answers, and Back after sending must not
# bring them up again from the browser's cache on a shared computer. A double click still
# sends the same submission token and is recognised as a duplicate.
@never_cache
@require_http_methods(["GET", "POST"])
def request_new(request):
    # One content version for the whole request: the treatment and its questions belong together.
    version = pagecache.content_version()
    earlier = _prefilled_from(request) if request.method == "GET" else None
    treatment = _treatment_for(request, version, earlier)
    if treatment is None:
        return render(request, "consultations/request_form.html", {"form": None})
    if request.method == "GET":
        if earlier is not None:
            # "Book again": this patient's contact details, rendered for them alone (never kept in
            # consultations.formpage's cache); the screening is asked afresh.
            initial = {name: getattr(earlier, name) for name in PREFILL_FIELDS}
            form = IntakeForm(treatment=treatment, initial=initial, **_form_content(version, treatment))
            return _form_page(request, form, treatment, again=True)
        form = IntakeForm(treatment=treatment, **_form_content(version, treatment))
        # The empty form's fields and open times are the same for every visitor (consultations.formpage).
        return _form_page(request, form, treatment, helper=formpage.empty_form_helper(form, version))
    # A client that used up a budget is refused before any work. Stored requests and bot hits
    # count against one budget, posts sent back with errors against a larger one (a patient
    # correcting mistakes is not locked out; a client cannot make us validate forms for free).
    if ratelimit.exceeded(request, "intake") or ratelimit.exceeded(request, "invalid"):
        return render(request, "consultations/rate_limited.html", status=429)
    form = IntakeForm(
        request.POST,
        request.FILES,
        treatment=treatment,
        **_form_content(version, treatment),
        # Photos are decoded only for an otherwise valid form, and each decode uses the budget.
        photo_budget=functools.partial(ratelimit.reserve, request, "photos"),
    )
    # The same form sent again (double click, back button): show what the first send created.
    if existing := intake.find_duplicate(form):
        return _confirm(request, existing)
    if not form.is_valid():
        ratelimit.count(request, "invalid")
        return _form_page(request, form, treatment)
    if form.is_bot():
        # Looks like success to the bot; nothing is stored or sent.
        ratelimit.count(request, "intake")
        return redirect("consultations:thanks")
    # Reserved before storing, not counted after: concurrent posts cannot all pass one check.
    reservation = ratelimit.reserve(request, "intake")
    if not reservation:
        return render(request, "consultations/rate_limited.html", status=429)
    try:
        consultation = intake.submit_request(form, client=client_key(request), ip=client_ip(request))
    except booking.BookingError:
        # Someone else got the time between our check and our write: nothing was
        # stored; keep every answer and offer the times that are open now.
        reservation.refund()
        form.time_taken()
    except IntegrityError:
        # Two sends of one form raced; the other one stored it.
        reservation.refund()
        consultation = intake.find_duplicate(form)
        if consultation is None:
            raise
        return _confirm(request, consultation)
    else:
        return _confirm(request, consultation)
    return _form_page(request, form, treatment)


def _form_page(request, form, treatment, helper=None, again=False):
    # The questions are asked as a reviewer approved them, in the reader's language when signed there.
    context = {
        "again": again,
        "form": form,
        "helper": helper or layouts.intake(form),
        "treatment": treatment,
        "questions_language": form.questions.language,
        "questions_unsigned": form.questions.unsigned,
    }
    return render(request, "consultations/request_form.html", context)


@never_cache
@require_GET
def confirmation(request):
    pk = request.get_signed_cookie(SUBMITTED_COOKIE, default=None, salt=SUBMITTED_SALT, max_age=SUBMITTED_MAX_AGE)
    consultation = ConsultationRequest.objects.filter(pk=int(pk) if pk and pk.isdigit() else 0).first()
    if consultation is None:
        # Another browser, an expired or forged cookie, or a shared link: nothing to show.
        return render(request, "consultations/confirmation_unavailable.html", status=404)
    return render(
        request,
        "consultations/confirmation.html",
        {
            "consultation": consultation,
            "held": Slot.of(consultation),
            # A time asked for but not held (the caps or the brake: booking.hold_refusal).
            "unheld_when": formatting.slot_when(consultation.unheld_time) if consultation.unheld_time else "",
            "confirm_hours": settings.CLINIC_HOLD_CONFIRM_HOURS,
            "time_zone": formatting.time_zone_name(),
        },
    )


@require_GET
def thanks(request):
    return render(request, "consultations/thanks.html")


@require_GET
def privacy(request):
    try:
        notice = PrivacyNotice.current()
    except PrivacyNotice.DoesNotExist:
        raise Http404 from None
    # A notice published before its translation is shown in English, marked as such.
    language = get_language() if getattr(notice, f"text_{get_language()}", None) else settings.LANGUAGE_CODE
    html = render_markdown(getattr(notice, f"text_{language}"), page_level=True)
    return render(request, "consultations/privacy.html", {"notice": notice, "html": html, "notice_language": language})
