from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def load_content_after_migrate(sender, using="default", verbosity=0, stdout=None, plan=None, **kwargs):
    """post_migrate handler: the shipped guides (education/content/) follow every `migrate` and
    `flush`, so a fresh install, and every test database, has its pages without a data migration."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    from . import content

    if plan is not None:  # `migrate` (a `flush` passes no plan: its tables are the current ones)
        executor = MigrationExecutor(connections[using])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return  # migrated to an earlier state on purpose: the models do not match the tables
    for result in content.load_content(using=using):
        if verbosity and stdout is not None and (verbosity > 1 or result.outcome != "unchanged"):
            stdout.write(f"  Content {result}")
    if verbosity and stdout is not None:
        # Said plainly where an operator looks (`make serve` runs migrate): what patients see unsigned.
        for line in content.unsigned_report():
            stdout.write(f"  {line}")


class EducationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "education"
    verbose_name = _("Patient education")

    def ready(self):
        from . import signals  # noqa: F401  (cache and review status on saves)

        # After auth's and consultations' handlers (apps run in INSTALLED_APPS order; see settings).
        post_migrate.connect(load_content_after_migrate, sender=self, dispatch_uid="education.load_content")
