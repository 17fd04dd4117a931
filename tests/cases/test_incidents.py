"""Several children harmed together: one case each, linked by an incident."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services
from cases.models import Case, Incident
from tests.factories import make_case


def test_two_cases_join_one_incident_and_a_third_joins_it_too(world):
    sibling = make_case(world.commune, "Nguyễn Văn Bình")
    incident = services.case_link_incident(
        actor=world.officer, case=world.case, other=sibling, title="Bạo lực tại gia đình ông A"
    )
    third = make_case(world.commune, "Nguyễn Thị Cúc")
    again = services.case_link_incident(actor=world.officer, case=third, other=sibling)
    assert again == incident
    assert set(Case.objects.filter(incident=incident)) == {world.case, sibling, third}


def test_a_new_incident_needs_a_name_and_a_visible_case(world):
    sibling = make_case(world.commune, "Nguyễn Văn Bình")
    with pytest.raises(ValidationError) as error:
        services.case_link_incident(actor=world.officer, case=world.case, other=sibling)
    assert "title" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.case_link_incident(
            actor=world.officer, case=world.case, other=world.far_case, title="x"
        )
    assert "other" in error.value.message_dict
    assert not Incident.objects.exists()


def test_only_the_officer_links_cases(world):
    sibling = make_case(world.commune, "Nguyễn Văn Bình")
    with pytest.raises(services.StepNotPermitted):
        services.case_link_incident(actor=world.chairman, case=world.case, other=sibling, title="x")


def test_the_case_page_links_by_number_and_shows_the_other_children(world, client_for):
    sibling = make_case(world.commune, "Nguyễn Văn Bình")
    client = client_for("officer")
    url = reverse("cases:incident-link", args=[world.case.public_id])
    refused = client.post(url, {"other_number": world.far_case.number, "title": "Vụ A"})
    assert refused.status_code == 400
    assert 'id="error-other_number"' in refused.content.decode() or refused.context[
        "form"
    ].errors.get("other_number")
    response = client.post(url, {"other_number": sibling.number, "title": "Vụ A"})
    assert response.status_code == 302
    page = client.get(reverse("cases:detail", args=[world.case.public_id])).content.decode()
    assert sibling.number in page
    assert "Vụ A" in page
    assert client_for("officer2").get(url).status_code == 404
    assert client_for("chairman").get(url).status_code == 403
