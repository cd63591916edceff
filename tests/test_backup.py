"""Backups that restore: archive, lose everything, bring it back, find every row and photo.

Runs on SQLite and, in the PostgreSQL pass of tests/run.sh, with pg_dump / pg_restore.
"""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from consultations.models import AuditEvent, ConsultationRequest, Photo, ScreeningAnswer
from twofactor import devices

from .factories import make_photo, make_precaution, make_request, make_staff, make_totp_device, make_treatment

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


# --- Checked before anything is replaced; no sessions or second-factor secrets (issue 23, finding 15)


def rewrite(archive, target, change):
    """A copy of `archive` at `target` after change(directory) edited its extracted files."""
    work = target.parent / f"{target.name}.d"
    with tarfile.open(archive) as opened:
        opened.extractall(work, filter="data")
    change(work)
    with tarfile.open(target, "w:gz") as written:
        for path in sorted(work.rglob("*")):
            if path.is_file():
                written.add(path, arcname=str(path.relative_to(work)))
    return target


def edit_manifest(edit):
    def change(work):
        manifest = json.loads((work / "manifest.json").read_text())
        edit(manifest, work)
        (work / "manifest.json").write_text(json.dumps(manifest))

    return change


def rename_first_photo_to(bad_name):
    def edit(manifest, work):
        first = manifest["photos"][0]
        manifest["photos"][0] = bad_name
        manifest["sha256"][f"photos/{bad_name}"] = manifest["sha256"].pop(f"photos/{first}")

    return edit_manifest(edit)


def damage_a_photo(work):
    photo = next(path for path in (work / "photos").rglob("*") if path.is_file())
    photo.write_bytes(photo.read_bytes() + b"tampered")


def damage_the_database(work):
    database = next(work.glob("database.*"))
    data = bytearray(database.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(byte ^ 0xFF for byte in data[middle : middle + 64])
    database.write_bytes(bytes(data))


def truncate(archive, target):
    target.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return target


BAD_ARCHIVES = {
    "photo name with ..": lambda a, t: rewrite(a, t, rename_first_photo_to("../../outside.png")),
    "absolute photo name": lambda a, t: rewrite(a, t, rename_first_photo_to("/tmp/outside.png")),
    "photo missing from the archive": lambda a, t: rewrite(a, t, rename_first_photo_to("photos/not-there.png")),
    "photo not matching its checksum": lambda a, t: rewrite(a, t, damage_a_photo),
    "database not matching its checksum": lambda a, t: rewrite(a, t, damage_the_database),
    "no checksums": lambda a, t: rewrite(a, t, edit_manifest(lambda manifest, work: manifest.pop("sha256"))),
    "truncated archive": truncate,
}


@pytest.mark.parametrize("damage", BAD_ARCHIVES.values(), ids=BAD_ARCHIVES.keys())
def test_a_bad_archive_leaves_the_install_untouched(clinic_data, storage, tmp_path, damage):
    archive = tmp_path / "clinic.tar.gz"
    call_command("backup", str(archive))
    bad = damage(archive, tmp_path / "bad.tar.gz")
    # The install moves on after the backup: a new request and a changed photo.
    make_request(email="after-the-backup@example.com")
    changed = next(iter(clinic_data))
    storage.delete(changed)
    storage.save(changed, io.BytesIO(b"newer photo"))
    before = snapshot()

    with pytest.raises(CommandError):
        call_command("restore", str(bad), "--replace")

    assert snapshot() == before
    assert storage.open(changed).read() == b"newer photo"
    assert not (tmp_path.parent / "outside.png").exists()


def test_the_manifest_carries_the_sha256_of_every_file(clinic_data, tmp_path):
    archive = tmp_path / "clinic.tar.gz"
    call_command("backup", str(archive))
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
        files = {member.name: opened.extractfile(member).read() for member in opened.getmembers() if member.isfile()}
    assert set(manifest["sha256"]) == set(files) - {"manifest.json"}
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest


def test_sessions_and_second_factor_secrets_are_not_backed_up(clinic_data, storage, tmp_path, client):
    user = make_staff(username="dr-priya")
    device = make_totp_device(user)
    codes = devices.new_recovery_codes(user)
    client.force_login(user)
    assert Session.objects.exists()
    archive = tmp_path / "clinic.tar.gz"
    call_command("backup", str(archive))
    with tarfile.open(archive) as opened:
        raw = b"".join(opened.extractfile(m).read() for m in opened.getmembers() if m.name.startswith("database."))
    assert device.key.encode() not in raw
    assert not any(code.encode() in raw for code in codes)

    for name in clinic_data:
        storage.delete(name)
    wipe_database()
    call_command("restore", str(archive))

    assert ConsultationRequest.objects.count() == 3
    assert get_user_model().objects.filter(username="dr-priya").exists()
    assert not Session.objects.exists()
    assert not TOTPDevice.objects.exists()
    assert not StaticToken.objects.exists()


def test_an_archive_from_before_checksums_restores_only_when_asked(clinic_data, storage, tmp_path):
    archive = tmp_path / "clinic.tar.gz"
    call_command("backup", str(archive))
    old = rewrite(
        archive, tmp_path / "old.tar.gz", edit_manifest(lambda m, work: (m.pop("sha256"), m.update(format=1)))
    )
    for name in clinic_data:
        storage.delete(name)
    wipe_database()

    with pytest.raises(CommandError, match="--without-checksums"):
        call_command("restore", str(old))
    call_command("restore", str(old), "--without-checksums")

    assert ConsultationRequest.objects.count() == 3
