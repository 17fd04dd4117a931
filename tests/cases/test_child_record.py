"""
The record the statistics need (issue #13): the ethnic group from the official list of Vietnam's
54 groups, not free text (what was written before is matched or kept to be chosen), and the
child's age at the incident kept with the case, not today's age.
"""

from __future__ import annotations

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services
from cases.models import Case, Child, EthnicGroup
from tests.cases.test_workflow_api import api_for

MIGRATION = importlib.import_module("cases.migrations.0015_ethnic_group_age_at_incident")
VN = datetime.timezone(datetime.timedelta(hours=7))


def test_the_list_holds_the_54_groups_with_their_codes():
    assert len(EthnicGroup.choices) == 54
    assert [code for code, _name in EthnicGroup.choices] == [f"{n:02d}" for n in range(1, 55)]
    assert EthnicGroup("01").label == "Kinh"
    assert EthnicGroup("08").label == "HMông"
    assert EthnicGroup("54").label == "Rơ-măm"


def test_kinh_is_the_majority_and_every_other_group_a_minority():
    assert Child(ethnic_group="01").is_minority is False
    assert Child(ethnic_group="17").is_minority is True
    assert Child().is_minority is None


def test_a_group_not_on_the_list_is_refused_naming_the_field(world):
    with pytest.raises(ValidationError) as error:
        services.case_open(
            actor=world.officer,
            commune=world.commune,
            child={"full_name": "A", "ethnic_group": "99"},
        )
    assert "ethnic_group" in error.value.message_dict
    assert not Case.objects.filter(child__full_name="A").exists()


def test_the_api_takes_the_code_and_says_the_unmatched_text(world):
    response = api_for(world.officer).post(
        "/api/v1/cases/",
        {"commune": world.commune.code, "child": {"full_name": "Lò Thị Ánh", "ethnic_group": "03"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    child = response.json()["child"]
    assert (child["ethnic_group"], child["ethnicity_as_written"]) == ("03", "")
    refused = api_for(world.officer).post(
        "/api/v1/cases/",
        {"commune": world.commune.code, "child": {"full_name": "X", "ethnic_group": "Thái"}},
        format="json",
    )
    assert refused.status_code == 400
    assert "child.ethnic_group" in refused.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Kinh", "01"),
        ("kinh", "01"),
        ("Dân tộc Tày", "02"),
        ("H'Mông", "08"),
        ("Mông", "08"),
        ("Khmer", "05"),
        ("Ê Đê", "12"),
        ("Bru - Vân Kiều", "23"),
        ("Thai", "03"),
    ],
)
def test_the_migration_matches_what_was_written(world, written, code):
    Child.objects.filter(pk=world.case.child_id).update(ethnicity=written, ethnic_group="")
    MIGRATION.forward(apps, None)
    child = Child.objects.get(pk=world.case.child_id)
    assert (child.ethnic_group, child.ethnicity) == (code, "")


def test_the_migration_keeps_what_matches_nothing_to_be_chosen(world, client_for):
    Child.objects.filter(pk=world.case.child_id).update(ethnicity="Người nước ngoài")
    MIGRATION.forward(apps, None)
    child = Child.objects.get(pk=world.case.child_id)
    assert (child.ethnic_group, child.ethnicity) == ("", "Người nước ngoài")
    page = client_for("officer").get(reverse("cases:detail", args=[world.case.public_id]))
    cell = page.content.decode().split('id="ethnic-group"')[1].split("</dd>")[0]
    assert "Người nước ngoài" in cell
    assert "unmatched" in cell


def test_the_age_at_the_incident_is_taken_on_the_receipt_and_kept(world):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=VN), tick=False):
        case = services.case_create(
            commune=world.commune,
            child={"full_name": "Đinh Văn Khải", "date_of_birth": datetime.date(2016, 3, 10)},
        )
    assert (case.child_age_at_incident, case.child_age_estimated) == (9, False)
    # A year on, the child is 10 (and 11 the year after); the case still says 9.
    with time_machine.travel(datetime.datetime(2027, 6, 1, 9, 0, tzinfo=VN), tick=False):
        assert Case.objects.get(pk=case.pk).child.age == 11
    assert Case.objects.get(pk=case.pk).child_age_at_incident == 9


def test_an_estimated_age_is_flagged(world):
    case = services.case_create(
        commune=world.commune, child={"full_name": "Bé Na", "estimated_age": 6}
    )
    assert (case.child_age_at_incident, case.child_age_estimated) == (6, True)


def test_correcting_the_birth_date_corrects_the_age_at_the_incident(world):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=VN), tick=False):
        case = services.case_create(
            commune=world.commune, child={"full_name": "Bé Na", "estimated_age": 6}
        )
        case = services.case_update_child(
            actor=world.officer,
            case=case,
            expected_version=case.version,
            changes={"date_of_birth": datetime.date(2018, 2, 1)},
        )
    case.refresh_from_db()
    assert (case.child_age_at_incident, case.child_age_estimated) == (8, False)


def test_an_incident_dates_the_age(world):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=VN), tick=False):
        first = services.case_create(
            commune=world.commune,
            child={"full_name": "Anh", "date_of_birth": datetime.date(2016, 3, 5)},
        )
    with time_machine.travel(datetime.datetime(2026, 3, 20, 9, 0, tzinfo=VN), tick=False):
        second = services.case_create(
            commune=world.commune,
            child={"full_name": "Em", "date_of_birth": datetime.date(2016, 3, 10)},
        )
        assert second.child_age_at_incident == 10
        services.case_link_incident(actor=world.officer, case=first, other=second, title="Vụ 1")
    second.refresh_from_db()
    # The incident happened on 1 March, before the second child's birthday.
    assert second.child_age_at_incident == 9


def test_the_api_says_the_age_at_the_incident(world):
    body = api_for(world.officer).get(f"/api/v1/cases/{world.case.public_id}/").json()
    assert "child_age_at_incident" in body
    assert body["child_age_estimated"] in (True, False)
