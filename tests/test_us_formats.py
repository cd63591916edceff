"""US formats (issue 22, Why-point 10): dates, times and phone numbers as a US clinic writes them,
in English and in US Spanish, and the words around the treatment's name on its page."""

import datetime
import re

import pytest
from django.utils import translation
from django.utils.formats import date_format

from clinic import formatting
from education.models import Section

from .factories import make_section, make_source, make_treatment

MOMENT = datetime.datetime(2026, 12, 7, 16, 0, tzinfo=datetime.UTC)  # 11:00 in New York


@pytest.mark.parametrize(
    ("language", "slot", "when", "day", "time"),
    [
        ("en", "Mon, Dec 7, 11:00 AM", "Mon, Dec 7, 2026, 11:00 AM", "Monday, December 7", "11:00 AM"),
        ("es", "lun 7 dic, 11:00 a. m.", "lun 7 dic 2026, 11:00 a. m.", "lunes 7 de diciembre", "11:00 a. m."),
    ],
)
def test_times_are_written_the_us_way_in_each_language(language, slot, when, day, time):
    with translation.override(language):
        assert formatting.slot_when(MOMENT) == slot
        assert formatting.when(MOMENT) == when
        assert formatting.day(MOMENT) == day
        assert formatting.time_of_day(MOMENT) == time


def test_afternoon_times_say_pm():
    afternoon = MOMENT + datetime.timedelta(hours=3, minutes=40)  # 2:40 PM in New York
    assert formatting.time_of_day(afternoon) == "2:40 PM"
    with translation.override("es"):
        assert formatting.time_of_day(afternoon) == "2:40 p. m."


@pytest.mark.parametrize(("language", "text"), [("en", "December 5, 2026"), ("es", "5 de diciembre de 2026")])
def test_long_dates_put_the_month_where_the_reader_expects_it(language, text):
    with translation.override(language):
        assert date_format(datetime.date(2026, 12, 5)) == text


@pytest.mark.parametrize(
    ("stored", "english", "spanish"),
    [
        ("2023-09-27", "September 27, 2023", "27 de septiembre de 2023"),
        ("2023-06", "June 2023", "junio de 2023"),
        ("2024", "2024", "2024"),
        ("", "", ""),
        ("2023-13", "2023-13", "2023-13"),  # not a date: shown as typed
    ],
)
def test_source_dates_are_shown_in_the_readers_language(stored, english, spanish):
    assert formatting.source_date(stored) == english
    with translation.override("es"):
        assert formatting.source_date(stored) == spanish


@pytest.mark.parametrize("typed", ["+1 207 555 0134", "+12075550134", "207-555-0134"])
def test_clinic_phone_is_shown_as_a_us_number_and_dialled_in_e164(settings, typed):
    settings.CLINIC = {**settings.CLINIC, "PHONE": typed, "EMERGENCY_PHONE": typed}
    phones = formatting.clinic_phones()
    assert phones["PHONE"] == phones["EMERGENCY_PHONE"] == "(207) 555-0134"
    assert phones["PHONE_TEL"] == phones["EMERGENCY_PHONE_TEL"] == "+12075550134"


@pytest.mark.django_db
def test_footer_shows_the_clinic_phone_the_us_way(client, settings):
    settings.CLINIC = {**settings.CLINIC, "PHONE": "+1 207 555 0134"}
    html = client.get("/").content.decode()
    assert '<a href="tel:+12075550134">(207) 555-0134</a>' in html
    visible = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # JSON-LD keeps the number as typed
    assert "+1 207 555 0134" not in visible


@pytest.mark.django_db
def test_page_dates_and_reference_dates_are_us_style(client):
    treatment = make_treatment("hyalo", name="Dermal fillers", reviewed_on=datetime.date(2026, 12, 5))
    make_section(treatment, sources=[make_source("fda-x", date="2023-09-27")])
    html = client.get(f"/treatments/{treatment.slug}/").content.decode()
    assert "Medically reviewed on December 5, 2026" in html
    assert "US FDA, September 27, 2023." in html


@pytest.mark.django_db
def test_call_to_action_does_not_capitalise_the_name_mid_sentence(client):
    treatment = make_treatment("hyalo", name="Dermal fillers")
    make_section(treatment)
    html = client.get(f"/treatments/{treatment.slug}/").content.decode()
    cta = re.search(r'<h2 id="cta-heading"[^>]*>(.*?)</h2>', html).group(1)
    assert cta == "Is this treatment right for you?"
    assert "about Dermal fillers" not in html


@pytest.mark.django_db
def test_spanish_reference_ends_with_one_full_stop_and_a_spanish_date(client):
    treatment = make_treatment("hialu", name="Hialu", name_es="Hialu", summary_es="Un relleno.")
    source = make_source("fda-es", publisher="US FDA", publisher_es="FDA de EE. UU.", date="", title_es="Rellenos")
    dated = make_source("fda-dated", publisher_es="FDA de EE. UU.", date="2023-06", title_es="Otra guía")
    make_section(treatment, body_es="Texto corto.", sources=[source, dated])
    make_section(treatment, kind=Section.Kind.SIDE_EFFECTS, body_es="Casi todos se van.")
    from .factories import approve, make_reviewer

    approve(treatment, make_reviewer("Dra. Prueba", "MD", username="dra-prueba"), datetime.date(2026, 11, 30), "es")
    html = client.get(f"/es/treatments/{treatment.slug}/").content.decode()
    assert 'lang="es"' in html and "Rellenos. FDA de EE. UU." in html
    assert "EE. UU.." not in html
    assert "FDA de EE. UU., junio de 2023." in html
    assert "¿Es este tratamiento para usted?" in html
    assert "Revisión médica del 30 de noviembre de 2026: Dra. Prueba, MD." in html
