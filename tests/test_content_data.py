"""The shipped guides are data files, loaded by an idempotent loader that never overwrites editors."""

import json

import pytest
from django.core.management import call_command

from education import content
from education.models import ContentLoad, Precaution, Section, Source, Treatment

from .factories import approve

pytestmark = pytest.mark.django_db


def copy_files(tmp_path, slug="belotero"):
    for path in content.CONTENT_DIR.glob(f"{slug}.*.json"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def edit_file(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(content.dump_json(data), encoding="utf-8")


def section(data, kind):
    return next(s for s in data["sections"] if s["kind"] == kind)


def test_every_treatment_ships_english_and_spanish_files():
    files = content.shipped()
    assert set(files) == {"belotero", "dermal-fillers"}
    for languages in files.values():
        assert set(languages) == {"en", "es"}


def test_migrate_loads_the_shipped_pages_as_they_are_in_the_files():
    """The test database was built by `migrate`: its rows say exactly what the files say."""
    for slug, files in content.shipped().items():
        treatment = Treatment.objects.get(slug=slug)
        assert content.digest(content.current_files(treatment, files)) == content.digest(files)
        assert ContentLoad.objects.get(slug=slug).loaded_digest == content.digest(files)


def test_loading_again_changes_nothing():
    before = {t.slug: (t.updated_at, t.review_status) for t in Treatment.objects.all()}
    results = content.load_content()
    assert {r.outcome for r in results} == {"unchanged"}
    assert {t.slug: (t.updated_at, t.review_status) for t in Treatment.objects.all()} == before


def test_a_new_treatment_is_created_from_its_files(tmp_path):
    copy_files(tmp_path)
    for path in tmp_path.iterdir():
        path.rename(tmp_path / path.name.replace("belotero", "belotero-copy"))

    def rename(data):
        data["treatment"]["slug"] = "belotero-copy"

    edit_file(tmp_path / "belotero-copy.en.json", rename)
    edit_file(tmp_path / "belotero-copy.es.json", rename)
    [result] = content.load_content(tmp_path)
    assert result.outcome == "created"
    copy = Treatment.objects.get(slug="belotero-copy")
    assert copy.sections.count() == Treatment.objects.get(slug="belotero").sections.count()
    assert copy.precautions.get(key="severe-allergy-history").question_es.startswith("¿")
    assert copy.review_status == Treatment.ReviewStatus.NEEDS_REVIEW  # nobody signed it
    assert content.load_content(tmp_path)[0].outcome == "unchanged"


def test_a_new_shipped_version_updates_untouched_rows_and_a_signed_page_needs_review(tmp_path, belotero):
    approve(belotero)
    belotero.refresh_from_db()
    assert belotero.review_status == Treatment.ReviewStatus.REVIEWED
    copy_files(tmp_path)
    edit_file(tmp_path / "belotero.en.json", lambda d: section(d, "aftercare").update(body="New aftercare text."))
    edit_file(tmp_path / "belotero.es.json", lambda d: section(d, "aftercare").update(body="Nuevo texto de cuidados."))
    [result] = content.load_content(tmp_path)
    assert result.outcome == "updated"
    aftercare = Section.objects.get(treatment=belotero, kind="aftercare")
    assert (aftercare.body_en, aftercare.body_es) == ("New aftercare text.", "Nuevo texto de cuidados.")
    belotero.refresh_from_db()
    assert belotero.review_status == Treatment.ReviewStatus.NEEDS_REVIEW
    # Patients keep the signed page until a reviewer approves the loaded text.
    signed = next(x for x in belotero.public_page()["sections"] if x["kind"] == "aftercare")
    assert "New aftercare text." not in signed["html"]
    assert content.load_content(tmp_path)[0].outcome == "unchanged"


def test_a_record_dropped_from_the_files_goes_and_a_new_one_comes(tmp_path, belotero):
    copy_files(tmp_path)

    def change(data):
        data["precautions"] = [p for p in data["precautions"] if p["key"] != "skin-procedures"]
        data["precautions"].append(
            {"key": "new-question", "order": 20, "kind": "discuss", "description": "New.", "question": "New?",
             "sources": ["fda-fillers"]}
        )  # fmt: skip

    edit_file(tmp_path / "belotero.en.json", change)
    content.load_content(tmp_path)
    keys = set(Precaution.objects.filter(treatment=belotero).values_list("key", flat=True))
    assert "skin-procedures" not in keys and "new-question" in keys
    assert list(Precaution.objects.get(key="new-question").sources.values_list("key", flat=True)) == ["fda-fillers"]


def test_an_editors_change_is_never_overwritten_by_a_new_shipped_version(tmp_path, belotero, capsys):
    aftercare = Section.objects.get(treatment=belotero, kind="aftercare")
    aftercare.body_en = "The clinic's own aftercare text."
    aftercare.save()
    copy_files(tmp_path)
    edit_file(tmp_path / "belotero.en.json", lambda d: section(d, "aftercare").update(body="Shipped text."))
    [result] = content.load_content(tmp_path)
    assert result.outcome == "kept-edits"
    aftercare.refresh_from_db()
    assert aftercare.body_en == "The clinic's own aftercare text."
    assert ContentLoad.objects.get(slug="belotero").pending_digest == content.digest(
        content.shipped(tmp_path)["belotero"]
    )
    # The command says so plainly.
    call_command("load_content", directory=str(tmp_path))
    assert "NOT updated: editors changed this page" in capsys.readouterr().out


def test_an_edited_source_counts_as_an_editors_change(tmp_path):
    Source.objects.filter(key="fda-dos").update(title_en="Edited title")
    copy_files(tmp_path)
    edit_file(tmp_path / "belotero.en.json", lambda d: section(d, "faq").update(body="Shipped FAQ."))
    assert content.load_content(tmp_path)[0].outcome == "kept-edits"


def test_rows_from_before_content_keys_are_matched_by_their_text(belotero):
    """An install whose rows came from the old data migrations: same text, no keys yet."""
    Precaution.objects.filter(treatment=belotero).update(key="")
    ContentLoad.objects.all().delete()
    results = {r.slug: r.outcome for r in content.load_content()}
    assert results["belotero"] == "unchanged"
    assert not Precaution.objects.filter(treatment=belotero, key="").exists()
    assert ContentLoad.objects.get(slug="belotero").pending_digest == ""


def test_a_source_two_guides_cite_says_the_same_in_both_files():
    """Sources are shared rows: two files disagreeing on one would rewrite it at every load."""
    seen = {}
    for slug, files in content.shipped().items():
        for language, data in files.items():
            for source in data["sources"]:
                first = seen.setdefault((language, source["key"]), (slug, source))
                assert first[1] == source, f"{source['key']} ({language}) differs in {first[0]} and {slug}"


def test_dump_content_writes_the_files_the_loader_reads(tmp_path, belotero):
    call_command("dump_content", directory=str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in content.CONTENT_DIR.glob("*.json"))
    assert content.digest(content.shipped(tmp_path)["belotero"]) == content.digest(content.shipped()["belotero"])


def test_every_shipped_text_fits_its_column_in_every_language():
    # SQLite never enforces max_length; PostgreSQL refused a 307-character Spanish precaution
    # during `migrate` (the loader runs there), so a fresh install on PostgreSQL failed.
    from education.models import SideEffect, TreatmentArea

    too_long = []
    for model in (Treatment, Section, TreatmentArea, SideEffect, Precaution, Source):
        limited = [
            f
            for f in model._meta.concrete_fields
            if getattr(f, "max_length", None) and f.get_internal_type() == "CharField"
        ]
        for record in model.objects.all():
            for field in limited:
                value = getattr(record, field.attname) or ""
                if len(value) > field.max_length:
                    too_long.append((model.__name__, record.pk, field.attname, len(value), field.max_length))
    assert too_long == []
