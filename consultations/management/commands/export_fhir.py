"""Every consultation request as a FHIR R4 Bundle, one per line (NDJSON): the owner's way out.

For moving to another system (Medplum, OpenEMR, …): `manage.py export_fhir --output all.ndjson`.
The file holds health answers: write it somewhere only the owner can read, and delete it once
imported. Every exported request gets an audit row ("FHIR NDJSON export"), written in batches
as the file is written, so the trail says which requests left even if the run stops part-way.
"""

import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from consultations import fhir
from consultations.models import AuditEvent, ConsultationRequest

DETAIL = "FHIR NDJSON export (manage.py export_fhir)"
BATCH = 200


class Command(BaseCommand):
    help = "Write every consultation request as a FHIR R4 Bundle, one JSON object per line (NDJSON)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write (created with owner-only permissions); default stdout.")

    def handle(self, *args, output=None, **options):
        if output:
            try:
                # 0600 from the start: the file holds every patient's answers.
                handle = os.fdopen(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8")
            except OSError as error:
                raise CommandError(f"Cannot write {output}: {error.strerror}") from None
        else:
            handle = sys.stdout
        now = timezone.now()
        written, pending = 0, []
        try:
            for consultation, bundle in fhir.bundles(ConsultationRequest.objects.order_by("pk"), now=now):
                handle.write(json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n")
                pending.append(consultation)
                written += 1
                if len(pending) >= BATCH:
                    audit(pending)
                    pending = []
        finally:
            audit(pending)
            if output:
                handle.close()
        if output:
            self.stdout.write(f"Wrote {written} request(s) to {output}.")


def audit(consultations):
    AuditEvent.objects.bulk_create(
        AuditEvent(action=AuditEvent.Action.EXPORT, consultation=c, reference=c.reference, detail=DETAIL)
        for c in consultations
    )
