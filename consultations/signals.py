"""Providers are people, and the empty form shows the times open now.

Putting a user in the Provider group gives them a Provider profile.

The README tells the owner to add a colleague to the "Provider" group. Without a Provider
record they would not be assignable ("Assigned to") or bookable, and nothing would say why.
So the profile is created with the group membership, named after the user, with no hours
yet: the owner fills the hours in the admin (Providers) and the person is bookable from then.
Removing the user from the group keeps the profile (past bookings point at it) and stops
new bookings (takes bookings: off).

Any saved booking, hours, closed day or privacy notice starts a new bookings version, so no
copy of the empty form (consultations.formpage) shows the old times or notice.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import formpage
from .models import AvailabilityException, ClosedDay, ConsultationRequest, PrivacyNotice, Provider, WorkingHours
from .permissions import PROVIDER

# What the empty consultation form shows besides content: the open times and the privacy notice.
FORM_PAGE_MODELS = (ConsultationRequest, Provider, WorkingHours, AvailabilityException, ClosedDay, PrivacyNotice)


def ensure_provider(user):
    """The user's Provider profile, created (and switched back on) if needed."""
    name = user.get_full_name() or user.get_username()
    provider, created = Provider.objects.get_or_create(user=user, defaults={"display_name": name})
    if not created and not provider.active:
        provider.active = True
        provider.save(update_fields=["active"])
    return provider


def _provider_group_pks(pk_set, model):
    if model is Group:
        return set(Group.objects.filter(pk__in=pk_set or (), name=PROVIDER).values_list("pk", flat=True))
    return set()


def user_groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    User = get_user_model()
    if action == "post_add":
        if not reverse and _provider_group_pks(pk_set, model):
            ensure_provider(instance)
        elif reverse and isinstance(instance, Group) and instance.name == PROVIDER:
            for user in User.objects.filter(pk__in=pk_set):
                ensure_provider(user)
    elif action == "post_remove":
        if not reverse and _provider_group_pks(pk_set, model):
            Provider.objects.filter(user=instance).update(active=False)
        elif reverse and isinstance(instance, Group) and instance.name == PROVIDER:
            Provider.objects.filter(user__pk__in=pk_set).update(active=False)


def form_page_changed(sender, instance, created=False, **kwargs):
    # A new request without a time takes none: the busiest write, the intake, leaves the copies alone.
    if sender is ConsultationRequest and created and instance.slot_start is None:
        return
    # After the commit: another worker must not render the old times again in between.
    transaction.on_commit(formpage.bookings_changed)


def connect():
    m2m_changed.connect(user_groups_changed, sender=get_user_model().groups.through, dispatch_uid="provider-group")
    for model in FORM_PAGE_MODELS:
        post_save.connect(form_page_changed, sender=model, dispatch_uid=f"form-page-save-{model.__name__}")
        post_delete.connect(form_page_changed, sender=model, dispatch_uid=f"form-page-delete-{model.__name__}")
