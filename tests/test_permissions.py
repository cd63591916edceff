"""The staff roles are defined in consultations/permissions.py and kept in the database by migrate."""

import importlib
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from consultations import permissions
from consultations.permissions import (
    ADD_NOTE,
    CHANGE_STATUS,
    DECIDE,
    EXPORT,
    EXPORT_FHIR,
    LOT_RECALL,
    RECORD_TREATMENT,
    VIEW_HEALTH,
    VIEW_PHOTOS,
    VIEW_QUEUE,
    VIEW_WAITLIST,
)
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

# What each role may do with a consultation request. Superusers (the owner) may do everything.
MATRIX = {
    permissions.FRONT_DESK: {
        RECORD_TREATMENT: False,
        LOT_RECALL: True,
        VIEW_QUEUE: True,
        VIEW_WAITLIST: True,
        VIEW_HEALTH: False,
        VIEW_PHOTOS: False,
        EXPORT: False,
        EXPORT_FHIR: False,
        CHANGE_STATUS: True,
        DECIDE: False,
        ADD_NOTE: True,
        "consultations.delete_consultationrequest": False,
        "education.change_treatment": False,
    },
    permissions.PROVIDER: {
        RECORD_TREATMENT: True,
        LOT_RECALL: True,
        VIEW_QUEUE: True,
        VIEW_WAITLIST: True,
        VIEW_HEALTH: True,
        VIEW_PHOTOS: True,
        EXPORT: True,
        EXPORT_FHIR: True,
        CHANGE_STATUS: True,
        DECIDE: True,
        ADD_NOTE: True,
        "consultations.delete_consultationrequest": False,
        "education.change_treatment": False,
    },
    permissions.CONTENT_EDITOR: {
        RECORD_TREATMENT: False,
        LOT_RECALL: False,
        VIEW_QUEUE: False,
        VIEW_WAITLIST: False,
        VIEW_HEALTH: False,
        VIEW_PHOTOS: False,
        EXPORT: False,
        EXPORT_FHIR: False,
        CHANGE_STATUS: False,
        DECIDE: False,
        ADD_NOTE: False,
        "consultations.delete_consultationrequest": False,
        "education.change_treatment": True,
    },
}
CASES = [(role, permission, allowed) for role, row in MATRIX.items() for permission, allowed in row.items()]


@pytest.mark.parametrize(("role", "permission", "allowed"), CASES)
def test_role_has_exactly_its_permissions(role, permission, allowed):
    assert make_staff(role).has_perm(permission) is allowed


@pytest.mark.parametrize("permission", sorted({permission for row in MATRIX.values() for permission in row}))
def test_owner_has_every_permission(permission):
    assert make_staff(username="owner", is_superuser=True).has_perm(permission)


def group_codenames(name):
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_groups_hold_what_the_code_defines():
    for name, by_app in permissions.ROLES.items():
        assert group_codenames(name) == {codename for codenames in by_app.values() for codename in codenames}


def test_roles_in_code_are_the_roles_the_migration_created():
    # The migration keeps the history of existing databases; the code must not drift from it
    # without a decision (change this test deliberately when a role changes).
    migration = importlib.import_module("consultations.migrations.0003_roles")
    # Decided since: everyone sees the clinic's closed days, providers keep them (issue 14).
    # Decided since: after the visit (issue 26), providers record treatments and both roles run a lot recall.
    added = {
        # ... and both roles see the waitlist per provider and day (issue 27).
        permissions.FRONT_DESK: ["view_closedday", "search_lots", "view_waitlistentry", "view_waitlistoffer"],
        # ... and providers export a request as FHIR for their EHR (issue 28).
        permissions.PROVIDER: [
            "view_closedday",
            "add_closedday",
            "change_closedday",
            "delete_closedday",
            "record_treatment",
            "search_lots",
            "view_followupplan",
            "add_followupplan",
            "change_followupplan",
            "export_fhir",
            "view_waitlistentry",
            "view_waitlistoffer",
        ],
    }
    expected = {
        role: {
            app: codenames + added.get(role, []) if app == "consultations" else codenames
            for app, codenames in by_app.items()
        }
        for role, by_app in migration.ROLES.items()
    }
    assert expected == permissions.ROLES


def test_sync_roles_puts_a_changed_group_back():
    group = Group.objects.get(name=permissions.FRONT_DESK)
    group.permissions.add(Permission.objects.get(codename="view_health_data"))
    group.permissions.remove(Permission.objects.get(codename="add_note"))
    out = StringIO()
    call_command("sync_roles", stdout=out)
    assert "view_health_data" not in group_codenames(permissions.FRONT_DESK)
    assert "add_note" in group_codenames(permissions.FRONT_DESK)
    assert "Front desk" in out.getvalue()


def test_migrate_creates_deleted_roles_again():
    Group.objects.filter(name__in=permissions.ROLES).delete()
    call_command("migrate", verbosity=0)
    assert set(Group.objects.filter(name__in=permissions.ROLES).values_list("name", flat=True)) == set(
        permissions.ROLES
    )


def test_sync_roles_leaves_other_groups_alone():
    other = Group.objects.create(name="Billing")
    other.permissions.add(Permission.objects.get(codename="view_health_data"))
    permissions.sync_roles()
    assert set(other.permissions.values_list("codename", flat=True)) == {"view_health_data"}


def test_permission_and_role_names_are_spelled_in_one_place():
    """has_perm("education.approve_treatment") typed in two modules was how a renamed permission
    would silently lock every reviewer out: app code names permissions and roles through
    consultations.permissions (the reviewer's sign-off through the constant education declares)."""
    import re
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR)
    custom = Permission.objects.filter(content_type__app_label__in=["consultations", "education"])
    names = {f"{p.content_type.app_label}.{p.codename}" for p in custom}
    roles = [permissions.FRONT_DESK, permissions.PROVIDER, permissions.CONTENT_EDITOR]
    # A role is a group's name ("Provider" is also a column heading and a demo user's last name).
    literal = re.compile(
        "|".join(rf"[\"']{re.escape(name)}[\"']" for name in sorted(names))
        + "|"
        + "|".join(rf"name\w*\s*=\s*[\"']{re.escape(role)}[\"']" for role in roles)
    )
    allowed = {Path("consultations/permissions.py"), Path("education/models.py")}
    spelled = [
        f"{path.relative_to(root)}:{number}"
        for app in ("clinic", "education", "consultations", "twofactor")
        for path in sorted((root / app).rglob("*.py"))
        if "migrations" not in path.parts and path.relative_to(root) not in allowed
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert len(names) > 20
    assert spelled == []
