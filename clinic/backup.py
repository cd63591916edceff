"""One archive with everything a clinic would miss: the database and the patients' photos.

`manage.py backup` writes a gzipped tar:
    manifest.json        format, time, database engine, row count per table, the photo names,
                         the tables left empty, and the SHA-256 of every other file in the archive
    database.sqlite3     SQLite: a consistent copy made with SQLite's online backup API
    database.pgdump      PostgreSQL: `pg_dump --format=custom` (one snapshot, taken while the site runs)
    photos/<name>        every file in the private storage (local disk or S3-compatible bucket)

Left out (their tables are in the archive, empty): staff sessions, the second factor's secrets
(authenticator keys, recovery codes) and background-task results. A stolen archive must not
sign anyone in; after a restore everyone signs in again and staff set up their authenticator
app again (passkeys are public keys and are kept).

`manage.py restore` extracts the archive into a staging directory and checks everything there
first: the format and engine, every file against its checksum, every photo name, the database
file itself (SQLite's integrity check, pg_restore --list). Only then does it replace the
database and the photos, and migrate, so an archive from an older release comes up to date; a
bad archive leaves the install as it was. The checksums catch a damaged or truncated archive;
they are no signature (whoever can write the archive can write the manifest). The archive holds
health information: it is written with owner-only permissions and belongs on encrypted storage
(deploy/README.md).
"""

import datetime
import hashlib
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

FORMAT = 2
MANIFEST = "manifest.json"
SQLITE_NAME = "database.sqlite3"
PGDUMP_NAME = "database.pgdump"
PHOTOS_DIR = "photos"


def left_out_tables():
    """Tables whose rows never go into an archive: live sign-ins, second-factor secrets, task results."""
    labels = [
        "sessions.Session",
        "otp_totp.TOTPDevice",
        "otp_static.StaticToken",
        "otp_static.StaticDevice",
        "django_tasks_database.DBTaskResult",
    ]
    return [apps.get_model(label)._meta.db_table for label in labels if _installed(label)]


def _installed(label):
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    left_out = left_out_tables()
    if vendor == "sqlite":
        connection.ensure_connection()
        # The online backup API copies a consistent snapshot while other processes keep writing;
        # the left-out rows are then deleted from the copy (and the freed pages wiped by VACUUM).
        with closing(sqlite3.connect(target)) as copy:
            connection.connection.backup(copy)
            for table in left_out:
                copy.execute(f'DELETE FROM "{table}"')  # noqa: S608  a table name from the models
            copy.commit()
            copy.execute("VACUUM")
    else:
        excluded = [f"--exclude-table-data={table}" for table in left_out]
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *excluded, f"--file={target}"])


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
        left_out = left_out_tables()
        rows = {table: (0 if table in left_out else count) for table, count in row_counts().items()}
        # Photos are copied to the staging directory first, so each one's checksum is of the bytes archived.
        photos = sorted(_walk(storage))
        checksums = {database_file.name: sha256(database_file)}
        for name in photos:
            staged = Path(work) / PHOTOS_DIR / name
            staged.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as photo, open(staged, "wb") as copy:
                shutil.copyfileobj(photo, copy)
            checksums[f"{PHOTOS_DIR}/{name}"] = sha256(staged)
        manifest = {
            "format": FORMAT,
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "engine": vendor,
            "rows": rows,
            "photos": photos,
            "left_out": left_out,
            "sha256": checksums,
        }
        partial = path.with_name(path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            manifest_file = Path(work) / MANIFEST
            manifest_file.write_text(json.dumps(manifest, indent=2))
            archive.add(manifest_file, arcname=MANIFEST)
            archive.add(database_file, arcname=database_file.name)
            for name in photos:
                info = archive.gettarinfo(Path(work) / PHOTOS_DIR / name, arcname=f"{PHOTOS_DIR}/{name}")
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                with open(Path(work) / PHOTOS_DIR / name, "rb") as photo:
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


def _photo_name_problem(name, storage, work):
    """Why a photo name from the manifest cannot be restored as it is, or None."""
    parts = Path(name).parts if isinstance(name, str) else ()
    if not parts or name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in parts):
        return "is not a plain relative file name"
    if storage.generate_filename(name) != name:
        return "would be renamed by the photo storage"
    staged = (Path(work) / PHOTOS_DIR / name).resolve()
    if not staged.is_relative_to((Path(work) / PHOTOS_DIR).resolve()) or not staged.is_file():
        return "is missing from the archive"
    return None


def _check_database_file(vendor, extracted):
    if vendor == "sqlite":
        try:
            with closing(sqlite3.connect(f"file:{extracted}?mode=ro", uri=True)) as copy:
                result = copy.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"The archive's database is damaged: {error}.") from None
        if result != ("ok",):
            raise BackupError(f"The archive's database is damaged: {result[0] if result else 'no answer'}.")
    else:
        _run(["pg_restore", "--list", str(extracted)])


def stage(path, work, *, allow_unchecked=False):
    """Extract the archive into `work` and check everything there; returns the manifest.

    Nothing of the install is touched: a problem here leaves it exactly as it was. Archives of
    format 1 (before checksums) are read only with allow_unchecked (restore --without-checksums)."""
    vendor = engine()
    storage = storages["private"]
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = [member for member in archive.getmembers() if _safe_member(member)]
            archive.extractall(work, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise BackupError(f"The archive cannot be read: {error}.") from None
    try:
        manifest = json.loads((Path(work) / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError("The archive has no readable manifest.json.") from None
    unchecked = allow_unchecked and manifest.get("format") == 1
    if manifest.get("format") != FORMAT and not unchecked:
        hint = (
            " Pass --without-checksums to restore an archive written before checksums."
            if manifest.get("format") == 1
            else ""
        )
        raise BackupError(
            f"Unknown archive format {manifest.get('format')!r} (this release writes format {FORMAT}).{hint}"
        )
    if manifest.get("engine") != vendor:
        raise BackupError(f"The archive holds a {manifest.get('engine')} database; this install uses {vendor}.")
    checksums = manifest.get("sha256") or {}
    database_name = SQLITE_NAME if vendor == "sqlite" else PGDUMP_NAME
    expected = {
        database_name,
        *(f"{PHOTOS_DIR}/{name}" for name in manifest.get("photos", []) if isinstance(name, str)),
    }
    if not unchecked and set(checksums) != expected:
        raise BackupError("The archive's manifest does not list a checksum for exactly its database and photos.")
    for name in manifest["photos"]:
        problem = _photo_name_problem(name, storage, work)
        if problem:
            raise BackupError(f"Photo {name!r} {problem}; nothing was restored.")
    for name, digest in checksums.items():
        file = Path(work) / name
        if not file.is_file() or sha256(file) != digest:
            raise BackupError(f"{name} does not match its checksum: the archive is damaged; nothing was restored.")
    _check_database_file(vendor, Path(work) / database_name)
    return manifest


def restore(path, *, replace=False, allow_unchecked=False):
    """Bring the database and the photos back from an archive written by backup(); returns its manifest.

    Everything is staged and checked first (stage()); only a sound archive replaces anything."""
    vendor = engine()
    storage = storages["private"]
    if not replace and _has_requests():
        raise BackupError(
            "This database already holds consultation requests; restore only into a fresh install (or pass --replace)."
        )
    with tempfile.TemporaryDirectory(prefix="clinic-restore-") as work:
        manifest = stage(path, work, allow_unchecked=allow_unchecked)
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
