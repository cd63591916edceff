"""The intake's age flag follows the labeling age a reviewer approved (issue 23, finding 9)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations.models import Flag, FlagKind
from education.models import Treatment

from .factories import approve, intake_post_data, make_treatment

pytestmark = pytest.mark.django_db

NEW = reverse("consultations:new")


def twenty_year_old():
    today = timezone.localdate()
    return (today.replace(year=today.year - 20) + datetime.timedelta(days=-1)).isoformat()


def send_as_a_twenty_year_old(client, treatment):
    response = client.post(NEW, intake_post_data(treatment, date_of_birth=twenty_year_old()))
    assert response.status_code == 302
    return list(Flag.objects.values_list("kind", "reason"))


def test_an_editor_clearing_the_age_does_not_turn_the_flag_off_before_review(client):
    treatment = make_treatment("agefill", labeled_min_age=21)  # approved with 21
    treatment.labeled_min_age = None  # an editor's change, not reviewed
    treatment.save()
    treatment.refresh_review_status()
    assert Treatment.objects.get(pk=treatment.pk).review_status == Treatment.ReviewStatus.NEEDS_REVIEW
    flags = send_as_a_twenty_year_old(client, treatment)
    assert [kind for kind, _reason in flags] == [FlagKind.DISCUSS]
    assert "under 21" in flags[0][1]


def test_an_editor_lowering_the_age_waits_for_review(client):
    treatment = make_treatment("agefill", labeled_min_age=21)
    Treatment.objects.filter(pk=treatment.pk).update(labeled_min_age=18)
    assert "under 21" in send_as_a_twenty_year_old(client, treatment)[0][1]


def test_a_reviewed_change_of_the_age_applies(client):
    treatment = make_treatment("agefill", labeled_min_age=21)
    treatment.labeled_min_age = None
    treatment.save()
    approve(treatment)
    assert send_as_a_twenty_year_old(client, treatment) == []


def test_a_stricter_unreviewed_age_flags_at_once(client):
    # Flagging more requests for the provider to discuss is safe before review.
    treatment = make_treatment("agefill")
    Treatment.objects.filter(pk=treatment.pk).update(labeled_min_age=22)
    assert "under 22" in send_as_a_twenty_year_old(client, treatment)[0][1]


def test_the_approved_page_carries_the_age():
    treatment = make_treatment("agefill", labeled_min_age=21)
    assert treatment.approved.content["labeled_min_age"] == 21
