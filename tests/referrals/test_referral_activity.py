"""
A referral linked to the plan activity it carries out (issue #13, Decree 56 Art. 28(3)): chosen
on the send page or named in the API, one of the case's approved plan's activities only, shown
on the referral page and listed on the activity's page.
"""

from __future__ import annotations

import re
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from cases.models import Plan, PlanActivity
from referrals import services
from referrals.models import Referral
from tests.cases.test_activities import MOMENT, to_approved_plan, to_submitted_plan
from tests.factories import make_case

MESSAGE = "Đề nghị nhà trường hỗ trợ học tập cho em và báo lại"
URL = "/api/v1/referrals/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MOMENT, tick=True):
        yield


@pytest.fixture
def plan(world) -> Plan:
    return to_approved_plan(world, world.case)


def school_activity(plan: Plan) -> PlanActivity:
    return plan.activities.get(measure="s_education")


def other_case_activity(world) -> PlanActivity:
    other = make_case(world.commune, "Phạm Thị Dung")
    return school_activity(to_approved_plan(world, other))


def send_url(case, kind: str = "school", activity: PlanActivity | None = None) -> str:
    url = f"{reverse('referrals:send', args=[case.public_id])}?kind={kind}"
    return f"{url}&activity={activity.public_id}" if activity else url


def send_data(world, **extra) -> dict:
    return {
        "kind": "school",
        "organisation": str(world.school_org.public_id),
        "purpose": "s_education",
        "message": MESSAGE,
        **extra,
    }


def has_field_error(body: str, name: str) -> bool:
    return re.search(rf'class="field has-error[^"]*" id="field-{name}"', body) is not None


def not_in_force() -> str:
    with translation.override("vi"):
        return gettext("Choose an activity of this case's approved plan.")


# ---------------------------------------------------------------------------------------------
# The pages


def test_the_officer_refers_the_case_for_an_activity_and_both_pages_show_the_link(
    world, client_for, plan
):
    activity = school_activity(plan)
    client = client_for("officer")
    activity_page = client.get(
        reverse("cases:activity", args=[world.case.public_id, activity.public_id])
    )
    body = activity_page.content.decode()
    assert 'id="no-activity-referrals"' in body
    assert 'id="refer-for-activity"' in body
    assert f"?activity={activity.public_id}" in body

    form = client.get(send_url(world.case, activity=activity)).content.decode()
    assert 'id="field-activity"' in form
    assert f'<option value="{activity.public_id}" selected>' in form

    response = client.post(send_url(world.case), send_data(world, activity=str(activity.public_id)))
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.activity == activity

    detail = client.get(reverse("referrals:detail", args=[referral.public_id])).content.decode()
    assert 'id="referral-activity"' in detail
    assert reverse("cases:activity", args=[world.case.public_id, activity.public_id]) in detail
    body = client.get(
        reverse("cases:activity", args=[world.case.public_id, activity.public_id])
    ).content.decode()
    assert f'data-referral="{referral.public_id}"' in body


def test_the_activity_is_optional(world, client_for, plan):
    response = client_for("officer").post(send_url(world.case), send_data(world))
    assert response.status_code == 302
    assert Referral.objects.get().activity is None


def test_without_an_approved_plan_the_form_offers_no_activity(world, client_for):
    to_submitted_plan(world, world.case)
    form = client_for("officer").get(send_url(world.case)).content.decode()
    assert 'id="send-form"' in form
    assert 'id="field-activity"' not in form


def test_an_activity_of_another_case_is_refused_on_the_page(world, client_for, plan):
    foreign = other_case_activity(world)
    response = client_for("officer").post(
        send_url(world.case), send_data(world, activity=str(foreign.public_id))
    )
    assert response.status_code == 400
    assert has_field_error(response.content.decode(), "activity")
    assert not Referral.objects.filter(case=world.case).exists()


def test_the_recipient_sees_neither_the_activity_nor_its_page(world, client_for, plan):
    activity = school_activity(plan)
    referral = services.referral_send(
        actor=world.officer,
        case=world.case,
        organisation=world.school_org,
        purpose="s_education",
        message=MESSAGE,
        activity=activity,
    )
    school = client_for("school")
    detail = school.get(reverse("referrals:detail", args=[referral.public_id]))
    assert detail.status_code == 200
    assert 'id="referral-activity"' not in detail.content.decode()
    page = reverse("cases:activity", args=[world.case.public_id, activity.public_id])
    assert school.get(page).status_code == 404


# ---------------------------------------------------------------------------------------------
# The service


def test_the_service_refuses_an_activity_of_another_case_or_of_a_superseded_plan(world, plan):
    for activity in (other_case_activity(world), None):
        if activity is None:
            activity = school_activity(plan)
            Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUPERSEDED)
        with pytest.raises(ValidationError) as refused:
            services.referral_send(
                actor=world.officer,
                case=world.case,
                organisation=world.school_org,
                purpose="s_education",
                message=MESSAGE,
                activity=activity,
            )
        assert refused.value.message_dict == {"activity": [not_in_force()]}
    assert not Referral.objects.filter(case=world.case).exists()


# ---------------------------------------------------------------------------------------------
# The API


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(world, **extra) -> dict:
    return {
        "case": str(world.case.public_id),
        "organisation": str(world.school_org.public_id),
        "purpose": "s_education",
        "message": MESSAGE,
        **extra,
    }


def error_fields(response) -> dict:
    payload = response.json()
    assert set(payload["error"]) == {"status", "code", "message", "fields"}
    return payload["error"]["fields"]


def test_the_api_links_a_referral_to_an_activity(world, plan):
    activity = school_activity(plan)
    response = api_for(world.officer).post(
        URL, body(world, activity=str(activity.public_id)), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["activity"] == str(activity.public_id)
    assert Referral.objects.get().activity == activity
    plain = api_for(world.officer).post(URL, body(world, purpose="s_health"), format="json")
    assert plain.status_code == 201, plain.json()
    assert plain.json()["activity"] is None
    received = api_for(world.school).get(f"{URL}{response.json()['id']}/").json()
    assert received["view"] == "received"
    assert "activity" not in received


@pytest.mark.parametrize("which", ["other_case", "unknown", "superseded"])
def test_the_api_refuses_an_activity_that_is_not_of_the_approved_plan(world, plan, which):
    if which == "other_case":
        activity_id = str(other_case_activity(world).public_id)
    elif which == "unknown":
        activity_id = str(uuid.uuid4())
    else:
        activity_id = str(school_activity(plan).public_id)
        Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUPERSEDED)
    response = api_for(world.officer).post(URL, body(world, activity=activity_id), format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"activity": [not_in_force()]}
    assert not Referral.objects.filter(case=world.case).exists()


def test_the_api_refuses_an_activity_id_that_is_no_id(world, plan):
    response = api_for(world.officer).post(URL, body(world, activity="x"), format="json")
    assert response.status_code == 400
    assert set(error_fields(response)) == {"activity"}


def test_the_message_is_in_the_users_language(world, plan):
    client = api_for(world.officer)
    client.cookies["django_language"] = "en"
    foreign = other_case_activity(world)
    response = client.post(URL, body(world, activity=str(foreign.public_id)), format="json")
    with translation.override("en"):
        expected = gettext("Choose an activity of this case's approved plan.")
    assert error_fields(response) == {"activity": [expected]}
