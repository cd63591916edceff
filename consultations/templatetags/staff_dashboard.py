"""The admin home's work-queue numbers (templates/admin/index.html)."""

from django import template

from consultations import permissions
from consultations.queries import queue_counts as counts

register = template.Library()


@register.simple_tag(takes_context=True)
def queue_counts(context):
    """Counts with links to the filtered queue, for users who may see the queue; else None."""
    if not context["request"].user.has_perm(permissions.VIEW_QUEUE):
        return None
    return counts()
