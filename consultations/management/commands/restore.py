from django.core.management.base import BaseCommand, CommandError

from clinic.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Bring back the database and the private photos from an archive written by `manage.py backup`, "
        "into a fresh install with the same database engine (stop the app nodes first), then migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz written by `manage.py backup`.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Overwrite a database that already holds consultation requests.",
        )

    def handle(self, *args, archive, replace=False, **options):
        try:
            manifest = restore(archive, replace=replace)
        except (BackupError, FileNotFoundError) as error:
            raise CommandError(str(error)) from None
        requests = manifest["rows"].get("consultations_consultationrequest", 0)
        self.stdout.write(
            f"Restored the backup of {manifest['created']}: {requests} requests, {len(manifest['photos'])} photos."
        )
