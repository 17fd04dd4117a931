"""The cases API: same door as the pages, same 404 for what a user may not see."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.cases.test_access import VISIBLE


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_the_list_returns_exactly_the_visible_cases(world, persona):
    response = api_for(world.users[persona]).get("/api/v1/cases/")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {str(getattr(world, name).public_id) for name in VISIBLE[persona]}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
@pytest.mark.parametrize("case_name", ["case", "other_case", "far_case"])
def test_detail_answers_200_or_404(world, persona, case_name):
    case = getattr(world, case_name)
    response = api_for(world.users[persona]).get(f"/api/v1/cases/{case.public_id}/")
    if case_name in VISIBLE[persona]:
        assert response.status_code == 200
        assert response.json()["number"] == case.number
        assert response.json()["commune"]["code"] == case.commune.code
    else:
        assert response.status_code == 404
        assert response.json()["error"]["status"] == 404
        assert case.child_name not in response.content.decode()


def test_a_malformed_id_is_not_found_not_a_crash(world):
    response = api_for(world.officer).get("/api/v1/cases/not-a-uuid-at-all-not-a-uuid-at-all00/")
    assert response.status_code == 404
    response = api_for(world.officer).get(f"/api/v1/cases/{uuid.uuid4()}/")
    assert response.status_code == 404


def test_anonymous_requests_get_the_error_shape(world):
    response = APIClient().get("/api/v1/cases/")
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) == {"status", "code", "message", "fields"}


def test_the_child_name_is_not_a_field_of_the_record(world):
    client = api_for(world.officer)
    response = client.patch(
        f"/api/v1/cases/{world.case.public_id}/",
        {"child_name": "X"},
        format="json",
        HTTP_IF_MATCH=f'"{world.case.version}"',
    )
    assert response.status_code == 400
    assert "child_name" in response.json()["error"]["fields"]
    world.case.refresh_from_db()
    assert world.case.child_name == "Nguyễn Văn An"


def test_token_authentication_works_with_drf_create_token(world):
    call_command("drf_create_token", "officer", verbosity=0)
    token = Token.objects.get(user=world.officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(f"/api/v1/cases/{world.case.public_id}/")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/v1/cases/").status_code == 401


def test_the_list_is_paginated(world):
    from tests.factories import make_case

    for index in range(55):
        make_case(world.commune, f"Trẻ {index}")
    body = api_for(world.officer).get("/api/v1/cases/").json()
    assert body["count"] == 56
    assert len(body["results"]) == 50
    assert body["next"]


def test_the_list_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    from tests.factories import make_case

    for index in range(30):
        make_case(world.commune, f"Trẻ {index}")
    client = api_for(world.supervisor)
    # 6 (issue #11 guard): memberships, the user's grants, one page of cases joined to communes
    # and provinces, the trail's append, the capped count; shares are asked only for rows
    # jurisdiction does not cover (none here).
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/cases/")
    assert response.status_code == 200


def test_the_schema_and_its_ui_are_served(world):
    client = api_for(world.officer)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/cases/" in schema.content
    assert b"/api/v1/me/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
