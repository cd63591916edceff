"""Load the shipped guides (education/content/*.json) into the database. Idempotent.

`migrate` runs this too; run it by hand after changing the files, or to see what happened.
"""

from django.core.management.base import BaseCommand

from education.content import load_content


class Command(BaseCommand):
    help = (
        "Load the shipped treatment guides from education/content/. Creates missing pages, updates pages "
        "nobody edited since the last load, and never overwrites an editor's changes (it reports them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", help="Read the content files from this directory instead.")

    def handle(self, *args, directory=None, **options):
        for result in load_content(directory):
            style = self.style.WARNING if result.outcome == "kept-edits" else self.style.SUCCESS
            self.stdout.write(style(str(result)))
