from django.core.management.base import BaseCommand, CommandError

from clinic.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Bring back the database and the private photos from an archive written by `manage.py backup`, "
        "into a fresh install with the same database engine (stop the app nodes first), then migrate. The archive "
        "is checked (checksums, photo names, the database file) before anything is replaced. Sessions and "
        "second-factor secrets are not in archives: staff sign in again and set up their authenticator app again."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz written by `manage.py backup`.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Overwrite a database that already holds consultation requests.",
        )
        parser.add_argument(
            "--without-checksums",
            action="store_true",
            help="Also accept an archive written before archives carried checksums (format 1).",
        )

    def handle(self, *args, archive, replace=False, without_checksums=False, **options):
        try:
            manifest = restore(archive, replace=replace, allow_unchecked=without_checksums)
        except (BackupError, FileNotFoundError) as error:
            raise CommandError(str(error)) from None
        requests = manifest["rows"].get("consultations_consultationrequest", 0)
        self.stdout.write(
            f"Restored the backup of {manifest['created']}: {requests} requests, {len(manifest['photos'])} photos."
        )
