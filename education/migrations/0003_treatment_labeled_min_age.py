"""A treatment's labeled minimum age (was a Belotero constant in the intake form that flagged
every treatment). Belotero's labeling: safety and effectiveness are not established under 21."""

from django.db import migrations, models


def belotero_21(apps, schema_editor):
    apps.get_model("education", "Treatment").objects.filter(slug="belotero").update(labeled_min_age=21)


class Migration(migrations.Migration):
    dependencies = [("education", "0002_content")]

    operations = [
        migrations.AddField(
            model_name="treatment",
            name="labeled_min_age",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text=(
                    "Where the product labeling does not establish safety and effectiveness below an age, that age: "
                    "younger patients' requests are flagged for discussion. Empty for none."
                ),
                null=True,
                verbose_name="labeled minimum age",
            ),
        ),
        migrations.RunPython(belotero_21, migrations.RunPython.noop),
    ]
