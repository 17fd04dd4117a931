"""One commune-code field for every API (accounts.serializers.CommuneCodeField)."""

from __future__ import annotations

import json

import pytest

from cases.models import Case
from tests.cases.test_case_api import api_for


@pytest.mark.parametrize(
    ("commune", "problem"),
    [
        ("\ud800", "nhập mã xã chính thức"),  # a lone surrogate, sent as the JSON escape \ud800
        (True, "nhập mã xã chính thức"),
        ({"code": "1"}, "nhập mã xã chính thức"),
        ("   ", "nhập mã xã chính thức"),
        ("99999999", "Không có xã nào hiện hành"),
    ],
)
def test_a_bad_commune_code_is_a_400_naming_the_field_in_vietnamese(world, commune, problem):
    body = json.dumps({"commune": commune, "child": {"full_name": "Trẻ"}}, ensure_ascii=True)
    before = Case.objects.count()
    response = api_for(world.officer).post(
        "/api/v1/cases/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert problem in " ".join(fields["commune"])
    assert Case.objects.count() == before


def test_a_good_commune_code_opens_the_case_there(world):
    body = {"commune": world.commune.code, "child": {"full_name": "Trẻ"}}
    response = api_for(world.officer).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201
    assert response.json()["commune"]["code"] == world.commune.code
