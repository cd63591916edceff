from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "education"
    verbose_name = _("Patient education")

    def ready(self):
        from . import checks, signals  # noqa: F401  (deploy check; cache and review status on saves)
