import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write one archive with a consistent snapshot of the database (SQLite online backup or pg_dump) "
        "and every private photo. Restore it with `manage.py restore ARCHIVE`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "archive",
            nargs="?",
            help="Where to write the .tar.gz (default: backups/clinic-<UTC time>.tar.gz in the current directory).",
        )

    def handle(self, *args, archive=None, **options):
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(archive or f"backups/clinic-{stamp}.tar.gz")
        try:
            manifest = backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        requests = manifest["rows"].get("consultations_consultationrequest", 0)
        self.stdout.write(f"Wrote {path}: {requests} requests, {len(manifest['photos'])} photos.")
