"""One archive with everything a clinic would miss: the database and the patients' photos.

`manage.py backup` writes a gzipped tar:
    manifest.json        format, time, database engine, row count per table, the photo names
    database.sqlite3     SQLite: a consistent copy made with SQLite's online backup API
    database.pgdump      PostgreSQL: `pg_dump --format=custom` (one snapshot, taken while the site runs)
    photos/<name>        every file in the private storage (local disk or S3-compatible bucket)

`manage.py restore` puts them back into a fresh install (same engine), then migrates, so an
archive from an older release comes up to date. The archive holds health information: it is
written with owner-only permissions and belongs on encrypted storage (deploy/README.md).
"""

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connection, connections

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_NAME = "database.sqlite3"
PGDUMP_NAME = "database.pgdump"
PHOTOS_DIR = "photos"


class BackupError(Exception):
    """Something the operator must fix; the message says what (never a password)."""


def engine():
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _pg_environment():
    # libpq reads these, so the password never appears in a process list.
    db = connection.settings_dict
    env = {**os.environ}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if db.get(key):
            env[variable] = str(db[key])
    env["PGDATABASE"] = db["NAME"]
    return env


def _run(command):
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(
            f"{command[0]} is not on PATH: install postgresql-client (the same major version as the server)."
        )
    # noqa reason: fixed tool names and arguments built here; the database name comes from settings.
    result = subprocess.run([tool, *command[1:]], env=_pg_environment(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def _walk(storage, directory=""):
    """Every file name in a storage, recursively (FileSystemStorage and S3Storage both list)."""
    try:
        subdirectories, files = storage.listdir(directory)
    except FileNotFoundError:
        return  # a fresh install: the photo directory appears with the first photo
    for name in files:
        yield f"{directory}/{name}" if directory else name
    for subdirectory in subdirectories:
        yield from _walk(storage, f"{directory}/{subdirectory}" if directory else subdirectory)


def row_counts():
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                table = model._meta.db_table
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  a table name from the models
                counts[table] = cursor.fetchone()[0]
    return counts


def _dump_database(vendor, target):
    if vendor == "sqlite":
        connection.ensure_connection()
        # The online backup API copies a consistent snapshot while other processes keep writing.
        with closing(sqlite3.connect(target)) as copy:
            connection.connection.backup(copy)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"])


def backup(path):
    """Write the archive to `path`; returns the manifest."""
    vendor = engine()
    storage = storages["private"]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clinic-backup-") as work:
        database_file = Path(work) / (SQLITE_NAME if vendor == "sqlite" else PGDUMP_NAME)
        # Database first: a photo uploaded meanwhile is then an extra file, never a missing one.
        _dump_database(vendor, database_file)
        manifest = {
            "format": FORMAT,
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "engine": vendor,
            "rows": row_counts(),
            "photos": sorted(_walk(storage)),
        }
        partial = path.with_name(path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            manifest_file = Path(work) / MANIFEST
            manifest_file.write_text(json.dumps(manifest, indent=2))
            archive.add(manifest_file, arcname=MANIFEST)
            archive.add(database_file, arcname=database_file.name)
            for name in manifest["photos"]:
                with storage.open(name, "rb") as photo:
                    info = tarfile.TarInfo(f"{PHOTOS_DIR}/{name}")
                    info.size = photo.size
                    info.mode = 0o600
                    archive.addfile(info, photo)
        # Only a complete archive gets the final name.
        partial.replace(path)
    return manifest


def _safe_member(member):
    name = member.name
    return (member.isfile() and not name.startswith("/") and ".." not in Path(name).parts) or member.isdir()


def _has_requests():
    model = apps.get_model("consultations", "ConsultationRequest")
    try:
        return model.objects.exists()
    except Exception:  # noqa: BLE001  no tables yet: an empty database
        return False


def _restore_database(vendor, extracted):
    if vendor == "sqlite":
        target = connection.settings_dict["NAME"]
        connections.close_all()
        with closing(sqlite3.connect(extracted)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
    else:
        connections.close_all()
        # --clean --if-exists: a fresh install may already have migrated (empty) tables.
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              f"--dbname={connection.settings_dict['NAME']}", str(extracted)])  # fmt: skip


def restore(path, *, replace=False):
    """Bring the database and the photos back from an archive written by backup(); returns its manifest."""
    vendor = engine()
    storage = storages["private"]
    if not replace and _has_requests():
        raise BackupError(
            "This database already holds consultation requests; restore only into a fresh install (or pass --replace)."
        )
    with tempfile.TemporaryDirectory(prefix="clinic-restore-") as work, tarfile.open(path, "r:gz") as archive:
        members = [member for member in archive.getmembers() if _safe_member(member)]
        archive.extractall(work, members=members, filter="data")
        manifest = json.loads((Path(work) / MANIFEST).read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Unknown archive format {manifest.get('format')!r}.")
        if manifest["engine"] != vendor:
            raise BackupError(f"The archive holds a {manifest['engine']} database; this install uses {vendor}.")
        _restore_database(vendor, Path(work) / (SQLITE_NAME if vendor == "sqlite" else PGDUMP_NAME))
        for name in manifest["photos"]:
            if storage.exists(name):
                storage.delete(name)
            with (Path(work) / PHOTOS_DIR / name).open("rb") as photo:
                saved = storage.save(name, File(photo))
            if saved != name:
                raise BackupError(f"Photo {name} was stored as {saved}; the storage renames files.")
    call_command("migrate", interactive=False, verbosity=0)
    return manifest
