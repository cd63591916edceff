"""The one way a patient picks a time: on the intake form and on the self-service move page.

A native <select> with one <optgroup> per day. Each option says its day as well as its
time ("Mon 7 Dec, 11:00"), so the closed control, a screen reader and the submitted
value all name the day, not just "11:00". It works without JavaScript, and four weeks of
times stay short on a phone. The help text names the clinic's time zone.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from clinic import formatting

from .. import availability
from ..availability import Slot
from ..models import Provider

NO_PREFERENCE = _("No preference / please call me")


class TimeSelect(forms.Select):
    """A <select> whose options are rendered in Python. Four weeks of times are a few hundred
    options, and Django's one-template-per-option rendering made the form page several times
    slower than everything else on it together."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            html = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((o["value"], mark_safe(" selected") if o["selected"] else "", o["label"]) for o in options),
            )
            groups.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, html) if group_name else html)
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(groups)),  # noqa: S308 (each part is from format_html)
        )


class SlotChoiceField(forms.ChoiceField):
    """Offers the open times, but accepts any well-formed time: one taken since the page was
    rendered then gets a clear "just taken" message instead of "not one of the choices".
    The form's clean_<field> turns the key into a Slot and checks it is still open."""

    widget = TimeSelect

    def valid_value(self, value):
        if value == "":
            return True
        try:
            Slot.from_key(value)
        except ValueError:
            return False
        return True


def help_text(extra=""):
    """The time field's help: the clinic's time zone by name, then what holding a time means."""
    zone = formatting.time_zone_name()
    text = _("Times are in the clinic's time zone, %(zone)s.") % {"zone": zone}
    return f"{text} {extra}".strip()


def choices(slots=None, *, exclude=None, no_preference=True):
    """[("", "No preference…"), (day heading, [(key, "Mon 7 Dec, 11:00"), …]), …] for open times.

    The provider is named only when a time could mean more than one of them."""
    slots = availability.open_slots() if slots is None else slots
    if exclude is not None:
        slots = [slot for slot in slots if slot != exclude]
    provider_ids = {slot.provider_id for slot in slots}
    names = (
        dict(Provider.objects.filter(pk__in=provider_ids).values_list("pk", "display_name"))
        if len(provider_ids) > 1
        else {}
    )

    def label(slot):
        text = formatting.slot_when(slot.start)
        return f"{text} – {names[slot.provider_id]}" if slot.provider_id in names else text

    grouped = [
        (formatting.day(day), [(slot.key, label(slot)) for slot in day_slots])
        for day, day_slots in availability.grouped_by_day(slots)
    ]
    return ([("", NO_PREFERENCE)] if no_preference else []) + grouped
