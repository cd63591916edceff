"""The shipped guides as data: education/content/<slug>.<language>.json, and their loader.

Each treatment ships one file per language. The English file holds the page's structure (the
records, their order, kinds, statuses and sources) and its English text; each other language's
file holds only that language's text, matched to the records by the same keys (a section by its
kind, an area, side effect or precaution by its ``key``, a source by its ``key``). Medical text
is edited in these files and reviewed like code; migrations hold schema only.

``load_content()`` is idempotent and never overwrites an editor's work:

- a treatment not in the database is created from its files;
- rows that still equal what the previous load wrote (``ContentLoad.loaded_digest``) are brought
  up to the shipped version;
- rows an editor changed since are left as the editor left them: the shipped version is not
  applied, its digest waits in ``ContentLoad.pending_digest`` and `check` reports it
  (education.W005), so nobody loses the editor's text or believes the new text is live.

What a load changes goes through the review fingerprint like any edit: a signed page whose rows
change is "needs review", and patients keep the signed version until a reviewer approves.
It runs after every `migrate` (``apps.py``: a fresh install has its pages) and from `seed_demo`.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import signals
from .models import ContentLoad, Precaution, Section, SideEffect, Source, Treatment, TreatmentArea

CONTENT_DIR = Path(__file__).resolve().parent / "content"
FORMAT = 1

# (file key, model, related name, field that keys the row, fields the English file holds, translated fields)
RECORDS = [
    ("sections", Section, "sections", "kind", ["kind", "order", "title", "body"], ["title", "body"]),
    (
        "areas",
        TreatmentArea,
        "areas",
        "key",
        ["key", "order", "name", "product", "status", "description"],
        ["name", "description"],
    ),
    (
        "side_effects",
        SideEffect,
        "side_effects",
        "key",
        ["key", "order", "name", "frequency", "duration", "description"],
        ["name", "description", "duration"],
    ),
    (
        "precautions",
        Precaution,
        "precautions",
        "key",
        ["key", "order", "kind", "description", "question"],
        ["description", "question"],
    ),
]
TREATMENT_FIELDS = ["slug", "name", "summary", "order", "published", "labeled_min_age", "recall_weeks"]
TREATMENT_TRANSLATED = ["name", "summary"]
SOURCE_FIELDS = ["key", "title", "publisher", "url", "date", "copy_of"]
SOURCE_TRANSLATED = ["title", "publisher", "copy_of"]


def default_language():
    return settings.LANGUAGE_CODE


# --- the database as data ----------------------------------------------------------------------


def _text(record, field, language):
    return getattr(record, f"{field}_{language}", None) or ""


def export_treatment(treatment, language=None):
    """The treatment's rows as one language's content file (the shape ``load_content`` reads)."""
    language = language or default_language()
    original = language == default_language()
    loaded = Treatment.objects.with_content().get(pk=treatment.pk)
    sources = {}

    def source_keys(record):
        keys = []
        for source in record.sources.all():
            sources[source.key] = source
            keys.append(source.key)
        return sorted(keys)

    data = {"format": FORMAT, "language": language}
    if original:
        data["treatment"] = {
            "slug": loaded.slug,
            "name": _text(loaded, "name", language),
            "summary": _text(loaded, "summary", language),
            "order": loaded.order,
            "published": loaded.published,
            "labeled_min_age": loaded.labeled_min_age,
            "recall_weeks": loaded.recall_weeks,
        }
    else:
        data["treatment"] = {"slug": loaded.slug, **{f: _text(loaded, f, language) for f in TREATMENT_TRANSLATED}}
    for name, _model, related, key_field, fields, translated in RECORDS:
        rows = []
        for record in getattr(loaded, related).all():
            if original:
                row = {}
                for field in fields:
                    row[field] = _text(record, field, language) if field in translated else getattr(record, field)
                row["sources"] = source_keys(record)
            else:
                row = {key_field: getattr(record, key_field)}
                row.update({field: _text(record, field, language) for field in translated})
                source_keys(record)
            rows.append(row)
        data[name] = rows
    if original:
        data["sources"] = [
            {f: (_text(s, f, language) if f in SOURCE_TRANSLATED else getattr(s, f)) for f in SOURCE_FIELDS}
            for _key, s in sorted(sources.items())
        ]
    else:
        data["sources"] = [
            {"key": key, **{f: _text(s, f, language) for f in SOURCE_TRANSLATED}} for key, s in sorted(sources.items())
        ]
    return data


def dump_json(data):
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- shipped files ---------------------------------------------------------------------------------


def shipped(directory=None):
    """{slug: {language: data}} for every content file."""
    directory = Path(directory or CONTENT_DIR)
    found = {}
    for path in sorted(directory.glob("*.json")):
        slug, _dot, language = path.stem.rpartition(".")
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("language") != language:
            raise ValueError(f"{path.name}: not a format-{FORMAT} content file in {language!r}")
        found.setdefault(slug, {})[language] = data
    for slug, files in found.items():
        if default_language() not in files:
            raise ValueError(f"{slug}: no {default_language()} file (it holds the page's structure)")
        for name, _model, _related, key_field, _fields, _translated in RECORDS:
            keys = [row.get(key_field) for row in files[default_language()].get(name, [])]
            if not all(keys) or len(set(keys)) != len(keys):
                raise ValueError(f"{slug}: every record in {name!r} needs its own {key_field!r}")
    return found


def normalised(files):
    """The files in a canonical order, so equal content has equal digests whatever the list order."""

    def by_order(rows, key_field):
        return sorted(rows, key=lambda row: (row.get("order", 0), str(row.get(key_field, ""))))

    out = {}
    for language, data in sorted(files.items()):
        copy = {"treatment": data["treatment"], "sources": sorted(data.get("sources", []), key=lambda s: s["key"])}
        for name, _model, _related, key_field, _fields, _translated in RECORDS:
            rows = data.get(name, [])
            if language == default_language():
                rows = by_order(rows, key_field)
            else:
                rows = sorted(rows, key=lambda row, k=key_field: str(row[k]))
            copy[name] = [{**row, "sources": sorted(row["sources"])} if "sources" in row else row for row in rows]
        out[language] = copy
    return out


def digest(files):
    return hashlib.sha256(json.dumps(normalised(files), sort_keys=True).encode()).hexdigest()


def current_files(treatment, languages):
    return {language: export_treatment(treatment, language) for language in languages}


def unsigned_report():
    """Lines saying which published guides no named reviewer has signed (empty when all are)."""
    waiting = [t.slug for t in Treatment.objects.public() if t.signed_approval is None]
    if not waiting:
        return []
    return [
        f"UNSIGNED: {len(waiting)} published guide(s) not signed by a named medical reviewer: {', '.join(waiting)}.",
        "Patients see them as waiting for review (no medical text) until the clinic's reviewer approves them "
        "in the admin (Patient education > Treatments > Review and approve).",
    ]


# --- loading -------------------------------------------------------------------------------------------


@dataclass
class Result:
    slug: str
    outcome: str  # "created", "updated", "unchanged", "kept-edits"
    detail: str = ""

    def __str__(self):
        return f"{self.slug}: {self.detail or self.outcome}"


def load_content(directory=None, *, using=None):  # noqa: ARG001 (the default database)
    """Load every shipped treatment; a list of ``Result`` (what happened to each, in words)."""
    return [load_treatment(slug, files) for slug, files in sorted(shipped(directory).items())]


@transaction.atomic
def load_treatment(slug, files):
    file_digest = digest(files)
    state = ContentLoad.objects.filter(slug=slug).first()
    treatment = Treatment.objects.filter(slug=slug).first()
    if treatment is None:
        with signals.batch():
            treatment = _write(None, files)
        _record(slug, file_digest, treatment, files)
        return Result(slug, "created", "created from the shipped files")
    if state is not None and state.file_digest == file_digest and not state.pending_digest:
        return Result(slug, "unchanged", "up to date")
    _assign_keys(treatment, files)
    now = digest(current_files(treatment, files))
    if now == file_digest:
        # The rows already say exactly what is shipped (an install whose rows came another way).
        _record(slug, file_digest, treatment, files)
        return Result(slug, "unchanged", "up to date")
    if state is not None and now == state.loaded_digest:
        with signals.batch():
            treatment = _write(treatment, files)
        _record(slug, file_digest, treatment, files)
        return Result(slug, "updated", "updated to the shipped version (a signed page now needs review)")
    # An editor changed the rows since the last load (or they never came from a load).
    if state is None:
        ContentLoad.objects.create(slug=slug, file_digest="", loaded_digest="", pending_digest=file_digest)
    elif state.pending_digest != file_digest:
        state.pending_digest = file_digest
        state.save(update_fields=["pending_digest"])
    return Result(
        slug,
        "kept-edits",
        "NOT updated: editors changed this page since the shipped content was loaded. Their text stays; "
        "compare it with the shipped files, edit it in the admin, and a reviewer signs the result.",
    )


def _record(slug, file_digest, treatment, files):
    loaded = digest(current_files(treatment, files))
    ContentLoad.objects.update_or_create(
        slug=slug,
        defaults={
            "file_digest": file_digest,
            "loaded_digest": loaded,
            "pending_digest": "",
            "loaded_at": timezone.now(),
        },
    )


def _assign_keys(treatment, files):
    """Rows an install got before records had keys: match them to the files by their English text."""
    english = files[default_language()]
    match_on = {"areas": "name", "side_effects": "name", "precautions": "description"}
    for name, model, related, _key_field, _fields, _translated in RECORDS:
        if name not in match_on:
            continue
        field = match_on[name]
        by_text = {row[field]: row["key"] for row in english.get(name, [])}
        for record in getattr(treatment, related).filter(key=""):
            key = by_text.get(getattr(record, f"{field}_{default_language()}"))
            if key:
                model.objects.filter(pk=record.pk).update(key=key)


def _source(data_by_language):
    english = data_by_language[default_language()]
    values = {f: english[f] for f in SOURCE_FIELDS if f not in SOURCE_TRANSLATED and f != "key"}
    for language, row in data_by_language.items():
        for field in SOURCE_TRANSLATED:
            values[f"{field}_{language}"] = row.get(field, "")
    source = Source.objects.filter(key=english["key"]).first()
    if source is None:
        return Source.objects.create(key=english["key"], **values)
    changed = [f for f, v in values.items() if getattr(source, f) != v]
    if changed:
        Source.objects.filter(pk=source.pk).update(**values)
    return source


def _write(treatment, files):
    """Make the rows say what the files say (rows are matched by key; keyed rows not shipped go).

    The review status is worked out once at the end (``signals.batch``): one fingerprint, not one
    per row; the cached pages get one new version after the commit."""
    english = files[default_language()]
    translations = {language: data for language, data in files.items() if language != default_language()}

    def translated(data_name, key_field, key, fields):
        values = {}
        for language, data in translations.items():
            row = next((r for r in data.get(data_name, []) if r.get(key_field) == key), {})
            for field in fields:
                values[f"{field}_{language}"] = row.get(field, "")
        return values

    source_rows = {}
    for language, data in files.items():
        for row in data.get("sources", []):
            source_rows.setdefault(row["key"], {})[language] = row
    sources = {key: _source(rows) for key, rows in source_rows.items() if default_language() in rows}

    info = english["treatment"]
    values = {
        "slug": info["slug"],
        "order": info.get("order", 0),
        "labeled_min_age": info.get("labeled_min_age"),
        "recall_weeks": info.get("recall_weeks"),
        **{f"{f}_{default_language()}": info[f] for f in TREATMENT_TRANSLATED},
    }
    for language, data in translations.items():
        values.update({f"{f}_{language}": data["treatment"].get(f, "") for f in TREATMENT_TRANSLATED})
    if treatment is None:
        treatment = Treatment.objects.create(**values)
    else:
        Treatment.objects.filter(pk=treatment.pk).update(**values)
    for name, model, related, key_field, fields, translated_fields in RECORDS:
        existing = {getattr(r, key_field): r for r in getattr(treatment, related).exclude(**{key_field: ""})}
        shipped_keys = set()
        for row in english.get(name, []):
            key = row[key_field]
            shipped_keys.add(key)
            row_values = {
                (f"{f}_{default_language()}" if f in translated_fields else f): row.get(f, "")
                for f in fields
                if f != key_field
            }
            row_values["order"] = row.get("order", 0)
            row_values.update(translated(name, key_field, key, translated_fields))
            record = existing.get(key)
            if record is None:
                record = model.objects.create(treatment=treatment, **{key_field: key}, **row_values)
            else:
                model.objects.filter(pk=record.pk).update(**row_values)
            wanted = {sources[k].pk for k in row.get("sources", [])}
            have = set(record.sources.values_list("pk", flat=True)) if record.pk else set()
            through = model.sources.through
            field = f"{model._meta.model_name}_id"
            if have - wanted:
                through.objects.filter(**{field: record.pk, "source_id__in": have - wanted}).delete()
            through.objects.bulk_create(through(**{field: record.pk, "source_id": pk}) for pk in wanted - have)
        for key, record in existing.items():
            if key not in shipped_keys:
                record.delete()
    # Published as shipped: a page no named reviewer signed shows as waiting for review.
    if info.get("published") and not treatment.published:
        Treatment.objects.filter(pk=treatment.pk).update(published=True)
    treatment.refresh_from_db()
    treatment.refresh_review_status()
    signals.after_batch()
    return treatment
