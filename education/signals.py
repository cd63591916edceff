"""Keep cached treatment pages honest: any saved content change starts a new cache version.

Each cached page carries the content version it was rendered under (see
``education.views.cached_for_anonymous``). An editor's save, delete or change of
cited sources stores a new version in the shared cache, so every worker stops
serving the old pages at once and renders them afresh.
"""

import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Precaution, Section, SideEffect, Source, Treatment, TreatmentArea

VERSION_KEY = "education:content-version"

CONTENT_MODELS = (Treatment, Section, TreatmentArea, SideEffect, Precaution, Source)


def content_version():
    # A random token rather than a counter: two workers bumping at once both end on a new version.
    return cache.get_or_set(VERSION_KEY, secrets.token_hex(4), timeout=None)


def _new_version():
    cache.set(VERSION_KEY, secrets.token_hex(4), timeout=None)


def bump_content_version(**kwargs):
    # Now, so this process never serves the old page again, and once more after the commit:
    # a page rendered by another worker between the two saw the old rows under the new version.
    _new_version()
    transaction.on_commit(_new_version)


for model in CONTENT_MODELS:
    post_save.connect(bump_content_version, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
    post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}")
    if model is not Source and model is not Treatment:
        # Citations are many-to-many: citing another source saves no row of the record itself.
        m2m_changed.connect(
            bump_content_version, sender=model.sources.through, dispatch_uid=f"pagecache-m2m-{model.__name__}"
        )
