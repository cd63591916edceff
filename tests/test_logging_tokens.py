"""No log line carries a self-service token, a signed submission token or a session cookie."""

import io
import logging

import pytest

from clinic.logging import mask_secrets
from consultations import links
from consultations.forms import make_submission_token

from .factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_stream():
    """What the project's console handler writes, with the filters settings.LOGGING gives it."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_damaged_self_service_link_is_logged_without_its_token(client, log_stream):
    token = links.make_token(make_request())
    assert client.get(f"/consultations/manage/{token}x/cancel/").status_code == 400
    assert client.get(f"/consultations/manage/{token}/nowhere/").status_code == 404

    log = log_stream.getvalue()
    assert "Bad Request: /consultations/manage/…/cancel/" in log
    assert "Not Found: /consultations/manage/…/nowhere/" in log
    assert token not in log


def test_mask_secrets_masks_signed_values_and_cookies():
    submission = make_submission_token()
    line = f"path=/es/consultations/manage/{submission}/ form={submission} Cookie: sessionid=abc123def; csrftoken=zz"
    masked = mask_secrets(line)
    assert submission not in masked
    assert "abc123def" not in masked
    assert "sessionid=…" in masked
    assert "/es/consultations/manage/…/" in masked


def test_log_lines_carry_utc_time_with_its_zone(client, log_stream, settings):
    import datetime
    import re

    client.get("/consultations/manage/not-a-token/cancel/")
    stamp = re.search(r"^time=(\S+) ", log_stream.getvalue(), re.M).group(1)
    # The clinic's own zone (America/New_York here) would be hours off and carry no zone.
    assert settings.TIME_ZONE != "UTC"
    assert stamp.endswith("Z")
    logged = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.UTC)
    assert abs(datetime.datetime.now(datetime.UTC) - logged) < datetime.timedelta(minutes=5)


def test_mask_secrets_leaves_a_line_without_secrets_alone():
    line = 'level=INFO logger=access method=GET path="/treatments/belotero/" status=200 duration_ms=0.4'
    assert mask_secrets(line) == line
    assert mask_secrets(line.replace("/treatments/belotero/", "/consultations/manage/abc/")).count("abc") == 0


def test_book_again_link_is_logged_without_its_token(client, log_stream):
    """Issue 27: the recall email's link opens a form prefilled for one patient."""
    import logging as logging_module

    token = links.make_recall_token(make_request())
    logging_module.getLogger("django.request").warning("Not Found: /es/consultations/again/%s/", token)
    log = log_stream.getvalue()
    assert "Not Found: /es/consultations/again/…/" in log
    assert token not in log


def test_waitlist_offer_link_is_logged_without_its_token(log_stream):
    """Issue 27: the offer's link takes a freed time for one patient; its token stays out of logs."""
    import logging as logging_module

    token = "42:SeCrEtSiGnAtUrE1234567890abcdef"
    logging_module.getLogger("django.request").warning("Forbidden (CSRF): /consultations/offer/%s/", token)
    log = log_stream.getvalue()
    assert "/consultations/offer/…/" in log
    assert token not in log and "SeCrEtSiGnAtUrE" not in log
