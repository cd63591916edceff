from django.db import migrations
from django.utils import timezone

TEXT = """\
## Who we are

{clinic} runs this website and the consultations booked through it. You can reach us with the contact details at the foot of every page.

## What we collect

When you ask for a consultation we collect your name, date of birth, email address and mobile number; the treatment and areas you are interested in and your goals; your answers to our health questions, your medicines and allergies; any photos you choose to send; and the time you would like.

## Why we collect it

A licensed provider uses your answers to decide whether a treatment is safe and suitable for you before you come in. We use your contact details only to reply to you and to manage your appointment.

## Who can see it

Only clinic staff who need it for your care. Front-desk staff see your contact details and the status of your request. Only providers see your health answers and photos. Every time staff open your request, we record who did it and when.

## What we never do

We never sell your data or use it for marketing. We never put your health answers in emails or text messages; our emails only carry your reference code and a link.

## How long we keep it

We keep closed requests for two years, then delete them with their photos, unless the law requires us to keep them longer as part of a medical record.

## Your rights

You can ask us for a copy of what we hold about you, ask us to correct it, or ask us to delete it. Call or email us and give your reference code.
"""


def create_notice(apps, schema_editor):
    PrivacyNotice = apps.get_model("consultations", "PrivacyNotice")
    PrivacyNotice.objects.get_or_create(
        version="2026-11-1",
        defaults={"text": TEXT.replace("{clinic}", "The clinic"), "published_at": timezone.now()},
    )


def remove_notice(apps, schema_editor):
    apps.get_model("consultations", "PrivacyNotice").objects.filter(version="2026-11-1").delete()


class Migration(migrations.Migration):
    dependencies = [("consultations", "0001_initial")]
    operations = [migrations.RunPython(create_notice, remove_notice)]
