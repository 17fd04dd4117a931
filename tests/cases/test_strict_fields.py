"""One rule for keys an API input does not accept (config.api.StrictFieldsMixin)."""

from __future__ import annotations

from cases.models import Case
from tests.cases.test_case_api import api_for
from tests.hotline.test_intake_api import post_call

REFUSED = ["Trường này không được chấp nhận ở đây."]


def _fields(response) -> dict:
    assert response.status_code == 400
    return response.json()["error"]["fields"]


def test_every_api_refuses_an_unknown_key_by_name_in_the_same_words(world):
    before = Case.objects.count()
    opened = api_for(world.officer).post(
        "/api/v1/cases/",
        {"commune": world.commune.code, "child": {"full_name": "Trẻ"}, "secret": 1},
        format="json",
        headers={"Accept-Language": "vi"},
    )
    assert _fields(opened)["secret"] == REFUSED
    assert Case.objects.count() == before
    step = api_for(world.officer).post(
        f"/api/v1/cases/{world.case.public_id}/transitions/",
        {"step": "mark_not_substantiated", "reason": "Không có", "status": "closed"},
        format="json",
        headers={"Accept-Language": "vi"},
    )
    assert _fields(step)["status"] == REFUSED
    call = post_call(world, headers={"Accept-Language": "vi"}, secret="x")
    assert _fields(call)["secret"] == REFUSED
