"""Staff roles as groups, so a new colleague gets the right access with one click in the admin.

Front desk: requests and contact details, triage, ask for information, notes; no health
answers, photos, export, decisions or deletion. Provider: everything about requests.
Content editor: the education pages only. Superusers need no group.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Front desk": {
        "consultations": [
            "view_consultationrequest",
            "change_status",
            "add_note",
            "view_note",
            "view_provider",
            "view_workinghours",
            "view_availabilityexception",
        ],
    },
    "Provider": {
        "consultations": [
            "view_consultationrequest",
            # The change form edits the assignment only; answers are read-only for everyone.
            "change_consultationrequest",
            "view_health_data",
            "view_photos",
            "export_requests",
            "change_status",
            "decide_request",
            "add_note",
            "view_note",
            "view_provider",
            "change_provider",
            "view_workinghours",
            "add_workinghours",
            "change_workinghours",
            "delete_workinghours",
            "view_availabilityexception",
            "add_availabilityexception",
            "change_availabilityexception",
            "delete_availabilityexception",
        ],
    },
    "Content editor": {
        "education": [
            f"{action}_{model}"
            for model in ("treatment", "section", "treatmentarea", "sideeffect", "precaution", "source")
            for action in ("add", "change", "view")
        ],
    },
}


def create_roles(apps, schema_editor):
    # On a fresh database permissions are only created after all migrations ran
    # (post_migrate): create them now so the groups can be given them.
    for label in ("consultations", "education"):
        create_permissions(
            global_apps.get_app_config(label), verbosity=0, apps=apps, using=schema_editor.connection.alias
        )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, by_app in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        for app_label, codenames in by_app.items():
            permissions = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            missing = set(codenames) - set(permissions.values_list("codename", flat=True))
            if missing:
                raise RuntimeError(f"Permissions not found for {name}: {sorted(missing)}")
            group.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("consultations", "0002_privacy_notice_v1"),
        ("education", "0002_content"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
