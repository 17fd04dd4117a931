"""
The alleged perpetrator as a record of its own (issue #13): a family member or anyone else (a
teacher, a neighbour, a stranger, an online contact), with the relation, sex and age band the
police and the statistics need. Recorded and removed as the family is: by the commune's officer
(change_case), audited, the case's version bumped; a family member stays in the family and is
flagged. Through the services, the case page and the API; the police see relation, sex and age
band only; the migration 0018 turns the flags already on record into records.
"""

from __future__ import annotations

import datetime
import re
import uuid
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import Organisation, Role
from accounts.services import organisation_group
from audit.models import AuditEntry
from cases import perpetrators, services
from cases.hooks import summary_fields_for
from cases.models import Case, FamilyMember, Perpetrator
from cases.services import StepNotPermitted
from referrals import services as referral_services
from tests.factories import make_case

# A Wednesday morning in Vietnam, far from Tết.
MOMENT = datetime.datetime(2026, 6, 10, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
POLICE_LABEL = "Alleged perpetrators: relation, sex, age band"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MOMENT, tick=True):
        yield


def add(world, case: Case | None = None, **data) -> Perpetrator:
    """Record one on world.case (a stranger, unless a family member says who)."""
    if "family_member" not in data:
        data = {"relation": "stranger", **data}
    return perpetrators.perpetrator_add(actor=world.officer, case=case or world.case, data=data)


def member(world, case: Case | None = None, **data) -> FamilyMember:
    """A family member of world.case's child (or of `case`'s, added by its commune's officer)."""
    return services.family_member_add(
        actor=world.officer2 if case == world.other_case else world.officer,
        case=case or world.case,
        data={"relation": "father", "full_name": "Nguyễn Văn Cha", "age": 41, **data},
    )


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def message(error: pytest.ExceptionInfo, field: str) -> str:
    return error.value.message_dict[field][0]


# ---------------------------------------------------------------------------------------------
# The services


def test_a_stranger_is_recorded_audited_and_bumps_the_version(world):
    version = world.case.version
    record = add(world, sex="male", age_band="18_29", description="Người lạ đi xe máy")
    assert (record.relation, record.sex, record.age_band) == ("stranger", "male", "18_29")
    assert record.is_family_member is False
    assert record.family_member is None
    assert record.recorded_by == world.officer
    assert fresh(world.case).version == version + 1
    entry = AuditEntry.objects.get(detail__operation="perpetrator_add")
    assert entry.action == AuditEntry.Action.WRITE
    assert entry.object_type == "perpetrator"
    assert entry.object_id == str(record.public_id)
    assert entry.case_id == str(world.case.public_id)
    assert "Người lạ" not in str(entry.detail)  # field values never go into the trail


@pytest.mark.parametrize(
    ("relation", "of_the_family"),
    [
        ("parent", True),
        ("step_parent", True),
        ("relative", True),
        ("teacher", False),
        ("neighbour", False),
        ("online_contact", False),
    ],
)
def test_a_parent_step_parent_or_relative_is_of_the_family_by_default(
    world, relation, of_the_family
):
    assert add(world, relation=relation).is_family_member is of_the_family


def test_the_record_may_say_otherwise_than_the_default(world):
    assert add(world, relation="relative", is_family_member=False).is_family_member is False
    assert add(world, relation="carer", is_family_member=True).is_family_member is True


def test_unknown_sex_and_age_band_unless_given(world):
    record = add(world, relation="acquaintance")
    assert (record.sex, record.age_band) == ("unknown", "unknown")


def test_linking_a_family_member_flags_them_and_reads_what_their_row_says(world):
    father = member(world)
    assert not father.is_alleged_perpetrator
    record = add(world, family_member=father)
    assert (record.relation, record.sex, record.age_band) == ("parent", "male", "30_44")
    assert record.is_family_member is True
    father.refresh_from_db()
    assert father.is_alleged_perpetrator  # and stays in the family
    assert world.case.child.family_members.get() == father


def test_what_the_record_gives_wins_over_the_family_members_row(world):
    grandmother = member(world, relation="grandparent", full_name="Bà Tư", age=None)
    record = add(world, relation="carer", sex="female", family_member=grandmother)
    assert (record.relation, record.sex, record.age_band) == ("carer", "female", "unknown")


def test_a_family_member_of_another_child_cannot_be_linked(world):
    stranger_to_this_case = member(world, case=world.other_case)
    with translation.override("vi"), pytest.raises(ValidationError) as error:
        add(world, family_member=stranger_to_this_case)
    assert message(error, "family_member") == "Người này không thuộc gia đình của trẻ em."
    assert not Perpetrator.objects.exists()
    stranger_to_this_case.refresh_from_db()
    assert not stranger_to_this_case.is_alleged_perpetrator


def test_a_linked_family_member_cannot_be_said_to_be_outside_the_family(world):
    father = member(world)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        add(world, relation="parent", family_member=father, is_family_member=False)
    assert message(error, "is_family_member") == (
        "A linked family member is a member of the child's family."
    )
    father.refresh_from_db()
    assert not father.is_alleged_perpetrator


@pytest.mark.parametrize(
    ("data", "field", "vietnamese"),
    [
        ({"relation": ""}, "relation", "Hãy chọn quan hệ với trẻ em."),
        ({"relation": "uncle"}, "relation", "Hãy chọn quan hệ với trẻ em."),
        ({"sex": "robot"}, "sex", "Hãy chọn trong danh sách."),
        ({"age_band": "5_9"}, "age_band", "Hãy chọn trong danh sách."),
        ({"is_family_member": "maybe"}, "is_family_member", "Hãy chọn trong danh sách."),
    ],
)
def test_a_bad_value_is_refused_naming_its_field_in_vietnamese(world, data, field, vietnamese):
    version = world.case.version
    with translation.override("vi"), pytest.raises(ValidationError) as error:
        add(world, **data)
    assert message(error, field) == vietnamese
    assert not Perpetrator.objects.exists()
    assert fresh(world.case).version == version


def test_a_description_longer_than_its_column_is_refused(world):
    with pytest.raises(ValidationError) as error:
        add(world, description="x" * 256)
    assert "description" in error.value.message_dict


@pytest.mark.parametrize("persona", ["chairman", "supervisor", "hotline"])
def test_only_who_may_change_the_case_records_one(world, persona):
    # They read the whole file (the hotline by its share), and may not change it.
    with pytest.raises(StepNotPermitted):
        perpetrators.perpetrator_add(
            actor=world.users[persona], case=world.case, data={"relation": "stranger"}
        )
    assert not Perpetrator.objects.exists()


def test_removing_the_last_record_of_a_family_member_clears_their_flag(world):
    father = member(world)
    first = add(world, family_member=father)
    second = add(world, family_member=father, description="Ghi lần hai")
    perpetrators.perpetrator_remove(actor=world.officer, case=world.case, perpetrator=first)
    father.refresh_from_db()
    assert father.is_alleged_perpetrator  # another record still links them
    version = fresh(world.case).version
    perpetrators.perpetrator_remove(actor=world.officer, case=world.case, perpetrator=second)
    father.refresh_from_db()
    assert not father.is_alleged_perpetrator
    assert FamilyMember.objects.filter(pk=father.pk).exists()
    assert not Perpetrator.objects.exists()
    assert fresh(world.case).version == version + 1
    entry = AuditEntry.objects.filter(detail__operation="perpetrator_remove").last()
    assert entry.object_id == str(second.public_id)


def test_a_record_of_another_case_is_not_removed_through_this_one(world):
    other = perpetrators.perpetrator_add(
        actor=world.officer2, case=world.other_case, data={"relation": "teacher"}
    )
    with translation.override("en"), pytest.raises(ValidationError) as error:
        perpetrators.perpetrator_remove(actor=world.officer, case=world.case, perpetrator=other)
    assert message(error, "perpetrator") == "This record is not of this case."
    assert Perpetrator.objects.filter(pk=other.pk).exists()


def test_removing_the_family_member_keeps_the_record(world):
    father = member(world)
    record = add(world, family_member=father)
    services.family_member_remove(actor=world.officer, case=world.case, member=father)
    record.refresh_from_db()
    assert record.family_member is None
    assert record.is_family_member is True
    assert record.relation == "parent"


# ---------------------------------------------------------------------------------------------
# The case page


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def add_url(case: Case) -> str:
    return reverse("cases:perpetrator-add", args=[case.public_id])


def remove_url(case: Case) -> str:
    return reverse("cases:perpetrator-remove", args=[case.public_id])


def section(body: str) -> str:
    return re.search(r'<section class="card" id="perpetrators">.*?</section>', body, re.S).group(0)


def grant_summary_to_school(world) -> None:
    services.case_share_grant(
        case=world.case,
        permissions=["view_case_summary"],
        reason="Chuyển gửi nhà trường",
        group=organisation_group(organisation=world.school_org, role=Role.SECTOR_STAFF),
    )


def test_the_officer_adds_and_removes_an_alleged_perpetrator_on_the_case_page(world, client_for):
    client = client_for("officer")
    page = client.get(add_url(world.case))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    refused = client.post(add_url(world.case), {"description": "Người hàng xóm"})
    assert refused.status_code == 400
    field = re.search(r'id="field-relation".*?</div>', refused.content.decode(), re.S).group(0)
    assert "Hãy chọn quan hệ với trẻ em." in field
    assert not Perpetrator.objects.exists()
    response = client.post(
        add_url(world.case),
        {"relation": "neighbour", "sex": "male", "age_band": "45_59", "description": "Ông Tám"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#perpetrators")
    record = Perpetrator.objects.get()
    assert record.recorded_by == world.officer
    shown = section(client.get(detail_url(world.case)).content.decode())
    assert f'data-perpetrator="{record.public_id}"' in shown
    assert "Ông Tám" in shown
    assert 'name="perpetrator"' in shown  # the remove button
    response = client.post(remove_url(world.case), {"perpetrator": str(record.public_id)})
    assert response.status_code == 302
    assert not Perpetrator.objects.exists()


def test_the_page_links_a_family_member_of_this_child_only(world, client_for):
    father = member(world)
    other = member(world, case=world.other_case, full_name="Cha khác")
    client = client_for("officer")
    form = client.get(add_url(world.case)).content.decode()
    assert "Nguyễn Văn Cha" in form
    assert "Cha khác" not in form
    refused = client.post(add_url(world.case), {"family_member": other.pk})
    assert refused.status_code == 400
    assert 'class="errorlist"' in re.search(
        r'id="field-family_member".*?</div>', refused.content.decode(), re.S
    ).group(0)
    assert client.post(add_url(world.case), {"family_member": father.pk}).status_code == 302
    record = Perpetrator.objects.get()
    assert (record.relation, record.is_family_member, record.family_member) == (
        "parent",
        True,
        father,
    )
    father.refresh_from_db()
    assert father.is_alleged_perpetrator


def test_the_page_leaves_the_family_to_the_relation_or_says_no(world, client_for):
    client = client_for("officer")
    client.post(add_url(world.case), {"relation": "relative", "is_family_member": ""})
    client.post(add_url(world.case), {"relation": "relative", "is_family_member": "no"})
    assert list(Perpetrator.objects.values_list("is_family_member", flat=True)) == [True, False]


def test_a_reader_sees_the_section_without_buttons_and_may_not_add(world, client_for):
    add(world, description="Mô tả")
    client = client_for("chairman")
    shown = section(client.get(detail_url(world.case)).content.decode())
    assert "Mô tả" in shown
    assert 'name="perpetrator"' not in shown
    assert client.get(add_url(world.case)).status_code == 403
    record = Perpetrator.objects.get()
    assert client.post(remove_url(world.case), {"perpetrator": record.public_id}).status_code == 403
    assert Perpetrator.objects.filter(pk=record.pk).exists()


def test_a_summary_viewer_sees_no_perpetrator_and_may_not_add(world, client_for):
    add(world, description="Mô tả bí mật")
    grant_summary_to_school(world)
    client = client_for("school")
    body = client.get(detail_url(world.case)).content.decode()
    assert 'id="perpetrators"' not in body
    assert "Mô tả bí mật" not in body
    assert client.get(add_url(world.case)).status_code == 403
    record = Perpetrator.objects.get()
    assert client.post(remove_url(world.case), {"perpetrator": record.public_id}).status_code == 403
    assert Perpetrator.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("persona", ["officer2", "far_officer", "school", "collaborator", "nobody"])
def test_an_outsider_gets_404_and_changes_nothing(world, client_for, persona):
    record = add(world)
    client = client_for(persona)
    assert client.get(add_url(world.case)).status_code == 404
    assert client.post(add_url(world.case), {"relation": "stranger"}).status_code == 404
    assert client.post(remove_url(world.case), {"perpetrator": record.public_id}).status_code == 404
    assert list(Perpetrator.objects.all()) == [record]


def test_removing_an_unknown_or_another_cases_record_answers_404(world, client_for):
    other = perpetrators.perpetrator_add(
        actor=world.officer2, case=world.other_case, data={"relation": "teacher"}
    )
    client = client_for("officer")
    for value in (str(other.public_id), str(uuid.uuid4()), "abc", "9" * 40, ""):
        assert client.post(remove_url(world.case), {"perpetrator": value}).status_code == 404
    assert client.get(remove_url(world.case)).status_code == 405
    assert Perpetrator.objects.filter(pk=other.pk).exists()


def test_the_case_page_says_when_none_is_recorded(world, client_for):
    client = client_for("officer")
    client.cookies["django_language"] = "en"
    shown = section(client.get(detail_url(world.case)).content.decode())
    assert "No alleged perpetrator recorded." in shown


# ---------------------------------------------------------------------------------------------
# The API


def api_for(user, language: str | None = None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    if language:
        client.cookies["django_language"] = language
    return client


def url(case: Case, suffix: str = "") -> str:
    return f"/api/v1/cases/{case.public_id}/perpetrators/{suffix}"


def fields_of(response) -> dict:
    return response.json()["error"]["fields"]


def test_the_api_lists_adds_and_removes_within_the_case(world):
    officer = api_for(world.officer)
    assert officer.get(url(world.case)).json() == []
    etag = officer.get(f"/api/v1/cases/{world.case.public_id}/")["ETag"]
    added = officer.post(
        url(world.case),
        {"relation": "online_contact", "sex": "unknown", "age_band": "18_29"},
        format="json",
    )
    assert added.status_code == 201, added.json()
    assert added["ETag"] != etag
    body = added.json()
    assert uuid.UUID(body["id"])
    assert body["relation"] == "online_contact"
    assert body["is_family_member"] is False
    assert body["family_member"] is None
    assert body["recorded_by"]["username"] == "officer"
    listed = officer.get(url(world.case)).json()
    assert [row["id"] for row in listed] == [body["id"]]
    # Another case's record is not found through this case, nor a malformed id.
    other = make_case(world.commune, "Trẻ khác")
    assert officer.delete(url(other, f"{body['id']}/")).status_code == 404
    assert officer.delete(url(world.case, "abc/")).status_code == 404
    assert officer.delete(url(world.case, f"{uuid.uuid4()}/")).status_code == 404
    removed = officer.delete(url(world.case, f"{body['id']}/"))
    assert removed.status_code == 204
    assert removed["ETag"] == f'"{fresh(world.case).version}"'
    assert officer.get(url(world.case)).json() == []


def test_the_api_links_a_family_member_by_their_id_within_the_case(world):
    officer = api_for(world.officer)
    mother = member(world, relation="mother", full_name="Trần Thị Mẹ", age=17)
    other = member(world, case=world.other_case)
    refused = officer.post(url(world.case), {"family_member": other.pk}, format="json")
    assert refused.status_code == 400
    assert fields_of(refused)["family_member"] == ["Người này không thuộc gia đình của trẻ em."]
    added = officer.post(url(world.case), {"family_member": mother.pk}, format="json")
    assert added.status_code == 201, added.json()
    body = added.json()
    assert (body["relation"], body["sex"], body["age_band"]) == ("parent", "female", "16_17")
    assert body["family_member"] == mother.pk
    assert body["is_family_member"] is True
    family = api_for(world.officer).get(f"/api/v1/cases/{world.case.public_id}/family-members/")
    assert [m["is_alleged_perpetrator"] for m in family.json()] == [True]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "relation"),
        ({"relation": "uncle"}, "relation"),
        ({"relation": "stranger", "sex": "robot"}, "sex"),
        ({"relation": "stranger", "age_band": 7}, "age_band"),
        ({"relation": "stranger", "is_family_member": "perhaps"}, "is_family_member"),
        ({"relation": "stranger", "family_member": "abc"}, "family_member"),
        ({"relation": "stranger", "family_member": 10**30}, "family_member"),
        ({"relation": "stranger", "description": "x" * 256}, "description"),
        ({"relation": "stranger", "full_name": "Nguyễn Văn Ác"}, "full_name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world, data, field):
    response = api_for(world.officer).post(url(world.case), data, format="json")
    assert response.status_code == 400
    assert field in fields_of(response)
    assert not Perpetrator.objects.exists()


def test_the_api_answers_in_the_users_language(world):
    vietnamese = api_for(world.officer).post(url(world.case), {}, format="json")
    assert fields_of(vietnamese)["relation"] == ["Hãy chọn quan hệ với trẻ em."]
    english = api_for(world.officer, "en").post(url(world.case), {}, format="json")
    assert fields_of(english)["relation"] == ["Choose the relation to the child."]
    father = member(world)
    english = api_for(world.officer, "en").post(
        url(world.case), {"family_member": father.pk, "is_family_member": False}, format="json"
    )
    assert fields_of(english)["is_family_member"] == [
        "A linked family member is a member of the child's family."
    ]


def test_a_reader_lists_but_may_not_add_or_remove(world):
    record = add(world)
    chairman = api_for(world.chairman)
    assert [row["id"] for row in chairman.get(url(world.case)).json()] == [str(record.public_id)]
    refused = chairman.post(url(world.case), {"relation": "stranger"}, format="json")
    assert refused.status_code == 403
    assert chairman.delete(url(world.case, f"{record.public_id}/")).status_code == 403
    assert list(Perpetrator.objects.all()) == [record]


@pytest.mark.parametrize("persona", ["officer2", "far_officer", "school", "collaborator", "nobody"])
def test_an_outsider_or_a_summary_viewer_gets_404_on_every_endpoint(world, persona):
    grant_summary_to_school(world)  # the school sees the summary: still nothing here
    record = add(world, description="Mô tả bí mật")
    client = api_for(world.users[persona])
    for response in (
        client.get(url(world.case)),
        client.post(url(world.case), {"relation": "stranger"}, format="json"),
        client.delete(url(world.case, f"{record.public_id}/")),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert "Mô tả bí mật" not in response.content.decode()
    assert list(Perpetrator.objects.all()) == [record]


def test_reading_the_list_is_recorded_as_a_read_of_the_case(world):
    add(world)
    before = AuditEntry.objects.filter(action=AuditEntry.Action.READ).count()
    assert api_for(world.chairman).get(url(world.case)).status_code == 200
    reads = AuditEntry.objects.filter(action=AuditEntry.Action.READ)[before:]
    assert [(e.object_type, e.case_id, e.actor_username) for e in reads] == [
        ("case", str(world.case.public_id), "chairman")
    ]


def test_the_schema_lists_the_endpoints(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    schema = (tmp_path / "schema.yaml").read_text()
    for text in (
        "/api/v1/cases/{id}/perpetrators/:",
        "/api/v1/cases/{id}/perpetrators/{perpetrator_id}/:",
        "operationId: cases_perpetrators_list",
        "operationId: cases_perpetrators_create",
        "operationId: cases_perpetrators_destroy",
        "PerpetratorRelationEnum",
    ):
        assert text in schema


# ---------------------------------------------------------------------------------------------
# What the police see


def referred_to(world, kind: str) -> None:
    referral_services.referral_send(
        actor=world.officer,
        case=world.case,
        organisation=Organisation.objects.get(kind=kind),
        purpose="s_assessment",
        message="Đề nghị phối hợp xác minh",
    )


def test_the_police_see_relation_sex_and_age_band_only(world):
    father = member(world)
    add(world, family_member=father, description="Hay uống rượu")
    add(world, relation="online_contact", age_band="18_29", description="Tài khoản mạng xã hội")
    referred_to(world, Organisation.Kind.POLICE)
    with translation.override("en"):
        fields = dict(summary_fields_for(world.police, world.case))
    assert fields[POLICE_LABEL] == "Parent, Male, 30–44; Online contact, Unknown, 18–29"
    assert "Hay uống rượu" not in fields[POLICE_LABEL]
    assert "Nguyễn Văn Cha" not in fields[POLICE_LABEL]


def test_a_school_does_not_see_the_perpetrators(world):
    add(world, relation="teacher", sex="male")
    referred_to(world, Organisation.Kind.SCHOOL)
    with translation.override("en"):
        fields = dict(summary_fields_for(world.school, world.case))
    assert fields
    assert POLICE_LABEL not in fields


# ---------------------------------------------------------------------------------------------
# The data step: the flags already on record become records (migration 0018)


def run_migration() -> None:
    import_module("cases.migrations.0018_perpetrators_from_family").forwards(apps, None)


def test_the_migration_records_each_flagged_family_member_once(world):
    # Added through the service: the trail says who added them.
    father = member(world, is_alleged_perpetrator=True)
    # Added without the trail, on a case the officer received: the receiver records it.
    received = make_case(world.commune, "Trẻ Nhận", received_by=world.chairman)
    uncle = FamilyMember.objects.create(
        child=received.child, relation="relative", age=65, is_alleged_perpetrator=True
    )
    # Neither: nobody to name as the recorder, so no record.
    unknown = make_case(world.commune, "Trẻ Không Rõ")
    FamilyMember.objects.create(child=unknown.child, relation="mother", is_alleged_perpetrator=True)
    FamilyMember.objects.create(child=received.child, relation="mother")  # not flagged
    run_migration()
    run_migration()  # nothing twice
    rows = {
        (p.case_id, p.family_member_id): (p.relation, p.sex, p.age_band, p.recorded_by)
        for p in Perpetrator.objects.all()
    }
    assert rows == {
        (world.case.pk, father.pk): ("parent", "male", "30_44", world.officer),
        (received.pk, uncle.pk): ("relative", "unknown", "60_plus", world.chairman),
    }
    assert all(p.is_family_member for p in Perpetrator.objects.all())
