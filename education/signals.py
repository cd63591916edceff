"""Keep cached treatment pages honest, and unsigned edits visible to reviewers.

Any saved content change starts a new content version (clinic.pagecache), and puts the
treatments it touches in "needs review" when their records no longer match what a reviewer
approved. An editor's save, delete or change of cited sources so reaches every worker's kept
pages: this one at once, the others within a second.
"""

import contextlib
from contextvars import ContextVar

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save

from clinic import pagecache

from .models import Precaution, Section, SideEffect, SiteMode, Source, Treatment, TreatmentArea, TreatmentReview

RECORD_MODELS = (Section, TreatmentArea, SideEffect, Precaution)
# SiteMode: every page carries the demo banner or not.
CONTENT_MODELS = (Treatment, *RECORD_MODELS, Source, TreatmentReview, SiteMode)
# Saving only these is the review workflow itself, not an edit of what the page says.
REVIEW_FIELDS = frozenset({"approved", "reviewed_on", "review_status", "updated_at"})


# Set while the content loader writes many rows: it works the review status out once at the end.
_batch = ContextVar("education_content_batch", default=False)


@contextlib.contextmanager
def batch():
    token = _batch.set(True)
    try:
        yield
    finally:
        _batch.reset(token)


def after_batch():
    """Once a batch of loaded rows is committed, cached pages start a new version. The cache table
    may not exist yet: `migrate` loads content before `createcachetable`, and nothing is cached then."""

    def new_version():
        with contextlib.suppress(DatabaseError):
            pagecache.new_content_version()

    transaction.on_commit(new_version)


def bump_content_version(**kwargs):
    if _batch.get():
        return  # the loader starts one new version once its rows are committed (after_batch)
    # Now, so this process never serves the old page again, and once more after the commit:
    # a page rendered by another worker between the two saw the old rows under the new version.
    pagecache.new_content_version()
    transaction.on_commit(pagecache.new_content_version)


def _refresh(treatments):
    if _batch.get():
        return
    for treatment in treatments:
        with contextlib.suppress(Treatment.DoesNotExist):  # the treatment itself is being deleted
            treatment.refresh_review_status()


def record_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _refresh(Treatment.objects.filter(pk=instance.treatment_id))


def treatment_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw and not _batch.get() and not (update_fields and set(update_fields) <= REVIEW_FIELDS):
        instance.refresh_review_status()


def citing(source):
    cites = Q()
    for related in ("sections", "areas", "side_effects", "precautions"):
        cites |= Q(**{f"{related}__sources": source})
    return Treatment.objects.filter(cites).distinct()


def source_changed(sender, instance, raw=False, **kwargs):
    # A cited source is part of the signed page: a new title or address needs a look too.
    if not raw:
        _refresh(citing(instance))


def citations_changed(sender, instance, action, reverse, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        # reverse: source.section_set.add(...), the records are on the other side.
        _refresh(citing(instance) if reverse else Treatment.objects.filter(pk=instance.treatment_id))


post_save.connect(treatment_saved, sender=Treatment, dispatch_uid="review-treatment")
post_save.connect(source_changed, sender=Source, dispatch_uid="review-source")
for model in RECORD_MODELS:
    post_save.connect(record_changed, sender=model, dispatch_uid=f"review-save-{model.__name__}")
    post_delete.connect(record_changed, sender=model, dispatch_uid=f"review-delete-{model.__name__}")
    m2m_changed.connect(citations_changed, sender=model.sources.through, dispatch_uid=f"review-m2m-{model.__name__}")

for model in CONTENT_MODELS:
    post_save.connect(bump_content_version, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
    post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}")
    if model in RECORD_MODELS:
        # Citations are many-to-many: citing another source saves no row of the record itself.
        m2m_changed.connect(
            bump_content_version, sender=model.sources.through, dispatch_uid=f"pagecache-m2m-{model.__name__}"
        )
