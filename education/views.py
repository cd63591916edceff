from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language, override

from clinic import seo
from clinic.absolute import site_url
from clinic.pagecache import shared_page

from .models import Treatment


def _cards():
    """Public treatments, each with the page its card shows (``card``) and that page's language."""
    language = get_language()
    treatments = Treatment.objects.public()
    if language != settings.LANGUAGE_CODE:
        treatments = treatments.with_reviews_in(language)
    treatments = list(treatments)
    for treatment in treatments:
        page, treatment.shown_language, _review = treatment.public_version(language)
        if page is None:
            # Nobody signed it yet: its name (in the reader's language), no medical summary.
            treatment.shown_language = language
            page = {"name": treatment.name, "summary": "", "waiting": True}
        treatment.card = page
    return treatments


@shared_page
def home(request):
    return render(request, "education/home.html", {"treatments": _cards(), "jsonld": seo.clinic_page(request)})


@shared_page
def treatment_list(request):
    return render(request, "education/treatment_list.html", {"treatments": _cards()})


@shared_page
def treatment_detail(request, slug):
    """Patients get the version a reviewer approved, in their language when one was signed there;
    staff preview the current records."""
    treatment = get_object_or_404(Treatment.objects.visible_to(request.user).with_signed_languages(), slug=slug)
    preview = request.user.is_staff
    reader_language = get_language()
    if preview:
        page, content_language, review = treatment.page_for_preview(), reader_language, treatment.signed_approval
    else:
        page, content_language, review = treatment.public_version(reader_language)
    # Schema.org data and the canonical address in the page's own language; the site around it,
    # and the consultation link, stay in the reader's.
    with override(content_language):
        canonical = site_url(treatment.get_absolute_url())
        # Waiting for the clinic's clinician: no medical page data, no reviewer, for anyone.
        jsonld = seo.clinic_page(request) if page is None else seo.treatment_page(request, treatment, page, review)
    waiting = page is None
    if waiting:
        page = {"name": treatment.name, "summary": "", "sections": [], "references": []}
    context = {
        "waiting": waiting,
        "help_section": treatment.waiting_help_section() if waiting else None,
        "treatment": treatment,
        "page": page,
        "preview": preview,
        "jsonld": jsonld,
        "review": review,
        "content_language": content_language,
        "canonical": canonical,
        "form_url": f"{reverse('consultations:new')}?treatment={treatment.slug}",
        # hreflang names only the languages the page really exists in.
        "page_languages": [
            code
            for code, _name in settings.LANGUAGES
            if code in (content_language, settings.LANGUAGE_CODE) or getattr(treatment, f"signed_{code}", False)
        ],
    }
    return render(request, "education/treatment_detail.html", context)
