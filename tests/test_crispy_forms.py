"""Forms render one way per audience (issue 12 item 3, issue 24 Scope 5).

Patients: crispy-forms, each form's layout in consultations/layouts.py (never in the form class),
attached by the view: `{% crispy form helper %}`. Staff: the admin's own way, `<form>`,
`{% csrf_token %}`, each field through templates/admin/clinic/field.html and a `<button>` written in
the template; no crispy in the admin. Neither way compiles a value as a template.

The accessibility of the rendered forms is proven by the form, view, vnu, axe and browser tests;
these tests prove each page's form comes the way of its audience and keeps the accessible pattern
through it: an error summary linking to the fields, aria-describedby naming the help and error
texts, fieldsets with legends for groups. A page that strays from its audience's way fails here."""

import ast
import re
from pathlib import Path

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from crispy_forms.utils import render_crispy_form
from django import forms
from django.conf import settings
from django.urls import reverse

import consultations.forms.feed
import consultations.forms.staff
import twofactor.forms
from consultations import layouts
from consultations.forms import IntakeForm
from consultations.forms.aftercare import CheckInForm
from consultations.forms.selfservice import CancelForm, ConfirmHoldForm, InfoForm, MoveForm
from consultations.models import InfoTopic, Status
from tests.factories import (
    make_area,
    make_booked_request,
    make_precaution,
    make_provider,
    make_request,
    make_staff,
    make_totp_device,
    make_treatment,
    self_service,
)

# "Now" is a frozen late-evening moment (tests/conftest.py): no result depends on the hour of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"
# Where forms are defined: every one of them does fields and validation only.
FORM_FILES = [
    ROOT / "clinic/forms.py",
    *sorted((ROOT / "consultations/forms").glob("*.py")),
    ROOT / "twofactor/forms.py",
]


def form_tags(html):
    """The <form> start tags, spaces normalised (crispy writes `<form  action=... method="post" >`)."""
    return [" ".join(tag.replace(" >", ">").split()) for tag in re.findall(r"<form [^>]*>", html)]


def button(name, value, css):
    """A submit button: crispy's (templates/bootstrap5/layout/baseinput.html) or a staff template's, id and all."""
    return f'<button type="submit" name="{name}" value="{value}" class="{css}" id="submit-id-{name}"'


def control(html, tag, name):
    """The attributes of the <tag name="name"> start tag, as a dict (their order is Django's business)."""
    start = re.search(rf'<{tag}( [^>]*)? name="{re.escape(name)}"([^>]*)>', html)
    assert start, f"no <{tag} name={name!r}>"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', start.group(0)))


def has_layout(helper):
    return isinstance(helper, FormHelper) and isinstance(helper.layout, Layout) and len(helper.layout.fields) > 0


@pytest.fixture
def booked():
    return make_booked_request(treatment=make_treatment(), status=Status.NEEDS_INFO)


def page(client, consultation, name="manage"):
    return client.get(self_service(client, consultation, name if name != "manage" else "manage_page")).content.decode()


# --- Forms do fields and validation; layouts live outside them ---------------------------------


def test_no_form_module_defines_a_helper_or_imports_crispy():
    found = []
    for path in FORM_FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            # `self.helper = …`, a class attribute `helper = …`, `def helper(self)`.
            names = []
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [getattr(target, "attr", getattr(target, "id", "")) for target in targets]
            elif isinstance(node, ast.FunctionDef):
                names = [node.name]
            elif isinstance(node, ast.ImportFrom):
                names = ["crispy"] if (node.module or "").startswith("crispy_forms") else []
            elif isinstance(node, ast.Import):
                names = ["crispy" for alias in node.names if alias.name.startswith("crispy_forms")]
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names if name in ("helper", "crispy")
            ]
    assert found == []


def project_form_classes():
    # Every form module is imported above (consultations.forms imports intake; the rest by name).
    assert consultations.forms.feed and consultations.forms.staff and twofactor.forms

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {
        cls
        for cls in subclasses(forms.BaseForm)
        if cls.__module__.split(".")[0] in ("clinic", "consultations", "twofactor")
    }


def test_no_form_class_has_a_helper():
    classes = project_form_classes()
    assert {"IntakeForm", "MoveForm", "NoteForm", "CodeForm", "TreatmentRecordForm"} <= {c.__name__ for c in classes}
    assert sorted(cls.__name__ for cls in classes if hasattr(cls, "helper")) == []


def test_every_patient_form_has_a_crispy_layout(booked):
    intake = IntakeForm(treatment=make_treatment("other"))
    move = MoveForm(consultation=booked, moves_left=2)
    general, photos = InfoForm(topic=InfoTopic.GENERAL), InfoForm(topic=InfoTopic.PHOTOS)
    helpers = [
        layouts.intake(intake),
        layouts.move(move, back_url="/back/"),
        layouts.add_information(general, action="/info/"),
        layouts.add_information(photos, action="/info/"),
        layouts.cancel(CancelForm(), back_url="/back/"),
        layouts.confirm_hold(ConfirmHoldForm(), action="/confirm/"),
        layouts.check_in(CheckInForm(day=2), action="/check-in/"),
    ]
    assert all(has_layout(helper) for helper in helpers)


def test_every_patient_layout_places_every_field_in_the_forms_order(booked):
    # crispy leaves out a field its layout does not name: a field added to a form needs its place in
    # the layout, in the form's order (the error summary lists the problems in that order).
    treatment = make_treatment("other")
    make_area(treatment)
    make_precaution(treatment)
    pairs = [
        (form := IntakeForm(treatment=treatment), layouts.intake(form)),
        (form := MoveForm(consultation=booked), layouts.move(form, back_url="/back/")),
        (form := InfoForm(topic=InfoTopic.GENERAL), layouts.add_information(form, action="/info/")),
        (form := InfoForm(topic=InfoTopic.PHOTOS), layouts.add_information(form, action="/info/")),
        (form := CheckInForm(day=2), layouts.check_in(form, action="/check-in/")),
    ]
    for form, helper in pairs:
        placed = [pointer.name for pointer in helper.layout.get_field_names()]
        assert sorted(placed) == sorted(form.fields), type(form).__name__
        # A hidden field may go anywhere; what people see follows the form's order.
        visible = [name for name in form.fields if not form[name].is_hidden]
        assert [name for name in placed if name in visible] == visible, type(form).__name__


def test_layout_inputs_print_their_value_and_never_compile_it():
    # crispy's own Submit and Hidden run their value through the template engine when rendered.
    form = forms.Form()
    helper = layouts.PatientFormHelper(
        form, layouts.Hidden("kept", "{{ 7|add:1 }}"), layouts.Submit("send", "Send {{ 7|add:1 }}")
    )
    html = render_crispy_form(form, helper)
    assert '<input type="hidden" name="kept" value="{{ 7|add:1 }}">' in html
    assert button("send", "Send {{ 7|add:1 }}", "btn btn-primary") + ">Send {{ 7|add:1 }}</button>" in html
    assert "8" not in html


# --- Templates: crispy for patients, the admin's way for staff -----------------------------------

# Templates crispy renders with (the bootstrap5 pack, overridden) are markup by design.
CRISPY_PACK = ("bootstrap5/", "consultations/crispy/")
PATIENT_FORM_PAGES = [
    "consultations/request_form.html",
    "consultations/manage.html",
    "consultations/manage_move.html",
    "consultations/manage_cancel.html",
    "consultations/aftercare/check_in.html",
    "consultations/manage_waitlist.html",
    "consultations/waitlist_offer.html",
    "consultations/manage_attendance.html",
]
STAFF_FORM_PAGES = [
    "admin/consultations/consultationrequest/change_form.html",
    "admin/consultations/consultationrequest/confirm_action.html",
    "admin/consultations/consultationrequest/aftercare_form.html",
    "admin/consultations/consultationrequest/lot_recall.html",
    "admin/twofactor/code_form.html",
]


HANDMADE = ("<form", "<label", "<input", "<select", "<textarea", 'type="submit"', "csrf_token")


def templates(where):
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = str(path.relative_to(TEMPLATES))
        if where(name):
            yield name, path.read_text()


def is_staff(name):
    return name.startswith("admin/")


def is_patient(name):
    return not is_staff(name) and not name.startswith(CRISPY_PACK)


@pytest.mark.parametrize("name", PATIENT_FORM_PAGES)
def test_patient_pages_render_their_forms_with_crispy_and_a_layout(name):
    text = (TEMPLATES / name).read_text()
    # The layout comes from the view (consultations/layouts.py), never from the form.
    tags = re.findall(r"\{% crispy [^%]*%\}", text)
    assert tags and all(re.fullmatch(r"\{% crispy \w+ \w+ %\}", tag) for tag in tags), tags


def test_no_patient_template_writes_form_markup_by_hand():
    found = []
    for name, text in templates(is_patient):
        found += [f"{name}: {handmade}" for handmade in HANDMADE if handmade in text]
        found += [f"{name}: prints a form's field" for _match in re.findall(r"\{\{[^}]*form\.", text)]
        found += [f"{name}: |crispy" for _match in re.findall(r"\|\s*(as_)?crispy", text)]
    assert found == []


def test_no_staff_template_uses_crispy():
    # The admin's pages, ours included, are written the admin's way: no crispy tag, filter or library.
    assert [name for name, text in templates(is_staff) if "crispy" in text] == []


def test_every_staff_post_form_carries_its_csrf_token():
    found = []
    for name, text in templates(is_staff):
        for tag in re.finditer(r"<form [^>]*>", text):
            if 'method="post"' in tag.group() and not text[tag.end() :].startswith("{% csrf_token %}"):
                found.append(f"{name}: {tag.group()}")
    assert found == []


@pytest.mark.parametrize("name", STAFF_FORM_PAGES)
def test_staff_pages_write_fields_through_the_admin_field_template(name):
    text = (TEMPLATES / name).read_text()
    assert re.search(r'\{% include "admin/clinic/fields?\.html"', text)


# --- The pages' HTML comes from the layouts, with the accessible pattern -----------------------------


def test_intake_page_renders_the_form_with_crispy(client):
    make_treatment()
    html = client.get(reverse("consultations:new")).content.decode()
    (tag,) = [tag for tag in form_tags(html) if "intake-form" in tag]
    # The attributes in crispy's order (helper attributes, then method and enctype).
    assert tag == (
        '<form action="/consultations/new/" class="intake-form" novalidate="" method="post" '
        'enctype="multipart/form-data">'
    )
    assert button("send", "Send my request", "btn btn-primary btn-lg") in html
    assert '<fieldset id="screening" class="mb-4" tabindex="-1">' in html
    assert '<div class="mb-3 time-field">' in html
    assert '<label class="form-label fw-semibold" for="id_preferred_time">' in html
    assert 'aria-describedby="id_preferred_time_helptext"' in html


def test_intake_errors_come_from_the_layout_summary_and_field_template(client):
    treatment = make_treatment()
    question = make_precaution(treatment, question="Have you had anaphylaxis?")
    html = client.post(reverse("consultations:new"), {"rendered_for": treatment.slug, "treatment": treatment.slug})
    html = html.content.decode()
    form_start = html.index('class="intake-form"')
    summary = html.index('<div class="alert alert-danger" id="error-summary" role="alert" tabindex="-1" autofocus')
    assert form_start < summary  # the summary is the layout's first part
    assert '<h2 class="h5" id="error-summary-title">Please check the following</h2>' in html
    name = IntakeForm.question_name(question)
    assert f'<li><a href="#id_{name}_0">Have you had anaphylaxis? Please answer this question.</a></li>' in html
    # A Yes/No question is a fieldset whose legend is the question; help and error named by the group.
    assert re.search(rf'<fieldset class="mb-3" id="id_{name}" aria-describedby="id_{name}_error">\s*<legend', html)
    assert f'<div class="invalid-feedback d-block" id="id_{name}_error">' in html
    assert control(html, "input", "email")["aria-describedby"] == "id_email_helptext id_email_error"


def test_move_page_renders_the_move_form_with_crispy(client, booked):
    html = page(client, booked, "manage_move")
    assert '<form novalidate="" method="post">' in form_tags(html)
    assert button("move", "Move to this time", "btn btn-primary") in html
    assert '<div class="mb-3 time-field">' in html
    assert '<label class="form-label fw-semibold" for="slot">New time</label>' in html
    assert control(html, "select", "slot")["aria-describedby"] == "slot_helptext"
    assert re.search(r'<a href="/consultations/manage/">Keep my current time</a>', html)


def test_move_page_errors_come_from_the_layout(client, booked):
    html = client.post(self_service(client, booked, "manage_move"), {"slot": "nonsense"}).content.decode()
    assert '<div class="alert alert-danger" id="error-summary" role="alert" tabindex="-1" autofocus' in html
    assert '<h2 class="h5" id="error-summary-title">There is a problem</h2>' in html
    assert '<li><a href="#slot">Choose a new time from the list.</a></li>' in html
    select = control(html, "select", "slot")
    assert (select["class"], select["aria-invalid"]) == ("form-select is-invalid", "true")
    assert select["aria-describedby"] == "slot_helptext slot_error"
    assert '<div class="invalid-feedback d-block" id="slot_error">' in html


def test_add_information_renders_with_crispy(client, booked):
    html = page(client, booked)
    info = self_service(client, booked, "manage_info")
    assert f'<form action="{info}" novalidate="" method="post">' in form_tags(html)
    assert button("send", "Send the information", "btn btn-primary") in html
    assert '<label class="form-label" for="info_text">' in html
    assert re.search(r'id="info_text_helptext">[^<]*Please do not send photos here', html)


def test_add_information_errors_come_from_the_layout(client, booked):
    response = client.post(self_service(client, booked, "manage_info"), {"text": " "})
    html = response.content.decode()
    # Under the section's <h2>, the summary's heading is an <h3>.
    assert '<h3 class="h5" id="error-summary-title">There is a problem</h3>' in html
    assert '<li><a href="#info_text">Write the information we asked for, or call us.</a></li>' in html
    text = control(html, "textarea", "text")
    assert (text["class"], text["aria-invalid"]) == ("form-control is-invalid", "true")
    assert text["aria-describedby"] == "info_text_helptext info_text_error"


def test_photos_asked_for_render_as_a_crispy_file_field(client, booked):
    booked.info_topic = InfoTopic.PHOTOS
    booked.save(update_fields=["info_topic"])
    html = page(client, booked)
    info = self_service(client, booked, "manage_info")
    assert f'<form action="{info}" novalidate="" method="post" enctype="multipart/form-data">' in form_tags(html)
    assert button("send", "Send the photos", "btn btn-primary") in html
    assert html.index('for="info_photos"') < html.index('for="info_text"')  # what was asked for comes first
    assert control(html, "input", "photos")["aria-describedby"] == "info_photos_helptext"


def test_cancel_page_renders_the_cancel_form_with_crispy(client, booked):
    html = page(client, booked, "manage_cancel")
    assert '<form class="d-flex flex-wrap gap-3 align-items-center" novalidate="" method="post">' in form_tags(html)
    assert button("cancel", "Yes, cancel my request", "btn btn-danger") in html
    assert re.search(r'<a href="/consultations/manage/">No, keep it</a>', html)


# --- Staff forms: the admin's way ----------------------------------------------------------------


def test_staff_request_page_writes_the_workflow_and_note_forms_in_the_admins_look(client):
    provider = make_provider()
    client.force_login(provider.user)
    consultation = make_request(make_treatment(), status=Status.NEW)
    html = client.get(reverse("admin:consultations_consultationrequest_change", args=[consultation.pk]))
    html = html.content.decode()
    tags = form_tags(html)
    transition = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "decline"])
    assert f'<form action="{transition}" class="clinic-action clinic-action-decline" method="post">' in tags
    note = reverse("admin:consultations_consultationrequest_note", args=[consultation.pk])
    assert f'<form action="{note}" class="clinic-note-form" method="post">' in tags
    assert button("decline", "Decline", "button clinic-danger") in html
    assert button("triage", "Mark as triaged", "button") in html
    assert button("add_note", "Add note", "button") in html
    # The staff field template: label, input, then the help text the input names.
    assert control(html, "select", "decline-reason")["aria-describedby"] == "id_decline-reason_helptext"
    assert '<p class="help" id="id_decline-reason_helptext">' in html
    assert control(html, "textarea", "text")["aria-describedby"] == "id_text_helptext"


def test_staff_confirmation_step_writes_the_action_form_in_the_admins_look(client):
    provider = make_provider()
    client.force_login(provider.user)
    consultation = make_request(make_treatment(), status=Status.NEW)
    url = reverse("admin:consultations_consultationrequest_transition", args=[consultation.pk, "decline"])
    html = client.post(url, {"decline-reason": "", "confirmed": "yes"}).content.decode()
    assert f'<form action="{url}" class="clinic-action" method="post">' in form_tags(html)
    assert '<input type="hidden" name="confirmed" value="yes">' in html
    assert '<p class="errornote">Please correct the error below.</p>' in html
    reason = control(html, "select", "decline-reason")
    assert reason["aria-invalid"] == "true"
    assert reason["aria-describedby"] == "id_decline-reason_helptext id_decline-reason_error"
    assert (
        '<ul class="errorlist" id="id_decline-reason_error"><li>Choose why the request is declined.</li></ul>' in html
    )
    assert button("decline", "Yes: Decline, and email the patient", "button default clinic-danger") in html
    change = reverse("admin:consultations_consultationrequest_change", args=[consultation.pk])
    assert f'<a class="button cancel-link" href="{change}#workflow">No, go back</a>' in html


def test_sign_in_code_form_is_written_in_the_login_look(client, staff_2fa):
    user = make_staff("Provider", username="dr-code")
    make_totp_device(user)
    client.force_login(user)
    verify = reverse("admin:two_factor_verify")
    html = client.post(verify, {"otp_token": "", "next": "/admin/?q={{ 7|add:1 }}"}).content.decode()
    assert '<form id="login-form" novalidate method="post">' in form_tags(html)
    assert '<div class="form-row">' in html
    assert control(html, "input", "otp_token")["aria-describedby"] == "id_otp_token_helptext id_otp_token_error"
    assert (
        '<ul class="errorlist" id="id_otp_token_error"><li>Enter the code from your authenticator app.</li></ul>'
        in html
    )
    assert button("continue", "Continue", "button") in html
    # The next address is printed, never run as a template (crispy's Hidden would compile it).
    assert '<input type="hidden" name="next" value="/admin/?q={{ 7|add:1 }}">' in html


def test_sign_in_next_address_is_escaped(client, staff_2fa):
    user = make_staff("Provider", username="dr-quote")
    make_totp_device(user)
    client.force_login(user)
    html = client.post(reverse("admin:two_factor_verify"), {"otp_token": "", "next": '/admin/?q="><b>x'}).content
    assert b'<input type="hidden" name="next" value="/admin/?q=&quot;&gt;&lt;b&gt;x">' in html
