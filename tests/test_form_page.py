"""The empty consultation form comes from a copy of the last one rendered (consultations.formpage)
with this visitor's CSRF token and a new submission token, and never once anything it shows changed."""

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from consultations import availability, formpage, views
from consultations.forms import read_submission_token
from consultations.models import ClosedDay, ConsultationRequest, PrivacyNotice, Status, WorkingHours
from education.models import Treatment

from .factories import intake_post_data, make_provider

NEW = "/consultations/new/"


@pytest.fixture
def provider(db):
    return make_provider(display_name="Dr Rivera", weekdays=range(7))


REAL_WINDOW = formpage.window


def test_a_window_is_ten_seconds_of_the_clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(formpage.time, "time", lambda: now[0])
    first = REAL_WINDOW()
    now[0] += 9.9
    assert REAL_WINDOW() == first
    now[0] += 0.1
    assert REAL_WINDOW() == first + 1


@pytest.fixture(autouse=True)
def same_window(monkeypatch):
    """Every request of a test in one ten-second window (a test may cross a boundary otherwise)."""
    window = [formpage.window()]
    monkeypatch.setattr(formpage, "window", lambda: window[0])
    return window


@pytest.fixture
def renders():
    """Counts the empty forms actually rendered (not copied)."""
    with mock.patch.object(views, "_empty_form", side_effect=views._empty_form) as spy:
        yield spy


def tokens(html):
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    submission = re.search(r'name="submission_token" value="([^"]+)"', html).group(1)
    return csrf, submission


def without_tokens(html):
    return html.replace(tokens(html)[0], "CSRF").replace(tokens(html)[1], "TOKEN")


def test_second_visitor_gets_a_copy_with_their_own_tokens(provider, belotero, renders):
    first, second = Client(), Client()
    one = first.get(NEW).text
    two = second.get(NEW).text

    assert renders.call_count == 1
    assert without_tokens(one) == without_tokens(two)
    assert tokens(one)[0] != tokens(two)[0]
    assert tokens(one)[1] != tokens(two)[1]
    # A fresh submission token: its own id and the time the copy was sent (bot timing).
    assert read_submission_token(tokens(two)[1])[0] != read_submission_token(tokens(one)[1])[0]
    assert second.cookies["csrftoken"].value


def test_a_copied_form_can_be_sent_as_it_is(provider, belotero, renders):
    Client().get(NEW)
    browser = Client(enforce_csrf_checks=True)
    csrf, submission = tokens(browser.get(NEW).text)
    assert renders.call_count == 1
    data = intake_post_data(belotero, csrfmiddlewaretoken=csrf, submission_token=submission)
    response = browser.post(NEW, data)
    assert response.status_code == 302
    assert ConsultationRequest.objects.count() == 1


def test_a_time_booked_by_someone_is_gone_from_the_next_copy(
    client, provider, belotero, renders, django_capture_on_commit_callbacks
):
    slot = availability.open_slots(provider=provider)[0]
    assert f'value="{slot.key}"' in client.get(NEW).text
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(NEW, intake_post_data(belotero, preferred_time=slot.key))
    assert ConsultationRequest.objects.get().status == Status.NEW
    assert f'value="{slot.key}"' not in Client().get(NEW).text
    assert renders.call_count == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda provider: WorkingHours.objects.filter(provider=provider).delete(),
        lambda provider: ClosedDay.objects.create(date=availability.open_slots()[0].start.date(), name="Holiday"),
        lambda provider: PrivacyNotice.objects.create(version="2099-01", text_en="A newer notice."),
    ],
    ids=["hours", "closed day", "privacy notice"],
)
def test_hours_closed_days_and_the_notice_start_a_new_copy(
    client, provider, belotero, renders, change, django_capture_on_commit_callbacks
):
    client.get(NEW)
    with django_capture_on_commit_callbacks(execute=True):
        change(provider)
    client.get(NEW)
    assert renders.call_count == 2


def test_another_nodes_booking_reaches_this_worker_within_a_second(client, provider, belotero, renders, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("clinic.pagecache.time.monotonic", lambda: now[0])
    formpage.BOOKINGS.forget()
    client.get(NEW)
    cache.set(formpage.BOOKINGS.key, "another-nodes-version")
    now[0] += 0.5
    client.get(NEW)
    assert renders.call_count == 1
    now[0] += 0.5
    client.get(NEW)
    assert renders.call_count == 2


def test_the_times_follow_the_clock(client, provider, belotero, renders, same_window):
    client.get(NEW)
    same_window[0] += 1
    client.get(NEW)
    assert renders.call_count == 2


def test_each_treatment_and_language_has_its_own_copy(client, provider, belotero, renders):
    english = client.get(NEW, {"treatment": "belotero"}).text
    spanish = client.get("/es" + NEW, {"treatment": "belotero"}).text
    other = Treatment.objects.published().exclude(pk=belotero.pk).first()
    client.get(NEW, {"treatment": other.slug})
    client.get(NEW, {"treatment": other.slug})
    assert renders.call_count == 3
    assert '<html lang="es">' in spanish and '<html lang="en">' in english


def test_answers_sent_back_with_errors_are_never_in_anyones_copy(client, provider, belotero):
    client.get(NEW)
    client.post(NEW, intake_post_data(belotero, first_name="Zeldaunique", email="not-an-email"))
    assert "Zeldaunique" not in Client().get(NEW).text


def test_a_page_without_its_tokens_is_not_kept(client, provider, belotero):
    render = views._empty_form

    def rendered_without_token(request, treatment_id, csrf_token):
        response, _token = render(request, treatment_id, csrf_token)
        return response, None

    with mock.patch.object(views, "_empty_form", side_effect=rendered_without_token) as spy:
        client.get(NEW)
        client.get(NEW)
    assert spy.call_count == 2


def test_a_request_without_a_time_keeps_the_copy(
    client, provider, belotero, renders, django_capture_on_commit_callbacks
):
    client.get(NEW)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(NEW, intake_post_data(belotero, preferred_time=""))
    assert ConsultationRequest.objects.count() == 1
    client.get(NEW)
    assert renders.call_count == 1


def test_a_copy_is_only_for_its_own_address(client, provider, belotero, renders, settings):
    settings.ALLOWED_HOSTS = ["clinic.test", "www.clinic.test"]
    client.get(NEW, {"treatment": "belotero"}, HTTP_HOST="clinic.test")
    other_host = client.get(NEW, {"treatment": "belotero"}, HTTP_HOST="www.clinic.test").text
    assert renders.call_count == 2
    assert "//clinic.test/" not in other_host

    # Another query string never makes a copy, and never gets one: its text could end up in
    # the page's own links for everyone else.
    tagged = client.get(NEW, {"treatment": "belotero", "utm_source": "Zeldaunique"}, HTTP_HOST="clinic.test")
    assert renders.call_count == 3
    assert "Zeldaunique" in tagged.text
    client.get(NEW, {"treatment": "belotero", "utm_source": "Zeldaunique"}, HTTP_HOST="clinic.test")
    assert renders.call_count == 4
    assert "Zeldaunique" not in client.get(NEW, {"treatment": "belotero"}, HTTP_HOST="clinic.test").text
    assert renders.call_count == 4


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_a_visitor_with_a_session_or_a_message_neither_makes_nor_gets_a_copy(
    client, provider, belotero, renders, cookie
):
    client.get(NEW)
    private = Client()
    private.cookies[cookie] = "anything"
    private.get(NEW)
    private.get(NEW)
    assert renders.call_count == 3
