"""The Spanish interface catalogue: every patient-side string translated, nothing fuzzy, and the
committed compiled catalogue (.mo, what the site reads) in step with the .po translators edit."""

import ast
import gettext
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tests.missing import need

PO = settings.BASE_DIR / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# What the copy leaves out: not the app's code (makemessages ignores these anyway) and large.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "staticfiles", "__pycache__", "*.sqlite3*", "private-media", "sent-mail"
)


def read_po(path):
    """[(msgctxt, msgid, msgid_plural, [msgstr...], flags)] for every entry but the header."""
    entries, entry, field = [], None, None

    def finish():
        if entry and entry["msgid"] != "":
            entries.append(entry)

    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set()}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(field, int):
                entry["msgstr"][field] += value
            else:
                entry[field] += value
        else:
            keyword, _space, quoted = line.partition(" ")
            value = ast.literal_eval(quoted)
            if keyword.startswith("msgstr"):
                field = int(keyword[7:-1]) if "[" in keyword else 0
                entry["msgstr"][field] = value
            else:
                field = keyword
                entry[field] = value
    finish()
    return entries


def problems(entries):
    missing = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    return missing, fuzzy


def test_every_patient_side_string_in_the_code_is_translated(tmp_path):
    """makemessages over a copy of the app: a string added anywhere on the patient side and not
    translated (or left fuzzy by a changed English text) fails here."""
    need("xgettext", "gettext")
    copy = tmp_path / "app"
    shutil.copytree(settings.BASE_DIR, copy, ignore=NOT_COPIED)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "DJANGO_ENV_FILE": "",
        },
    )
    entries = read_po(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    missing, fuzzy = problems(entries)
    assert missing == []
    assert fuzzy == []
    # And the committed catalogue is what makemessages produces: no string only in the copy.
    assert {e["msgid"] for e in entries} == {e["msgid"] for e in read_po(PO)}


def test_committed_catalogue_has_no_untranslated_or_fuzzy_entry():
    assert problems(read_po(PO)) == ([], [])


def test_compiled_catalogue_matches_the_po():
    """`make messages` compiles the .po; a .po edited without recompiling fails here."""
    with MO.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in read_po(PO):
        key = entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"
        if entry["msgid_plural"] is None:
            assert compiled._catalog.get(key) == entry["msgstr"][0], entry["msgid"]
        else:
            for n, text in entry["msgstr"].items():
                assert compiled._catalog.get((key, n)) == text, entry["msgid"]


def test_staff_screens_stay_out_of_the_catalogue():
    msgids = {e["msgid"] for e in read_po(PO)}
    assert "Screening questions, as they were asked" not in msgids  # the staff request page
    assert "Book a consultation" in msgids
