"""
Carrying out the approved plan (issue #13): who received the decision and plan (Decree 56 Art.
28(5)), and each plan activity's progress (planned, under way, done, dropped and why), through
the pages and the API. The officer who drafts plans records both; the chairman reads them; a
referral's recipient and another commune's officer do not see them at all (404).
"""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import organisation_group
from audit.models import AuditEntry
from cases import activities, services
from cases.models import (
    ActivityProgress,
    Case,
    CaseTransition,
    DecisionDistribution,
    Plan,
    PlanActivity,
)
from tests.factories import make_case

# A Wednesday morning in Vietnam, far from Tết: "today", "tomorrow" and "yesterday" are plain
# working days whatever the hour at which CI runs.
MOMENT = datetime.datetime(2026, 6, 10, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))

RATINGS = {
    "harm_severity": "high",
    "abuser_access": "medium",
    "care_obstacles": "medium",
    "self_protection": "low",
    "recovery": "medium",
}
REASON = "Gia đình đã chuyển đi nơi khác, trẻ được trường mới hỗ trợ"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MOMENT, tick=True):
        yield


def today(days: int = 0) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def to_submitted_plan(world, case: Case) -> Plan:
    """Take a case to a submitted plan of two activities through the services (arrange)."""
    services.case_assess_initial(
        actor=world.officer, case=case, emergency_required=False, **RATINGS
    )
    services.case_assess_specific(
        actor=world.officer,
        case=case,
        physical_emotional_state="Có vết bầm",
        family_capacity="Bà ngoại chăm sóc",
        needs="Khám sức khỏe, học tập",
        **RATINGS,
    )
    services.case_hold_needs_meeting(
        actor=world.officer, case=case, chaired_by="Chủ tịch", attendees="A, B", minutes="C"
    )
    services.case_draft_plan(
        actor=world.officer,
        case=case,
        objectives="Bảo đảm an toàn",
        review_on=today(30),
        activities=[
            {
                "measure": "s_health",
                "description": "Khám sức khỏe tại Trạm Y tế",
                "person_responsible": "Trạm trưởng Trạm Y tế",
                "starts_on": today(),
                "ends_on": today(10),
            },
            {
                "measure": "s_education",
                "description": "Hỗ trợ học tập tại trường",
                "organisation": world.school_org,
                "starts_on": today(),
                "ends_on": today(20),
            },
        ],
    )
    return services.case_submit_plan(actor=world.officer, case=case)


def to_approved_plan(world, case: Case) -> Plan:
    to_submitted_plan(world, case)
    return services.case_approve_plan(
        actor=world.chairman, case=case, decision_number="7/QĐ-UBND", decision_date=today()
    )


@pytest.fixture
def plan(world) -> Plan:
    return to_approved_plan(world, world.case)


def first_activity(plan: Plan) -> PlanActivity:
    return plan.activities.order_by("id").first()


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def distribution_url(case: Case, version: int) -> str:
    return reverse("cases:distribution-add", args=[case.public_id, version])


def activity_url(case: Case, activity: PlanActivity) -> str:
    return reverse("cases:activity", args=[case.public_id, activity.public_id])


def has_field_error(body: str, name: str) -> bool:
    return re.search(rf'class="field has-error[^"]*" id="field-{name}"', body) is not None


def vi(message: str) -> str:
    """The message as a Vietnamese user reads it (whatever the catalogue holds today)."""
    with translation.override("vi"):
        return gettext(message)


def distribution_data(**extra) -> dict:
    return {
        "recipient": "Bà Trần Thị Hoa, bà ngoại của trẻ",
        "is_carer": "on",
        "sent_on": today().isoformat(),
        "method": "by_hand",
        **extra,
    }


def grant_summary_to_school(world) -> None:
    """The school as a referral's recipient sees it: the summary of the case, nothing more."""
    services.case_share_grant(
        case=world.case,
        permissions=["view_case_summary"],
        reason="Chuyển gửi nhà trường",
        group=organisation_group(organisation=world.school_org, role=Role.SECTOR_STAFF),
    )


# ---------------------------------------------------------------------------------------------
# Art. 28(5): who received the decision and plan


def test_the_officer_records_who_received_the_plan_and_the_case_page_lists_them(
    world, client_for, plan
):
    client = client_for("officer")
    body = client.get(detail_url(world.case)).content.decode()
    assert f'id="distributions-v{plan.version}"' in body
    assert f'id="not-distributed-v{plan.version}"' in body
    assert distribution_url(world.case, plan.version) in body

    assert client.get(distribution_url(world.case, plan.version)).status_code == 200
    response = client.post(distribution_url(world.case, plan.version), distribution_data())
    assert response.status_code == 302
    assert response["Location"].endswith(f"#plan-v{plan.version}")
    response = client.post(
        distribution_url(world.case, plan.version),
        {
            "recipient": "Trạm trưởng Trạm Y tế",
            "organisation": world.school_org.pk,
            "sent_on": today().isoformat(),
            "method": "electronic",
        },
    )
    assert response.status_code == 302

    carer, school = DecisionDistribution.objects.filter(plan=plan).order_by("id")
    assert carer.is_carer
    assert carer.recorded_by == world.officer
    assert carer.sent_on == today()
    assert school.organisation == world.school_org
    assert not school.is_carer
    body = client.get(detail_url(world.case)).content.decode()
    assert f'data-distribution="{carer.public_id}"' in body
    assert f'data-distribution="{school.public_id}"' in body
    assert "Bà Trần Thị Hoa" in body
    history = CaseTransition.objects.filter(case=world.case, name="plan_distributed")
    assert history.count() == 2
    assert history.first().details["plan_version"] == plan.version
    entry = AuditEntry.objects.filter(detail__operation="plan_distribution_record").first()
    assert entry is not None
    assert entry.case_id == str(world.case.public_id)


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (1, "The date is in the future."),
        (-1, "The decision and plan cannot be sent before the decision's date."),
    ],
)
def test_a_sending_date_in_the_future_or_before_the_decision_is_refused_by_its_field(
    world, client_for, plan, days, message
):
    response = client_for("officer").post(
        distribution_url(world.case, plan.version),
        distribution_data(sent_on=today(days).isoformat()),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert has_field_error(body, "sent_on")
    assert escape(vi(message)) in body
    assert not DecisionDistribution.objects.exists()


def test_a_distribution_needs_who_received_it_when_and_how(world, client_for, plan):
    response = client_for("officer").post(
        distribution_url(world.case, plan.version), {"recipient": " ", "sent_on": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    for name in ("recipient", "sent_on", "method"):
        assert has_field_error(body, name), name
    assert vi("Say who received the decision and plan.") in body
    assert not DecisionDistribution.objects.exists()


def test_a_plan_not_yet_approved_is_not_sent_out(world, client_for):
    plan = to_submitted_plan(world, world.case)
    client = client_for("officer")
    body = client.get(detail_url(world.case)).content.decode()
    assert distribution_url(world.case, plan.version) not in body
    response = client.post(distribution_url(world.case, plan.version), distribution_data())
    assert response.status_code == 409
    assert 'id="refusal"' in response.content.decode()
    assert not DecisionDistribution.objects.exists()
    with pytest.raises(services.StepNotAvailable):
        activities.plan_distribution_record(
            actor=world.officer,
            case=world.case,
            plan=plan,
            recipient="Bà ngoại",
            sent_on=today(),
            method="by_hand",
        )


def test_a_superseded_plan_keeps_its_recipients_for_the_record(world, client_for, plan):
    activities.plan_distribution_record(
        actor=world.officer,
        case=world.case,
        plan=plan,
        recipient="Bà ngoại",
        is_carer=True,
        sent_on=today(),
        method="by_hand",
    )
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUPERSEDED)
    client = client_for("officer")
    body = client.get(detail_url(world.case)).content.decode()
    assert f'id="distributions-v{plan.version}"' in body
    assert distribution_url(world.case, plan.version) not in body
    assert client.post(distribution_url(world.case, plan.version)).status_code == 409


def test_the_chairman_reads_the_recipients_but_does_not_record_them(world, client_for, plan):
    client = client_for("chairman")
    body = client.get(detail_url(world.case)).content.decode()
    assert f'id="distributions-v{plan.version}"' in body
    assert distribution_url(world.case, plan.version) not in body
    assert client.get(distribution_url(world.case, plan.version)).status_code == 403
    response = client.post(distribution_url(world.case, plan.version), distribution_data())
    assert response.status_code == 403
    assert not DecisionDistribution.objects.exists()
    with pytest.raises(services.StepNotPermitted):
        activities.plan_distribution_record(
            actor=world.chairman,
            case=world.case,
            plan=plan,
            recipient="Bà ngoại",
            sent_on=today(),
            method="by_hand",
        )


# ---------------------------------------------------------------------------------------------
# Each activity's progress


def test_the_case_page_links_each_activity_with_its_status(world, client_for, plan):
    body = client_for("officer").get(detail_url(world.case)).content.decode()
    for activity in plan.activities.all():
        assert activity_url(world.case, activity) in body
        assert f'data-activity="{activity.public_id}" data-activity-status="planned"' in body


def test_the_officer_records_progress_and_the_page_keeps_its_history(world, client_for, plan):
    activity = first_activity(plan)
    client = client_for("officer")
    page = client.get(activity_url(world.case, activity))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Khám sức khỏe tại Trạm Y tế" in body
    assert 'id="no-progress"' in body
    assert 'id="progress-form"' in body

    response = client.post(
        activity_url(world.case, activity), {"status": "in_progress", "note": "Đã hẹn lịch khám"}
    )
    assert response.status_code == 302
    response = client.post(
        activity_url(world.case, activity), {"status": "done", "note": "Đã khám, sức khỏe ổn"}
    )
    assert response.status_code == 302

    activity.refresh_from_db()
    assert activity.status == PlanActivity.Status.DONE
    assert list(activity.progress.values_list("status", "recorded_by")) == [
        ("in_progress", world.officer.pk),
        ("done", world.officer.pk),
    ]
    body = client.get(activity_url(world.case, activity)).content.decode()
    assert body.index('data-progress-status="in_progress"') < body.index(
        'data-progress-status="done"'
    )
    assert "Đã hẹn lịch khám" in body
    assert 'id="activity-status" data-activity-status="done"' in body
    history = CaseTransition.objects.filter(case=world.case, name="activity_progress")
    assert [(t.details["from"], t.details["to"]) for t in history] == [
        ("planned", "in_progress"),
        ("in_progress", "done"),
    ]
    assert (
        AuditEntry.objects.filter(
            detail__operation="activity_progress_record", object_id=str(activity.public_id)
        ).count()
        == 2
    )
    case_page = client.get(detail_url(world.case)).content.decode()
    assert f'data-activity="{activity.public_id}" data-activity-status="done"' in case_page


def test_dropping_an_activity_needs_the_reason(world, client_for, plan):
    activity = first_activity(plan)
    client = client_for("officer")
    response = client.post(activity_url(world.case, activity), {"status": "cancelled", "note": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert has_field_error(body, "note")
    assert vi("Say why the activity is dropped.") in body
    activity.refresh_from_db()
    assert activity.status == PlanActivity.Status.PLANNED
    assert not ActivityProgress.objects.exists()

    response = client.post(
        activity_url(world.case, activity), {"status": "cancelled", "note": REASON}
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == PlanActivity.Status.CANCELLED
    assert activity.progress.get().note == REASON


def test_a_progress_without_a_status_or_a_change_is_refused(world, client_for, plan):
    activity = first_activity(plan)
    client = client_for("officer")
    response = client.post(activity_url(world.case, activity), {"status": "", "note": "x"})
    assert response.status_code == 400
    assert has_field_error(response.content.decode(), "status")
    response = client.post(activity_url(world.case, activity), {"status": "planned", "note": ""})
    assert response.status_code == 400
    assert has_field_error(response.content.decode(), "note")
    assert not ActivityProgress.objects.exists()


def test_the_chairman_reads_an_activity_but_does_not_record_its_progress(world, client_for, plan):
    activity = first_activity(plan)
    client = client_for("chairman")
    page = client.get(activity_url(world.case, activity))
    assert page.status_code == 200
    assert 'id="progress-form"' not in page.content.decode()
    response = client.post(activity_url(world.case, activity), {"status": "done"})
    assert response.status_code == 403
    assert not ActivityProgress.objects.exists()


def test_no_progress_once_the_plan_is_superseded_or_the_case_is_closed(world, client_for, plan):
    activity = first_activity(plan)
    client = client_for("officer")
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED)
    page = client.get(activity_url(world.case, activity))
    assert page.status_code == 200
    assert 'id="progress-form"' not in page.content.decode()
    response = client.post(activity_url(world.case, activity), {"status": "done"})
    assert response.status_code == 409
    assert 'id="refusal"' in response.content.decode()

    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.IN_IMPLEMENTATION)
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUPERSEDED)
    assert client.post(activity_url(world.case, activity), {"status": "done"}).status_code == 409
    assert not ActivityProgress.objects.exists()


def test_an_activity_of_another_case_is_refused_by_the_service_and_not_found_on_the_page(
    world, client_for, plan
):
    other = make_case(world.commune, "Phạm Thị Dung")
    other_activity = first_activity(to_approved_plan(world, other))
    with pytest.raises(ValidationError) as refused:
        activities.activity_progress_record(
            actor=world.officer, case=world.case, activity=other_activity, status="done"
        )
    assert "activity" in refused.value.message_dict
    client = client_for("officer")
    assert client.get(activity_url(world.case, other_activity)).status_code == 404
    missing = reverse("cases:activity", args=[world.case.public_id, uuid.uuid4()])
    assert client.get(missing).status_code == 404
    other_activity.refresh_from_db()
    assert other_activity.status == PlanActivity.Status.PLANNED


# ---------------------------------------------------------------------------------------------
# Who does not see these pages at all


@pytest.mark.parametrize("persona", ["officer2", "far_officer", "school", "collaborator", "nobody"])
def test_outsiders_and_a_referrals_recipient_get_404_on_these_pages(
    world, client_for, plan, persona
):
    grant_summary_to_school(world)
    activity = first_activity(plan)
    client = client_for(persona)
    for method, url, data in (
        ("get", activity_url(world.case, activity), {}),
        ("post", activity_url(world.case, activity), {"status": "done"}),
        ("get", distribution_url(world.case, plan.version), {}),
        ("post", distribution_url(world.case, plan.version), distribution_data()),
    ):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert "Khám sức khỏe tại Trạm Y tế" not in response.content.decode()
    assert not ActivityProgress.objects.exists()
    assert not DecisionDistribution.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(world, client, plan):
    activity = first_activity(plan)
    for url in (activity_url(world.case, activity), distribution_url(world.case, plan.version)):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_a_plan_version_that_does_not_exist_answers_404(world, client_for, plan):
    assert client_for("officer").get(distribution_url(world.case, 99)).status_code == 404


# ---------------------------------------------------------------------------------------------
# The API


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_url(case: Case, suffix: str) -> str:
    return f"/api/v1/cases/{case.public_id}/{suffix}"


def error_fields(response) -> dict:
    body = response.json()
    assert set(body["error"]) == {"status", "code", "message", "fields"}
    assert body["error"]["status"] == response.status_code
    return body["error"]["fields"]


def test_the_api_lists_the_activities_and_records_their_progress(world, plan):
    officer = api_for(world.officer)
    rows = officer.get(api_url(world.case, "activities/")).json()
    assert len(rows) == 2
    assert {row["plan_status"] for row in rows} == {"approved"}
    row = next(r for r in rows if r["measure"] == "s_health")
    assert row["status"] == "planned"
    assert row["progress"] == []
    # The plan's own answer names its activities by the same ids.
    plan_rows = officer.get(api_url(world.case, "plans/")).json()
    assert row["id"] in {a["id"] for a in plan_rows[0]["activities"]}

    response = officer.post(
        api_url(world.case, f"activities/{row['id']}/progress/"),
        {"status": "in_progress", "note": "Đã hẹn lịch khám"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "in_progress"
    assert [p["status"] for p in body["progress"]] == ["in_progress"]
    assert body["progress"][0]["recorded_by"]["username"] == "officer"
    assert PlanActivity.objects.get(public_id=row["id"]).status == "in_progress"


def test_the_api_refuses_a_drop_without_its_reason_and_naming_the_field(world, plan):
    activity = first_activity(plan)
    response = api_for(world.officer).post(
        api_url(world.case, f"activities/{activity.public_id}/progress/"),
        {"status": "cancelled"},
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {"note": [vi("Say why the activity is dropped.")]}
    assert not ActivityProgress.objects.exists()


def test_the_api_answers_in_the_users_language(world, plan):
    officer = api_for(world.officer)
    with translation.override("en"):
        planned_en = gettext("Planned")
    with translation.override("vi"):
        planned_vi = gettext("Planned")
    rows = officer.get(api_url(world.case, "activities/")).json()
    assert {row["status_label"] for row in rows} == {planned_vi}
    officer.cookies["django_language"] = "en"
    rows = officer.get(api_url(world.case, "activities/")).json()
    assert {row["status_label"] for row in rows} == {planned_en}
    response = officer.post(
        api_url(world.case, f"activities/{rows[0]['id']}/progress/"),
        {"status": "cancelled"},
        format="json",
    )
    with translation.override("en"):
        assert error_fields(response) == {"note": [gettext("Say why the activity is dropped.")]}


@pytest.mark.parametrize(
    ("persona", "code"), [("chairman", 403), ("officer2", 404), ("school", 404)]
)
def test_the_api_refuses_progress_to_who_may_not_record_it(world, plan, persona, code):
    grant_summary_to_school(world)
    activity = first_activity(plan)
    client = api_for(world.users[persona])
    response = client.post(
        api_url(world.case, f"activities/{activity.public_id}/progress/"),
        {"status": "done"},
        format="json",
    )
    assert response.status_code == code
    if code == 404:
        assert client.get(api_url(world.case, "activities/")).status_code == 404
    assert not ActivityProgress.objects.exists()


def test_the_api_does_not_find_another_cases_activity_through_this_case(world, plan):
    other = make_case(world.commune, "Phạm Thị Dung")
    other_activity = first_activity(to_approved_plan(world, other))
    officer = api_for(world.officer)
    for activity_id in (other_activity.public_id, "not-an-id"):
        response = officer.post(
            api_url(world.case, f"activities/{activity_id}/progress/"),
            {"status": "done"},
            format="json",
        )
        assert response.status_code == 404
    assert not ActivityProgress.objects.exists()


def test_the_api_records_and_lists_who_received_the_plan(world, plan):
    officer = api_for(world.officer)
    url = api_url(world.case, f"plans/{plan.version}/distributions/")
    assert officer.get(url).json() == []
    response = officer.post(
        url,
        {
            "recipient": "Trường Tiểu học, Ban giám hiệu",
            "organisation": str(world.school_org.public_id),
            "sent_on": today().isoformat(),
            "method": "in_system",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["organisation"]["id"] == str(world.school_org.public_id)
    assert body["plan_version"] == plan.version
    assert body["is_carer"] is False
    (row,) = officer.get(url).json()
    assert row["id"] == body["id"]
    assert row["method"] == "in_system"


def test_the_api_refuses_a_sending_date_in_the_future_and_a_missing_recipient(world, plan):
    response = api_for(world.officer).post(
        api_url(world.case, f"plans/{plan.version}/distributions/"),
        {"sent_on": today(1).isoformat(), "method": "post"},
        format="json",
    )
    assert response.status_code == 400
    fields = error_fields(response)
    assert fields["sent_on"] == [vi("The date is in the future.")]
    assert set(fields) == {"sent_on", "recipient"}
    assert not DecisionDistribution.objects.exists()


def test_the_api_distribution_refusals(world, plan):
    grant_summary_to_school(world)
    url = api_url(world.case, f"plans/{plan.version}/distributions/")
    data = {"recipient": "Bà ngoại", "sent_on": today().isoformat(), "method": "by_hand"}
    assert api_for(world.chairman).post(url, data, format="json").status_code == 403
    for persona in ("officer2", "school", "far_officer"):
        client = api_for(world.users[persona])
        assert client.post(url, data, format="json").status_code == 404, persona
        assert client.get(url).status_code == 404, persona
    officer = api_for(world.officer)
    assert officer.get(api_url(world.case, "plans/9/distributions/")).status_code == 404
    assert officer.get(api_url(world.case, "plans/x/distributions/")).status_code == 404
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUPERSEDED)
    response = officer.post(url, data, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "step_not_available"
    assert not DecisionDistribution.objects.exists()


def test_the_schema_declares_the_new_endpoints(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    schema = (tmp_path / "schema.yaml").read_text()
    for path in (
        "/api/v1/cases/{id}/plans/{version}/distributions/",
        "/api/v1/cases/{id}/activities/",
        "/api/v1/cases/{id}/activities/{activity_id}/progress/",
    ):
        assert path in schema
    for operation in (
        "cases_plans_distributions_list",
        "cases_plans_distributions_create",
        "cases_activities_list",
        "cases_activities_progress_create",
    ):
        assert f"operationId: {operation}" in schema


def test_the_pages_cost_the_same_queries_for_one_row_or_many(world, client_for, plan):
    activity = first_activity(plan)
    client = client_for("officer")

    def record(times: int) -> None:
        for index in range(times):
            activities.activity_progress_record(
                actor=world.officer,
                case=world.case,
                activity=activity,
                status="in_progress",
                note=f"Lần {index}",
            )
            activities.plan_distribution_record(
                actor=world.officer,
                case=world.case,
                plan=plan,
                recipient=f"Người nhận {index}",
                sent_on=today(),
                method="post",
            )

    def cost(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    record(1)
    one = (cost(activity_url(world.case, activity)), cost(detail_url(world.case)))
    record(5)
    many = (cost(activity_url(world.case, activity)), cost(detail_url(world.case)))
    assert many == one
