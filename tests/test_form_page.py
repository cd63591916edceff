"""The consultation form is rendered for each visitor (the <form> tag, their own CSRF and submission
tokens); the rest of it, with its list of open times, is rendered once for everyone
(consultations.formpage), and again once anything it shows changes."""

import re
import warnings
from unittest import mock

import pytest
from django.test import Client

from consultations import availability, formpage, layouts
from consultations.forms import read_submission_token, timechoice
from consultations.models import ClosedDay, ConsultationRequest, PrivacyNotice, Status, WorkingHours

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
    """Counts the times the list of open times is worked out (not taken from the cache)."""
    with mock.patch.object(timechoice, "choices", side_effect=timechoice.choices) as spy:
        yield spy


def tokens(html):
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    submission = re.search(r'name="submission_token" value="([^"]+)"', html).group(1)
    return csrf, submission


def without_tokens(html):
    return html.replace(tokens(html)[0], "CSRF").replace(tokens(html)[1], "TOKEN")


def test_every_visitor_gets_their_own_tokens_and_the_times_are_worked_out_once(provider, belotero, renders):
    first, second = Client(), Client()
    one = first.get(NEW).text
    two = second.get(NEW).text

    assert renders.call_count == 1
    assert without_tokens(one) == without_tokens(two)
    assert tokens(one)[0] != tokens(two)[0]
    assert tokens(one)[1] != tokens(two)[1]
    assert not any(token in two for token in tokens(one))
    assert read_submission_token(tokens(two)[1])[0] != read_submission_token(tokens(one)[1])[0]
    assert second.cookies["csrftoken"].value


def test_a_kept_form_is_the_form_a_fresh_render_gives(provider, belotero):
    Client().get(NEW)
    kept = Client().get(NEW).text
    with mock.patch.object(formpage, "empty_form_helper", lambda form, version: layouts.intake(form)):
        fresh = Client().get(NEW).text
    # The same page, but for the blank between two tags.
    same = [re.sub(r">\s+<", "><", without_tokens(html)) for html in (kept, fresh)]
    assert same[0] == same[1]


def test_the_kept_part_asks_for_no_csrf_token(provider, belotero, settings):
    """Crispy writes {% csrf_token %} for a POST form even without its <form> tag; rendered without a
    request, that warned on every kept form under DEBUG (make run)."""
    settings.DEBUG = True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = Client().get(NEW)
    assert response.status_code == 200
    assert response.text.count('name="csrfmiddlewaretoken"') == 1  # the visitor's own, in the <form>


def test_the_time_list_is_rendered_once_for_every_visitor(provider, belotero):
    render = timechoice.TimeSelect.render
    with mock.patch.object(timechoice.TimeSelect, "render", autospec=True, side_effect=render) as spy:
        one, two = Client().get(NEW).text, Client().get(NEW).text
    assert spy.call_count == 1
    select = re.compile(r'<select name="preferred_time".*?</select>', re.DOTALL)
    assert select.search(one).group() == select.search(two).group()
    assert select.search(one).group().count("<option") > 10


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_a_visitor_with_a_session_or_a_message_gets_no_one_elses_tokens(client, provider, belotero, cookie):
    other = client.get(NEW).text
    private = Client()
    private.cookies[cookie] = "anything"
    page = private.get(NEW).text
    assert not any(token in page for token in tokens(other))


def test_a_form_can_be_sent_as_it_is(provider, belotero, renders):
    Client().get(NEW)
    browser = Client(enforce_csrf_checks=True)
    csrf, submission = tokens(browser.get(NEW).text)
    assert renders.call_count == 1
    data = intake_post_data(belotero, csrfmiddlewaretoken=csrf, submission_token=submission)
    response = browser.post(NEW, data)
    assert response.status_code == 302
    assert ConsultationRequest.objects.count() == 1


def test_a_time_booked_by_someone_is_gone_from_the_next_form(
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
    ],
    ids=["hours", "closed day"],
)
def test_hours_and_closed_days_change_the_times(
    client, provider, belotero, renders, change, django_capture_on_commit_callbacks
):
    before = client.get(NEW).text
    with django_capture_on_commit_callbacks(execute=True):
        change(provider)
    after = client.get(NEW).text
    assert renders.call_count == 2
    assert before.count("<option") > after.count("<option")


def test_a_booking_through_another_node_is_seen_by_the_next_form_here(client, provider, belotero, renders):
    """Each process keeps its forms in its own memory; another node's booking reaches them through
    the times version in the shared cache (what formpage.times_changed writes on that node)."""
    from django.core.cache import cache

    client.get(NEW)
    client.get(NEW)
    assert renders.call_count == 1
    cache.set(formpage.TIMES_VERSION_KEY, "another-nodes-version")
    client.get(NEW)
    assert renders.call_count == 2


def test_the_questions_and_the_notice_are_read_once_per_content_version(
    client, provider, belotero, django_assert_num_queries
):
    client.get(NEW)
    client.post(NEW, intake_post_data(belotero, first_name=""))  # sent back with an error: rendered afresh
    # A form with its times kept: no query but the shared times version (the database cache in tests).
    with django_assert_num_queries(0):
        assert Client().get(NEW).status_code == 200
    PrivacyNotice.objects.create(version="2099-02", text_en="Another notice.")
    assert 'name="notice_version" value="2099-02"' in Client().get(NEW).text


def test_a_new_privacy_notice_is_on_the_next_form(client, provider, belotero):
    client.get(NEW)
    PrivacyNotice.objects.create(version="2099-01", text_en="A newer notice.")
    assert 'name="notice_version" value="2099-01"' in client.get(NEW).text


def test_the_times_follow_the_clock(client, provider, belotero, renders, same_window):
    client.get(NEW)
    same_window[0] += 1
    client.get(NEW)
    assert renders.call_count == 2


def test_each_language_has_its_own_times(client, provider, belotero, renders):
    english = client.get(NEW, {"treatment": "belotero"}).text
    spanish = client.get("/es" + NEW, {"treatment": "belotero"}).text
    client.get("/es" + NEW)
    assert renders.call_count == 2
    assert '<html lang="es">' in spanish and '<html lang="en">' in english


def test_answers_sent_back_with_errors_are_never_in_anyone_elses_form(client, provider, belotero):
    client.get(NEW)
    client.post(NEW, intake_post_data(belotero, first_name="Zeldaunique", email="not-an-email"))
    assert "Zeldaunique" not in Client().get(NEW).text


def test_a_request_without_a_time_keeps_the_times(
    client, provider, belotero, renders, django_capture_on_commit_callbacks
):
    client.get(NEW)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(NEW, intake_post_data(belotero, preferred_time=""))
    assert ConsultationRequest.objects.count() == 1
    client.get(NEW)
    assert renders.call_count == 1


def test_no_address_puts_its_own_text_in_another_visitors_form(client, provider, belotero, settings):
    settings.CLINIC_SITE_URL = ""  # development: links use the request's host
    settings.ALLOWED_HOSTS = ["clinic.test", "www.clinic.test"]
    client.get(NEW, {"treatment": "belotero"}, HTTP_HOST="clinic.test")
    assert "//clinic.test/" not in client.get(NEW, {"treatment": "belotero"}, HTTP_HOST="www.clinic.test").text

    tagged = client.get(NEW, {"treatment": "belotero", "utm_source": "Zeldaunique"}, HTTP_HOST="clinic.test")
    assert "Zeldaunique" in tagged.text
    assert "Zeldaunique" not in client.get(NEW, {"treatment": "belotero"}, HTTP_HOST="clinic.test").text
