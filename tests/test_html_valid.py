"""Every public page is valid HTML according to the Nu HTML Checker (vnu.jar from npm, run by java).

Pages are rendered with Django's test client into a temporary folder and checked in
one java run (the JVM start is most of the cost). Any error fails, listed by page.
"""

import json
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from consultations.models import Status
from consultations.views import SUBMITTED_COOKIE, submitted_cookie_value
from education.models import Treatment

from .factories import intake_post_data, make_request, self_service
from .missing import need, need_file

pytestmark = pytest.mark.django_db

VNU = Path(__file__).resolve().parents[1] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def public_pages(client):
    """(name, HTML) for every public page, in the states a patient meets them."""
    pages = [("home", client.get("/")), ("treatments", client.get("/treatments/"))]
    treatments = list(Treatment.objects.published())
    assert len(treatments) >= 2  # the shipped guides: Belotero and dermal fillers
    pages += [(f"treatment-{t.slug}", client.get(t.get_absolute_url())) for t in treatments]
    pages.append(("form", client.get("/consultations/new/")))
    invalid = intake_post_data(treatments[0], email="not-an-email", goals="")
    pages.append(("form-with-errors", client.post("/consultations/new/", invalid)))
    pages.append(("privacy", client.get("/consultations/privacy/")))
    pages.append(("not-found", client.get("/no-such-page/")))

    consultation = make_request()
    client.cookies[SUBMITTED_COOKIE] = submitted_cookie_value(consultation)
    pages.append(("confirmation", client.get("/consultations/submitted/")))
    pages.append(("self-service", client.get(self_service(client, consultation))))
    pages.append(("self-service-time", client.get(self_service(client, consultation, "manage_move"))))
    pages.append(
        ("self-service-time-with-errors", client.post(self_service(client, consultation, "manage_move"), {"slot": ""}))
    )
    pages.append(("self-service-cancel", client.get(self_service(client, consultation, "manage_cancel"))))
    needs_info = make_request(status=Status.NEEDS_INFO)
    pages.append(("self-service-needs-info", client.get(self_service(client, needs_info))))
    info_url = self_service(client, needs_info, "manage_info")
    pages.append(("self-service-needs-info-with-errors", client.post(info_url, {"text": ""})))

    pages += waitlist_pages(client)
    pages += policy_pages(client)
    pages += spanish_pages(client, treatments)

    expected_status = {"form-with-errors": 200, "not-found": 404, "es-not-found": 404}
    for name, response in pages:
        assert response.status_code == expected_status.get(name, 200), name
    return [(name, response.content) for name, response in pages]


def waitlist_pages(client):
    """The waitlist (issue 27): the patient's choices (empty, with errors, once on it) and an emailed offer."""
    from consultations import waitlist
    from consultations.availability import open_slots
    from consultations.models import OfferState, WaitlistOffer
    from tests.factories import make_provider

    provider = make_provider(display_name="Dr Valid", weekdays=range(7))
    consultation = make_request()
    url = self_service(client, consultation, "manage_waitlist")
    pages = [("waitlist", client.get(url)), ("waitlist-with-errors", client.post(url, {"when": "chosen"}))]
    waitlist.join(consultation)
    pages.append(("waitlist-joined", client.get(url)))
    slot = open_slots(provider=provider)[0]  # a free time, as after a cancel
    (offer,) = waitlist.offer_time(slot.provider_id, slot.start, slot.end)
    offer_url = reverse("consultations:waitlist_offer", kwargs={"token": offer.token})
    pages.append(("waitlist-offer", client.get(offer_url)))
    pages.append(("waitlist-offer-policy-changed", client.post(offer_url, {"policy_version": "older"})))
    WaitlistOffer.objects.filter(pk=offer.pk).update(state=OfferState.TAKEN)
    pages.append(("waitlist-offer-taken", client.get(offer_url)))
    return pages


def policy_pages(client):
    """Issue 27: the confirm-or-release page, "call us" inside the window, the "book again" form."""
    import datetime

    from django.utils import timezone

    from consultations import links
    from consultations.models import ConsultationRequest

    from .factories import make_booked_request

    now = timezone.now()
    booked = make_booked_request(status=Status.APPROVED, start=now + datetime.timedelta(days=3))
    pages = [("self-service-attendance", client.get(self_service(client, booked, "manage_attendance")))]
    close = make_booked_request(
        status=Status.APPROVED, start=now + datetime.timedelta(hours=3), policy_version="2026-12-1"
    )
    ConsultationRequest.objects.filter(pk=close.pk).update(created_at=now - datetime.timedelta(hours=2))
    pages.append(("self-service-call-us", client.get(self_service(client, close))))
    pages.append(("self-service-call-us-page", client.get(self_service(client, close, "manage_cancel"))))
    done = make_request(status=Status.COMPLETED)
    pages.append(("form-book-again", client.get(links.book_again_path(done), follow=True)))
    return pages


def spanish_pages(client, treatments):
    """The same pages under /es/ (the Spanish edition), including the self-service ones."""
    pages = [("es-home", client.get("/es/")), ("es-treatments", client.get("/es/treatments/"))]
    with translation.override("es"):
        paths = [(t.slug, t.get_absolute_url()) for t in treatments]
    pages += [(f"es-treatment-{slug}", client.get(path)) for slug, path in paths]
    pages.append(("es-form", client.get("/es/consultations/new/")))
    invalid = intake_post_data(treatments[0], email="not-an-email", goals="")
    pages.append(("es-form-with-errors", client.post("/es/consultations/new/", invalid)))
    pages.append(("es-privacy", client.get("/es/consultations/privacy/")))
    pages.append(("es-not-found", client.get("/es/no-such-page/")))
    consultation = make_request(language="es")
    with translation.override("es"):
        manage, move = self_service(client, consultation), self_service(client, consultation, "manage_move")
    pages.append(("es-self-service", client.get(manage)))
    pages.append(("es-self-service-time", client.get(move)))
    client.cookies[SUBMITTED_COOKIE] = submitted_cookie_value(consultation)
    pages.append(("es-confirmation", client.get("/es/consultations/submitted/")))
    return pages


def vnu_errors(folder):
    java = need("java", "default-jre-headless")
    need_file(VNU, "npm from apt-get install -y npm, then make node_modules/.installed")
    files = sorted(folder.glob("*.html"))
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--errors-only", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stdout)["messages"]
    # vnu exits 1 when it found errors; anything else without messages is a broken run.
    assert result.returncode in (0, 1) and (result.returncode == 0 or messages), result.stderr
    return messages


def test_public_pages_are_valid_html(client, tmp_path):
    pages = public_pages(client)
    for name, html in pages:
        (tmp_path / f"{name}.html").write_bytes(html)
    errors = [message for message in vnu_errors(tmp_path) if message["type"] != "info"]
    lines = [
        f"{Path(message.get('url', '?')).name}:{message.get('lastLine', '?')}: {message['message']}\n"
        f"    {message.get('extract', '').strip()[:200]}"
        for message in errors
    ]
    assert not errors, f"{len(errors)} HTML error(s) in {len(pages)} pages:\n" + "\n".join(lines)
