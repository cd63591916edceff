"""Write the treatments' rows as content files (the format load_content reads).

For a content editor who made changes in the admin and wants them shipped: dump, review the
diff of education/content/ like code, commit. Rows an editor added get no key: give them one
in the file (a short slug) before committing, so later loads can match them.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from education.content import CONTENT_DIR, dump_json, export_treatment
from education.models import Treatment


class Command(BaseCommand):
    help = "Write every treatment as education/content/<slug>.<language>.json (or into --directory)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", help="Write the files here instead of education/content/.")

    def handle(self, *args, directory=None, **options):
        target = Path(directory or CONTENT_DIR)
        target.mkdir(parents=True, exist_ok=True)
        for treatment in Treatment.objects.all():
            for language, _name in settings.LANGUAGES:
                path = target / f"{treatment.slug}.{language}.json"
                path.write_text(dump_json(export_treatment(treatment, language)), encoding="utf-8")
                self.stdout.write(str(path))
