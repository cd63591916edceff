"""The consultation forms are rendered by crispy-forms from their own layout (issue 12, item 3).

The accessibility of the rendered form is proven by the form, view, vnu and browser tests;
these tests prove the page comes from the crispy helper and not from hand-written markup."""

import re

import pytest
from crispy_forms.helper import FormHelper
from django.urls import reverse

from consultations.forms import IntakeForm
from tests.factories import make_treatment

pytestmark = pytest.mark.django_db


def form_tags(html):
    """The <form> start tags, spaces normalised (crispy writes `<form  action=... method="post" >`)."""
    return [" ".join(tag.replace(" >", ">").split()) for tag in re.findall(r"<form [^>]*>", html)]


def test_intake_form_has_a_crispy_layout():
    form = IntakeForm(treatment=make_treatment())
    assert isinstance(form.helper, FormHelper)
    assert form.helper.layout is not None


def test_intake_page_renders_the_form_with_crispy(client):
    make_treatment()
    html = client.get(reverse("consultations:new")).content.decode()
    (tag,) = [tag for tag in form_tags(html) if "intake-form" in tag]
    # The attributes in crispy's order (helper attributes, then method and enctype).
    assert tag == (
        '<form action="/consultations/new/" class="intake-form" novalidate="" method="post" '
        'enctype="multipart/form-data">'
    )
    assert re.search(r'<button type="submit" name="send" value="Send my request" class="btn btn-primary btn-lg"', html)
    assert '<fieldset id="screening" class="mb-4" tabindex="-1">' in html
