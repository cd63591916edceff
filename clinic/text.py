"""Characters that can disguise text, and the one cleaning of what people type.

A name with U+202E (right-to-left override) reads differently on screen than it is stored
("Anna\u202eTTIW" shows as "AnnaWITT"); zero-width characters, fillers (U+3164 and friends
draw nothing but are not spaces) and tag characters make two names that look the same differ,
or hide text; U+2028/U+2029 break lines where exports and logs do not expect it; control
characters break exports and logs. Names refuse all of these with a clear message
(has_disguising_characters); free text (goals, medications, the patient's added information,
staff notes) has them removed (strip_disguising_characters), line breaks and tabs kept.

One exception: ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER between two letters are spelling
in Persian, Arabic and Indic names and words ("می‌خواهم"), and the joiner builds emoji
sequences in free text; anywhere else they are invisible padding.
"""

import unicodedata

# Embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and the direction marks
# (LRM, RLM, ALM) are format characters (Cf) too; named here because they are the worst.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
JOINERS = frozenset("\u200c\u200d")
# Letters (or marks) that draw nothing: the Hangul fillers, the braille blank, the Khmer
# invisible vowels, the combining grapheme joiner. Not format characters, so named.
FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u034f")
# Cc: controls; Cf: format (zero-width, bidi, tags U+E0000–E007F, soft hyphen, word joiner,
# BOM); Zl/Zp: U+2028/U+2029; Co: private use; Cs: surrogates; Cn: unassigned.
DISGUISING_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
LINE_BREAKS_AND_TABS = frozenset("\n\r\t")


def _joins_letters(text, index):
    """A ZWNJ/ZWJ with a letter or mark on each side (spelling, or an emoji sequence)."""
    if index == 0 or index == len(text) - 1:
        return False
    return all(unicodedata.category(text[i])[0] in "LMS" for i in (index - 1, index + 1))


def _disguises(text, index):
    char = text[index]
    if char in BIDI_CONTROLS or char in FILLERS:
        return True
    if char in JOINERS:
        return not _joins_letters(text, index)
    return unicodedata.category(char) in DISGUISING_CATEGORIES


def has_disguising_characters(text):
    """True for any character that hides or disguises text, line breaks included: for names."""
    return any(_disguises(text, index) for index in range(len(text)))


def strip_disguising_characters(text):
    """text without the characters that hide or disguise it, keeping line breaks and tabs
    (U+2028/U+2029 become plain line breaks): for free text, typed by patients or staff."""
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return "".join(
        char for index, char in enumerate(text) if char in LINE_BREAKS_AND_TABS or not _disguises(text, index)
    )
