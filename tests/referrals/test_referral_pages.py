"""
The referral pages: sending (and the consent some kinds need), the receiving inbox, the referral
page on both sides, and what referrals add to the case and home pages. Outsiders get the
not-found page everywhere; a role that sees but may not act gets 403; a state that rules the
action out gets the page again with why (409); bad input the form with the message by its field.
"""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cases import services as case_services
from cases.models import ConsentRecord
from referrals import services
from referrals.models import Referral, SharingRule
from tests.factories import OrganisationFactory, make_case

MEDICAL = "Gãy xương cẳng tay trái, đang điều trị tâm lý"
MESSAGE = "Đề nghị nhà trường theo dõi việc học và báo lại"


def has_field_error(body: str, name: str) -> bool:
    return re.search(rf'class="field has-error[^"]*" id="field-{name}"', body) is not None


def case_url(case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def send_url(case, kind: str | None = None) -> str:
    url = reverse("referrals:send", args=[case.public_id])
    return f"{url}?kind={kind}" if kind else url


def detail_url(referral) -> str:
    return reverse("referrals:detail", args=[referral.public_id])


def action_url(referral, action: str) -> str:
    return reverse(f"referrals:{action}", args=[referral.public_id])


def send_data(organisation, **extra) -> dict:
    return {
        "kind": organisation.kind,
        "organisation": str(organisation.public_id),
        "purpose": "s_education",
        "message": MESSAGE,
        **extra,
    }


def refer(world, organisation=None, **extra) -> Referral:
    """Send through the service (for tests about what comes after sending)."""
    return services.referral_send(
        actor=world.officer,
        case=world.case,
        organisation=organisation or world.school_org,
        purpose=extra.pop("purpose", "s_education"),
        message=extra.pop("message", MESSAGE),
        **extra,
    )


def org_of(world, persona: str):
    return world.users[persona].memberships.get().organisation


@pytest.fixture
def ngo(world):
    world.case.child.estimated_age = 9
    world.case.child.save()
    return OrganisationFactory(kind="ngo", area=world.commune, name="Hội Bảo vệ quyền trẻ em")


def consent_data(**extra) -> dict:
    return {
        "recipient_kinds": ["ngo"],
        "representative_name": "Nguyễn Thị Hoa",
        "representative_relation": "Mẹ",
        "representative_consented": "yes",
        "child_consented": "yes",
        "method": "written",
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# Sending


def test_the_send_page_first_shows_every_kind_and_its_sharing_rule(world, client_for):
    response = client_for("officer").get(send_url(world.case))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="sharing-rules"' in body
    for rule in SharingRule.objects.all():
        assert f'data-kind="{rule.organisation_kind}"' in body
        assert rule.explanation_vi in body
    assert 'data-kind="ngo" data-consent-required="true"' in body
    assert 'data-kind="school" data-consent-required="false"' in body
    assert 'id="send-form"' not in body
    assert "no-store" in response["Cache-Control"]


def test_the_kind_filters_the_organisations_and_the_rule_is_shown(world, client_for):
    health_org = org_of(world, "health")
    response = client_for("officer").get(send_url(world.case, "school"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="sharing-rule" data-kind="school" data-consent-required="false"' in body
    rule = SharingRule.objects.get(organisation_kind="school")
    assert rule.explanation_vi in body
    assert rule.citation in body
    assert f'value="{world.school_org.public_id}"' in body
    assert f'value="{health_org.public_id}"' not in body
    assert 'name="consent"' not in body
    defaults = services.referral_defaults()
    ack = timezone.localtime(defaults["acknowledge_due_at"]).strftime("%Y-%m-%dT")
    assert f'name="acknowledge_due_at" value="{ack}' in body


def test_the_officer_refers_the_case_to_the_school_without_consent(world, client_for):
    response = client_for("officer").post(
        send_url(world.case, "school"), send_data(world.school_org)
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(referral)
    assert referral.organisation == world.school_org
    assert referral.consent is None
    assert referral.message == MESSAGE
    assert client_for("school").get(case_url(world.case)).status_code == 200


def test_the_dates_typed_are_the_dates_kept(world, client_for):
    ack = timezone.localtime() + datetime.timedelta(days=2)
    feedback = ack + datetime.timedelta(days=10)
    data = send_data(
        world.school_org,
        acknowledge_due_at=ack.strftime("%Y-%m-%dT%H:%M"),
        feedback_due_at=feedback.strftime("%Y-%m-%dT%H:%M"),
    )
    client_for("officer").post(send_url(world.case, "school"), data)
    referral = Referral.objects.get()
    assert timezone.localtime(referral.acknowledge_due_at).strftime("%d %H:%M") == ack.strftime(
        "%d %H:%M"
    )
    assert referral.feedback_due_at > referral.acknowledge_due_at


def test_missing_answers_are_shown_by_their_fields_and_nothing_is_sent(world, client_for):
    past = (timezone.localtime() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"kind": "school", "organisation": "", "message": " ", "acknowledge_due_at": past}
    response = client_for("officer").post(send_url(world.case, "school"), data)
    assert response.status_code == 400
    body = response.content.decode()
    for name in ("organisation", "purpose", "message", "acknowledge_due_at"):
        assert has_field_error(body, name), name
    assert not Referral.objects.exists()


def test_a_send_without_a_kind_sends_nothing(world, client_for):
    data = {**send_data(world.school_org), "kind": "hotline"}
    response = client_for("officer").post(send_url(world.case), data)
    assert response.status_code == 400
    assert 'id="sharing-rules"' in response.content.decode()
    assert not Referral.objects.exists()


def test_an_organisation_far_from_the_case_cannot_be_chosen(world, client_for):
    far_school = OrganisationFactory(kind="school", area=world.far_commune)
    response = client_for("officer").post(send_url(world.case, "school"), send_data(far_school))
    assert response.status_code == 400
    assert has_field_error(response.content.decode(), "organisation")
    assert not Referral.objects.exists()


def test_an_ngo_is_refused_without_consent_and_accepted_with_one(world, client_for, ngo):
    client = client_for("officer")
    page = client.get(send_url(world.case, "ngo")).content.decode()
    assert 'data-consent-required="true"' in page
    assert SharingRule.objects.get(organisation_kind="ngo").explanation_vi in page
    assert 'id="no-consent"' in page
    consent_link = reverse("referrals:consent", args=[world.case.public_id]) + "?kind=ngo"
    assert consent_link in page

    refused = client.post(send_url(world.case, "ngo"), send_data(ngo, purpose="s_skills"))
    assert refused.status_code == 400
    assert has_field_error(refused.content.decode(), "consent")
    assert not Referral.objects.exists()

    recorded = client.post(consent_link, consent_data())
    assert recorded.status_code == 302
    assert recorded["Location"] == send_url(world.case, "ngo")
    consent = ConsentRecord.objects.get()
    page = client.get(send_url(world.case, "ngo")).content.decode()
    assert f'value="{consent.public_id}"' in page

    data = send_data(ngo, purpose="s_skills", consent=str(consent.public_id))
    sent = client.post(send_url(world.case, "ngo"), data)
    assert sent.status_code == 302
    assert Referral.objects.get().consent == consent


def test_a_consent_that_does_not_cover_the_kind_is_not_offered(world, client_for, ngo):
    case_services.consent_record(
        actor=world.officer,
        case=world.case,
        recipient_kinds=["social_protection"],
        representative_name="Bố",
        representative_relation="Bố",
        representative_consented=True,
        child_consented=True,
        method="written",
    )
    other = ConsentRecord.objects.get()
    client = client_for("officer")
    assert (
        f'value="{other.public_id}"' not in client.get(send_url(world.case, "ngo")).content.decode()
    )
    data = send_data(ngo, consent=str(other.public_id))
    response = client.post(send_url(world.case, "ngo"), data)
    assert response.status_code == 400
    assert has_field_error(response.content.decode(), "consent")


def test_a_closed_case_cannot_be_referred(world, client_for):
    world.case.status = "closed"
    world.case.save()
    client = client_for("officer")
    assert client.get(send_url(world.case, "school")).status_code == 409
    response = client.post(send_url(world.case, "school"), send_data(world.school_org))
    assert response.status_code == 409
    assert 'id="refusal"' in response.content.decode()
    assert not Referral.objects.exists()


# ---------------------------------------------------------------------------------------------
# Consent


def test_consent_needs_the_child_aged_seven_and_a_witness_for_verbal(world, client_for, ngo):
    url = reverse("referrals:consent", args=[world.case.public_id])
    client = client_for("officer")
    page = client.get(url)
    assert page.status_code == 200
    data = consent_data(child_consented="", method="verbal_witnessed")
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert has_field_error(body, "child_consented")
    assert has_field_error(body, "witness")
    assert not ConsentRecord.objects.exists()
    missing = client.post(url, {"representative_consented": "yes"})
    body = missing.content.decode()
    for name in ("recipient_kinds", "representative_name", "representative_relation", "method"):
        assert has_field_error(body, name), name
    no_answer = client.post(url, consent_data(representative_consented=""))
    assert no_answer.status_code == 400
    assert has_field_error(no_answer.content.decode(), "representative_consented")
    assert not ConsentRecord.objects.exists()


def test_a_young_child_need_not_answer(world, client_for):
    world.case.child.estimated_age = 5
    world.case.child.save()
    url = reverse("referrals:consent", args=[world.case.public_id])
    response = client_for("officer").post(url, consent_data(child_consented=""))
    assert response.status_code == 302
    assert ConsentRecord.objects.get().child_consented is None


def test_withdrawing_a_consent_revokes_the_referral_relying_on_it(world, client_for, ngo):
    consent = case_services.consent_record(
        actor=world.officer,
        case=world.case,
        **{**consent_data(), "child_consented": True, "representative_consented": True},
    )
    referral = refer(world, organisation=ngo, consent=consent)
    client = client_for("officer")
    url = reverse("referrals:consent-withdraw", args=[world.case.public_id, consent.public_id])
    response = client.post(url, {"note": "Gia đình rút lại"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REVOKED
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    again = client.post(url, {"note": ""})
    assert again.status_code == 409
    assert 'id="refusal"' in again.content.decode()


# ---------------------------------------------------------------------------------------------
# The life cycle through the pages


def test_the_whole_life_cycle_through_the_pages(world, client_for):
    officer, school = client_for("officer"), client_for("school")
    officer.post(send_url(world.case, "school"), send_data(world.school_org))
    referral = Referral.objects.get()

    page = school.get(detail_url(referral)).content.decode()
    assert 'id="acknowledge-form"' in page
    assert 'id="case-summary"' in page
    assert MESSAGE in page
    assert school.post(action_url(referral, "acknowledge")).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "acknowledged"
    page = school.get(detail_url(referral)).content.decode()
    assert referral.receipt_number in page
    assert referral.receipt_hash in page
    assert 'id="accept-form"' in page

    assert school.post(action_url(referral, "accept")).status_code == 302
    data = {"kind": "feedback", "text": "Trẻ đi học đều, đã gặp giáo viên chủ nhiệm"}
    assert school.post(action_url(referral, "update-add"), data).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.updates.get().kind == "feedback"

    case_page = officer.get(case_url(world.case)).content.decode()
    assert f'id="referral-{referral.public_id}"' in case_page
    assert "Trẻ đi học đều, đã gặp giáo viên chủ nhiệm" in case_page
    assert f'data-receipt="{referral.receipt_number}"' in case_page
    officer_page = officer.get(detail_url(referral)).content.decode()
    assert 'id="complete-form"' in officer_page

    assert officer.post(action_url(referral, "complete"), {"note": ""}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "completed"
    assert school.get(case_url(world.case)).status_code == 404
    record = school.get(detail_url(referral))
    assert record.status_code == 200
    body = record.content.decode()
    assert 'id="access-ended"' in body
    assert world.case.child_name not in body
    assert MESSAGE not in body
    assert "Trẻ đi học đều" not in body
    assert 'id="case-summary"' not in body


def test_a_decline_needs_a_reason_by_its_field(world, client_for):
    referral = refer(world)
    response = client_for("school").post(action_url(referral, "decline"), {"reason": "  "})
    assert response.status_code == 400
    assert has_field_error(response.content.decode(), "reason")
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_a_step_out_of_turn_comes_back_with_why(world, client_for):
    referral = refer(world)
    school, officer = client_for("school"), client_for("officer")
    assert school.post(action_url(referral, "accept")).status_code == 409
    school.post(action_url(referral, "acknowledge"))
    again = school.post(action_url(referral, "acknowledge"))
    assert again.status_code == 409
    assert 'id="refusal"' in again.content.decode()
    early = officer.post(action_url(referral, "complete"), {"note": ""})
    assert early.status_code == 409
    update = school.post(action_url(referral, "update-add"), {"kind": "action", "text": "x"})
    assert update.status_code == 409


@pytest.mark.parametrize("end", ["complete", "decline", "revoke"])
def test_when_the_referral_ends_the_school_loses_the_case_at_once(world, client_for, end):
    world.case.child_condition = MEDICAL
    world.case.save()
    referral = refer(world)
    school, officer = client_for("school"), client_for("officer")
    assert school.get(case_url(world.case)).status_code == 200
    if end == "complete":
        school.post(action_url(referral, "acknowledge"))
        school.post(action_url(referral, "accept"))
        response = officer.post(action_url(referral, "complete"), {"note": "Xong"})
    elif end == "decline":
        response = school.post(action_url(referral, "decline"), {"reason": "Không phù hợp"})
    else:
        response = officer.post(action_url(referral, "revoke"), {"reason": "Gửi nhầm"})
    assert response.status_code == 302
    assert school.get(case_url(world.case)).status_code == 404
    record = school.get(detail_url(referral))
    assert record.status_code == 200
    body = record.content.decode()
    assert f'data-status="{referral.__class__.objects.get().status}"' in body
    for content in (world.case.child_name, MESSAGE, MEDICAL):
        assert content not in body
    assert 'id="case-summary"' not in body
    assert 'id="actions"' not in body
    # Nor can the school act on it any more.
    assert school.post(action_url(referral, "acknowledge")).status_code == 409


def test_the_school_sees_its_allow_list_and_not_the_medical_narrative(world, client_for):
    world.case.child_condition = MEDICAL
    world.case.save()
    referral = refer(world)
    school = client_for("school")
    referral_page = school.get(detail_url(referral)).content.decode()
    case_page = school.get(case_url(world.case)).content.decode()
    for body in (referral_page, case_page):
        assert world.case.child_name in body
        assert MEDICAL not in body
    assert MEDICAL in client_for("officer").get(case_url(world.case)).content.decode()
    health_referral = refer(world, organisation=org_of(world, "health"), purpose="i_medical")
    assert MEDICAL in client_for("health").get(detail_url(health_referral)).content.decode()


def test_the_sender_sees_what_the_recipient_sees(world, client_for):
    world.case.child_condition = MEDICAL
    world.case.save()
    referral = refer(world)
    body = client_for("officer").get(detail_url(referral)).content.decode()
    summary = body.split('id="case-summary"')[1].split("</section>")[0]
    assert world.case.child_name in summary
    assert MEDICAL not in summary
    assert 'id="revoke-form"' in body


# ---------------------------------------------------------------------------------------------
# Who may open what


PAGES = [
    ("detail", "get"),
    ("acknowledge", "post"),
    ("accept", "post"),
    ("decline", "post"),
    ("update-add", "post"),
    ("complete", "post"),
    ("revoke", "post"),
    ("send", "get"),
    ("send", "post"),
    ("consent", "get"),
    ("consent", "post"),
    ("consent-withdraw", "post"),
]
OUTSIDERS = [
    "officer2",
    "far_officer",
    "collaborator",
    "health",
    "police",
    "auditor",
    "admin",
    "nobody",
]


def _url(world, view: str, referral: Referral, consent: ConsentRecord) -> str:
    """The URL of a referral page. (Not `page`: that name is pytest-playwright's fixture.)"""
    if view in ("send", "consent"):
        return reverse(f"referrals:{view}", args=[world.case.public_id])
    if view == "consent-withdraw":
        return reverse("referrals:consent-withdraw", args=[world.case.public_id, consent.public_id])
    return action_url(referral, view)


@pytest.fixture
def open_referral(world):
    consent = case_services.consent_record(
        actor=world.officer,
        case=world.case,
        recipient_kinds=["school"],
        representative_name="Mẹ",
        representative_relation="Mẹ",
        representative_consented=True,
        child_consented=True,
        method="written",
    )
    return refer(world), consent


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize(("view", "method"), PAGES)
def test_outsiders_get_the_not_found_page_everywhere(
    world, client_for, open_referral, persona, view, method
):
    referral, consent = open_referral
    url = _url(world, view, referral, consent)
    response = getattr(client_for(persona), method)(url, {"reason": "x", "text": "x"})
    assert response.status_code == 404
    body = response.content.decode()
    assert world.case.child_name not in body
    assert world.case.number not in body
    referral.refresh_from_db()
    assert referral.status == "sent"


@pytest.mark.parametrize(
    ("view", "status"), [("detail", 200), ("acknowledge", 403), ("complete", 403), ("revoke", 403)]
)
def test_the_hotline_that_follows_the_case_reads_its_referrals_but_acts_on_none(
    world, client_for, open_referral, view, status
):
    # The hotline holds the whole file by a share (it follows the case, Art. 22(5)): the
    # referrals are part of the file; answering or ending them is not its to do.
    referral, consent = open_referral
    client = client_for("hotline")
    url = _url(world, view, referral, consent)
    response = client.get(url) if view == "detail" else client.post(url, {"reason": "x"})
    assert response.status_code == status
    referral.refresh_from_db()
    assert referral.is_open


def test_a_missing_referral_and_a_forbidden_one_get_the_same_answer(world, client_for):
    referral = refer(world)
    client = client_for("health")
    missing = reverse("referrals:detail", args=[uuid.uuid4()])
    assert client.get(detail_url(referral)).status_code == client.get(missing).status_code == 404


@pytest.mark.parametrize(
    ("persona", "view", "method"),
    [
        ("chairman", "send", "get"),
        ("chairman", "send", "post"),
        ("supervisor", "send", "get"),
        ("hotline", "send", "get"),
        ("school", "send", "get"),
        ("chairman", "consent", "get"),
        ("hotline", "consent", "post"),
        ("school", "consent", "get"),
        ("chairman", "consent-withdraw", "post"),
        ("school", "complete", "post"),
        ("school", "revoke", "post"),
        ("chairman", "revoke", "post"),
        ("supervisor", "complete", "post"),
        ("officer", "acknowledge", "post"),
        ("officer", "decline", "post"),
        ("officer", "update-add", "post"),
    ],
)
def test_who_sees_but_may_not_act_gets_403(world, client_for, open_referral, persona, view, method):
    referral, consent = open_referral
    url = _url(world, view, referral, consent)
    data = {**send_data(world.school_org), "reason": "x", "text": "x"}
    if view == "update-add":
        data["kind"] = "feedback"
    response = getattr(client_for(persona), method)(url, data)
    assert response.status_code == 403
    assert 'id="forbidden"' in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert Referral.objects.count() == 1
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_the_chairman_and_supervisor_read_the_referral_without_actions(world, client_for):
    referral = refer(world)
    for persona in ("chairman", "supervisor"):
        body = client_for(persona).get(detail_url(referral)).content.decode()
        assert 'id="referral-record"' in body
        assert 'id="revoke-form"' not in body
        assert 'id="acknowledge-form"' not in body


def test_referral_pages_are_never_cached(world, client_for):
    referral = refer(world)
    for persona, url in (
        ("school", detail_url(referral)),
        ("officer", detail_url(referral)),
        ("school", reverse("referrals:inbox")),
        ("officer", reverse("referrals:consent", args=[world.case.public_id])),
    ):
        assert "no-store" in client_for(persona).get(url)["Cache-Control"]


# ---------------------------------------------------------------------------------------------
# The case page: referrals and who can see the case


def test_the_case_page_lists_referrals_with_a_button_for_who_may_refer(world, client_for):
    referral = refer(world)
    body = client_for("officer").get(case_url(world.case)).content.decode()
    assert 'id="referrals"' in body
    assert f'id="referral-{referral.public_id}"' in body
    assert 'id="refer-case"' in body
    chairman = client_for("chairman").get(case_url(world.case)).content.decode()
    assert f'id="referral-{referral.public_id}"' in chairman
    assert 'id="refer-case"' not in chairman
    school = client_for("school").get(case_url(world.case)).content.decode()
    assert 'id="referrals"' not in school
    assert 'id="who-can-see"' not in school


def _who_can_see(body: str) -> str:
    return body.split('id="who-can-see"')[1].split("</section>")[0]


def test_who_can_see_lists_the_school_with_its_referral_while_open_only(world, client_for):
    referral = refer(world)
    officer = client_for("officer")
    section = _who_can_see(officer.get(case_url(world.case)).content.decode())
    assert f'data-organisation="{world.school_org.public_id}"' in section
    assert f'data-referral="{referral.public_id}"' in section
    assert world.school.get_full_name() in section
    assert world.officer.get_full_name() in section
    assert world.committee.name in section
    assert "Opened by hotline 111" in section
    services.referral_revoke(actor=world.officer, referral=referral, reason="Gửi nhầm")
    section = _who_can_see(officer.get(case_url(world.case)).content.decode())
    assert f'data-organisation="{world.school_org.public_id}"' not in section
    assert f'data-referral="{referral.public_id}"' not in section


# ---------------------------------------------------------------------------------------------
# The inbox and the home page


def test_the_inbox_groups_new_acknowledged_in_progress_and_overdue(world, client_for):
    new = refer(world)
    acknowledged = refer(world, purpose="s_skills")
    services.referral_acknowledge(actor=world.school, referral=acknowledged)
    in_progress = refer(world, purpose="s_health")
    services.referral_acknowledge(actor=world.school, referral=in_progress)
    services.referral_accept(actor=world.school, referral=in_progress)
    late = refer(world, purpose="s_legal")
    Referral.objects.filter(pk=late.pk).update(
        acknowledge_due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    ended = refer(world, purpose="other")
    services.referral_revoke(actor=world.officer, referral=ended, reason="Trùng")
    other_school = OrganisationFactory(kind="school", area=world.commune)
    elsewhere = refer(world, organisation=other_school)

    body = client_for("school").get(reverse("referrals:inbox")).content.decode()
    groups = {
        key: body.split(f'id="group-{key}"')[1].split("</section>")[0]
        for key in ("overdue", "sent", "acknowledged", "accepted")
    }
    assert f'data-referral="{late.public_id}"' in groups["overdue"]
    assert f'data-referral="{new.public_id}"' in groups["sent"]
    assert f'data-referral="{late.public_id}"' not in groups["sent"]
    assert f'data-referral="{acknowledged.public_id}"' in groups["acknowledged"]
    assert f'data-referral="{in_progress.public_id}"' in groups["accepted"]
    for absent in (ended, elsewhere):
        assert str(absent.public_id) not in body
    assert MESSAGE not in body

    home = client_for("school").get(reverse("home")).content.decode()
    section = home.split('id="referral-inbox"')[1].split("</section>")[0]
    for key, count in (("overdue", 1), ("sent", 1), ("acknowledged", 1), ("accepted", 1)):
        assert f'data-group="{key}" data-count="{count}"' in section
    assert reverse("referrals:inbox") in section


def test_feedback_in_time_takes_an_accepted_referral_out_of_overdue(world, client_for):
    referral = refer(world)
    services.referral_acknowledge(actor=world.school, referral=referral)
    services.referral_accept(actor=world.school, referral=referral)
    Referral.objects.filter(pk=referral.pk).update(
        feedback_due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client = client_for("school")
    body = client.get(reverse("referrals:inbox")).content.decode()
    assert str(referral.public_id) in body.split('id="group-overdue"')[1].split("</section>")[0]
    services.referral_update_add(actor=world.school, referral=referral, kind="feedback", text="Ok")
    body = client.get(reverse("referrals:inbox")).content.decode()
    assert str(referral.public_id) in body.split('id="group-accepted"')[1].split("</section>")[0]


def _row(body: str, referral) -> str:
    return body.split(f'data-referral="{referral.public_id}"')[1].split("</tr>")[0]


def test_the_inbox_marks_the_clock_that_is_late(world, client_for):
    """The acknowledgement's cell when it is late, the feedback's when that is (with_overdue)."""
    unanswered = refer(world)
    silent = refer(world, purpose="s_health")
    services.referral_acknowledge(actor=world.school, referral=silent)
    services.referral_accept(actor=world.school, referral=silent)
    past = timezone.now() - datetime.timedelta(hours=1)
    Referral.objects.filter(pk__in=[unanswered.pk, silent.pk]).update(
        acknowledge_due_at=past, feedback_due_at=past
    )
    body = client_for("school").get(reverse("referrals:inbox")).content.decode()
    late_cells = {
        referral: [
            cell.split('"')[0]
            for cell in _row(body, referral).split('data-label="')[1:]
            if "overdue" in cell.split(">")[0]
        ]
        for referral in (unanswered, silent)
    }
    with translation.override("vi"):
        acknowledgement, feedback = gettext("Acknowledgement due"), gettext("Feedback due")
    assert late_cells == {unanswered: [acknowledgement], silent: [feedback]}


def test_the_inbox_is_for_sector_staff_only(world, client_for):
    assert client_for("officer").get(reverse("referrals:inbox")).status_code == 404
    assert client_for("nobody").get(reverse("referrals:inbox")).status_code == 404
    assert client_for("health").get(reverse("referrals:inbox")).status_code == 200
    home = client_for("officer").get(reverse("home")).content.decode()
    assert 'id="referral-inbox"' not in home


def test_the_inbox_costs_a_fixed_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    client = client_for("school")
    refer(world)
    with django_assert_max_num_queries(12):
        client.get(reverse("referrals:inbox"))
    for index in range(30):
        case = make_case(world.commune, f"Trẻ {index}")
        referral = services.referral_send(
            actor=world.officer,
            case=case,
            organisation=world.school_org,
            purpose="s_education",
            message=MESSAGE,
        )
        if index % 3 == 1:
            services.referral_acknowledge(actor=world.school, referral=referral)
        if index % 3 == 2:
            services.referral_acknowledge(actor=world.school, referral=referral)
            services.referral_accept(actor=world.school, referral=referral)
            services.referral_update_add(
                actor=world.school, referral=referral, kind="feedback", text="Ok"
            )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("referrals:inbox"))
    assert response.content.decode().count("data-referral=") == 31
    with django_assert_max_num_queries(25):
        client.get(reverse("home"))
