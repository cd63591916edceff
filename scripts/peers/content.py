"""The page both peers serve, shaped like the clinic's: a home page listing treatments, and a
treatment page of cited sections (about the clinic's treatment page's size). Deterministic: every
run serves the same bytes."""

TREATMENTS = [
    ("belotero", "Belotero Balance (+)", "A hyaluronic acid filler for fine lines and the tear trough."),
    ("juvederm", "Juvéderm Volbella XC", "A soft filler for the lips and the lines around the mouth."),
    ("restylane", "Restylane Kysse", "A filler for lip volume and definition."),
    ("radiesse", "Radiesse (+)", "A calcium-based filler for the hands and the jawline."),
    ("sculptra", "Sculptra Aesthetic", "A stimulator of the skin's own collagen, over several sessions."),
    ("botox", "Botox Cosmetic", "A muscle relaxer for frown lines, crow's feet and forehead lines."),
]
KINDS = [
    "Get help at once",
    "What it is",
    "Who it is for",
    "Who should not have it",
    "Before your visit",
    "The procedure",
    "Right after",
    "The first two weeks",
    "Side effects",
    "Rare but serious",
    "How long it lasts",
    "Costs and follow-up",
]
SENTENCE = (
    "This paragraph stands for the cited patient information a treatment page holds, written at a "
    "reading grade a patient can follow, with the facts a reviewer signed and the sources they come from. "
)


def sections():
    """[(heading, [paragraph, ...], [(source title, url), ...])] for a treatment page."""
    return [
        (
            heading,
            [f"{heading}: {SENTENCE * 2}" for _ in range(5)],
            [(f"Source {number} for {heading.lower()}", f"https://example.org/sources/{number}") for number in (1, 2)],
        )
        for heading in KINDS
    ]
