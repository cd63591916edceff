"""The approved pages carry labeled_min_age from now on (Treatment.page()); the intake's age flag
reads it from there (Treatment.approved_labeled_min_age). Pages approved before get the value the
treatment has now: the best known, and the same as before for every page still marked reviewed."""

from django.db import migrations


def add_labeled_min_age(apps, schema_editor):
    TreatmentReview = apps.get_model("education", "TreatmentReview")
    for review in TreatmentReview.objects.select_related("treatment").iterator():
        if isinstance(review.content, dict) and "labeled_min_age" not in review.content:
            review.content = {**review.content, "labeled_min_age": review.treatment.labeled_min_age}
            review.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [("education", "0010_content_as_data")]

    operations = [migrations.RunPython(add_labeled_min_age, migrations.RunPython.noop)]
