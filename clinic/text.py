"""Characters that can disguise text: bidirectional overrides and control characters.

A name with U+202E (right-to-left override) reads differently on screen than it is stored
("Anna\u202eTTIW" shows as "AnnaWITT"), and control characters can break exports and logs.
Names refuse them with a clear message; free text (goals, medications, notes) has them removed.
"""

import re
import unicodedata

# Embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), and the invisible
# direction marks (LRM, RLM, ALM).
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
LINE_BREAKS_AND_TABS = {"\n", "\r", "\t"}


def _is_control(char):
    return unicodedata.category(char) == "Cc"


def has_disguising_characters(text):
    """True for any bidi control or any control character (line breaks included): for names."""
    return bool(BIDI_CONTROLS.search(text)) or any(_is_control(char) for char in text)


def strip_disguising_characters(text):
    """text without bidi controls and control characters, keeping line breaks and tabs: for free text."""
    text = BIDI_CONTROLS.sub("", text)
    return "".join(char for char in text if char in LINE_BREAKS_AND_TABS or not _is_control(char))
