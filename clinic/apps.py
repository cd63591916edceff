from django.apps import AppConfig


class ClinicConfig(AppConfig):
    """The project-wide app: the base modules every app imports (conf, formatting, text, forms:
    the crispy helpers), and the project-level parts above the apps: the system checks (settings
    and the content patients see), `seed_demo`, the site-wide template tags. It has no models."""

    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from . import checks  # noqa: F401  (registers the settings and content checks)
