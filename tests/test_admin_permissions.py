"""Who may do what in the staff workspace: each role × each action, through the real URLs."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from consultations.models import AuditEvent, ConsultationRequest, Note, Status
from tests.factories import make_provider, make_request_staff_see, make_staff

pytestmark = pytest.mark.django_db

MEDICATION = "Isotretinoin 20 mg"


def url(name, *args):
    return reverse(f"admin:consultations_consultationrequest_{name}", args=args)


@pytest.fixture
def consultation():
    return make_request_staff_see(medications=MEDICATION)


def status_after(consultation):
    consultation.refresh_from_db()
    return consultation.status


# Each action returns True when it was allowed (and did its thing) and False when refused
# with 403 (and nothing changed); anything in between fails the test.


def view_queue(client, consultation):
    response = client.get(url("changelist"))
    assert response.status_code in (200, 403)
    return response.status_code == 200


def view_page(client, consultation):
    response = client.get(url("change", consultation.pk))
    assert response.status_code in (200, 403)
    return response.status_code == 200


def see_health_answers(client, consultation):
    response = client.get(url("change", consultation.pk))
    return response.status_code == 200 and MEDICATION in response.content.decode()


def view_photo(client, consultation):
    response = client.get(url("photo", consultation.pk, consultation.photo.pk))
    assert response.status_code in (200, 403)
    return response.status_code == 200


def export_csv(client, consultation):
    response = client.get(url("export"))
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert consultation.reference in response.content.decode()
    return response.status_code == 200


def export_json(client, consultation):
    response = client.get(url("export_json", consultation.pk))
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert response.json()["reference"] == consultation.reference
    return response.status_code == 200


def workflow(action, data=None, target=None):
    def run(client, consultation):
        # Actions that email the patient are sent from their confirmation step (confirmed=yes).
        response = client.post(url("transition", consultation.pk, action), {"confirmed": "yes", **(data or {})})
        assert response.status_code in (302, 403)
        allowed = response.status_code == 302
        assert (status_after(consultation) == target) == allowed
        return allowed

    run.__name__ = action
    return run


def add_note(client, consultation):
    response = client.post(url("note", consultation.pk), {"text": "Called the patient."})
    assert response.status_code in (302, 403)
    allowed = response.status_code == 302
    assert Note.objects.filter(consultation=consultation).exists() == allowed
    return allowed


def assign(client, consultation):
    response = client.post(url("change", consultation.pk), {"assigned_to": consultation.provider.user.pk})
    assert response.status_code in (302, 403)
    allowed = response.status_code == 302
    assert (ConsultationRequest.objects.get(pk=consultation.pk).assigned_to_id is not None) == allowed
    return allowed


def delete(client, consultation):
    response = client.post(url("delete", consultation.pk), {"post": "yes"})
    assert response.status_code in (302, 403)
    allowed = response.status_code == 302
    assert ConsultationRequest.objects.filter(pk=consultation.pk).exists() != allowed
    return allowed


def read_audit(client, consultation):
    response = client.get(reverse("admin:consultations_auditevent_changelist"))
    assert response.status_code in (200, 403)
    return response.status_code == 200


def edit_content(client, consultation):
    response = client.get(reverse("admin:education_treatment_add"))
    assert response.status_code in (200, 403)
    return response.status_code == 200


ROLES = ["Front desk", "Provider", "Content editor", "superuser"]
# action: allowed for (front desk, provider, content editor, superuser)
MATRIX = {
    view_queue: (True, True, False, True),
    view_page: (True, True, False, True),
    see_health_answers: (False, True, False, True),
    view_photo: (False, True, False, True),
    export_csv: (False, True, False, True),
    export_json: (False, True, False, True),
    workflow("approve", {"approve-acknowledged": "on"}, Status.APPROVED): (False, True, False, True),
    workflow("decline", {"decline-reason": "not_suitable"}, Status.DECLINED): (False, True, False, True),
    workflow("triage", target=Status.TRIAGED): (True, True, False, True),
    workflow("request_info", {"request_info-topic": "photos"}, Status.NEEDS_INFO): (True, True, False, True),
    workflow("cancel", target=Status.CANCELLED): (True, True, False, True),
    add_note: (True, True, False, True),
    assign: (False, True, False, True),
    delete: (False, False, False, True),
    read_audit: (False, False, False, True),
    edit_content: (False, False, True, True),
}
CASES = [
    pytest.param(role, action, allowed[index], id=f"{role}-{action.__name__}")
    for action, allowed in MATRIX.items()
    for index, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("role", "action", "allowed"), CASES)
def test_permission_matrix(role, action, allowed, client, consultation):
    client.force_login(make_staff(username="root", is_superuser=True) if role == "superuser" else make_staff(role))
    assert action(client, consultation) is allowed


@pytest.mark.parametrize("name", ["changelist", "export"])
def test_staff_urls_send_anonymous_visitors_to_sign_in(name, client):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_views_send_anonymous_visitors_to_sign_in(client, consultation):
    for address in (
        url("photo", consultation.pk, consultation.photo.pk),
        url("export_json", consultation.pk),
        url("change", consultation.pk),
    ):
        response = client.get(address)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert not AuditEvent.objects.exists()


def test_roles_are_created_by_the_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Front desk", "Provider", "Content editor"}
    front_desk = set(Group.objects.get(name="Front desk").permissions.values_list("codename", flat=True))
    assert {"view_consultationrequest", "change_status", "add_note"} <= front_desk
    assert not front_desk & {"view_health_data", "view_photos", "export_requests", "decide_request"}
    assert not any(code.startswith("delete_") for code in front_desk)
    editor = Group.objects.get(name="Content editor").permissions
    assert set(editor.values_list("content_type__app_label", flat=True)) == {"education"}


def test_accounts_made_in_the_admin_see_what_their_role_allows(client, consultation):
    """As a clinic owner would do it: add the user, then tick "staff" and pick the role."""
    client.force_login(make_staff(username="owner", is_superuser=True))
    pages = {}
    for username, role in (("frontdesk-fiona", "Front desk"), ("dr-priya", "Provider")):
        response = client.post(
            reverse("admin:auth_user_add"),
            {
                "username": username,
                "usable_password": "true",
                "password1": "a-long-test-password",
                "password2": "a-long-test-password",
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        user = get_user_model().objects.get(username=username)
        response = client.post(
            reverse("admin:auth_user_change", args=[user.pk]),
            {
                "username": username,
                "first_name": "",
                "last_name": "",
                "email": f"{username}@clinic.test",
                "is_active": "on",
                "is_staff": "on",
                "groups": [Group.objects.get(name=role).pk],
                "date_joined_0": "2026-11-01",
                "date_joined_1": "09:00:00",
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
    for username in ("frontdesk-fiona", "dr-priya"):
        client.logout()
        response = client.post(reverse("admin:login"), {"username": username, "password": "a-long-test-password"})
        assert response.status_code == 302
        response = client.get(url("change", consultation.pk))
        assert response.status_code == 200
        pages[username] = response.content.decode()
    photo = url("photo", consultation.pk, consultation.photo.pk)
    assert MEDICATION in pages["dr-priya"] and photo in pages["dr-priya"]
    assert MEDICATION not in pages["frontdesk-fiona"] and photo not in pages["frontdesk-fiona"]
    assert "providers only" in pages["frontdesk-fiona"]
    # Both see who the patient is and how to reach them.
    for html in pages.values():
        assert consultation.email in html and consultation.phone in html


def test_privacy_notice_patients_agreed_to_cannot_be_edited_or_deleted(client, consultation):
    from consultations.models import PrivacyNotice

    notice = PrivacyNotice.objects.get(version=consultation.consent_version)
    client.force_login(make_staff(username="root", is_superuser=True))
    page = client.get(reverse("admin:consultations_privacynotice_change", args=[notice.pk]))
    assert page.status_code == 200
    assert 'name="text"' not in page.content.decode()
    delete = reverse("admin:consultations_privacynotice_delete", args=[notice.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert PrivacyNotice.objects.filter(pk=notice.pk).exists()


def test_providers_keep_their_hours_front_desk_only_reads_them(client):
    provider = make_provider()
    change = reverse("admin:consultations_provider_change", args=[provider.pk])
    client.force_login(provider.user)
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="working_hours-TOTAL_FORMS"' in page.content.decode()
    client.force_login(make_staff("Front desk"))
    assert client.get(change).status_code == 200
    assert client.post(change, {"display_name": "Changed"}).status_code == 403
