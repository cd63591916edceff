"""Backups that restore: archive, lose everything, bring it back, find every row and photo.

Runs on SQLite and, in the PostgreSQL pass of tests/run.sh, with pg_dump / pg_restore.
"""

import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from consultations.models import AuditEvent, ConsultationRequest, Photo, ScreeningAnswer

from .factories import make_photo, make_precaution, make_request, make_treatment

pytestmark = pytest.mark.django_db(transaction=True)


def wipe_database():
    """The server is gone: an empty database, as on a freshly installed one."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        connections.close_all()
    else:
        path = Path(connection.settings_dict["NAME"])
        connections.close_all()
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)


def snapshot():
    return {
        "requests": sorted(ConsultationRequest.objects.values_list("reference", "email", "status")),
        "answers": sorted(ScreeningAnswer.objects.values_list("consultation__reference", "precaution_id", "answer")),
        "photos": sorted(Photo.objects.values_list("consultation__reference", "image")),
        "audit": sorted(AuditEvent.objects.values_list("action", "reference", "detail")),
    }


@pytest.fixture
def clinic_data(storage):
    treatment = make_treatment("backupfill", name="Backupfill")
    precaution = make_precaution(treatment)
    requests = [make_request(treatment, email=f"backup-{n}@example.com", answers={precaution: "yes"}) for n in range(3)]
    photos = [make_photo(request) for request in requests[:2]]
    for request in requests:
        AuditEvent.objects.create(action=AuditEvent.Action.VIEW, consultation=request, reference=request.reference)
    return {name: storage.open(photo.image.name).read() for photo in photos for name in [photo.image.name]}


def test_backup_wipe_restore_brings_back_every_row_and_photo(clinic_data, storage, tmp_path):
    before = snapshot()
    assert len(before["requests"]) == 3
    assert len(before["photos"]) == 2
    assert len(before["answers"]) >= 3
    archive = tmp_path / "clinic.tar.gz"

    call_command("backup", str(archive))

    assert archive.stat().st_mode & 0o777 == 0o600
    for name in clinic_data:
        storage.delete(name)
    wipe_database()

    call_command("restore", str(archive))

    assert snapshot() == before
    assert {name: storage.open(name).read() for name in clinic_data} == clinic_data


def test_archive_lists_rows_and_photos_in_its_manifest(clinic_data, tmp_path):
    archive = tmp_path / "clinic.tar.gz"
    call_command("backup", str(archive))
    with tarfile.open(archive) as opened:
        names = opened.getnames()
        manifest = json.load(opened.extractfile("manifest.json"))
    assert manifest["engine"] == connection.vendor
    assert manifest["rows"]["consultations_consultationrequest"] == 3
    assert sorted(f"photos/{name}" for name in clinic_data) == sorted(n for n in names if n.startswith("photos/"))


def test_restore_refuses_a_database_that_has_requests(clinic_data, tmp_path):
    archive = tmp_path / "clinic.tar.gz"
    call_command("backup", str(archive))
    with pytest.raises(CommandError, match="fresh install"):
        call_command("restore", str(archive))
    assert ConsultationRequest.objects.count() == 3


def test_backup_into_a_directory_keeps_the_newest_archives(tmp_path):
    directory = tmp_path / "backups"
    directory.mkdir()
    for stamp in ("20261101T023000Z", "20261102T023000Z", "20261103T023000Z"):
        (directory / f"clinic-{stamp}.tar.gz").write_bytes(b"old")

    call_command("backup", f"{directory}/", "--keep", "2")

    kept = sorted(path.name for path in directory.iterdir())
    assert len(kept) == 2
    assert kept[0] == "clinic-20261103T023000Z.tar.gz"
    with tarfile.open(directory / kept[1]) as opened:
        assert "manifest.json" in opened.getnames()
