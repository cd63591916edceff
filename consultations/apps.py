from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consultations"
    verbose_name = _("Consultation requests")

    def ready(self):
        from . import permissions

        # The staff roles follow permissions.ROLES after every migrate (and flush).
        post_migrate.connect(permissions.sync_roles_after_migrate, sender=self, dispatch_uid="consultations.sync_roles")

        from . import signals

        signals.connect()
        post_migrate.connect(signals.ensure_privacy_notice, sender=self, dispatch_uid="consultations.privacy_notice")
        post_migrate.connect(
            signals.ensure_cancellation_policy, sender=self, dispatch_uid="consultations.cancellation_policy"
        )
