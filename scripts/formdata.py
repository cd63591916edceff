"""Fill in the intake form the way a patient would, from the HTML the server sent.

The one HTML form parser of the project: the load tests (tests/load/), the PHI log tests
and the benchmark (scripts/bench.py) all use it.
Reading the page (not the form class) keeps the load tests honest: they send exactly
what a browser would, hidden fields and CSRF token included, and they adapt when the
form gains or loses fields.
"""

from html.parser import HTMLParser

# Personal values a valid request needs; tests look for them in logs and reports.
PATIENT = {
    "first_name": "Marguerite",
    "last_name": "Quillfeather",
    "email": "marguerite.quillfeather@example.com",
    "phone": "+12075550134",
    "date_of_birth": "1990-01-01",
    "goals": "Soften the lines beside my mouth, keep it natural",
    "previous_treatments": "Botulinum toxin in Lisbon, spring 2023",
    "medications": "Warfarin 5 mg nightly and fish oil",
    "allergies": "Lidocaine rash in 2019",
}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"attrs": attrs, "inputs": [], "selects": {}, "textareas": []})
        elif not self.forms:
            return
        elif tag == "input":
            self.forms[-1]["inputs"].append(attrs)
        elif tag == "select":
            self._select = attrs.get("name", "")
            self.forms[-1]["selects"][self._select] = []
        elif tag == "option" and self._select is not None:
            self.forms[-1]["selects"][self._select].append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea":
            self._textarea = attrs.get("name", "")
            self.forms[-1]["textareas"].append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def post_form(html):
    """The page's POST form (the one with a CSRF token) as parsed by _FormParser."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form["attrs"].get("method", "").lower() == "post" and any(
            field.get("name") == "csrfmiddlewaretoken" for field in form["inputs"]
        ):
            return form
    raise AssertionError("no POST form with a CSRF token on the page")


def intake_post_data(html, patient=PATIENT):
    """(action, [(name, value), ...]) for a valid request: the patient's details, "No" to every
    health question, no preferred time (so many requests never compete for one time), consent given
    and the cancellation policy accepted (for a caller that picks a time)."""
    form = post_form(html)
    pairs = []
    radios = {}
    for field in form["inputs"]:
        name, kind = field.get("name"), field.get("type", "text").lower()
        if not name or kind in {"submit", "button", "image", "reset", "file"}:
            continue
        if kind == "radio":
            radios.setdefault(name, []).append(field.get("value", "on"))
        elif kind == "checkbox":
            # Consent is required, and so is the cancellation policy once a time is chosen (tests
            # pick one); optional boxes (areas of concern, the waitlist) are left unticked.
            if "consent" in name or name == "accept_policy":
                pairs.append((name, field.get("value") or "on"))
        elif name in patient:
            pairs.append((name, patient[name]))
        else:
            # Hidden fields keep their value; unknown text fields (the honeypot) stay as sent.
            pairs.append((name, field.get("value", "")))
    for name, values in radios.items():
        for preferred in ("no", ""):
            if preferred in values:
                pairs.append((name, preferred))
                break
        else:
            pairs.append((name, values[0]))
    for name, options in form["selects"].items():
        chosen = [value for value, selected in options if selected] or [value for value, _ in options if value]
        pairs.append((name, chosen[0]))
    for name in form["textareas"]:
        pairs.append((name, patient.get(name, "")))
    return form["attrs"].get("action", ""), pairs


def as_dict(pairs):
    """Pairs to the {name: [values]} shape Django's test client posts."""
    data = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data
