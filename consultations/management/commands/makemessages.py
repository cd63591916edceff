"""makemessages for the patient side only: staff screens and staff emails stay in English.

Same as Django's command, with the staff-only sources (and everything that is not the app)
always ignored, so `locale/es/LC_MESSAGES/django.po` holds exactly what patients can see and a
test can demand that every entry is translated (tests/test_i18n.py).
"""

from django.core.management.commands import makemessages

NOT_THE_APP = [".venv", "build", "node_modules", "staticfiles", "tests", "scripts", "deploy", "docs"]
STAFF_ONLY = [
    "consultations/admin.py",
    "consultations/forms/staff.py",
    "consultations/forms/feed.py",
    "consultations/queries.py",
    "consultations/staff_views.py",
    "consultations/templatetags/staff_dashboard.py",
    "education/admin.py",
    "education/approval.py",
    "twofactor",
    "templates/admin",
    "templates/emails/staff_*",
    "templates/emails/patient_added_info*",
]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *NOT_THE_APP, *STAFF_ONLY]
        options["no_obsolete"] = True  # a removed string leaves nothing behind to translate
        return super().handle(*args, **options)
