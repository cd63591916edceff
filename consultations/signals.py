"""Providers are people, and the empty form shows the times open now.

Putting a user in the Provider group gives them a Provider profile.

The README tells the owner to add a colleague to the "Provider" group. Without a Provider
record they would not be assignable ("Assigned to") or bookable, and nothing would say why.
So the profile is created with the group membership, named after the user, with no hours
yet: the owner fills the hours in the admin (Providers) and the person is bookable from then.
Removing the user from the group keeps the profile (past bookings point at it) and stops
new bookings (takes bookings: off).

Any saved booking, provider, hours or closed day starts a new version of the empty form's open
times (consultations.formpage), so the next form shows the times open now. A saved privacy
notice starts a new content version (clinic.pagecache), as content does: the form reads the
notice in force once per content version.

A database with no privacy notice at all (a flushed one) gets the shipped notice back after
migrate: the form cannot ask for consent without one. The cancellation policy likewise.
"""

import importlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from education.signals import bump_content_version

from . import formpage
from .models import (
    AvailabilityException,
    CancellationPolicy,
    ClosedDay,
    ConsultationRequest,
    PrivacyNotice,
    Provider,
    WorkingHours,
)
from .permissions import PROVIDER

# What the open times on the consultation form are made of.
TIME_MODELS = (ConsultationRequest, Provider, WorkingHours, AvailabilityException, ClosedDay)


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


def times_changed(sender, instance, created=False, **kwargs):
    # A new request without a time takes none: the busiest write, the intake, leaves the times alone.
    if sender is ConsultationRequest and created and instance.slot_start is None:
        return
    # After the commit: another worker must not work out the old times again in between.
    transaction.on_commit(formpage.times_changed)


# The shipped notice, as its data migrations wrote it (English, then the Spanish text).
SHIPPED_NOTICE = (("0002_privacy_notice_v1", "create_notice"), ("0010_privacy_notice_in_spanish", "add_spanish"))


def ensure_privacy_notice(sender, using="default", **kwargs):
    """post_migrate (and so after a flush): the shipped notice when the database has none."""
    from django.apps import apps

    from .models import PrivacyNotice

    if PrivacyNotice.objects.using(using).exists():
        return
    for module, function in SHIPPED_NOTICE:
        getattr(importlib.import_module(f"consultations.migrations.{module}"), function)(apps, None)


def ensure_cancellation_policy(sender, using="default", **kwargs):
    """post_migrate (and so after a flush): the shipped cancellation policy when the database has none."""
    from django.apps import apps

    from .models import CancellationPolicy

    if CancellationPolicy.objects.using(using).exists():
        return
    importlib.import_module("consultations.migrations.0016_cancellation_policy_confirm_recall").create_policy(
        apps, None
    )


def connect():
    m2m_changed.connect(user_groups_changed, sender=get_user_model().groups.through, dispatch_uid="provider-group")
    for model in TIME_MODELS:
        post_save.connect(times_changed, sender=model, dispatch_uid=f"form-times-save-{model.__name__}")
        post_delete.connect(times_changed, sender=model, dispatch_uid=f"form-times-delete-{model.__name__}")
    # The form reads the notices and policies once per content version (views._notices).
    for model in (PrivacyNotice, CancellationPolicy):
        post_save.connect(bump_content_version, sender=model, dispatch_uid=f"document-save-{model.__name__}")
        post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"document-delete-{model.__name__}")
