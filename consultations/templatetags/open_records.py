"""The patient's "who looked at my request" list, as a tag: the self-service view stays unchanged."""

from django import template

from ..access import NOT_RECORDED
from ..access import access_history as history_of

register = template.Library()


@register.inclusion_tag("consultations/partials/access_history.html")
def access_history(consultation):
    entries, more = history_of(consultation)
    return {"entries": entries, "more": more, "not_recorded": NOT_RECORDED}
