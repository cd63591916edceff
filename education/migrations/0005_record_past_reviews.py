"""Keep what patients saw: each published page's content becomes its first recorded approval.

Before this, a page recorded a review date and a reviewer's role, not a person, and edits went
live at once. The page as it stands is recorded as approved on its old date by the recorded
role, with no named reviewer, so patients keep seeing exactly it until a named reviewer approves
newer content (and `check --deploy` reports such pages: education.E001).

The builder below is frozen here on purpose: it reproduces the page of that time (its labels
included) and must not change when the live page code does.
"""

from django.db import migrations

OLD_LABELS = {
    "kind": {
        "overview": "Overview",
        "how_it_works": "How it works",
        "areas": "Treatment areas",
        "procedure": "The procedure",
        "results": "Results and how long they last",
        "side_effects": "Side effects",
        "contraindications": "Who should not have it or should wait",
        "aftercare": "Aftercare",
        "faq": "Frequently asked questions",
    },
    "status": {
        "fda_approved": "FDA-approved use",
        "not_approved_us": "Not an approved use in the US",
        "outside_us": "Approved outside the US only",
    },
    "frequency": {"common": "Common", "uncommon": "Less common", "rare": "Rare but serious"},
    "precaution": {
        "do_not_treat": "Do not treat",
        "postpone": "Postpone treatment",
        "discuss": "Discuss with your provider",
    },
}
# The values renamed with the new labels (each says only what the evidence shows).
RENAMED = {"frequency": {"uncommon": "possible"}, "status": {"outside_us": "no_us_approval_found"}}


def page_as_it_was(treatment):
    from education.rendering import render_markdown

    numbers, references = {}, []

    def cite(item):
        cited = []
        for source in item.sources.order_by("pk"):
            if source.pk not in numbers:
                numbers[source.pk] = len(references) + 1
                references.append(
                    {
                        "number": numbers[source.pk],
                        "title": source.title,
                        "publisher": source.publisher,
                        "date": source.date,
                        "url": source.url,
                        "copy_of": "",
                    }
                )
            cited.append(numbers[source.pk])
        return cited

    records = {
        "areas": [
            {
                "name": a.name,
                "product": a.product,
                "status": a.status,
                "status_label": OLD_LABELS["status"].get(a.status, a.status),
                "description": a.description,
            }
            for a in treatment.areas.order_by("order", "pk")
        ],
        "side_effects": [
            {
                "name": e.name,
                "description": e.description,
                "frequency": e.frequency,
                "frequency_label": OLD_LABELS["frequency"].get(e.frequency, e.frequency),
                "duration": e.duration,
            }
            for e in treatment.side_effects.order_by("order", "pk")
        ],
        "contraindications": [
            {
                "id": p.pk,
                "kind": p.kind,
                "kind_label": OLD_LABELS["precaution"].get(p.kind, p.kind),
                "description": p.description,
                "question": p.question,
            }
            for p in treatment.precautions.order_by("order", "pk")
        ],
    }
    items = {
        "areas": list(treatment.areas.order_by("order", "pk")),
        "side_effects": list(treatment.side_effects.order_by("order", "pk")),
        "contraindications": list(treatment.precautions.order_by("order", "pk")),
    }
    sections = []
    for section in treatment.sections.order_by("order", "pk"):
        data = {
            "kind": section.kind,
            "anchor": section.kind.replace("_", "-"),
            "heading": section.title or OLD_LABELS["kind"].get(section.kind, section.kind),
            "html": str(render_markdown(section.body)),
            "citations": cite(section),
            "records": [],
        }
        for item, record in zip(items.get(section.kind, []), records.get(section.kind, []), strict=True):
            data["records"].append({**record, "citations": cite(item)})
        sections.append(data)
    screening = [record for record in records["contraindications"] if record["question"]]
    return {
        "name": treatment.name,
        "summary": treatment.summary,
        "sections": sections,
        "references": references,
        "screening": screening,
    }


def record_past_reviews(apps, schema_editor):
    Treatment = apps.get_model("education", "Treatment")
    TreatmentReview = apps.get_model("education", "TreatmentReview")
    SideEffect = apps.get_model("education", "SideEffect")
    TreatmentArea = apps.get_model("education", "TreatmentArea")
    for treatment in Treatment.objects.filter(reviewed_on__isnull=False):
        review = TreatmentReview.objects.create(
            treatment=treatment,
            reviewer=None,
            reviewer_name=treatment.reviewer_name or "Not recorded",
            reviewer_credentials=treatment.reviewer_credentials,
            reviewed_on=treatment.reviewed_on,
            content=page_as_it_was(treatment),
        )
        treatment.approved = review
        treatment.review_status = "reviewed"
        treatment.save(update_fields=["approved", "review_status"])
    for old, new in RENAMED["frequency"].items():
        SideEffect.objects.filter(frequency=old).update(frequency=new)
    for old, new in RENAMED["status"].items():
        TreatmentArea.objects.filter(status=old).update(status=new)


def forget_reviews(apps, schema_editor):
    Treatment = apps.get_model("education", "Treatment")
    SideEffect = apps.get_model("education", "SideEffect")
    TreatmentArea = apps.get_model("education", "TreatmentArea")
    for treatment in Treatment.objects.select_related("approved"):
        if treatment.approved_id:
            treatment.reviewer_name = treatment.approved.reviewer_name
            treatment.reviewer_credentials = treatment.approved.reviewer_credentials
            treatment.approved = None
            treatment.save(update_fields=["reviewer_name", "reviewer_credentials", "approved"])
    for old, new in RENAMED["frequency"].items():
        SideEffect.objects.filter(frequency=new).update(frequency=old)
    for old, new in RENAMED["status"].items():
        TreatmentArea.objects.filter(status=new).update(status=old)


class Migration(migrations.Migration):
    dependencies = [("education", "0004_medical_review")]

    operations = [migrations.RunPython(record_past_reviews, forget_reviews)]
