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
            help="The .tar.gz to write, or a directory to write clinic-<UTC time>.tar.gz in (default: backups/).",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            help="In a directory: keep only the newest N archives (default: keep all).",
        )

    def handle(self, *args, archive=None, keep=0, **options):
        target = Path(archive or "backups/")
        directory = target.is_dir() or str(archive or "/").endswith("/")
        if directory:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            path = target / f"clinic-{stamp}.tar.gz"
        else:
            path = target
        try:
            manifest = backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        requests = manifest["rows"].get("consultations_consultationrequest", 0)
        self.stdout.write(f"Wrote {path}: {requests} requests, {len(manifest['photos'])} photos.")
        if directory and keep > 0:
            # The time stamp in the name sorts in time order.
            for old in sorted(target.glob("clinic-*.tar.gz"))[:-keep]:
                old.unlink()
                self.stdout.write(f"Removed {old}")
