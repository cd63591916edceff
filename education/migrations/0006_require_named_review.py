"""A published page must have an approved version; the reviewer now lives on each approval."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("education", "0005_record_past_reviews")]

    operations = [
        migrations.AddConstraint(
            model_name="treatment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("published", False),
                    models.Q(("approved__isnull", False), ("reviewed_on__isnull", False)),
                    _connector="OR",
                ),
                name="published_treatment_has_review",
                violation_error_message="A treatment cannot be published before a medical reviewer approves it.",
            ),
        ),
        migrations.RemoveField(model_name="treatment", name="reviewer_credentials"),
        migrations.RemoveField(model_name="treatment", name="reviewer_name"),
    ]
