"""Who may do what: the permission names and the staff roles, defined here and nowhere else
(but the reviewer's sign-off, which education declares and checks below this app: taken from there).

Roles are auth Groups kept in step with ROLES by sync_roles(), which runs after every
`migrate` (post_migrate, see apps.py) and as `manage.py sync_roles`. Changing a role is a
code change here, reviewed and tested (tests/test_permissions.py), not a new migration;
migrations/0003_roles.py stays for the history of existing databases.

Front desk: requests and contact details, triage, ask for information, notes, the lot recall
list (reference, name, phone, date); no health answers, photos, treatment records, export,
decisions or deletion. Provider: everything about requests.
Content editor: the education pages only. Superusers (the owner) need no group.
"""

from django.utils.translation import gettext_lazy as _

from education import models as education_models

APP = "consultations"

# Custom permissions on ConsultationRequest (its Meta.permissions uses this list).
CUSTOM = [
    ("view_health_data", _("Can see patients' health answers")),
    ("view_photos", _("Can see patients' photos")),
    ("export_requests", _("Can export consultation requests")),
    ("change_status", _("Can move requests through the workflow")),
    ("decide_request", _("Can approve or decline requests")),
    # After the visit (issue 26): what was given and what went wrong is a provider's record.
    ("record_treatment", _("Can record treatments and complications")),
    # Who had a product lot (a recall): reference, name, phone and date, no health details.
    ("search_lots", _("Can search patients by product lot (recall)")),
    # FHIR R4 Bundles (consultations/fhir.py): everything about a request, health answers included.
    ("export_fhir", _("Can export requests as FHIR")),
]

# Full names, as user.has_perm() takes them.
VIEW_QUEUE = f"{APP}.view_consultationrequest"
VIEW_HEALTH = f"{APP}.view_health_data"
VIEW_PHOTOS = f"{APP}.view_photos"
EXPORT = f"{APP}.export_requests"
CHANGE_STATUS = f"{APP}.change_status"
DECIDE = f"{APP}.decide_request"
ADD_NOTE = f"{APP}.add_note"
RECORD_TREATMENT = f"{APP}.record_treatment"
LOT_RECALL = f"{APP}.search_lots"
EXPORT_FHIR = f"{APP}.export_fhir"
# The waitlist per provider and day (issue 27): names and times, no health answers.
VIEW_WAITLIST = f"{APP}.view_waitlistentry"
VIEW_WAITLIST_OFFERS = f"{APP}.view_waitlistoffer"

FRONT_DESK = "Front desk"
PROVIDER = "Provider"
CONTENT_EDITOR = "Content editor"

# The medical reviewer's sign-off on a treatment page (education.Treatment Meta.permissions).
APPROVE_TREATMENT = education_models.APPROVE_TREATMENT

# role -> {app label: [codenames]}
ROLES = {
    FRONT_DESK: {
        "consultations": [
            "view_consultationrequest",
            "change_status",
            "add_note",
            "view_note",
            "view_provider",
            "view_workinghours",
            "view_availabilityexception",
            "view_closedday",
            # The front desk makes the calls of a recall.
            "search_lots",
            # Who waits for an earlier time, and what they were offered (issue 27).
            "view_waitlistentry",
            "view_waitlistoffer",
        ],
    },
    PROVIDER: {
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
            # The clinic's holidays: everyone sees them, providers keep them up to date.
            "view_closedday",
            "add_closedday",
            "change_closedday",
            "delete_closedday",
            "record_treatment",
            "search_lots",
            # When a treatment's patients are asked how they are.
            "view_followupplan",
            "add_followupplan",
            "change_followupplan",
            # Open records (issue 28): a request as a FHIR Bundle for the provider's EHR.
            "export_fhir",
            "view_waitlistentry",
            "view_waitlistoffer",
        ],
    },
    CONTENT_EDITOR: {
        "education": [
            f"{action}_{model}"
            for model in ("treatment", "section", "treatmentarea", "sideeffect", "precaution", "source")
            for action in ("add", "change", "view")
        ],
    },
}


def sync_roles(using="default", verbosity=0, stdout=None):
    """Make each role's group hold exactly its permissions in ROLES (create missing groups).

    Other groups an installation made for itself are left alone.
    """
    # Imported here: the auth models need the app registry, and this module is imported by models.py.
    from django.contrib.auth.models import Group, Permission

    for name, by_app in ROLES.items():
        wanted = []
        for app_label, codenames in by_app.items():
            found = list(
                Permission.objects.using(using).filter(content_type__app_label=app_label, codename__in=codenames)
            )
            missing = set(codenames) - {permission.codename for permission in found}
            if missing:
                raise RuntimeError(f"Permissions not found for {name}: {sorted(missing)}")
            wanted += found
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(wanted)
        if verbosity and stdout is not None:
            stdout.write(f"{name}: {len(wanted)} permission(s)")


def sync_roles_after_migrate(sender, using="default", verbosity=0, **kwargs):
    """post_migrate handler; runs once all apps' permissions exist (auth's own handler runs first)."""
    sync_roles(using=using)
