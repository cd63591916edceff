from django.apps import AppConfig


class ClinicConfig(AppConfig):
    """The project-wide app: system checks for the settings, site-wide template tags
    (clinic_tags), the form helpers (clinic.forms). It has no models."""

    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from . import checks  # noqa: F401  (registers the settings checks)
