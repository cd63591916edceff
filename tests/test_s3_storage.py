"""Patients' photos in S3-compatible object storage (CLINIC_MEDIA_URL=s3://bucket/prefix).

moto's server mode stands in for the object store: a real HTTP S3 API on loopback, started here.
"""

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages
from django.core.management import call_command
from django.urls import reverse

from clinic.settings import private_storage
from consultations.models import AuditEvent, Photo

from .factories import make_photo, make_request

pytestmark = pytest.mark.django_db

BUCKET = "clinic-photos"
PREFIX = "patients"


def free_port():
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [Path(sys.executable).with_name("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, "moto_server exited"
                assert time.monotonic() < deadline, "moto_server did not answer within 30 s"
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch):
    """The private storage in a fresh bucket, configured the way settings read CLINIC_MEDIA_URL."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "clinic-test",
        "AWS_SECRET_ACCESS_KEY": "clinic-test-secret",
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    settings.STORAGES = {**settings.STORAGES, "private": private_storage(f"s3://{BUCKET}/{PREFIX}", "/unused")}
    monkeypatch.setattr(Photo._meta.get_field("image"), "storage", storages["private"])
    return client


def keys(client):
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_local_disk_stays_the_default():
    config = private_storage("", "/srv/clinic/private-media")
    assert config["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert config["OPTIONS"]["location"] == "/srv/clinic/private-media"


@pytest.mark.parametrize("url", ["https://bucket/prefix", "s3:///prefix", "bucket/prefix"])
def test_media_url_must_name_an_s3_bucket(url):
    with pytest.raises(ImproperlyConfigured):
        private_storage(url, "/unused")


def test_photo_is_stored_in_the_bucket_under_the_prefix(s3):
    photo = make_photo(make_request())
    assert keys(s3) == [f"{PREFIX}/{photo.image.name}"]


def test_stored_photo_is_not_public(s3, s3_endpoint):
    photo = make_photo(make_request())
    key = f"{PREFIX}/{photo.image.name}"
    grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert [grant["Grantee"].get("URI") for grant in grants if grant["Grantee"].get("Type") == "Group"] == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{BUCKET}/{key}", timeout=10)
    assert refused.value.code == 403


def test_staff_see_the_photo_only_through_the_checked_view(s3, staff_client, client):
    consultation = make_request()
    photo = make_photo(consultation)
    url = reverse("admin:consultations_consultationrequest_photo", args=[consultation.pk, photo.pk])
    stored = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{photo.image.name}")["Body"].read()

    response = staff_client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PHOTO_VIEW, consultation=consultation).count() == 1
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_deleting_a_request_deletes_its_photo_from_the_bucket(s3):
    photo = make_photo(make_request())
    photo.delete()
    assert keys(s3) == []


def test_readyz_checks_the_bucket(s3, client, settings):
    assert client.get("/readyz").status_code == 200
    settings.STORAGES = {**settings.STORAGES, "private": private_storage("s3://no-such-bucket/x", "/unused")}
    response = client.get("/readyz")
    assert (response.status_code, response.text) == (503, "storage unavailable\n")


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_carry_photos_from_the_bucket(s3, tmp_path):
    photo = make_photo(make_request())
    key = f"{PREFIX}/{photo.image.name}"
    content = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    archive = tmp_path / "clinic.tar.gz"
    call_command("backup", str(archive))
    s3.delete_object(Bucket=BUCKET, Key=key)

    call_command("restore", str(archive), "--replace")

    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == content
