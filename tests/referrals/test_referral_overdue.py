"""
Referral overdue, the one rule (referrals.models.ReferralQuerySet): a referral is overdue when it
is sent and now > acknowledge_due_at, or when it is acknowledged or accepted, has no update of
kind feedback, and now > feedback_due_at; nothing else is overdue. Every reader asks it: the
inbox page and the home counts, the API's `overdue` field and its `?overdue=` filter.
"""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from referrals import services
from referrals.models import Referral, ReferralUpdate

URL = "/api/v1/referrals/"
# A Monday morning in Vietnam; every referral is sent at this moment, on a stopped clock.
SENT_AT = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
ACK_DUE = SENT_AT + datetime.timedelta(hours=1)
FEEDBACK_DUE = SENT_AT + datetime.timedelta(days=2)
INSTANT = datetime.timedelta(microseconds=1)

OPEN_WITHOUT_FEEDBACK = ("acknowledged", "accepted", "accepted_action_only")
OPEN_WITH_FEEDBACK = ("acknowledged_feedback", "accepted_feedback")
NEVER = (
    *OPEN_WITH_FEEDBACK,
    "declined",
    "declined_acknowledged",
    "completed",
    "revoked",
    "revoked_acknowledged",
)

# (moment, the referrals overdue at that moment)
MOMENTS = [
    (SENT_AT, set()),
    (ACK_DUE - INSTANT, set()),
    (ACK_DUE, set()),  # due at this very moment: not yet late
    (ACK_DUE + INSTANT, {"sent"}),
    (FEEDBACK_DUE - INSTANT, {"sent"}),
    (FEEDBACK_DUE, {"sent"}),
    (FEEDBACK_DUE + INSTANT, {"sent", *OPEN_WITHOUT_FEEDBACK}),
    (FEEDBACK_DUE + datetime.timedelta(days=365), {"sent", *OPEN_WITHOUT_FEEDBACK}),
]


@pytest.fixture
def clock():
    with time_machine.travel(SENT_AT, tick=False) as traveller:
        yield traveller


def _feedback(referral: Referral, world, kind: str = ReferralUpdate.Kind.FEEDBACK) -> None:
    ReferralUpdate.objects.create(
        referral=referral, kind=kind, text="Đã báo lại", author=world.school
    )


@pytest.fixture
def referrals(world, clock) -> dict[str, Referral]:
    """One referral to the school in each state the rule tells apart, all due at the same times."""
    school, officer = world.school, world.officer
    made: dict[str, Referral] = {}

    def send(name: str) -> Referral:
        made[name] = services.referral_send(
            actor=officer,
            case=world.case,
            organisation=world.school_org,
            purpose="s_education",
            message=f"Đề nghị ({name})",
        )
        return made[name]

    def acknowledged(name: str) -> Referral:
        return services.referral_acknowledge(actor=school, referral=send(name))

    def accepted(name: str) -> Referral:
        return services.referral_accept(actor=school, referral=acknowledged(name))

    send("sent")
    acknowledged("acknowledged")
    # Feedback is only given once accepted (the service), but the rule looks at the update alone.
    _feedback(acknowledged("acknowledged_feedback"), world)
    accepted("accepted")
    _feedback(accepted("accepted_action_only"), world, kind=ReferralUpdate.Kind.ACTION)
    services.referral_update_add(
        actor=school, referral=accepted("accepted_feedback"), kind="feedback", text="Em ổn"
    )
    services.referral_decline(actor=school, referral=send("declined"), reason="Không phù hợp")
    services.referral_decline(
        actor=school, referral=acknowledged("declined_acknowledged"), reason="Không phù hợp"
    )
    services.referral_complete(actor=officer, referral=accepted("completed"))
    services.referral_revoke(actor=officer, referral=send("revoked"), reason="Gửi nhầm")
    services.referral_revoke(
        actor=officer, referral=acknowledged("revoked_acknowledged"), reason="Gửi nhầm"
    )
    Referral.objects.filter(pk__in=[r.pk for r in made.values()]).update(
        acknowledge_due_at=ACK_DUE, feedback_due_at=FEEDBACK_DUE
    )
    assert set(made) == {"sent", *OPEN_WITHOUT_FEEDBACK, *NEVER}
    return made


def _names(referrals: dict[str, Referral], queryset) -> set[str]:
    by_pk = {r.pk: name for name, r in referrals.items()}
    return {by_pk[pk] for pk in queryset.values_list("pk", flat=True)}


# ---------------------------------------------------------------------------------------------
# The queryset


@pytest.mark.parametrize(("moment", "expected"), MOMENTS)
def test_the_queryset_states_the_rule(referrals, moment, expected, django_assert_num_queries):
    every = Referral.objects.filter(pk__in=[r.pk for r in referrals.values()])
    # Each referral is in the state its name begins with ("accepted_feedback": accepted).
    statuses = dict(every.values_list("pk", "status"))
    assert {name: statuses[r.pk] for name, r in referrals.items()} == {
        name: name.split("_")[0] for name in referrals
    }
    with django_assert_num_queries(1):
        flags = {r.pk: r.is_overdue for r in every.with_overdue(moment)}
    by_pk = {r.pk: name for name, r in referrals.items()}
    assert {by_pk[pk] for pk, late in flags.items() if late} == expected
    assert all(isinstance(late, bool) for late in flags.values())
    assert _names(referrals, every.overdue(moment)) == expected
    assert _names(referrals, every.not_overdue(moment)) == set(referrals) - expected
    # The annotation rides along with the filters (the API reads it for the `overdue` field).
    assert all(r.is_overdue for r in every.overdue(moment))
    assert not any(r.is_overdue for r in every.not_overdue(moment))


def test_the_queryset_reads_the_clock_when_not_told_the_moment(referrals, clock):
    every = Referral.objects.filter(pk__in=[r.pk for r in referrals.values()])
    assert _names(referrals, every.overdue()) == set()
    clock.move_to(ACK_DUE + INSTANT)
    assert _names(referrals, every.overdue()) == {"sent"}
    clock.move_to(FEEDBACK_DUE + INSTANT)
    assert _names(referrals, every.overdue()) == {"sent", *OPEN_WITHOUT_FEEDBACK}
    assert _names(referrals, every.not_overdue()) == set(NEVER)


def test_a_late_acknowledgement_no_longer_counts_once_acknowledged(referrals):
    """Acknowledged after its acknowledgement was due: only the feedback's date counts now."""
    late = referrals["acknowledged"]
    Referral.objects.filter(pk=late.pk).update(acknowledge_due_at=SENT_AT - INSTANT)
    assert not Referral.objects.with_overdue(ACK_DUE + INSTANT).get(pk=late.pk).is_overdue


# ---------------------------------------------------------------------------------------------
# Every reader agrees


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    payload = response.json()
    assert payload["count"] == len(payload["results"])
    return {row["id"] for row in payload["results"]}


def _page_groups(body: str) -> dict[str, set[str]]:
    groups = {}
    for key in ("overdue", "sent", "acknowledged", "accepted"):
        section = body.split(f'id="group-{key}"')[1].split("</section>")[0]
        groups[key] = set(re.findall(r'data-referral="([0-9a-f-]+)"', section))
    return groups


def _home_counts(body: str) -> dict[str, int]:
    section = body.split('id="referral-inbox"')[1].split("</section>")[0]
    return {key: int(n) for key, n in re.findall(r'data-group="(\w+)" data-count="(\d+)"', section)}


@pytest.mark.parametrize(("moment", "expected"), MOMENTS[2:4] + MOMENTS[6:7])
def test_the_page_the_api_and_the_home_counts_agree(
    world, client_for, referrals, clock, moment, expected
):
    clock.move_to(moment)
    ids = {name: str(r.public_id) for name, r in referrals.items()}
    overdue = {ids[name] for name in expected}
    open_ids = {ids[name] for name in ("sent", *OPEN_WITHOUT_FEEDBACK, *OPEN_WITH_FEEDBACK)}
    everyone = set(ids.values())

    # The inbox page: the overdue ones under overdue only, each marked.
    body = client_for("school").get(reverse("referrals:inbox")).content.decode()
    groups = _page_groups(body)
    assert groups["overdue"] == overdue
    assert set().union(*groups.values()) == open_ids
    marked = set(re.findall(r'data-referral="([0-9a-f-]+)"[^>]*class="state-overdue"', body))
    assert marked == overdue

    # The home page's counts of the same inbox.
    home = client_for("school").get(reverse("home")).content.decode()
    assert _home_counts(home) == {key: len(rows) for key, rows in groups.items()}

    # The school keeps the record of its ended referrals; the officer holds the case.
    for user in (world.school, world.officer):
        api = _api(user)
        # The `overdue` field, in the list and on each referral.
        rows = api.get(URL).json()["results"]
        assert {row["id"] for row in rows} == everyone
        assert {row["id"] for row in rows if row["overdue"]} == overdue
        for name in ("sent", "accepted", "accepted_feedback", "completed"):
            assert api.get(f"{URL}{ids[name]}/").json()["overdue"] is (ids[name] in overdue)
        # The `?overdue=` filter.
        assert _ids(api.get(URL, {"overdue": "1"})) == overdue
        assert _ids(api.get(URL, {"overdue": "0"})) == everyone - overdue
        filtered = api.get(URL, {"overdue": "true"}).json()["results"]
        assert all(row["overdue"] for row in filtered)
        filtered = api.get(URL, {"overdue": "false"}).json()["results"]
        assert not any(row["overdue"] for row in filtered)

    inbox = _api(world.school)
    assert _ids(inbox.get(URL, {"box": "inbox", "overdue": "1"})) == overdue
    assert _ids(inbox.get(URL, {"box": "inbox", "overdue": "0"})) == open_ids - overdue
