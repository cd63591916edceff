"""Delete closed requests past the retention period, with their photos. Safe to run from cron.

Also deletes finished background-task results (django-tasks-db's DBTaskResult) older than
CLINIC_TASK_RESULT_DAYS: they hold a notice's name and a request id only, but nothing needs
them once sent, and tasks stored by releases before issue 23 held whole emails.

The audit trail stays: its rows lose the link to the request but keep the reference,
and one "deleted" event per purged request records when and why it went.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from consultations import workflow
from consultations.models import AuditEvent, ConsultationRequest, Photo


class Command(BaseCommand):
    help = "Delete closed consultation requests (and their photos) older than CLINIC_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, dry_run=False, **options):
        days = settings.CLINIC_RETENTION_DAYS
        cutoff = timezone.now() - datetime.timedelta(days=days)
        expired = ConsultationRequest.objects.closed().filter(status_changed_at__lt=cutoff)
        if dry_run:
            requests = expired.count()
            photos = Photo.objects.filter(consultation__in=expired).count()
            self.stdout.write(
                f"Dry run: would delete {requests} request(s) and {photos} photo(s) closed more than {days} days ago."
            )
            return
        with transaction.atomic():
            references = list(expired.select_for_update().values_list("pk", "reference"))
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    action=AuditEvent.Action.DELETE,
                    consultation_id=pk,
                    reference=reference,
                    detail=f"purged: closed more than {days} days ago",
                )
                for pk, reference in references
            )
            requests, photos = workflow.delete_with_photos(
                ConsultationRequest.objects.filter(pk__in=[pk for pk, _reference in references])
            )
        self.stdout.write(f"Deleted {requests} request(s) and {photos} photo(s) closed more than {days} days ago.")
        tasks = prune_task_results()
        self.stdout.write(
            f"Deleted {tasks} finished task result(s) older than {settings.CLINIC_TASK_RESULT_DAYS} days."
        )
        refresh_statistics()


def prune_task_results(now=None):
    """Finished (successful or failed) task results older than CLINIC_TASK_RESULT_DAYS."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.CLINIC_TASK_RESULT_DAYS)
    return DBTaskResult.objects.filter(finished_at__isnull=False, finished_at__lt=cutoff).delete()[0]


def refresh_statistics():
    """SQLite's planner reads the staff queue's first page from its index (ConsultationRequest.Meta)
    only when it knows a filter such as "no flag" matches most rows: that takes statistics, which
    SQLite keeps only when asked (PostgreSQL's autovacuum keeps its own). Daily, after the rows
    changed most, is when to ask; analysis_limit keeps it to a sample of each index."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
