"""How the consultation forms are rendered: crispy-forms helpers shared by the forms.

Patient pages use the bootstrap5 template pack, whose templates are overridden once in
templates/bootstrap5/ to keep the accessible markup: labels, help and error texts that
aria-describedby points at, fieldsets with legends for choices, a Submit that is a <button>.
"""

from crispy_forms.helper import FormHelper


class PatientFormHelper(FormHelper):
    """A POST form on a patient page. Validation is server-side only (novalidate): the browser's
    bubbles are not announced consistently; errors are shown in the summary and at each field."""

    form_method = "post"

    def __init__(self, form=None):
        super().__init__(form)
        self.attrs = {"novalidate": ""}


class Text:
    """A piece of HTML made in Python with format_html (an introduction, a link to read first).
    Unlike crispy's HTML object it is not compiled as a template, so text from the database
    (a treatment's name) is only ever escaped, never evaluated."""

    def __init__(self, html):
        self.html = html

    def render(self, form, context, template_pack=None, **kwargs):
        return self.html
