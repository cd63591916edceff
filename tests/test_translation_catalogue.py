"""The Spanish interface catalogue: every patient-side string translated, nothing fuzzy, and the
committed compiled catalogue (.mo, what the site reads) in step with the .po translators edit."""

import ast
import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.missing import need

PO = settings.BASE_DIR / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# What the copy leaves out: not the app's code (makemessages ignores these anyway) and large.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "build", "node_modules", "staticfiles", "__pycache__", "*.sqlite3*", "private-media", "sent-mail"
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


# Wording the Spanish audit of issue 22 (Why 9) found not native-grade in US Spanish: each is
# gone from the interface catalogue and from the shipped Spanish guides.
NOT_NATIVE = [
    "cayó mal",  # the allergy question read as food that disagreed with you
    "productos médicos",  # the FDA's Spanish says "dispositivos médicos"
    "0,3",  # US Spanish writes a decimal point
    "Cuánto dura.",  # session length: "Cuánto tiempo toma"
    "es alérgico",  # a masculine default for the reader
    "no está seguro",
    "la cara se cae",
    "sin más",
    "si alguno.",
    "cree colágeno",
    "trabajo dental",
    "picor",
    "le mandó",
    "afectar al",
    "Raro pero grave",  # group headings are plural
    "caduc",
    "valorar",
    "valoración",
    "No pudimos verle",
    "Ya nos avisaron",
    "Estamos ocupados un momento",
    "urgencia",  # one word for emergency: "emergencia"
    "adormecer",  # one word for numbing: "anestésico"
    "para no sentir dolor",
    "«",  # US Spanish quotes “…”
]


def shipped_spanish_text():
    content = settings.BASE_DIR / "education" / "content"
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(content.glob("*.es.json")))


@pytest.mark.parametrize("phrase", NOT_NATIVE)
def test_spanish_reads_as_native_us_spanish(phrase):
    translations = "\n".join(text for entry in read_po(PO) for text in entry["msgstr"].values())
    assert phrase not in translations
    assert phrase not in shipped_spanish_text()


def test_spanish_times_and_group_headings_read_the_us_spanish_way():
    translations = {entry["msgid"]: entry["msgstr"][0] for entry in read_po(PO)}
    assert (translations["a.m."], translations["p.m."]) == ("a. m.", "p. m.")
    assert [translations[label] for label in ("Common", "Possible", "Rare but serious")] == [
        "Frecuentes",
        "Posibles",
        "Raros pero graves",
    ]
