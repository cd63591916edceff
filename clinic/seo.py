"""schema.org data for JSON-LD blocks, built from settings and content."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import get_language


def absolute(request, path):
    base = settings.CLINIC_SITE_URL or f"{request.scheme}://{request.get_host()}"
    return base + path


def organization(request):
    clinic = settings.CLINIC
    return {
        "@type": "MedicalClinic",
        "name": clinic["NAME"],
        "url": absolute(request, reverse("education:home")),
        "telephone": clinic["PHONE"],
        "email": clinic["EMAIL"],
        "openingHours": clinic["OPENING_HOURS"],
        "address": {
            "@type": "PostalAddress",
            "streetAddress": clinic["STREET"],
            "addressLocality": clinic["CITY"],
            "addressRegion": clinic["REGION"],
            "postalCode": clinic["POSTAL_CODE"],
            "addressCountry": clinic["COUNTRY"],
        },
    }


def clinic_page(request):
    return {"@context": "https://schema.org", **organization(request), "inLanguage": get_language()}


def treatment_page(request, treatment, page, review=None):
    """page: the page data the visitor sees (education.Treatment.page), review: its approval
    (by default the English one). Call with the page's own language active."""
    url = absolute(request, treatment.get_absolute_url())
    # Only a named reviewer's signature is ever published as reviewedBy (education.Treatment.signed_approval).
    review = review if review is not None else treatment.signed_approval
    return {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "url": url,
        "name": page["name"],
        "description": page["summary"],
        "inLanguage": get_language(),
        "lastReviewed": review.reviewed_on if review else None,
        "reviewedBy": {"@type": "Person", "name": review.reviewer_name, "jobTitle": review.reviewer_credentials}
        if review
        else None,
        "publisher": organization(request),
        "about": {
            "@type": "MedicalProcedure",
            "name": page["name"],
            "description": page["summary"],
            "procedureType": "https://schema.org/PercutaneousProcedure",
        },
        "citation": [
            {"@type": "CreativeWork", "name": ref["title"], "publisher": ref["publisher"], "url": ref["url"]}
            for ref in page["references"]
        ],
        "hasPart": [
            {"@type": "WebPageElement", "name": section["heading"], "url": f"{url}#{section['anchor']}"}
            for section in page["sections"]
        ],
    }
