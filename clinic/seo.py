"""schema.org data for JSON-LD blocks, built from settings and content."""

from django.conf import settings


def absolute(request, path):
    base = settings.CLINIC_SITE_URL or f"{request.scheme}://{request.get_host()}"
    return base + path


def organization(request):
    clinic = settings.CLINIC
    return {
        "@type": "MedicalClinic",
        "name": clinic["NAME"],
        "url": absolute(request, "/"),
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
    return {"@context": "https://schema.org", **organization(request)}


def treatment_page(request, treatment, sections, references):
    url = absolute(request, treatment.get_absolute_url())
    return {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "url": url,
        "name": treatment.name,
        "description": treatment.summary,
        "inLanguage": "en",
        "lastReviewed": treatment.reviewed_on,
        "reviewedBy": {"@type": "Person", "name": treatment.reviewer_name, "jobTitle": treatment.reviewer_credentials}
        if treatment.reviewer_name
        else None,
        "publisher": organization(request),
        "about": {
            "@type": "MedicalProcedure",
            "name": treatment.name,
            "description": treatment.summary,
            "procedureType": "https://schema.org/PercutaneousProcedure",
        },
        "citation": [
            {"@type": "CreativeWork", "name": source.title, "publisher": source.publisher, "url": source.url}
            for _, source in references
        ],
        "hasPart": [
            {"@type": "WebPageElement", "name": section.heading, "url": f"{url}#{section.anchor}"}
            for section in sections
        ],
    }
