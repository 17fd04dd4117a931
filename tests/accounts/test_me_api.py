from __future__ import annotations

from rest_framework.test import APIClient


def test_me_returns_the_user_their_roles_and_areas(world):
    client = APIClient()
    client.force_authenticate(world.supervisor)
    body = client.get("/api/v1/me/").json()
    assert body["username"] == "supervisor"
    assert body["id"] == str(world.supervisor.public_id)
    assert body["roles"] == ["supervisor"]
    [membership] = body["memberships"]
    assert membership["organisation"]["kind"] == "provincial_health"
    assert membership["area"] == {
        "code": world.province.code,
        "name": world.province.name,
        "level": "province",
    }


def test_me_lists_several_roles(world):
    from accounts.services import membership_grant
    from tests.factories import Role

    membership_grant(user=world.officer, organisation=world.committee, role=Role.COLLABORATOR)
    client = APIClient()
    client.force_authenticate(world.officer)
    body = client.get("/api/v1/me/").json()
    assert body["roles"] == ["collaborator", "cp_officer"]
    assert len(body["memberships"]) == 2


def test_the_hotline_has_no_area(world):
    client = APIClient()
    client.force_authenticate(world.hotline)
    [membership] = client.get("/api/v1/me/").json()["memberships"]
    assert membership["area"] is None


def test_me_needs_a_login(db):
    response = APIClient().get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()
