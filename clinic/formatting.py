"""How the clinic writes times, dates, phone numbers, its address and its absolute links: one place for each.

Everything that shows a time to a patient or to staff (pages, emails, the admin, calendar
invitations) goes through here, so a second language or a second location changes one module.
Times are shown in the clinic's time zone, in the active language's formats: Django's format
names, defined per language in clinic/formats/<code>/formats.py (FORMAT_MODULE_PATH).
"""

import datetime
import functools
import re
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.core.signals import setting_changed
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clinic.absolute import site_url

from . import conf

# Django format names: each language's clinic/formats/<code>/formats.py says what they look like.
WHEN_FORMAT = "DATETIME_FORMAT"  # "Tue, Dec 1, 2026, 9:40 AM": staff pages
SLOT_FORMAT = "SHORT_DATETIME_FORMAT"  # "Tue, Dec 1, 9:40 AM": a time offered or held
DAY_FORMAT = "MONTH_DAY_FORMAT"  # "Tuesday, December 1"
TIME_FORMAT = "TIME_FORMAT"  # "9:40 AM"
DATE_FORMAT = "DATE_FORMAT"  # "December 1, 2026"
YEAR_MONTH_FORMAT = "YEAR_MONTH_FORMAT"  # "June 2023"

# Django's "a" time format reads these two from the catalogue. Listed here so makemessages keeps
# them in ours, which is read before Django's: US Spanish writes "11:00 a. m.", not "a.m.".
MERIDIEM = (gettext_noop("a.m."), gettext_noop("p.m."))


def clinic_tz():
    return ZoneInfo(settings.TIME_ZONE)


def local(value):
    """An aware datetime in the clinic's time zone."""
    return value.astimezone(clinic_tz())


@functools.lru_cache(maxsize=8192)
def _formatted(value, format_name, language, zone):
    # The form page lists a few hundred open times; Django's date_format costs a gettext per
    # name in the format, so each (time, format, language, zone) is written once per process.
    # `language` is the active one (see _format): it is part of the key, nothing to switch.
    if isinstance(value, datetime.datetime):
        value = value.astimezone(ZoneInfo(zone))
    if format_name == TIME_FORMAT:
        return formats.time_format(value, format_name)
    return formats.date_format(value, format_name)


def _format(value, format_name):
    return _formatted(value, format_name, translation.get_language(), settings.TIME_ZONE)


def _forget_formats(**kwargs):
    # Tests change the time zone, the languages or the formats.
    _formatted.cache_clear()


setting_changed.connect(_forget_formats, dispatch_uid="clinic.formatting.forget")


def when(value):
    """A time as the clinic reads it, e.g. "Tue, Dec 1, 2026, 9:40 AM"; "" for None."""
    return _format(value, WHEN_FORMAT) if value else ""


def slot_when(value):
    """A booked or offered time, e.g. "Tue, Dec 1, 9:40 AM" ("mar 1 dic, 9:40 a. m.")."""
    return _format(value, SLOT_FORMAT) if value else ""


def day(value):
    """A calendar day, e.g. "Tuesday, December 1"."""
    if isinstance(value, datetime.datetime):
        value = local(value).date()
    return _format(value, DAY_FORMAT)


def time_of_day(value):
    """The clock time alone, e.g. "9:40 AM"; "" for None."""
    return _format(value, TIME_FORMAT) if value else ""


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")


def source_date(text):
    """A source's date as stored ("2023-09-27", "2023-06" or "2024") in the reader's language:
    "September 27, 2023" / "27 de septiembre de 2023", "June 2023" / "junio de 2023", "2024".
    Any other text is shown as typed (an editor's wording is not second-guessed)."""
    text = (text or "").strip()
    try:
        if match := _ISO_DAY.fullmatch(text):
            return _format(datetime.date(*map(int, match.groups())), DATE_FORMAT)
        if match := _ISO_MONTH.fullmatch(text):
            return _format(datetime.date(int(match[1]), int(match[2]), 1), YEAR_MONTH_FORMAT)
    except ValueError:  # "2023-13": not a date after all
        pass
    return text


def address_lines():
    """The clinic's postal address as lines, e.g. ["120 Harbor Street, Suite 4", "Portland, ME 04101"]."""
    clinic = conf.clinic()
    return [clinic["STREET"], f"{clinic['CITY']}, {clinic['REGION']} {clinic['POSTAL_CODE']}"]


def clinic_address(*, name=True, country=False):
    """The clinic's address on one line, e.g. "Riverside Aesthetic Clinic, 120 Harbor Street, Portland, ME 04101"."""
    clinic = conf.clinic()
    parts = [clinic["NAME"]] if name else []
    parts += address_lines()
    if country:
        parts.append(clinic["COUNTRY"])
    return ", ".join(parts)


def absolute_url(path="", base=""):
    """A link for an email or a calendar: CLINIC_SITE_URL, else the request's own address, else
    `base` (stored with the request), plus the path (clinic.absolute)."""
    return site_url(path, base)


def clinic_today():
    """Today's date at the clinic."""
    return timezone.localdate(timezone=clinic_tz())


def time_zone_name():
    """The clinic's zone as people say it, with its identifier: "Eastern Time (America/New_York)"."""
    key = str(clinic_tz())
    names = {
        "America/New_York": _("Eastern Time"),
        "America/Chicago": _("Central Time"),
        "America/Denver": _("Mountain Time"),
        "America/Phoenix": _("Mountain Time"),
        "America/Los_Angeles": _("Pacific Time"),
        "America/Anchorage": _("Alaska Time"),
        "Pacific/Honolulu": _("Hawaii Time"),
    }
    return f"{names[key]} ({key})" if key in names else key


def tel(value):
    """A number for a `tel:` link, in E.164 ("+12075550134"), whichever way it was typed."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, conf.clinic("PHONE_REGION"))
    except phonenumbers.NumberParseException:
        return "".join(value.split())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clinic_phones():
    """The clinic's numbers as patients read them and as links dial them, whichever way the
    operator typed them (CLINIC_PHONE="+1 207 555 0134" is shown as "(207) 555-0134")."""
    clinic = conf.clinic()
    return dict(_clinic_phones(clinic["PHONE"], clinic["EMERGENCY_PHONE"], clinic["PHONE_REGION"]))


@functools.lru_cache(maxsize=8)
def _clinic_phones(number, emergency, region):
    # Every page and email shows them: parsed once per (numbers, region), not per request.
    return {"PHONE": phone(number), "PHONE_TEL": tel(number), "EMERGENCY_PHONE": phone(emergency),
            "EMERGENCY_PHONE_TEL": tel(emergency)}  # fmt: skip


def phone(value):
    """A stored E.164 number as people read it: "+12075550134" -> "(207) 555-0134" at home,
    the international format for a number from another country."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, conf.clinic("PHONE_REGION"))
    except phonenumbers.NumberParseException:
        return value
    home = phonenumbers.region_code_for_number(number) == conf.clinic("PHONE_REGION")
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
