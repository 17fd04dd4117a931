"""
docs/DESIGN.md §4 with referrals added (issue #5), proven against a plain-Python oracle.

Hypothesis generates a small world (two provinces, three communes, each commune's committee
with its officer, a chairman, a provincial supervisor, receiving organisations of random kinds
near or far, sector staff with one or more memberships, some inactive) and a sequence of
referral operations in any order (send, acknowledge, accept, decline, add an update, complete,
revoke, withdraw the consent relied on), mixed with the case endings that end its referrals
(issue #13: mark the case not substantiated, merge it into another case, transfer it to
another commune, end it otherwise, e.g. the child died), each attempted by a chosen actor:
mostly the one who may, sometimes anyone. Each referral operation is run through
referrals.services, each ending through cases.services, and each through the oracle below;
both must agree on whether it is refused and why, and a refused operation must change nothing.
An ending ends every open referral of the case at once (revoked, with a reason), their shares
with them, and tells each of the organisation's staff by a notice about the referral, not the
case; a transfer moves the case to the new commune's jurisdiction; a case that is no longer
open is referred no more. After the sequence, for every user and case, the one door
(`cases_visible_to`, `case_permissions`, `can`) and the allow-listed summary
(`cases.hooks.summary_fields_for`) must be what the oracle says, and so must each case's state
and commune, the referrals each user sees and answers, and the notices of ended referrals each
user has.

The oracle is written from docs/DESIGN.md §2, §4, §5, §7 and the issues' text, not from the
code: it shares no code with the implementation, only the names of roles, kinds, statuses and
permissions, and it states the allow-lists per sector as data of its own. Its unit tests at the
end run it on hand-made histories; one of them re-runs the property against a deliberately
broken service (a share kept after its referral ended) and expects the property to fail. (The
case's close is not generated: it needs the whole Decree 56 workflow up to a review; closed
cases are made directly instead.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from unittest import mock

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, Phase, event, find, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Membership, Organisation, Role, User
from accounts.services import user_groups_sync
from cases import services as case_services
from cases.access import can, case_permissions, cases_visible_to
from cases.hooks import summary_fields_for
from cases.models import (
    Case,
    CaseDeadline,
    CaseGroupObjectPermission,
    CaseTransition,
    CaseUserObjectPermission,
    ConsentRecord,
    Notification,
)
from cases.selectors import notifications_for
from referrals import services
from referrals.models import Referral, ReferralGroupObjectPermission, ReferralUpdate
from referrals.selectors import referral_inbox_for, referrals_visible_to
from tests.factories import CommuneFactory, ProvinceFactory, make_case, make_user

# ---------------------------------------------------------------------------------------------
# The oracle: docs/DESIGN.md §2/§4/§7 in plain Python

RECEIVING = ["school", "health_facility", "police", "court", "social_protection", "ngo"]
OPEN = ("sent", "acknowledged", "accepted")
VIEW, SUMMARY = "view_case", "view_case_summary"

# The officer owns the commune's cases (assesses, intervenes in an emergency, Decree 56
# Art. 31(3), plans, refers, transfers); the chairman approves and closes; the provincial
# supervisor oversees and prints. A referral grants the summary only, and a police unit's the
# emergency intervention besides (Decree 56 Art. 31(4)).
OFFICER = {
    VIEW,
    SUMMARY,
    "change_case",
    "assess_case",
    "intervene_case",
    "plan_case",
    "refer_case",
    "print_case",
    "transfer_case",
}
CHAIRMAN = {VIEW, SUMMARY, "approve_plan", "decide_emergency", "print_case", "close_case"}
SUPERVISOR = {VIEW, SUMMARY, "print_case"}
PROVINCE_OF_COMMUNE = [0, 0, 1]

# What each sector sees of a case (the issue: the child's basic details, and what its sector
# needs; a school never the medical narrative; the police the incident facts; the reporter only
# where an investigation needs it, and only if the reporter agreed). Labels as the user reads
# them in English.
LABELS = {
    "number": "Case number",
    "child_name": "Child",
    "sex": "Sex",
    "age": "Age",
    "residence_commune": "Commune of residence",
    "school": "School",
    "carers": "Carers",
    "protection_level": "Protection level",
    "abuse_forms": "Forms of abuse",
    "sexual_abuse_types": "Forms of sexual abuse",
    "abuse_settings": "Setting",
    "incident_place": "Place of the incident",
    "incident_commune": "Commune of the incident",
    "child_condition": "Current condition of the child",
    "family_situation": "Family situation",
    "current_carer": "Current carer",
    "child_location": "Where the child is now",
    "alleged_perpetrators": "Alleged perpetrators",
    "perpetrators": "Alleged perpetrators: relation, sex, age band",
    "reporter": "Reporter (agreed to be identified)",
}
BASICS = {"number", "child_name", "sex", "age", "residence_commune"}
ALLOWED = {
    "school": BASICS | {"school", "carers", "protection_level"},
    "health_facility": BASICS
    | {"carers", "abuse_forms", "sexual_abuse_types", "child_condition", "current_carer"},
    "police": BASICS
    | {
        "abuse_forms",
        "sexual_abuse_types",
        "abuse_settings",
        "incident_place",
        "incident_commune",
        "alleged_perpetrators",
        "perpetrators",
        "current_carer",
        "reporter",
    },
    "court": BASICS
    | {"abuse_forms", "family_situation", "current_carer", "alleged_perpetrators", "reporter"},
    "social_protection": BASICS
    | {"carers", "current_carer", "family_situation", "child_location", "protection_level"},
    "ngo": BASICS | {"protection_level"},
}
PURPOSE_LABEL, MESSAGE_LABEL = "Referral purpose", "Message"

OK, FORBIDDEN, STATE, INVALID = "ok", "forbidden", "state", "invalid"

# The case's life cycle as far as referrals care (docs/DESIGN.md §5, issue #13): a case is open
# until it is closed, found not substantiated, merged or ended otherwise (the child turned 16,
# died, moved away, continues under another authority); only an open case is referred. A report
# is found not substantiated on receipt or after the initial assessment; an open case may be
# transferred, merged or ended otherwise. The officer assesses (not substantiated), transfers
# and changes the record (merge); the chairman closes, and so ends a case otherwise.
FINISHED = ("closed", "not_substantiated", "merged", "ended")
NOT_SUBSTANTIATED_FROM = ("received", "initial_assessed")
HOW_A_CASE_ENDS_OTHERWISE = ("turned_16", "died", "moved_away", "other_authority")
ENDINGS = ("not_substantiated", "merge", "transfer", "end_otherwise")
ENDED_NOTICE = "referral_ended"


def medical(case_index: int) -> str:
    return f"Bệnh án số {case_index}: gãy xương tay, sang chấn tâm lý"


def case_values(case_index: int) -> dict[str, str]:
    """The distinct text each case carries in the fields whose values the oracle checks."""
    return {
        "child_condition": medical(case_index),
        "incident_place": f"Nơi xảy ra số {case_index}",
        "family_situation": f"Hoàn cảnh gia đình số {case_index}",
        "current_carer": f"Bà ngoại số {case_index}",
        "child_location": f"Nhà tạm lánh số {case_index}",
        "school": f"Trường Tiểu học số {case_index}",
    }


def reporter_name(case_index: int) -> str:
    return f"Người báo tin số {case_index}"


@dataclass
class Org:
    kind: str
    place: tuple[str, int]  # ("commune", 0..2) or ("province", 0..1)
    active: bool = True


@dataclass
class Person:
    active: bool = True
    officer_of: set[int] = field(default_factory=set)  # communes
    chairman_of: set[int] = field(default_factory=set)  # communes
    supervisor_of: set[int] = field(default_factory=set)  # provinces
    sector: dict[int, bool] = field(default_factory=dict)  # organisation -> membership active


@dataclass
class CaseSpec:
    commune: int  # the commune that holds the case now (a transfer moves it)
    status: str = "received"
    reporter_consent: bool = False

    @property
    def province(self) -> int:
        return PROVINCE_OF_COMMUNE[self.commune]

    @property
    def open(self) -> bool:
        return self.status not in FINISHED


@dataclass
class Ref:
    case: int
    org: int
    message: str
    status: str = "sent"
    consent: int | None = None


@dataclass
class Consent:
    case: int
    kinds: set[str]
    withdrawn: bool = False


@dataclass
class Model:
    orgs: list[Org]
    people: list[Person]
    cases: list[CaseSpec]
    referrals: list[Ref] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    notices: list[tuple[int, int]] = field(default_factory=list)  # (person, referral) ended

    # --- who holds what

    def jurisdiction(self, p: int, c: int) -> set[str]:
        person, case = self.people[p], self.cases[c]
        if not person.active:
            return set()
        perms: set[str] = set()
        if case.commune in person.officer_of:
            perms |= OFFICER
        if case.commune in person.chairman_of:
            perms |= CHAIRMAN
        if case.province in person.supervisor_of:
            perms |= SUPERVISOR
        return perms

    def works_for(self, p: int, o: int) -> bool:
        """An active user with an active sector-staff membership of an active organisation."""
        person = self.people[p]
        return person.active and person.sector.get(o) is True and self.orgs[o].active

    def open_referrals_for(self, p: int, c: int) -> list[Ref]:
        return [
            r
            for r in self.referrals
            if r.case == c and r.status in OPEN and self.works_for(p, r.org)
        ]

    def permissions(self, p: int, c: int) -> set[str]:
        if not self.people[p].active:
            return set()
        perms = self.jurisdiction(p, c)
        referrals = self.open_referrals_for(p, c)
        if referrals:
            perms |= {SUMMARY}  # the summary only, never the whole file
        if any(self.orgs[r.org].kind == "police" for r in referrals):
            # The police unit working the case records the intervention (Art. 31(4)).
            perms |= {"intervene_case"}
        return perms

    def summary(self, p: int, c: int) -> tuple[set[str], list[Ref]] | None:
        """The allow-listed fields this user sees as a recipient, or None (whole file, nothing)."""
        if VIEW in self.permissions(p, c):
            return None
        referrals = self.open_referrals_for(p, c)
        if not referrals:
            return None
        kinds = {self.orgs[r.org].kind for r in referrals}
        return kinds, referrals

    def sees_referral(self, p: int, r: int) -> bool:
        """The case's holders see its referrals; the recipient keeps sight of the record."""
        ref = self.referrals[r]
        return VIEW in self.jurisdiction(p, ref.case) or self.works_for(p, ref.org)

    def answers_referral(self, p: int, r: int) -> bool:
        ref = self.referrals[r]
        return ref.status in OPEN and self.works_for(p, ref.org)

    def near(self, o: int, c: int) -> bool:
        kind, index = self.orgs[o].place
        case = self.cases[c]
        if kind == "province":
            return index == case.province
        return index == case.commune or PROVINCE_OF_COMMUNE[index] == case.province

    # --- the operations: the outcome, and the change when it is allowed

    def send(self, p: int, c: int, o: int, message: str, consent: int | None) -> str:
        if "refer_case" not in self.jurisdiction(p, c):
            return FORBIDDEN
        if not self.cases[c].open:
            return STATE
        org = self.orgs[o]
        if not org.active or org.kind not in RECEIVING or not self.near(o, c):
            return INVALID
        if org.kind == "ngo":  # no statutory duty: consent of the child and the family
            record = self.consents[consent] if consent is not None else None
            if record is None or record.withdrawn or org.kind not in record.kinds:
                return INVALID
        self.referrals.append(Ref(case=c, org=o, message=message, consent=consent))
        return OK

    def _answer(self, p: int, r: int, states: tuple[str, ...]) -> str:
        ref = self.referrals[r]
        if not self.works_for(p, ref.org):
            return FORBIDDEN
        if ref.status not in states:
            return STATE
        return OK

    def acknowledge(self, p: int, r: int) -> str:
        outcome = self._answer(p, r, ("sent",))
        if outcome == OK:
            self.referrals[r].status = "acknowledged"
        return outcome

    def accept(self, p: int, r: int) -> str:
        outcome = self._answer(p, r, ("acknowledged",))
        if outcome == OK:
            self.referrals[r].status = "accepted"
        return outcome

    def decline(self, p: int, r: int, reason: str) -> str:
        outcome = self._answer(p, r, ("sent", "acknowledged"))
        if outcome == OK and not reason.strip():
            return INVALID
        if outcome == OK:
            self.referrals[r].status = "declined"
        return outcome

    def update(self, p: int, r: int) -> str:
        return self._answer(p, r, ("accepted",))

    def _close(self, p: int, r: int, states: tuple[str, ...]) -> str:
        ref = self.referrals[r]
        if "refer_case" not in self.jurisdiction(p, ref.case):
            return FORBIDDEN
        if ref.status not in states:
            return STATE
        return OK

    def complete(self, p: int, r: int) -> str:
        outcome = self._close(p, r, ("accepted",))
        if outcome == OK:
            self.referrals[r].status = "completed"
        return outcome

    def revoke(self, p: int, r: int, reason: str) -> str:
        outcome = self._close(p, r, OPEN)
        if outcome == OK and not reason.strip():
            return INVALID
        if outcome == OK:
            self.referrals[r].status = "revoked"
        return outcome

    def withdraw(self, p: int, k: int) -> str:
        record = self.consents[k]
        if "change_case" not in self.jurisdiction(p, record.case):
            return FORBIDDEN
        if record.withdrawn:
            return STATE
        record.withdrawn = True
        for ref in self.referrals:  # sharing that relied on it stops at once
            if ref.consent == k and ref.status in OPEN:
                ref.status = "revoked"
        return OK

    # --- the case endings (issue #13): the case needs no one else any more

    def _end_referrals_of(self, c: int) -> None:
        """Every open referral of the case ends at once, and so its share; its staff are told."""
        for r, ref in enumerate(self.referrals):
            if ref.case == c and ref.status in OPEN:
                ref.status = "revoked"
                self.notices.extend(
                    (p, r) for p in range(len(self.people)) if self.works_for(p, ref.org)
                )

    def not_substantiated(self, p: int, c: int, reason: str) -> str:
        case = self.cases[c]
        if "assess_case" not in self.jurisdiction(p, c):
            return FORBIDDEN
        if case.status not in NOT_SUBSTANTIATED_FROM:
            return STATE
        if not reason.strip():
            return INVALID
        case.status = "not_substantiated"
        self._end_referrals_of(c)
        return OK

    def merge(self, p: int, c: int, into: int, reason: str) -> str:
        """Merge a duplicate into an open case the actor reads in full."""
        if "change_case" not in self.jurisdiction(p, c):
            return FORBIDDEN
        if not self.cases[c].open:
            return STATE
        if into == c or VIEW not in self.permissions(p, into) or not self.cases[into].open:
            return INVALID
        if not reason.strip():
            return INVALID
        self.cases[c].status = "merged"
        self._end_referrals_of(c)
        return OK

    def end_otherwise(self, p: int, c: int, ending: str) -> str:
        """The chairman records how the case ended, other than by an Art. 30 closure."""
        if "close_case" not in self.jurisdiction(p, c):
            return FORBIDDEN
        if not self.cases[c].open:
            return STATE
        if ending not in HOW_A_CASE_ENDS_OTHERWISE:
            return INVALID
        self.cases[c].status = "ended"
        self._end_referrals_of(c)
        return OK

    def transfer(self, p: int, c: int, commune: int, reason: str) -> str:
        """The case moves to another commune (and its province) with its state kept."""
        case = self.cases[c]
        if "transfer_case" not in self.jurisdiction(p, c):
            return FORBIDDEN
        if not case.open:
            return STATE
        if commune == case.commune or not reason.strip():
            return INVALID
        self._end_referrals_of(c)
        case.commune = commune
        return OK


# ---------------------------------------------------------------------------------------------
# Strategies, weighted so that most operations are valid and the life cycle gets far

mostly_true = st.sampled_from([True, True, True, True, False])
PLACES = [
    ("commune", 0),
    ("commune", 0),
    ("commune", 1),
    ("province", 0),
    ("commune", 2),
    ("province", 1),
]
org_st = st.tuples(st.sampled_from([*RECEIVING, "ngo"]), st.sampled_from(PLACES), mostly_true)
person_st = st.tuples(
    mostly_true,  # the user is active
    st.lists(st.tuples(st.integers(0, 5), mostly_true), min_size=1, max_size=2),  # memberships
    st.sampled_from([None, None, None, None, 0, 1, 2]),  # also the officer of a commune
)
case_st = st.tuples(
    st.sampled_from([0, 0, 1, 1, 2]),  # the commune
    st.sampled_from(["received"] * 5 + ["closed"]),  # the state it starts in
    st.booleans(),  # the reporter agreed to be identified
)
OPERATIONS = (
    ["advance"] * 8
    + ["send"] * 3
    + ["acknowledge"] * 3
    + ["accept"] * 3
    + ["update"] * 2
    + ["complete"] * 2
    + ["decline", "revoke", "withdraw"]
    + list(ENDINGS)  # rarely: each ends the case's referrals
)
op_st = st.tuples(
    st.sampled_from(OPERATIONS),
    st.sampled_from([-1, -1, -1, 0, 1, 2]),  # which referral (-1: the latest) or case
    st.integers(0, 5),  # which organisation, for a send
    st.sampled_from(["right"] * 5 + ["any"]),  # the actor who may act, or anyone
    st.integers(0, 20),  # which actor
    st.sampled_from([True] * 5 + [False]),  # a consent / a reason / feedback (not action)
)
WORLD = {
    "orgs": st.lists(org_st, min_size=2, max_size=5),
    "people": st.lists(person_st, min_size=1, max_size=4),
    "cases": st.lists(case_st, min_size=1, max_size=3),
    "ops": st.lists(op_st, min_size=4, max_size=14),
}
MEASURES = ["s_education", "s_health", "i_legal_aid", "s_skills"]


# ---------------------------------------------------------------------------------------------
# Running a history through the services and the oracle side by side


def snapshot() -> tuple:
    """Everything a referral operation or a case ending could change."""
    return (
        list(
            Case.objects.order_by("pk").values_list(
                "pk", "status", "commune_id", "province_id", "version", "closed_at", "merged_into"
            )
        ),
        list(
            Referral.objects.order_by("pk").values_list(
                "pk",
                "status",
                "acknowledged_at",
                "receipt_number",
                "responded_at",
                "decline_reason",
                "closed_at",
                "revoke_reason",
            )
        ),
        sorted(
            CaseGroupObjectPermission.objects.values_list(
                "group_id", "permission_id", "content_object_id", "reason"
            )
        ),
        sorted(
            CaseUserObjectPermission.objects.values_list(
                "user_id", "permission_id", "content_object_id"
            )
        ),
        sorted(
            ReferralGroupObjectPermission.objects.values_list(
                "group_id", "permission_id", "content_object_id"
            )
        ),
        ReferralUpdate.objects.count(),
        CaseTransition.objects.count(),
        Notification.objects.count(),
        sorted(CaseDeadline.objects.values_list("pk", "due_at", "met_at", "waived_at")),
        sorted(ConsentRecord.objects.values_list("pk", "withdrawn_at")),
    )


def attempt(call) -> str:
    try:
        call()
    except (services.ReferralNotPermitted, case_services.StepNotPermitted):
        return FORBIDDEN
    except (services.ReferralStateError, case_services.StepNotAvailable):
        return STATE
    except ValidationError:
        return INVALID
    return OK


class ReferralAccessProperty(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.provinces = [ProvinceFactory(), ProvinceFactory()]
        cls.communes = [
            CommuneFactory(parent=cls.provinces[0]),
            CommuneFactory(parent=cls.provinces[0]),
            CommuneFactory(parent=cls.provinces[1]),
        ]
        kinds = Organisation.Kind
        cls.committees = [
            Organisation.objects.create(kind=kinds.COMMUNE_COMMITTEE, name=f"UBND {i}", area=c)
            for i, c in enumerate(cls.communes)
        ]
        department = Organisation.objects.create(
            kind=kinds.PROVINCIAL_HEALTH, name="Sở Y tế", area=cls.provinces[0]
        )
        cls.fixed_users = [
            *(make_user((committee, Role.CP_OFFICER)) for committee in cls.committees),
            make_user((cls.committees[0], Role.CHAIRMAN)),
            make_user((department, Role.SUPERVISOR)),
        ]

    @staticmethod
    def fixed_people() -> list[Person]:
        return [
            Person(officer_of={0}),
            Person(officer_of={1}),
            Person(officer_of={2}),
            Person(chairman_of={0}),
            Person(supervisor_of={0}),
        ]

    # --- the world

    def build(self, orgs, people, cases):
        model = Model(orgs=[], people=self.fixed_people(), cases=[])
        self.org_objs, self.users, self.case_objs = [], list(self.fixed_users), []
        self.ref_objs, self.consent_objs = [], []
        for index, (kind, place, active) in enumerate(orgs):
            level, area_index = place
            area = (self.communes if level == "commune" else self.provinces)[area_index]
            self.org_objs.append(
                Organisation.objects.create(
                    kind=kind, name=f"{kind} {index}", area=area, is_active=active
                )
            )
            model.orgs.append(Org(kind=kind, place=place, active=active))
        for index, (active, memberships, officer_of) in enumerate(people):
            user = User.objects.create(username=f"staff{index}", is_active=active)
            person = Person(active=active)
            for org_index, membership_active in memberships:
                o = org_index % len(self.org_objs)
                if o in person.sector:
                    continue
                # Rows made directly: the rule must hold whatever the forms would allow.
                Membership.objects.create(
                    user=user,
                    organisation=self.org_objs[o],
                    role=Role.SECTOR_STAFF,
                    is_active=membership_active,
                )
                person.sector[o] = membership_active
            if officer_of is not None:
                Membership.objects.create(
                    user=user, organisation=self.committees[officer_of], role=Role.CP_OFFICER
                )
                person.officer_of.add(officer_of)
            user_groups_sync(user=user)
            self.users.append(user)
            model.people.append(person)
        for index, (commune, status, reporter_consent) in enumerate(cases):
            values = case_values(index)
            case = make_case(
                self.communes[commune],
                f"Nguyễn Văn Trẻ {index}",
                child_condition=values["child_condition"],
                incident_place=values["incident_place"],
                family_situation=values["family_situation"],
                current_carer=values["current_carer"],
                child_location=values["child_location"],
                reporter_consent=reporter_consent,
                reporter_name=reporter_name(index),
                reporter_phone="0912345678",
            )
            case.child.school_name = values["school"]
            case.child.save()
            if status != case.status:
                Case.objects.filter(pk=case.pk).update(status=status)
                case.refresh_from_db()
            self.case_objs.append(case)
            model.cases.append(CaseSpec(commune, status, reporter_consent))
        return model

    # --- one operation

    def actor(self, model: Model, mode: str, index: int, right: list[int]) -> int:
        if mode == "right" and right:
            return right[index % len(right)]
        return index % len(model.people)

    def officers_of(self, model: Model, c: int) -> list[int]:
        commune = model.cases[c].commune
        return [p for p, person in enumerate(model.people) if commune in person.officer_of]

    def chairmen_of(self, model: Model, c: int) -> list[int]:
        commune = model.cases[c].commune
        return [p for p, person in enumerate(model.people) if commune in person.chairman_of]

    def run_op(self, model: Model, step: int, op: tuple) -> tuple[str, str, str]:
        """Run one operation both ways; return (name, expected, observed)."""
        name, target, org_index, mode, actor_index, flag = op
        if not model.referrals:
            name = "send"  # nothing to answer yet: refer first
        elif name == "advance":
            # A next step of the latest referral's life cycle, so that histories get far.
            target = -1
            name = {
                "sent": ["acknowledge"] * 3 + ["decline", "revoke"],
                "acknowledged": ["accept"] * 3 + ["decline", "revoke"],
                "accepted": ["update", "update", "complete", "complete", "revoke"],
            }.get(model.referrals[-1].status, ["withdraw", "send", "send", "send", "send"])[
                actor_index % 5
            ]
        if name == "send":
            c = target % len(model.cases)
            near = [
                o
                for o in range(len(model.orgs))
                if model.orgs[o].active
                and model.near(o, c)
                and any(model.works_for(i, o) for i in range(len(model.people)))
            ] or [o for o in range(len(model.orgs)) if model.orgs[o].active and model.near(o, c)]
            if mode == "right" and near:
                o = near[org_index % len(near)]
            else:
                o = org_index % len(model.orgs)
            p = self.actor(model, mode, actor_index, self.officers_of(model, c))
            consent = None
            if flag and model.orgs[o].kind == "ngo":
                # The officer records the family's and the child's consent first.
                consent = self.record_consent(model, c, model.orgs[o].kind)
            message = f"Đề nghị hỗ trợ, bước {step}"
            before = snapshot()
            observed = attempt(
                lambda: self.ref_objs.append(
                    services.referral_send(
                        actor=self.users[p],
                        case=self.case_objs[c],
                        organisation=self.org_objs[o],
                        purpose=MEASURES[step % len(MEASURES)],
                        message=message,
                        consent=self.consent_objs[consent] if consent is not None else None,
                    )
                )
            )
            expected = model.send(p, c, o, message, consent)
            return self.settle(name, expected, observed, before)
        if name in ENDINGS:
            # Mostly the case of the latest referral, so that an ending has referrals to end.
            c = model.referrals[-1].case if target == -1 else target % len(model.cases)
            return self.run_ending(model, name, c, org_index, mode, actor_index, flag)
        r = target % len(model.referrals)
        ref, referral = model.referrals[r], self.ref_objs[r]
        if name == "withdraw":
            if ref.consent is None:
                return name, "skipped", "skipped"
            p = self.actor(model, mode, actor_index, self.officers_of(model, ref.case))
            # Read afresh, as a page would: its case may have moved since it was recorded.
            consent = ConsentRecord.objects.get(pk=self.consent_objs[ref.consent].pk)
            before = snapshot()
            observed = attempt(
                lambda: case_services.consent_withdraw(
                    actor=self.users[p], consent=consent, note="Gia đình rút lại"
                )
            )
            return self.settle(name, model.withdraw(p, ref.consent), observed, before)
        if name in ("complete", "revoke"):
            p = self.actor(model, mode, actor_index, self.officers_of(model, ref.case))
        else:
            # Mostly someone who works for the organisation; sometimes a member whose
            # membership (or account) has ended; sometimes anyone.
            working = [i for i in range(len(model.people)) if model.works_for(i, ref.org)]
            members = [i for i, person in enumerate(model.people) if ref.org in person.sector]
            p = self.actor(
                model, mode, actor_index, working if working and actor_index % 4 else members
            )
        actor = self.users[p]
        reason = "Lý do cụ thể" if flag else " "
        before = snapshot()
        if name == "acknowledge":
            observed = attempt(
                lambda: services.referral_acknowledge(actor=actor, referral=referral)
            )
            expected = model.acknowledge(p, r)
        elif name == "accept":
            observed = attempt(lambda: services.referral_accept(actor=actor, referral=referral))
            expected = model.accept(p, r)
        elif name == "decline":
            observed = attempt(
                lambda: services.referral_decline(actor=actor, referral=referral, reason=reason)
            )
            expected = model.decline(p, r, reason)
        elif name == "update":
            kind = "feedback" if flag else "action"
            observed = attempt(
                lambda: services.referral_update_add(
                    actor=actor, referral=referral, kind=kind, text="Đã gặp gia đình"
                )
            )
            expected = model.update(p, r)
        elif name == "complete":
            observed = attempt(lambda: services.referral_complete(actor=actor, referral=referral))
            expected = model.complete(p, r)
        else:
            observed = attempt(
                lambda: services.referral_revoke(actor=actor, referral=referral, reason=reason)
            )
            expected = model.revoke(p, r, reason)
        return self.settle(name, expected, observed, before)

    def run_ending(
        self, model: Model, name: str, c: int, index: int, mode: str, actor_index: int, flag: bool
    ) -> tuple[str, str, str]:
        """End the case (not substantiated, merged, transferred, ended otherwise) both ways."""
        who = self.chairmen_of if name == "end_otherwise" else self.officers_of
        p = self.actor(model, mode, actor_index, who(model, c))
        actor, case = self.users[p], self.case_objs[c]
        reason = "Lý do cụ thể" if flag else " "
        still_open = [r.status in OPEN for r in model.referrals]
        before = snapshot()
        if name == "not_substantiated":
            observed = attempt(
                lambda: case_services.case_mark_not_substantiated(
                    actor=actor, case=case, reason=reason
                )
            )
            expected = model.not_substantiated(p, c, reason)
        elif name == "merge":
            # Mostly another open case the actor reads; sometimes any case, itself included.
            others = [
                d
                for d in range(len(model.cases))
                if d != c and model.cases[d].open and VIEW in model.permissions(p, d)
            ]
            into = others[index % len(others)] if mode == "right" and others else None
            if into is None:
                into = index % len(model.cases)
            observed = attempt(
                lambda: case_services.case_merge(
                    actor=actor, case=case, into=self.case_objs[into], reason=reason
                )
            )
            expected = model.merge(p, c, into, reason)
        elif name == "end_otherwise":
            ending = "died" if flag else ""  # a date given, today; the ending sometimes not
            observed = attempt(
                lambda: case_services.case_end_otherwise(
                    actor=actor,
                    case=case,
                    ending=ending,
                    ended_on=timezone.localdate(),
                    reason="Theo xác minh",
                )
            )
            expected = model.end_otherwise(p, c, ending)
        else:
            commune = index % len(self.communes)
            if mode == "right" and commune == model.cases[c].commune:
                commune = (commune + 1) % len(self.communes)
            observed = attempt(
                lambda: case_services.case_transfer(
                    actor=actor, case=case, commune=self.communes[commune], reason=reason
                )
            )
            expected = model.transfer(p, c, commune, reason)
        # The harness's own copies follow the rows (a merge reads `into` as it is given).
        self.refresh_cases()
        if still_open != [r.status in OPEN for r in model.referrals]:
            event(f"{name} ended open referrals")
        return self.settle(name, expected, observed, before)

    def refresh_cases(self) -> None:
        for case in self.case_objs:
            case.refresh_from_db()

    def record_consent(self, model: Model, c: int, kind: str) -> int:
        officer = self.users[self.officers_of(model, c)[0]]
        self.consent_objs.append(
            case_services.consent_record(
                actor=officer,
                case=self.case_objs[c],
                recipient_kinds=[kind],
                representative_name="Nguyễn Thị Mẹ",
                representative_relation="Mẹ",
                representative_consented=True,
                child_consented=True,
                method="written",
            )
        )
        model.consents.append(Consent(case=c, kinds={kind}))
        return len(model.consents) - 1

    def settle(self, name: str, expected: str, observed: str, before: tuple):
        assert observed == expected, f"{name}: the services said {observed}, the rule {expected}"
        if observed != OK:
            assert snapshot() == before, f"a refused {name} changed something"
        return name, expected, observed

    # --- the checks

    def check(self, model: Model, history: list) -> None:
        statuses = list(
            Referral.objects.filter(pk__in=[r.pk for r in self.ref_objs])
            .order_by("pk")
            .values_list("status", flat=True)
        )
        assert statuses == [r.status for r in model.referrals], history
        self.refresh_cases()
        held = [(case.status, case.commune_id, case.province_id) for case in self.case_objs]
        assert held == [
            (spec.status, self.communes[spec.commune].pk, self.provinces[spec.province].pk)
            for spec in model.cases
        ], f"the cases' state and commune after {history}"
        ends = Referral.objects.filter(pk__in=[r.pk for r in self.ref_objs]).order_by("pk")
        for (closed_at, why), ref in zip(
            ends.values_list("closed_at", "revoke_reason"), model.referrals, strict=True
        ):
            assert (closed_at is None) is (ref.status in OPEN), f"{ref} after {history}"
            if ref.status == "revoked":
                assert why.strip(), f"{ref} revoked without a reason after {history}"
        ended = sorted(
            Notification.objects.filter(kind=ENDED_NOTICE).values_list(
                "recipient_id", "about", "case_id"
            )
        )
        assert ended == sorted(
            (self.users[p].pk, self.ref_objs[r].public_id, None) for p, r in model.notices
        ), f"notices of ended referrals after {history}"
        with translation.override("en"):
            for p, user in enumerate(self.users):
                visible = set(cases_visible_to(user).values_list("pk", flat=True))
                expected_visible = set()
                for c, case in enumerate(self.case_objs):
                    expected = model.permissions(p, c)
                    where = f"user {p} case {c} after {history}"
                    assert case_permissions(user, case) == expected, where
                    for perm in (VIEW, SUMMARY, "refer_case", "intervene_case"):
                        assert can(user, perm, case) is (perm in expected), where
                    if expected & {VIEW, SUMMARY}:
                        expected_visible.add(case.pk)
                    self.check_summary(model, p, c, user, case, where)
                assert visible == expected_visible, f"user {p} after {history}"
                seen = set(referrals_visible_to(user=user).values_list("pk", flat=True))
                inbox = set(referral_inbox_for(user=user).values_list("pk", flat=True))
                assert seen == {
                    ref.pk for r, ref in enumerate(self.ref_objs) if model.sees_referral(p, r)
                }, f"referrals of user {p} after {history}"
                assert inbox == {
                    ref.pk for r, ref in enumerate(self.ref_objs) if model.answers_referral(p, r)
                }, f"inbox of user {p} after {history}"
                # A notice that a referral ended is about the referral: shown to its
                # recipient though the case is no longer theirs.
                told = sorted(self.ref_objs[r].public_id for q, r in model.notices if q == p)
                if told:
                    shown = notifications_for(user=user).filter(kind=ENDED_NOTICE)
                    assert sorted(shown.values_list("about", flat=True)) == told, (
                        f"notices of user {p} after {history}"
                    )

    def check_summary(self, model: Model, p: int, c: int, user, case, where: str) -> None:
        expected = model.summary(p, c)
        rows = summary_fields_for(user, case)
        if expected is None:
            assert rows is None, where
            return
        assert rows is not None, where
        kinds, referrals = expected
        fields = [
            (label, value) for label, value in rows if label not in (PURPOSE_LABEL, MESSAGE_LABEL)
        ]
        keys = set().union(*(ALLOWED[kind] for kind in kinds))
        by_label = dict(fields)
        assert len(by_label) == len(fields), f"a field twice: {where}"
        assert set(by_label) == {LABELS[key] for key in keys}, where
        messages = sorted(value for label, value in rows if label == MESSAGE_LABEL)
        assert messages == sorted(r.message for r in referrals), where
        purposes = [value for label, value in rows if label == PURPOSE_LABEL]
        assert len(purposes) == len(referrals), where
        values = case_values(c)
        for key, value in values.items():
            if key in keys:
                assert by_label[LABELS[key]] == value, where
        text = " ".join(value for _label, value in rows)
        if "health_facility" not in kinds:
            # Never the medical narrative outside the health sector (a school-only recipient).
            assert medical(c) not in text, where
        sealed = not model.cases[c].reporter_consent or not (kinds & {"police", "court"})
        assert (reporter_name(c) in text) is not sealed, where

    def check_history(self, orgs, people, cases, ops) -> list:
        model = self.build(orgs, people, cases)
        history = [self.run_op(model, step, op) for step, op in enumerate(ops)]
        for name, _expected, observed in history:
            event(f"{name}: {observed}")  # --hypothesis-show-statistics shows the mix
        for ref in model.referrals:
            event(f"a referral ends {ref.status}")
        for spec in model.cases:
            event(f"a case ends {spec.status}")
        if model.notices:
            event("some staff are told a referral ended with its case")
        self.check(model, history)
        return history

    # --- the property

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(**WORLD)
    def test_the_door_and_the_allow_lists_follow_the_rule_after_any_history(
        self, orgs, people, cases, ops
    ):
        self.check_history(orgs, people, cases, ops)

    # --- the property can fail: a service that keeps the share after the referral ends

    def test_the_property_catches_a_share_kept_after_its_referral_ends(self):
        keep = services._share_sync

        def share_kept_after_end(case, organisation):
            # The mutant: grant while a referral is open, never take the share back.
            if Referral.objects.filter(
                case=case, organisation=organisation, status__in=Referral.OPEN
            ).exists():
                keep(case, organisation)

        class Rollback(Exception):
            pass

        caught: list[str] = []

        def fails(example) -> bool:
            try:
                with transaction.atomic():
                    self.check_history(*example)
                    raise Rollback
            except AssertionError as error:
                caught.append(str(error))
                return True
            except Rollback:
                return False

        with mock.patch.object(services, "_share_sync", share_kept_after_end):
            find(
                st.tuples(*WORLD.values()),
                fails,
                settings=settings(
                    max_examples=300,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                ),
            )
        # Caught by the door's check (a user still sees a case), after a referral ended.
        message = caught[-1]
        assert message.startswith("user "), message
        assert any(
            f"('{name}', 'ok', 'ok')" in message
            for name in ("decline", "complete", "revoke", "withdraw", *ENDINGS)
        ), message


# ---------------------------------------------------------------------------------------------
# The oracle itself, on hand-made histories


def school_world() -> Model:
    return Model(
        orgs=[Org("school", ("commune", 0)), Org("health_facility", ("commune", 1))],
        people=[
            Person(officer_of={0}),
            Person(sector={0: True}),  # a teacher
            Person(sector={0: True, 1: True}),  # works for the school and the health station
            Person(active=False, sector={0: True}),
            Person(sector={0: False}),  # membership ended
        ],
        cases=[CaseSpec(0)],
    )


def test_the_oracle_ends_the_share_when_the_referral_is_revoked():
    model = school_world()
    assert model.send(0, 0, 0, "m", None) == OK
    assert model.permissions(1, 0) == {SUMMARY}
    assert model.permissions(3, 0) == set()
    assert model.permissions(4, 0) == set()
    assert model.revoke(0, 0, "Gửi nhầm") == OK
    # An implementation that kept the share would report {SUMMARY} here: the property fails.
    assert model.permissions(1, 0) == set()
    assert model.summary(1, 0) is None
    assert model.sees_referral(1, 0)  # the record stays
    assert not model.answers_referral(1, 0)


def test_the_oracle_refuses_what_the_design_refuses():
    model = school_world()
    assert model.send(1, 0, 0, "m", None) == FORBIDDEN  # a teacher does not refer
    assert model.send(0, 0, 0, "m", None) == OK
    assert model.complete(0, 0) == STATE  # not accepted yet
    assert model.acknowledge(0, 0) == FORBIDDEN  # the officer does not answer
    assert model.acknowledge(3, 0) == FORBIDDEN  # an inactive user does not either
    assert model.decline(1, 0, " ") == INVALID
    assert model.referrals[0].status == "sent"
    assert model.acknowledge(1, 0) == OK
    assert model.acknowledge(1, 0) == STATE
    assert model.accept(1, 0) == OK
    assert model.update(1, 0) == OK
    assert model.complete(0, 0) == OK
    assert model.revoke(0, 0, "x") == STATE
    assert model.permissions(1, 0) == set()
    far = Model(
        orgs=[Org("school", ("commune", 2))], people=[Person(officer_of={0})], cases=[CaseSpec(0)]
    )
    assert far.send(0, 0, 0, "m", None) == INVALID
    closed = Model(
        orgs=[Org("school", ("commune", 0))],
        people=[Person(officer_of={0})],
        cases=[CaseSpec(0, status="closed")],
    )
    assert closed.send(0, 0, 0, "m", None) == STATE


def test_the_oracle_gives_each_sector_its_allow_list_and_no_more():
    model = school_world()
    model.send(0, 0, 0, "to the school", None)
    kinds, referrals = model.summary(1, 0)
    assert kinds == {"school"}
    assert "child_condition" not in set().union(*(ALLOWED[k] for k in kinds))
    model.send(0, 0, 1, "to the health station", None)
    # The teacher still sees the school's list; the one who works for both sees the union.
    assert model.summary(1, 0)[0] == {"school"}
    kinds, referrals = model.summary(2, 0)
    assert kinds == {"school", "health_facility"}
    assert len(referrals) == 2
    # Sight of the whole file comes from jurisdiction, never from a referral.
    assert VIEW not in model.permissions(2, 0)
    assert model.summary(0, 0) is None


def test_the_oracle_needs_consent_for_an_ngo_and_its_withdrawal_revokes():
    model = Model(
        orgs=[Org("ngo", ("province", 0))],
        people=[Person(officer_of={1}), Person(sector={0: True})],
        cases=[CaseSpec(1)],
    )
    assert model.send(0, 0, 0, "m", None) == INVALID
    model.consents.append(Consent(case=0, kinds={"ngo"}))
    assert model.send(0, 0, 0, "m", 0) == OK
    assert model.permissions(1, 0) == {SUMMARY}
    assert model.withdraw(1, 0) == FORBIDDEN
    assert model.withdraw(0, 0) == OK
    assert model.referrals[0].status == "revoked"
    assert model.permissions(1, 0) == set()
    assert model.send(0, 0, 0, "m", 0) == INVALID


def test_the_oracle_ends_the_open_referrals_with_the_case():
    model = school_world()
    model.people.append(Person(officer_of={2}))  # 5: the officer of the far commune
    model.cases.append(CaseSpec(0))  # a second case of the commune
    assert model.send(0, 0, 0, "to the school", None) == OK  # 0
    assert model.send(0, 0, 1, "to the health station", None) == OK  # 1
    assert model.send(0, 0, 0, "done", None) == OK  # 2
    assert model.send(0, 1, 0, "the other case", None) == OK  # 3
    for answer in (model.acknowledge, model.accept):
        assert answer(1, 2) == OK
    assert model.complete(0, 2) == OK
    assert model.not_substantiated(1, 0, "x") == FORBIDDEN  # a teacher does not assess
    assert model.not_substantiated(0, 0, " ") == INVALID
    assert [r.status for r in model.referrals] == ["sent", "sent", "completed", "sent"]
    assert model.not_substantiated(0, 0, "Không có căn cứ") == OK
    # Both open referrals end, the completed one stays, another case's is no business of it.
    assert [r.status for r in model.referrals] == ["revoked", "revoked", "completed", "sent"]
    assert model.permissions(2, 0) == set()  # nothing of the case to either organisation
    assert model.sees_referral(2, 0)
    assert not model.answers_referral(2, 0)
    # Told: the staff of each organisation, not the inactive user or the ended membership.
    assert sorted(model.notices) == [(1, 0), (2, 0), (2, 1)]
    assert model.not_substantiated(0, 0, "again") == STATE
    assert model.send(0, 0, 0, "m", None) == STATE  # no longer open
    assert model.merge(0, 0, 1, "x") == STATE
    # The other case moves to the far commune: its referral ends and its officer holds it.
    assert model.transfer(1, 1, 2, "x") == FORBIDDEN
    assert model.transfer(0, 1, 0, "x") == INVALID  # already the commune's
    assert model.transfer(0, 1, 2, "Gia đình chuyển") == OK
    assert model.referrals[3].status == "revoked"
    assert model.jurisdiction(0, 1) == set()
    assert not model.sees_referral(0, 3)
    assert VIEW in model.permissions(5, 1)
    assert model.sees_referral(5, 3)
    assert model.cases[1].open
    assert model.cases[1].province == 1
    assert model.send(5, 1, 0, "m", None) == INVALID  # the school is far from it now
    assert model.revoke(0, 3, "x") == FORBIDDEN
    # Only the chairman ends a case otherwise, and only an open one.
    model.people.append(Person(chairman_of={2}))  # 6
    assert model.end_otherwise(5, 1, "died") == FORBIDDEN
    assert model.end_otherwise(6, 1, "") == INVALID
    assert model.end_otherwise(6, 1, "died") == OK
    assert not model.cases[1].open
    assert model.end_otherwise(6, 1, "died") == STATE


# ---------------------------------------------------------------------------------------------
# Where the implementation departs from the rule today (kept visible, not skipped): a
# deactivated account still gets its organisations' summaries and inbox from these two helpers.
# Not reachable over HTTP (a deactivated user cannot sign in, by session or token); checked
# here at the service level.


def test_a_deactivated_user_gets_no_summary_fields(world):
    services.referral_send(
        actor=world.officer,
        case=world.case,
        organisation=world.school_org,
        purpose="s_education",
        message="m",
    )
    assert summary_fields_for(world.school, world.case) is not None
    world.school.is_active = False
    world.school.save()
    assert case_permissions(world.school, world.case) == set()
    assert summary_fields_for(world.school, world.case) is None


def test_a_deactivated_user_has_no_inbox(world):
    services.referral_send(
        actor=world.officer,
        case=world.case,
        organisation=world.school_org,
        purpose="s_education",
        message="m",
    )
    world.school.is_active = False
    world.school.save()
    assert not referrals_visible_to(user=world.school).exists()
    assert not referral_inbox_for(user=world.school).exists()
