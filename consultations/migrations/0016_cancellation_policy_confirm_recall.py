"""Issue 27: the cancellation policy (version 1 in English and Spanish), the policy's acceptance on
the request, confirm-or-release (attendance_confirmed_at) and "book again" (recall_sent_at).

Version 1 is written here so a fresh `migrate` has a policy; consultations.signals puts it back
after a flush (ensure_cancellation_policy), like the privacy notice."""

import django.utils.timezone
from django.db import migrations, models

VERSION = "2026-12-1"

TEXT_EN = """\
We keep each time for one patient. If you cannot come, please tell us as early as you can, so that another patient can have the time.

- Up to 24 hours before your time, you can cancel or move it yourself with the link in our emails.
- Within 24 hours of your time, please call the clinic to cancel or move it. Another patient could have had that time, and we may still be able to offer it to someone if you call.
- If you have just booked, you can still change your mind online for one hour.
- We do not charge a fee for cancelling or for missing a visit.
"""

TEXT_ES = """\
Reservamos cada hora para un solo paciente. Si no puede venir, avísenos lo antes posible para que otro paciente pueda tener esa hora.

- Hasta 24 horas antes de su cita, puede cancelarla o cambiarla usted mismo con el enlace de nuestros correos.
- Dentro de las 24 horas antes de su cita, llame a la clínica para cancelarla o cambiarla. Otro paciente podría haber tenido esa hora, y si nos llama, quizás todavía podamos ofrecérsela a alguien.
- Si acaba de reservar, todavía puede cambiar de opinión en línea durante una hora.
- No cobramos ningún cargo por cancelar ni por no venir a una cita.
"""


def create_policy(apps, schema_editor):
    CancellationPolicy = apps.get_model("consultations", "CancellationPolicy")
    CancellationPolicy.objects.get_or_create(
        version=VERSION,
        defaults={
            "text": TEXT_EN,
            "text_en": TEXT_EN,
            "text_es": TEXT_ES,
            "window_hours": 24,
            "grace_minutes": 60,
            "published_at": django.utils.timezone.now(),
        },
    )


def remove_policy(apps, schema_editor):
    apps.get_model("consultations", "CancellationPolicy").objects.filter(version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0015_waitlist"),
    ]

    operations = [
        migrations.CreateModel(
            name="CancellationPolicy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.CharField(max_length=20, unique=True, verbose_name="version")),
                ("text", models.TextField(help_text="Markdown.", verbose_name="text")),
                ("text_en", models.TextField(help_text="Markdown.", null=True, verbose_name="text")),
                ("text_es", models.TextField(help_text="Markdown.", null=True, verbose_name="text")),
                (
                    "window_hours",
                    models.PositiveSmallIntegerField(
                        default=24,
                        help_text="Within this many hours of the time, patients call to cancel or move.",
                        verbose_name="cancellation window (hours)",
                    ),
                ),
                (
                    "grace_minutes",
                    models.PositiveSmallIntegerField(
                        default=60,
                        help_text="For this long after booking, a patient may still cancel or move online.",
                        verbose_name="grace period (minutes)",
                    ),
                ),
                ("published_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="published")),
            ],
            options={
                "verbose_name": "cancellation policy",
                "verbose_name_plural": "cancellation policies",
                "ordering": ["-published_at"],
                "get_latest_by": "published_at",
            },
        ),
        migrations.AddField(
            model_name="consultationrequest",
            name="attendance_confirmed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="attendance confirmed"),
        ),
        migrations.AddField(
            model_name="consultationrequest",
            name="policy_accepted_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="cancellation policy accepted"
            ),
        ),
        migrations.AddField(
            model_name="consultationrequest",
            name="policy_accepted_ip",
            field=models.GenericIPAddressField(
                blank=True, editable=False, null=True, verbose_name="cancellation policy accepted from"
            ),
        ),
        migrations.AddField(
            model_name="consultationrequest",
            name="policy_version",
            field=models.CharField(
                blank=True, editable=False, max_length=20, verbose_name="cancellation policy version"
            ),
        ),
        migrations.AddField(
            model_name="consultationrequest",
            name="recall_sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="book-again email sent"),
        ),
        migrations.RunPython(create_policy, remove_policy),
    ]
