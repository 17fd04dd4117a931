"""
Every change to a case goes through here. Each workflow step checks the table in
cases.workflow (state and permission), checks what the step requires, saves, writes the history
row and reports the event to the deadline engine, all in one transaction.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AdministrativeUnit, Organisation, Role, User
from audit.models import AuditEntry
from audit.services import audit_batch, audit_record, audited
from cases import workflow
from cases.access import ALL_CASE_PERMISSIONS, VIEW_CASE, case_permissions, forget_shares
from cases.crime import crime_check
from cases.deadlines import (
    Event,
    deadline_move,
    deadlines_from_earlier_contact,
    deadlines_on_event,
    due_at,
    recipients_for,
)
from cases.models import (
    Assessment,
    Case,
    CaseDeadline,
    CaseDocument,
    CaseGroupObjectPermission,
    CaseNote,
    CaseNumberSequence,
    CaseTransition,
    CaseUserObjectPermission,
    Child,
    ConsentRecord,
    CourtPetition,
    DeadlineRule,
    EmergencyDecision,
    EthnicGroup,
    FamilyMember,
    Incident,
    LawfulBasis,
    Measure,
    NeedsMeeting,
    Notification,
    Plan,
    PlanActivity,
    RiskLevel,
    SeparationExtension,
    SignedAs,
    SpecialCircumstance,
    measures_for,
)
from cases.names import name_key
from cases.workflow import OPEN_STATES, STEPS, Refusal, Step, step_refusal

CLOCK_SKEW = datetime.timedelta(minutes=5)
# Nothing in this system happened before the Law on Children; older times are typing errors.
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


class StepNotAvailable(Exception):
    """The step cannot be taken from the case's current state (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StepNotPermitted(PermissionDenied):
    """The user sees the case but their role may not take this step (HTTP 403)."""


class EditConflict(Exception):
    """Someone else saved the case since this edit began (HTTP 412 on the API)."""

    def __init__(self, message: str = "") -> None:
        self.message = message or _(
            "Someone else saved this case while you were editing it. Your changes were not "
            "saved; reload the case to see theirs, then make your changes again."
        )
        super().__init__(self.message)


# ---------------------------------------------------------------------------------------------
# Opening a case


def case_number_next(*, year: int) -> str:
    """Issue the next case number of a year, e.g. 2026-000042 (inside a transaction)."""
    sequence, _created = CaseNumberSequence.objects.get_or_create(year=year)
    sequence = CaseNumberSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{year}-{sequence.last_value:06d}"


CHILD_FIELDS = (
    "full_name",
    "other_names",
    "sex",
    "date_of_birth",
    "estimated_age",
    "ethnic_group",
    "residence_commune",
    "address",
    "school_name",
    "special_circumstances",
)
RECORD_FIELDS = (
    "source",
    "channel",
    "target_group",
    "abuse_forms",
    "sexual_abuse_types",
    "abuse_settings",
    "protection_level",
    "incident_commune",
    "incident_place",
    "child_location",
    "child_condition",
    "expected_consequence",
    "family_situation",
    "current_carer",
    "prior_actions",
    "reporter_consent",
    "reporter_name",
    "reporter_phone",
    "reporter_address",
    "additional_notes",
    "lawful_basis",
    "lawful_basis_note",
)
REPORTER_FIELDS = ("reporter_name", "reporter_phone", "reporter_address")
MULTI_CHOICES = {
    "abuse_forms": Case.AbuseForm,
    "sexual_abuse_types": Case.SexualAbuseType,
    "abuse_settings": Case.Setting,
    "special_circumstances": SpecialCircumstance,
}


def _check_multi(field: str, values: Any) -> list[str]:
    choices = MULTI_CHOICES[field]
    if values in (None, ""):
        return []
    if not isinstance(values, (list, tuple)):
        raise ValidationError({field: _("Choose from the list.")})
    unknown = [v for v in values if v not in choices.values]
    if unknown:
        raise ValidationError(
            {field: _("Not a choice: %(values)s.") % {"values": ", ".join(map(str, unknown))}}
        )
    return list(dict.fromkeys(values))


def _clean_child(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k in CHILD_FIELDS}
    check_lengths(Child, data)
    if "special_circumstances" in data:
        data["special_circumstances"] = _check_multi(
            "special_circumstances", data["special_circumstances"]
        )
    dob = data.get("date_of_birth")
    if dob and dob > timezone.localdate():
        raise ValidationError({"date_of_birth": _("The date of birth is in the future.")})
    age = data.get("estimated_age")
    if age is not None and not 0 <= age < 18:
        raise ValidationError({"estimated_age": _("The estimated age must be between 0 and 17.")})
    commune = data.get("residence_commune")
    if commune is not None and commune.level != AdministrativeUnit.Level.COMMUNE:
        raise ValidationError({"residence_commune": _("Choose a commune.")})
    if data.get("ethnic_group") and data["ethnic_group"] not in EthnicGroup.values:
        raise ValidationError({"ethnic_group": _("Choose from the list of ethnic groups.")})
    return data


def _age_at_incident(
    child: Child | None, occurred_on: datetime.date | None, received_at: datetime.datetime
) -> dict[str, Any]:
    """The child's age on the day of the incident, else of the receipt (and whether estimated)."""
    day = occurred_on or timezone.localtime(received_at).date()
    age, estimated = child.age_on(day) if child is not None else (None, False)
    return {"child_age_at_incident": age, "child_age_estimated": estimated}


def case_age_at_incident_set(case: Case) -> None:
    """Keep the child's age on the day of the incident (else of the receipt) with the case."""
    occurred_on = case.incident.occurred_on if case.incident_id else None
    ages = _age_at_incident(case.child if case.child_id else None, occurred_on, case.received_at)
    Case.objects.filter(pk=case.pk).update(**ages)
    for name, value in ages.items():
        setattr(case, name, value)


def _clean_record(data: dict[str, Any], *, current: Case | None = None) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k in RECORD_FIELDS}
    check_lengths(Case, data)
    for field in ("abuse_forms", "sexual_abuse_types", "abuse_settings"):
        if field in data:
            data[field] = _check_multi(field, data[field])
    for field, choices in (
        ("source", Case.Source),
        ("channel", Case.Channel),
        ("target_group", Case.TargetGroup),
        ("protection_level", Case.ProtectionLevel),
    ):
        if field in data and data[field] not in choices.values:
            raise ValidationError({field: _("Choose from the list.")})
    if data.get("lawful_basis") in ("", None):
        data.pop("lawful_basis", None)  # left empty: the basis stays as it is
    elif data["lawful_basis"] not in LawfulBasis.values:
        raise ValidationError({"lawful_basis": _("Choose from the list.")})
    elif data["lawful_basis"] == LawfulBasis.CONSENT and not (
        current is not None
        and current.consents.filter(
            withdrawn_at__isnull=True, representative_consented=True
        ).exists()
    ):
        raise ValidationError(
            {
                "lawful_basis": _(
                    "Consent can be the basis only once a consent of the representative is "
                    "recorded on this case and not withdrawn."
                )
            }
        )
    forms = data.get("abuse_forms", current.abuse_forms if current else [])
    if data.get("sexual_abuse_types") and Case.AbuseForm.SEXUAL_ABUSE not in forms:
        raise ValidationError(
            {"sexual_abuse_types": _("Forms of sexual abuse need sexual abuse among the forms.")}
        )
    commune = data.get("incident_commune")
    if commune is not None and commune.level != AdministrativeUnit.Level.COMMUNE:
        raise ValidationError({"incident_commune": _("Choose a commune.")})
    consent = data.get("reporter_consent", current.reporter_consent if current else False)
    if not consent:
        # Mẫu 01: the reporter's identity is kept only if they agree.
        for field in REPORTER_FIELDS:
            data[field] = ""
    return data


@audited("case_create", actor=("received_by",))
def case_create(
    *,
    commune: AdministrativeUnit,
    child: Child | dict[str, Any] | None = None,
    child_name: str = "",
    received_at: datetime.datetime | None = None,
    received_by: User | None = None,
    **record: Any,
) -> Case:
    """
    Open a case held by `commune` (its province follows) and start its clocks. `child` is the
    child already on record, or the fields of a new one (an intake's), or None (`child_name`).
    """
    if commune.level != AdministrativeUnit.Level.COMMUNE:
        raise ValidationError({"commune": _("The responsible unit must be a commune.")})
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"received_at": _("The time of receipt is in the future.")})
    if received_at < EARLIEST:
        raise ValidationError({"received_at": _("This time is too far in the past.")})
    if record.get("protection_level") in (None, ""):
        # Law on Children Arts. 49-50: an abused child's case is an intervention, any other a
        # support case (prevention, Art. 48, is for the community, not a case).
        abused = record.get("target_group") == Case.TargetGroup.ABUSED
        record["protection_level"] = (
            Case.ProtectionLevel.INTERVENTION if abused else Case.ProtectionLevel.SUPPORT
        )
    record = _clean_record(record)
    if child is None:
        child = Child.objects.create(full_name=child_name)
    elif isinstance(child, dict):
        child = Child.objects.create(**child)
    case = Case.objects.create(
        number=case_number_next(year=timezone.localtime(received_at).year),
        child=child,
        commune=commune,
        province=commune.province,
        received_at=received_at,
        received_by=received_by,
        **_age_at_incident(child, None, received_at),
        **record,
    )
    deadlines_on_event(case=case, event=Event.CASE_RECEIVED, at=received_at)
    crime_check(case=case, actor=received_by, at=received_at)
    return case


def case_history_add(
    *, actor: User, case: Case, name: str, reason: str = "", details: dict[str, Any] | None = None
) -> CaseTransition:
    """
    A row of the case's history for an event that is no step of the workflow and leaves its
    state as it is (a referral sent or answered): the one way another app writes history.
    """
    return CaseTransition.objects.create(
        case=case,
        name=name,
        from_status=case.status,
        to_status=case.status,
        actor=actor,
        reason=reason,
        details=details or {},
    )


def notify(
    recipients: Iterable[User], *, kind: str, case: Case | None = None, about: Any = None
) -> None:
    """
    Tell each recipient (an in-app notice): the one way any app writes a notice. `about`: the
    public id of what a notice not about a case concerns (cases.hooks.notice_link).
    """
    for user in recipients:
        Notification.objects.create(recipient=user, kind=kind, case=case, about=about)


def signing_capacity(actor: User, case: Case) -> str:
    """
    In which capacity the actor signs the commune's decision on this case: as its chairman, or
    as a deputy chairman for the chairman («KT. CHỦ TỊCH / PHÓ CHỦ TỊCH», Decree 30/2020 Art. 13).
    """
    from accounts.selectors import memberships_of

    roles = {
        m.role
        for m in memberships_of(user=actor)
        if m.organisation.kind == Organisation.Kind.COMMUNE_COMMITTEE
        and m.organisation.area_id == case.commune_id
    }
    if Role.CHAIRMAN in roles:
        return SignedAs.CHAIRMAN
    if Role.DEPUTY_CHAIRMAN in roles:
        return SignedAs.DEPUTY_CHAIRMAN
    return ""


def case_contact_earlier(*, case: Case, at: datetime.datetime) -> None:
    """
    An earlier contact about the case was found (a call linked to it, Decree 56 Arts. 26(3),
    31(2), 32(2): the 12 hours run from the receipt of the information): the clocks that run
    from the receipt start from it. Called inside the linking service's transaction.
    """
    deadlines_from_earlier_contact(case=case, at=at)


def _case_ended(case: Case, actor: User, step: Step) -> None:
    """Tell the apps that share the case for its work that it needs them no more."""
    from cases.hooks import case_ended

    case_ended.send(sender=Case, case=case, actor=actor, step=step.name)


def communes_where_user_opens_cases(*, user: User) -> list[AdministrativeUnit]:
    """Return the communes where the user may open a case (as that commune's officer)."""
    from cases.access import jurisdiction_of

    jurisdiction = jurisdiction_of(user)
    ids = [pk for pk, perms in jurisdiction.communes.items() if "change_case" in perms]
    return list(AdministrativeUnit.objects.filter(pk__in=ids).order_by("name"))


@audit_batch
def case_open(
    *,
    actor: User,
    commune: AdministrativeUnit,
    child: dict[str, Any],
    received_at: datetime.datetime | None = None,
    **record: Any,
) -> Case:
    """The commune officer opens a case from a report received at the commune (Mẫu 01)."""
    if commune not in communes_where_user_opens_cases(user=actor):
        raise StepNotPermitted(_("You may open cases only in your own commune."))
    child_obj = Child.objects.create(**_clean_child(child))
    return case_create(
        commune=commune, child=child_obj, received_at=received_at, received_by=actor, **record
    )


# ---------------------------------------------------------------------------------------------
# Editing the record (optimistic concurrency)


def _require(actor: User, case: Case, permission: str) -> set[str]:
    perms = case_permissions(actor, case)
    if permission not in perms:
        raise StepNotPermitted(_("Your role may not do this on this case."))
    return perms


@audited("case_update_record")
def case_update_record(
    *, actor: User, case: Case, expected_version: int, changes: dict[str, Any]
) -> Case:
    """Save changes to the case record if nobody else saved since `expected_version`."""
    _require(actor, case, "change_case")
    unknown = set(changes) - set(RECORD_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    cleaned = _clean_record(changes, current=case)
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        **cleaned, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise EditConflict()
    case = Case.objects.get(pk=case.pk)
    crime_check(case=case, actor=actor)
    return case


@audited("case_update_child")
def case_update_child(
    *, actor: User, case: Case, expected_version: int, changes: dict[str, Any]
) -> Case:
    """Save changes to the child's details, with the same collision check as the record."""
    _require(actor, case, "change_case")
    unknown = set(changes) - set(CHILD_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    cleaned = _clean_child(changes)
    if "full_name" in cleaned:
        cleaned["name_key"] = name_key(cleaned["full_name"])
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise EditConflict()
    Child.objects.filter(pk=case.child_id).update(**cleaned)
    case = Case.objects.select_related("child").get(pk=case.pk)
    if {"date_of_birth", "estimated_age"} & set(cleaned):
        case_age_at_incident_set(case)
    return case


FAMILY_FIELDS = (
    "full_name",
    "relation",
    "age",
    "occupation",
    "contact",
    "is_caregiver",
    "is_alleged_perpetrator",
    "notes",
)


@audited("family_member_add")
def family_member_add(*, actor: User, case: Case, data: dict[str, Any]) -> FamilyMember:
    _require(actor, case, "change_case")
    data = {k: v for k, v in data.items() if k in FAMILY_FIELDS}
    if data.get("relation") not in FamilyMember.Relation.values:
        raise ValidationError({"relation": _("Choose the relation to the child.")})
    member = FamilyMember(child=case.child, **data)
    member.full_clean()
    member.save()
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    return member


@audited("family_member_remove", target=("member",))
def family_member_remove(*, actor: User, case: Case, member: FamilyMember) -> None:
    _require(actor, case, "change_case")
    if member.child_id != case.child_id:
        raise ValidationError({"member": _("This person is not in this child's family.")})
    member.delete()
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)


# ---------------------------------------------------------------------------------------------
# Workflow steps


def _begin(*, actor: User, case: Case, name: str) -> tuple[Case, Step]:
    """Lock the case and check the workflow table: the role, then the state."""
    step = STEPS[name]
    locked = Case.objects.select_for_update().select_related("child").get(pk=case.pk)
    raise_refusal(step_refusal(step, case=locked, permissions=case_permissions(actor, locked)))
    return locked, step


def raise_refusal(refusal: Refusal | None) -> None:
    """Raise the workflow table's refusal (cases.workflow.step_refusal) as its exception."""
    workflow.raise_refusal(refusal, role=StepNotPermitted, state=StepNotAvailable)


def _finish(
    *,
    case: Case,
    step: Step,
    actor: User,
    at: datetime.datetime | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    extra_fields: Iterable[str] = (),
) -> Case:
    from_status = case.status
    case.status = step.leads_to(from_status)
    # Every step changes the case, so its ETag changes too (docs/DESIGN.md §10).
    case.version += 1
    case.save(update_fields=["status", "version", "updated_at", *extra_fields])
    CaseTransition.objects.create(
        case=case,
        name=step.name,
        from_status=from_status,
        to_status=case.status,
        actor=actor,
        at=timezone.now() if at is None else at,
        reason=reason,
        details=details or {},
    )
    # In the step's transaction: the step and its entry commit or roll back together.
    audit_record(
        action=AuditEntry.Action.TRANSITION,
        actor=actor,
        case=case,
        object_type="case",
        object_id=str(case.public_id),
        detail={"step": step.name, "from": from_status, "to": case.status},
    )
    if step.ends_sharing:
        _case_ended(case, actor, step)
    return case


def _finish_emergency(
    *,
    case: Case,
    step: Step,
    actor: User,
    at: datetime.datetime,
    required: bool,
    details: dict[str, Any],
) -> Case:
    """Finish a step that says whether emergency measures are needed (Art. 26(3))."""
    case.emergency_required = required
    return _finish(
        case=case,
        step=step,
        actor=actor,
        at=at,
        extra_fields=["emergency_required"],
        details=details,
    )


# What to say of a date that is (missing, in the future, before its start).
DECISION_DATE_PROBLEMS = (
    gettext_lazy("Give the decision date."),
    gettext_lazy("The decision date is in the future."),
    gettext_lazy("The decision date is before the plan was submitted."),
)
ENDED_ON_PROBLEMS = (
    gettext_lazy("Give the date."),
    gettext_lazy("The date is in the future."),
    gettext_lazy("The date is before the case was received."),
)


def _date_problem(
    value: datetime.date | None, not_before: datetime.date, problems: tuple[Any, Any, Any]
) -> str:
    """What is wrong with a date that must be given, not in the future, not before a start."""
    missing, future, early = problems
    if value is None:
        return str(missing)
    if value > timezone.localdate():
        return str(future)
    if value < not_before:
        return str(early)
    return ""


def _text(value: Any) -> str:
    """Read a text input that may be missing (None) as stripped text."""
    return "" if value is None else str(value).strip()


def _required_text(data: dict[str, Any], *fields: str) -> None:
    missing = {f: _("This field is required.") for f in fields if not _text(data.get(f))}
    if missing:
        raise ValidationError(missing)


def check_lengths(model: type, data: dict[str, Any]) -> None:
    """Refuse text longer than its column, naming the field (never a database error)."""
    errors = {}
    for field in model._meta.concrete_fields:
        limit = getattr(field, "max_length", None)
        value = data.get(field.name)
        if limit and isinstance(value, str) and len(value) > limit:
            errors[field.name] = _("At most %(limit)s characters.") % {"limit": limit}
    if errors:
        raise ValidationError(errors)


def _past_time(field: str, value: datetime.datetime | None, case: Case) -> datetime.datetime:
    value = value or timezone.now()
    if value > timezone.now() + CLOCK_SKEW:
        raise ValidationError({field: _("This time is in the future.")})
    if value < EARLIEST:
        raise ValidationError({field: _("This time is too far in the past.")})
    if value < case.received_at - CLOCK_SKEW:
        raise ValidationError({field: _("This time is before the case was received.")})
    return value


def _ratings(data: dict[str, Any], *, booleans: tuple[str, ...] = (), texts: tuple[str, ...] = ()):
    """
    Read the five ratings; check the yes/no answers and the required texts of the same form,
    so every missing answer is reported in one round.
    """
    ratings = {}
    errors = {}
    for field in Assessment.RATING_FIELDS + Assessment.PROTECTION_FIELDS:
        value = data.get(field)
        if value not in RiskLevel.values:
            errors[field] = _("Rate this factor: High, Medium or Low.")
        ratings[field] = value
    for field in booleans:
        if data.get(field) not in (True, False):
            errors[field] = _("Answer yes or no.")
    for field in texts:
        if not _text(data.get(field)):
            errors[field] = _("This field is required.")
    if errors:
        raise ValidationError(errors)
    return ratings


@audit_batch
def case_assess_initial(*, actor: User, case: Case, **data: Any) -> Assessment:
    """Record the initial risk assessment (Mẫu 02) and whether emergency measures are needed."""
    case, step = _begin(actor=actor, case=case, name="assess_initial")
    ratings = _ratings(data, booleans=("emergency_required",))
    at = _past_time("assessed_at", data.get("assessed_at"), case)
    assessment = Assessment.objects.create(
        case=case,
        kind=Assessment.Kind.INITIAL,
        assessor=actor,
        assessed_at=at,
        emergency_required=data["emergency_required"],
        safety_measures=data.get("safety_measures", ""),
        summary=data.get("summary", ""),
        **ratings,
    )
    _finish_emergency(
        case=case,
        step=step,
        actor=actor,
        at=at,
        required=data["emergency_required"],
        details={"emergency_required": data["emergency_required"]},
    )
    # The way from Mẫu 02 to the needs meeting has a clock of its own (a local default).
    deadlines_on_event(
        case=case, event=Event.INITIAL_ASSESSED, at=at, key=f"v{_next_plan_version(case)}"
    )
    if not case.emergency_required:
        deadlines_on_event(case=case, event=Event.NO_EMERGENCY, at=at)
    crime_check(case=case, actor=actor, at=at)
    return assessment


SEPARATION_RULE = "separation_15d"  # Art. 32(3): the deadline rule that holds the cap


def _separation_cap(starts_at: datetime.datetime) -> tuple[datetime.datetime, DeadlineRule]:
    """
    How long a separation may run without a competent authority's request: its deadline rule's
    length from the start (one rule for the cap and its clock, so the two cannot differ).
    """
    rule = DeadlineRule.objects.get(code=SEPARATION_RULE)
    return due_at(rule, starts_at), rule


def _beyond_cap_message(rule: DeadlineRule, *, in_all: bool) -> str:
    limit = {"days": rule.duration, "unit": rule.get_unit_display()}
    if in_all:
        return (
            _(
                "A separation lasts at most %(days)s %(unit)s in all (Art. 32(3)) unless a "
                "competent authority requires more: give its request."
            )
            % limit
        )
    return (
        _(
            "A separation lasts at most %(days)s %(unit)s (Art. 32(3)) unless a competent "
            "authority requires more: give its request."
        )
        % limit
    )


@audit_batch
def case_decide_emergency(*, actor: User, case: Case, **data: Any) -> EmergencyDecision:
    """Record the chairman's emergency intervention or temporary separation (Mẫu 07)."""
    case, step = _begin(actor=actor, case=case, name="decide_emergency")
    kind = data.get("kind")
    if kind not in EmergencyDecision.Kind.values:
        raise ValidationError({"kind": _("Choose emergency intervention or separation.")})
    _required_text(data, "decision_number", "measures")
    check_lengths(EmergencyDecision, data)
    decided_at = _past_time("decided_at", data.get("decided_at"), case)
    fields: dict[str, Any] = {
        "decision_number": _text(data["decision_number"]),
        "measures": data["measures"],
    }
    authority = _text(data.get("authority_reference"))
    if kind == EmergencyDecision.Kind.SEPARATION:
        _required_text(data, "separated_from", "safe_place", "alternative_care", "ground")
        if data["ground"] not in EmergencyDecision.Ground.values:
            raise ValidationError({"ground": _("Choose the ground under Art. 32(1).")})
        starts_at = data.get("starts_at") or decided_at
        ends_at = data.get("ends_at")
        if ends_at is None:
            raise ValidationError({"ends_at": _("Give the end of the separation.")})
        if ends_at <= starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})
        cap, rule = _separation_cap(starts_at)
        if ends_at > cap and not authority:
            raise ValidationError({"ends_at": _beyond_cap_message(rule, in_all=False)})
        fields.update(
            separated_from=data["separated_from"],
            ground=data["ground"],
            safe_place=data["safe_place"],
            alternative_care=data["alternative_care"],
            starts_at=starts_at,
            ends_at=ends_at,
        )
    decision = EmergencyDecision.objects.create(
        case=case,
        kind=kind,
        decided_by=actor,
        decided_at=decided_at,
        signed_as=signing_capacity(actor, case),
        **fields,
    )
    _finish_emergency(
        case=case,
        step=step,
        actor=actor,
        at=decided_at,
        required=True,
        details={"kind": kind, "decision_number": decision.decision_number},
    )
    deadlines_on_event(case=case, event=Event.EMERGENCY_DECIDED, at=decided_at)
    if kind == EmergencyDecision.Kind.SEPARATION:
        key = decision.public_id.hex
        deadlines_on_event(
            case=case, event=Event.SEPARATION_STARTED, at=decision.starts_at, key=key
        )
        if decision.ends_at > cap:
            deadline_move(
                case=case, rule_code=SEPARATION_RULE, key=key, due=decision.ends_at, note=authority
            )
    return decision


@audit_batch
def case_record_intervention(
    *, actor: User, case: Case, measures: str = "", intervened_at: datetime.datetime | None = None
) -> EmergencyDecision:
    """
    The emergency intervention itself (Art. 31(3)–(4)): the commune's child-protection officer
    with the police stops the harm, arranges first aid and keeps the evidence, and records when
    and what. It meets the 12-hour clock at that time; no chairman's decision is needed (only a
    separation needs one, Art. 32 and Mẫu 07).
    """
    case, step = _begin(actor=actor, case=case, name="record_intervention")
    _required_text({"measures": measures}, "measures")
    check_lengths(EmergencyDecision, {"measures": measures})
    at = _past_time("intervened_at", intervened_at, case)
    intervention = EmergencyDecision.objects.create(
        case=case,
        kind=EmergencyDecision.Kind.INTERVENTION,
        decision_number="",
        decided_by=actor,
        decided_at=at,
        measures=measures,
    )
    _finish_emergency(
        case=case,
        step=step,
        actor=actor,
        at=at,
        required=True,
        details={"kind": EmergencyDecision.Kind.INTERVENTION},
    )
    deadlines_on_event(case=case, event=Event.EMERGENCY_DECIDED, at=at)
    return intervention


def _locked_decision(decision: EmergencyDecision | None) -> EmergencyDecision | None:
    if decision is None:
        return None
    return EmergencyDecision.objects.select_for_update().filter(pk=decision.pk).first()


def _running_separation(case: Case, decision: EmergencyDecision | None) -> EmergencyDecision:
    if decision is None or decision.case_id != case.pk or not decision.is_active_separation:
        raise ValidationError({"decision": _("There is no running separation to change.")})
    return decision


@audit_batch
def case_extend_separation(
    *,
    actor: User,
    case: Case,
    decision: EmergencyDecision,
    new_ends_at: datetime.datetime,
    reason: str,
    authority_reference: str = "",
) -> SeparationExtension:
    """Extend a separation with its reason; past 15 days only on an authority's request."""
    case, step = _begin(actor=actor, case=case, name="extend_separation")
    decision = _running_separation(case, _locked_decision(decision))
    if not _text(reason):
        raise ValidationError({"reason": _("Give the reason for the extension.")})
    if new_ends_at is None:
        raise ValidationError({"new_ends_at": _("Give the new end of the separation.")})
    if new_ends_at <= decision.ends_at:
        raise ValidationError({"new_ends_at": _("The new end must come after the current end.")})
    authority_reference = _text(authority_reference)
    check_lengths(SeparationExtension, {"authority_reference": authority_reference})
    cap, rule = _separation_cap(decision.starts_at)
    if new_ends_at > cap and not authority_reference:
        raise ValidationError({"new_ends_at": _beyond_cap_message(rule, in_all=True)})
    extension = SeparationExtension.objects.create(
        decision=decision,
        previous_ends_at=decision.ends_at,
        new_ends_at=new_ends_at,
        reason=reason,
        authority_reference=authority_reference,
        decided_by=actor,
    )
    decision.ends_at = new_ends_at
    decision.save(update_fields=["ends_at"])
    if new_ends_at > cap:
        deadline_move(
            case=case,
            rule_code=SEPARATION_RULE,
            key=decision.public_id.hex,
            due=new_ends_at,
            note=authority_reference,
        )
    _finish(
        case=case,
        step=step,
        actor=actor,
        reason=reason,
        details={
            "decision_number": decision.decision_number,
            "new_ends_at": new_ends_at.isoformat(),
        },
    )
    return extension


END_BASES = ("carer_safe", "court_decision")


def _safe_carer_finding(case: Case, decision: EmergencyDecision) -> Assessment | None:
    """The latest Mẫu 03 since the separation began that finds the carer safe (Art. 32(3))."""
    return (
        case.assessments.filter(
            kind=Assessment.Kind.SPECIFIC,
            carer_safe=True,
            assessed_at__gte=decision.starts_at or decision.decided_at,
        )
        .order_by("-assessed_at", "-id")
        .first()
    )


@audit_batch
def case_end_separation(
    *,
    actor: User,
    case: Case,
    decision: EmergencyDecision,
    reason: str,
    basis: str = "carer_safe",
) -> EmergencyDecision:
    """
    End or revoke a separation (Art. 32(3)): when a Mẫu 03 recorded since it began finds the
    parents or carer keep the child safe, or on the court's decision on a petition about it
    (Circular 14/2020 Art. 14(3)(b)). The reason is kept with it.
    """
    case, step = _begin(actor=actor, case=case, name="end_separation")
    decision = _running_separation(case, _locked_decision(decision))
    errors: dict[str, Any] = {}
    finding = None
    if basis not in END_BASES:
        errors["basis"] = _("Choose what the end rests on.")
    elif basis == "carer_safe":
        finding = _safe_carer_finding(case, decision)
        if finding is None:
            errors["basis"] = _(
                "No Mẫu 03 assessment since the separation began finds that the parents or "
                "carer keep the child safe. Record the assessment again first (Art. 32(3))."
            )
    elif not decision.court_petitions.exists():
        errors["basis"] = _("No petition to the court about this separation is recorded.")
    if not _text(reason):
        errors["reason"] = _("Give the reason for ending the separation.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    decision.ended_at = now
    decision.end_reason = reason
    decision.end_basis = basis
    decision.end_assessment = finding
    decision.save(update_fields=["ended_at", "end_reason", "end_basis", "end_assessment"])
    deadlines_on_event(case=case, event=Event.SEPARATION_ENDED, at=now, key=decision.public_id.hex)
    _finish(
        case=case,
        step=step,
        actor=actor,
        at=now,
        reason=reason,
        details={"decision_number": decision.decision_number, "basis": basis},
    )
    return decision


SPECIFIC_TEXT_FIELDS = (
    "physical_emotional_state",
    "family_capacity",
    "risk_factors",
    "learning_and_self_protection",
    "community_safety",
    "needs",
    "child_views",
    "carer_views",
)


def _record_specific(
    *, actor: User, case: Case, step: Step, data: dict[str, Any], again: bool
) -> Assessment:
    ratings = _ratings(data, texts=("physical_emotional_state", "family_capacity", "needs"))
    at = _past_time("assessed_at", data.get("assessed_at"), case)
    carer_safe = data.get("carer_safe")
    assessment = Assessment.objects.create(
        case=case,
        kind=Assessment.Kind.SPECIFIC,
        assessor=actor,
        assessed_at=at,
        summary=data.get("summary", ""),
        carer_safe=carer_safe if carer_safe in (True, False) else None,
        is_reassessment=again,
        **{f: data.get(f, "") for f in SPECIFIC_TEXT_FIELDS},
        **ratings,
    )
    _finish(case=case, step=step, actor=actor, at=at, details={"carer_safe": carer_safe})
    crime_check(case=case, actor=actor, at=at)
    return assessment


@audit_batch
def case_assess_specific(*, actor: User, case: Case, **data: Any) -> Assessment:
    """Record the specific risk assessment (Mẫu 03, Art. 27(1) a–h)."""
    case, step = _begin(actor=actor, case=case, name="assess_specific")
    return _record_specific(actor=actor, case=case, step=step, data=data, again=False)


@audit_batch
def case_reassess_specific(*, actor: User, case: Case, **data: Any) -> Assessment:
    """
    Record a Mẫu 03 again, the case keeping its place: whether the carer keeps the child safe
    now (Art. 32(3)), and the reassessment of a separated child (Circular 14/2020 Art. 14(3)),
    which meets the clock of each separation running at its time.
    """
    case, step = _begin(actor=actor, case=case, name="reassess_specific")
    if data.get("carer_safe") not in (True, False):
        raise ValidationError(
            {"carer_safe": _("Say whether the parents or carer keep the child safe.")}
        )
    assessment = _record_specific(actor=actor, case=case, step=step, data=data, again=True)
    running = case.emergency_decisions.filter(
        kind=EmergencyDecision.Kind.SEPARATION,
        ended_at__isnull=True,
        starts_at__lte=assessment.assessed_at,
    )
    for decision in running:
        deadlines_on_event(
            case=case,
            event=Event.SEPARATION_REASSESSED,
            at=assessment.assessed_at,
            key=decision.public_id.hex,
        )
    return assessment


PETITION_DATE_PROBLEMS = (
    gettext_lazy("Give the date the petition was filed."),
    gettext_lazy("The date is in the future."),
    gettext_lazy("The date is before the case was received."),
)


@audit_batch
def case_petition_court(
    *,
    actor: User,
    case: Case,
    subject: str,
    court: str,
    filed_on: datetime.date | None,
    reference: str,
    separation: EmergencyDecision | None = None,
) -> CourtPetition:
    """
    The chairman's petition to the court (Law on Children Art. 52(3); Circular 14/2020 Art.
    14(3)(b)): to continue a separation the child cannot return from after 15 days, which then
    answers the 15-day bound, or to restrict parental rights. Since 1 July 2025 petitions go to
    the regional court (Tòa án nhân dân khu vực, Law 81/2025/QH15).
    """
    case, step = _begin(actor=actor, case=case, name="petition_court")
    errors: dict[str, Any] = {}
    if subject not in CourtPetition.Subject.values:
        errors["subject"] = _("Choose what the petition asks.")
    separation = _locked_decision(separation)
    if subject == CourtPetition.Subject.CONTINUE_SEPARATION:
        if separation is None or separation.case_id != case.pk:
            errors["separation"] = _("Choose the running separation the petition is about.")
        elif not separation.is_active_separation:
            errors["separation"] = _("There is no running separation to change.")
    elif separation is not None and separation.case_id != case.pk:
        errors["separation"] = _("There is no running separation to change.")
    for field, value in (("court", court), ("reference", reference)):
        if not _text(value):
            errors[field] = (
                _("Name the court (since 1 July 2025, the regional court).")
                if field == "court"
                else _("Give the petition's reference (its number).")
            )
    problem = _date_problem(filed_on, timezone.localdate(case.received_at), PETITION_DATE_PROBLEMS)
    if problem:
        errors["filed_on"] = problem
    if errors:
        raise ValidationError(errors)
    check_lengths(CourtPetition, {"court": court, "reference": reference})
    petition = CourtPetition.objects.create(
        case=case,
        separation=separation,
        subject=subject,
        court=_text(court),
        filed_on=filed_on,
        reference=_text(reference),
        recorded_by=actor,
    )
    if separation is not None:
        deadlines_on_event(
            case=case,
            event=Event.COURT_PETITIONED,
            at=decision_moment(filed_on, after=separation.decided_at),
            key=separation.public_id.hex,
        )
    _finish(
        case=case,
        step=step,
        actor=actor,
        details={"subject": subject, "court": petition.court, "reference": petition.reference},
    )
    return petition


def _next_plan_version(case: Case) -> int:
    return (case.plans.aggregate(v=Max("version"))["v"] or 0) + 1


@audit_batch
def case_hold_needs_meeting(*, actor: User, case: Case, **data: Any) -> NeedsMeeting:
    """Record the needs meeting and its minutes (Art. 27(2)); the 5-day plan clock starts."""
    case, step = _begin(actor=actor, case=case, name="hold_needs_meeting")
    _required_text(data, "chaired_by", "attendees", "minutes")
    check_lengths(NeedsMeeting, data)
    held_at = _past_time("held_at", data.get("held_at"), case)
    meeting = NeedsMeeting.objects.create(
        case=case,
        held_at=held_at,
        chaired_by=data["chaired_by"],
        attendees=data["attendees"],
        minutes=data["minutes"],
        recorded_by=actor,
    )
    _finish(case=case, step=step, actor=actor, at=held_at)
    deadlines_on_event(
        case=case, event=Event.NEEDS_MEETING_HELD, at=held_at, key=f"v{_next_plan_version(case)}"
    )
    return meeting


ACTIVITY_FIELDS = (
    "measure",
    "description",
    "organisation",
    "person_responsible",
    "starts_on",
    "ends_on",
    "resources",
    "cost",
    "status",
)


def _clean_activities(activities: list[dict[str, Any]], *, level: str) -> list[dict[str, Any]]:
    if not activities:
        raise ValidationError({"activities": _("Add at least one activity.")})
    errors: dict[str, str] = {}
    cleaned = []
    for index, activity in enumerate(activities):
        prefix = f"activities[{index}]"
        row = {k: v for k, v in activity.items() if k in ACTIVITY_FIELDS}
        if row.get("measure") not in Measure.values:
            errors[f"{prefix}.measure"] = _("Choose the measure (Art. 49 or 50).")
        elif row["measure"] not in measures_for(level):
            errors[f"{prefix}.measure"] = _(
                "A support case (Art. 49) takes the Art. 49 measures; this one is an "
                "intervention (Art. 50)."
            )
        if len(_text(row.get("person_responsible"))) > 200:
            errors[f"{prefix}.person_responsible"] = _("At most %(limit)s characters.") % {
                "limit": 200
            }
        if not _text(row.get("description")):
            errors[f"{prefix}.description"] = _("Describe the activity.")
        if not row.get("organisation") and not str(row.get("person_responsible") or "").strip():
            errors[f"{prefix}.person_responsible"] = _(
                "Say which organisation or person is responsible."
            )
        organisation = row.get("organisation")
        if organisation is not None and not isinstance(organisation, Organisation):
            errors[f"{prefix}.organisation"] = _("Choose an organisation.")
        starts, ends = row.get("starts_on"), row.get("ends_on")
        if not starts:
            errors[f"{prefix}.starts_on"] = _("Give the start date.")
        if not ends:
            errors[f"{prefix}.ends_on"] = _("Give the expected end date.")
        if starts and ends and ends < starts:
            errors[f"{prefix}.ends_on"] = _("The end must not come before the start.")
        cost = row.get("cost")
        if cost is not None and cost < 0:
            errors[f"{prefix}.cost"] = _("The cost cannot be negative.")
        if row.get("status", PlanActivity.Status.PLANNED) not in PlanActivity.Status.values:
            errors[f"{prefix}.status"] = _("Choose from the list.")
        cleaned.append(row)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _latest(case: Case, kind: str) -> Assessment | None:
    return case.assessments.filter(kind=kind).order_by("-assessed_at", "-id").first()


@audit_batch
def case_draft_plan(
    *,
    actor: User,
    case: Case,
    objectives: str,
    review_on: datetime.date | None,
    activities: list[dict[str, Any]],
    monitoring: str = "",
    reason: str = "",
) -> Plan:
    """Draft the plan (Mẫu 04): a new version, or a redraft of the draft not yet submitted."""
    case, step = _begin(actor=actor, case=case, name="draft_plan")
    errors = {}
    if not _text(objectives):
        errors["objectives"] = _("State the objectives of the plan.")
    if review_on is None:
        errors["review_on"] = _("Give the date the plan will be reviewed.")
    elif review_on < timezone.localdate():
        errors["review_on"] = _("The review date is in the past.")
    if errors:
        raise ValidationError(errors)
    rows = _clean_activities(activities, level=case.protection_level)
    previous_status = case.status
    if previous_status == Case.Status.UNDER_REVIEW:
        review = _latest(case, Assessment.Kind.REVIEW)
        if review is None or review.recommendation != Assessment.Recommendation.NEW_PLAN:
            raise StepNotAvailable(_("A new plan follows a review that calls for one."))
    if previous_status == Case.Status.IN_IMPLEMENTATION and not _text(reason):
        raise ValidationError({"reason": _("Say why the plan must change (Art. 29(1)(a)).")})
    plan = case.plans.filter(status=Plan.Status.DRAFT).first()
    if plan is None:
        plan = Plan.objects.create(
            case=case,
            version=_next_plan_version(case),
            objectives=objectives,
            monitoring=monitoring,
            review_on=review_on,
            drafted_by=actor,
        )
    else:
        plan.objectives, plan.monitoring, plan.review_on = objectives, monitoring, review_on
        plan.drafted_by, plan.drafted_at = actor, timezone.now()
        plan.save()
        plan.activities.all().delete()
    PlanActivity.objects.bulk_create(PlanActivity(plan=plan, **row) for row in rows)
    _finish(
        case=case, step=step, actor=actor, reason=reason, details={"plan_version": plan.version}
    )
    if previous_status in (Case.Status.UNDER_REVIEW, Case.Status.IN_IMPLEMENTATION):
        deadlines_on_event(
            case=case, event=Event.REPLAN_STARTED, at=timezone.now(), key=f"v{plan.version}"
        )
    return plan


def _current_draft(case: Case, status: str) -> Plan:
    plan = case.plans.filter(status=status).order_by("-version").first()
    if plan is None:
        raise StepNotAvailable(_("There is no plan in this state."))
    return plan


@audit_batch
def case_submit_plan(*, actor: User, case: Case) -> Plan:
    """Submit the drafted plan to the chairman; the 2-working-day approval clock starts."""
    case, step = _begin(actor=actor, case=case, name="submit_plan")
    plan = _current_draft(case, Plan.Status.DRAFT)
    now = timezone.now()
    plan.status = Plan.Status.SUBMITTED
    plan.submitted_at = now
    plan.submission_count += 1
    plan.save(update_fields=["status", "submitted_at", "submission_count"])
    _finish(case=case, step=step, actor=actor, at=now, details={"plan_version": plan.version})
    deadlines_on_event(
        case=case,
        event=Event.PLAN_SUBMITTED,
        at=now,
        key=f"v{plan.version}",
        start_key=f"v{plan.version}-{plan.submission_count}",
    )
    return plan


@audit_batch
def case_return_plan(*, actor: User, case: Case, reason: str) -> Plan:
    """The chairman sends the plan back to the officer, saying why."""
    case, step = _begin(actor=actor, case=case, name="return_plan")
    if not _text(reason):
        raise ValidationError({"reason": _("Say what must change.")})
    plan = _current_draft(case, Plan.Status.SUBMITTED)
    plan.status = Plan.Status.DRAFT
    plan.save(update_fields=["status"])
    now = timezone.now()
    _finish(
        case=case,
        step=step,
        actor=actor,
        at=now,
        reason=reason,
        details={"plan_version": plan.version},
    )
    deadlines_on_event(
        case=case,
        event=Event.PLAN_RETURNED,
        at=now,
        key=f"v{plan.version}-{plan.submission_count}",
    )
    return plan


@audit_batch
def case_approve_plan(
    *, actor: User, case: Case, decision_number: str, decision_date: datetime.date | None
) -> Plan:
    """The chairman approves the plan (Mẫu 05) with the decision's number and date."""
    case, step = _begin(actor=actor, case=case, name="approve_plan")
    plan = _current_draft(case, Plan.Status.SUBMITTED)
    errors = {}
    if not _text(decision_number):
        errors["decision_number"] = _("Give the decision number.")
    elif len(_text(decision_number)) > Plan._meta.get_field("decision_number").max_length:
        errors["decision_number"] = _("At most %(limit)s characters.") % {"limit": 40}
    submitted_on = timezone.localtime(plan.submitted_at).date()
    if problem := _date_problem(decision_date, submitted_on, DECISION_DATE_PROBLEMS):
        errors["decision_date"] = problem
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    case.plans.filter(status=Plan.Status.APPROVED).update(status=Plan.Status.SUPERSEDED)
    plan.status = Plan.Status.APPROVED
    plan.approved_by, plan.approved_at = actor, now
    plan.decision_number, plan.decision_date = _text(decision_number), decision_date
    plan.signed_as = signing_capacity(actor, case)
    plan.save()
    _finish(
        case=case,
        step=step,
        actor=actor,
        at=now,
        details={
            "plan_version": plan.version,
            "decision_number": plan.decision_number,
            "decision_date": decision_date.isoformat(),
        },
    )
    # The approval clocks are met on the decision's own date, not on the day it is entered.
    deadlines_on_event(
        case=case,
        event=Event.PLAN_APPROVED,
        at=decision_moment(decision_date, after=plan.submitted_at),
        key=f"v{plan.version}",
        due_on=plan.review_on,
    )
    return plan


def decision_moment(decision_date: datetime.date, *, after: datetime.datetime) -> datetime.datetime:
    """
    When a decision known by its date counts as taken: the start of that day in Vietnam, or
    the moment its subject arrived if that was later the same day. A clock due on that day is
    met by it; one due the day before is not.
    """
    start = timezone.make_aware(
        datetime.datetime.combine(decision_date, datetime.time.min),
        timezone.get_current_timezone(),
    )
    return max(start, after)


@audit_batch
def case_start_implementation(*, actor: User, case: Case) -> Case:
    case, step = _begin(actor=actor, case=case, name="start_implementation")
    return _finish(case=case, step=step, actor=actor)


@audit_batch
def case_record_review(*, actor: User, case: Case, **data: Any) -> Assessment:
    """Record the review (Mẫu 06): ratings, the two Art. 30 conditions, the recommendation."""
    case, step = _begin(actor=actor, case=case, name="record_review")
    recommendation = data.get("recommendation")
    if recommendation not in Assessment.Recommendation.values:
        data = {**data, "recommendation": ""}
    ratings = _ratings(
        data, booleans=("no_remaining_risk", "child_stable"), texts=("recommendation",)
    )
    both = data["no_remaining_risk"] and data["child_stable"]
    if recommendation == Assessment.Recommendation.CLOSE and not both:
        raise ValidationError(
            {
                "recommendation": _(
                    "Closing needs both Art. 30 conditions: no remaining risk of abuse and the "
                    "child stable. Otherwise recommend a new plan."
                )
            }
        )
    if recommendation == Assessment.Recommendation.NEW_PLAN and both:
        raise ValidationError(
            {"recommendation": _("Both Art. 30 conditions hold: recommend closing.")}
        )
    at = _past_time("assessed_at", data.get("assessed_at"), case)
    plan = case.plans.filter(status=Plan.Status.APPROVED).order_by("-version").first()
    review = Assessment.objects.create(
        case=case,
        kind=Assessment.Kind.REVIEW,
        assessor=actor,
        assessed_at=at,
        summary=data.get("summary", ""),
        no_remaining_risk=data["no_remaining_risk"],
        child_stable=data["child_stable"],
        recommendation=recommendation,
        **ratings,
    )
    _finish(case=case, step=step, actor=actor, at=at, details={"recommendation": recommendation})
    if plan is not None:
        deadlines_on_event(case=case, event=Event.REVIEW_RECORDED, at=at, key=f"v{plan.version}")
    crime_check(case=case, actor=actor, at=at)
    return review


@audit_batch
def case_close(*, actor: User, case: Case, reason: str = "") -> Case:
    """The chairman closes the case when the latest review affirms both Art. 30 conditions."""
    case, step = _begin(actor=actor, case=case, name="close")
    review = _latest(case, Assessment.Kind.REVIEW)
    if review is None or not (review.no_remaining_risk and review.child_stable):
        raise StepNotAvailable(
            _(
                "The case can be closed only when the latest review affirms that no risk of "
                "abuse remains and that the child is stable (Art. 30)."
            )
        )
    now = timezone.now()
    case.closed_at = now
    _finish(case=case, step=step, actor=actor, at=now, reason=reason, extra_fields=["closed_at"])
    deadlines_on_event(case=case, event=Event.CASE_FINISHED, at=now)
    return case


@audit_batch
def case_end_otherwise(
    *,
    actor: User,
    case: Case,
    ending: str = "",
    ended_on: datetime.date | None = None,
    reason: str = "",
) -> Case:
    """
    The case ends other than by an Art. 30 closure: the child turned 16, died, moved abroad or
    beyond reach, or continues under another authority. Kept as what it is, with its date.
    """
    case, step = _begin(actor=actor, case=case, name="end_otherwise")
    errors = {}
    if ending not in Case.Ending.values:
        errors["ending"] = _("Choose how the case ended.")
    received_on = timezone.localtime(case.received_at).date()
    if problem := _date_problem(ended_on, received_on, ENDED_ON_PROBLEMS):
        errors["ended_on"] = problem
    born = case.child.date_of_birth if case.child_id else None
    if not errors and ending == Case.Ending.TURNED_16 and born is not None:
        sixteenth = _birthday(born, 16)
        if ended_on < sixteenth:
            errors["ended_on"] = _("The child turns 16 only on %(date)s.") % {
                "date": sixteenth.strftime("%d/%m/%Y")
            }
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    case.closed_at, case.ending, case.ended_on = now, ending, ended_on
    _finish(
        case=case,
        step=step,
        actor=actor,
        at=now,
        reason=_text(reason),
        details={"ending": ending, "ended_on": ended_on.isoformat()},
        extra_fields=["closed_at", "ending", "ended_on"],
    )
    deadlines_on_event(case=case, event=Event.CASE_FINISHED, at=now)
    return case


def _birthday(born: datetime.date, years: int) -> datetime.date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # born on 29 February
        return born.replace(year=born.year + years, day=28)


@audit_batch
def case_mark_not_substantiated(*, actor: User, case: Case, reason: str) -> Case:
    case, step = _begin(actor=actor, case=case, name="mark_not_substantiated")
    if not _text(reason):
        raise ValidationError({"reason": _("Say why the report is not substantiated.")})
    now = timezone.now()
    case.closed_at = now
    _finish(case=case, step=step, actor=actor, at=now, reason=reason, extra_fields=["closed_at"])
    deadlines_on_event(case=case, event=Event.CASE_FINISHED, at=now)
    return case


@audit_batch
def case_transfer(*, actor: User, case: Case, commune: AdministrativeUnit, reason: str) -> Case:
    """Move the case to another commune: its scope moves with it; its history stays."""
    case, step = _begin(actor=actor, case=case, name="transfer")
    errors = {}
    if commune is None or commune.level != AdministrativeUnit.Level.COMMUNE or commune.valid_to:
        errors["commune"] = _("Choose a current commune.")
    elif commune.pk == case.commune_id:
        errors["commune"] = _("The case is already held by this commune.")
    if not _text(reason):
        errors["reason"] = _("Say why the case is transferred.")
    if errors:
        raise ValidationError(errors)
    details = {"from_commune": case.commune.code, "to_commune": commune.code}
    case.commune = commune
    case.province = commune.province
    _finish(
        case=case,
        step=step,
        actor=actor,
        reason=reason,
        details=details,
        extra_fields=["commune", "province"],
    )
    # The clocks are the new commune's work now (their scope column, cases.models.CaseDeadline).
    CaseDeadline.objects.filter(case=case).update(commune=commune)
    notify(recipients_for(case, ["cp_officer"]), kind=Notification.Kind.CASE_ASSIGNED, case=case)
    return case


@audit_batch
def case_merge(*, actor: User, case: Case, into: Case, reason: str) -> Case:
    """Merge a duplicate into the case it duplicates; the duplicate stays readable."""
    case, step = _begin(actor=actor, case=case, name="merge")
    errors = {}
    if into is not None and into.pk != case.pk:
        # Read afresh and locked: the case merged into may have ended or moved a moment ago.
        into = Case.objects.select_for_update().filter(pk=into.pk).first()
    if into is None or into.pk == case.pk:
        errors["into"] = _("Choose another case.")
    elif VIEW_CASE not in case_permissions(actor, into) or into.status not in OPEN_STATES:
        errors["into"] = _("Choose an open case that you can see.")
    if not _text(reason):
        errors["reason"] = _("Say why this case is a duplicate.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    case.merged_into = into
    case.closed_at = now
    _finish(
        case=case,
        step=step,
        actor=actor,
        at=now,
        reason=reason,
        details={"into": into.number},
        extra_fields=["merged_into", "closed_at"],
    )
    deadlines_on_event(case=case, event=Event.CASE_FINISHED, at=now)
    return case


# ---------------------------------------------------------------------------------------------
# Notes and documents


@audited("case_note_add")
def case_note_add(*, actor: User, case: Case, text: str) -> CaseNote:
    """Add a note; anyone who reads the whole file may annotate it."""
    _require(actor, case, VIEW_CASE)
    if not _text(text):
        raise ValidationError({"text": _("The note is empty.")})
    return CaseNote.objects.create(case=case, author=actor, text=_text(text))


# Accepted documents: the type is decided from the file's first bytes, not from its name.
DOCUMENT_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
}
ACCEPTED_DOCUMENTS = gettext_lazy("PDF, JPEG, PNG or Word (.docx)")


@audited("case_document_add")
def case_document_add(
    *, actor: User, case: Case, upload: UploadedFile, kind: str = "other", description: str = ""
) -> CaseDocument:
    """Store an uploaded document outside the web root and record its SHA-256."""
    _require(actor, case, VIEW_CASE)
    if kind not in CaseDocument.Kind.values:
        raise ValidationError({"kind": _("Choose from the list.")})
    limit = settings.DOCUMENT_MAX_BYTES
    if upload is None or not upload.size:
        raise ValidationError({"file": _("The file is empty.")})
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": round(upload.size / 1048576, 1), "limit": round(limit / 1048576, 1)}
            }
        )
    name = (upload.name or "").rsplit("/", 1)[-1][:255]
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    accepted = DOCUMENT_TYPES.get(extension)
    upload.seek(0)
    head = upload.read(16)
    if accepted is None or not any(head.startswith(magic) for magic in accepted[1]):
        raise ValidationError(
            {
                "file": _("This type of file is not accepted: use %(types)s.")
                % {"types": ACCEPTED_DOCUMENTS}
            }
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = CaseDocument(
        case=case,
        kind=kind,
        description=description[:255],
        original_name=name,
        content_type=accepted[0],
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    document.file.save(document.public_id.hex, upload, save=False)
    document.save()
    return document


# ---------------------------------------------------------------------------------------------
# Shares (per-case access outside the commune's jurisdiction)


def _permissions(codenames: Iterable[str]) -> list[Permission]:
    codenames = set(codenames)
    unknown = codenames - ALL_CASE_PERMISSIONS
    if unknown:
        raise ValueError(f"Unknown case permissions: {sorted(unknown)}")
    return list(Permission.objects.filter(content_type__app_label="cases", codename__in=codenames))


@audited("case_share_grant")
def case_share_grant(
    *,
    case: Case,
    permissions: Iterable[str],
    reason: str,
    group: Group | None = None,
    user: User | None = None,
) -> None:
    """Share one case with a group (an organisation's role) or a user, recording why."""
    if (group is None) == (user is None):
        raise ValueError("Share with exactly one of a group or a user.")
    forget_shares()
    for permission in _permissions(permissions):
        if group is not None:
            CaseGroupObjectPermission.objects.update_or_create(
                group=group,
                permission=permission,
                content_object=case,
                defaults={"reason": reason},
            )
        else:
            CaseUserObjectPermission.objects.update_or_create(
                user=user,
                permission=permission,
                content_object=case,
                defaults={"reason": reason},
            )


@audited("case_share_revoke")
def case_share_revoke(
    *,
    case: Case,
    group: Group | None = None,
    user: User | None = None,
    permissions: Iterable[str] | None = None,
) -> int:
    """End a share; the next request is already denied. Return how many grants were removed."""
    if (group is None) == (user is None):
        raise ValueError("Revoke from exactly one of a group or a user.")
    forget_shares()
    if group is not None:
        grants = CaseGroupObjectPermission.objects.filter(group=group, content_object=case)
    else:
        grants = CaseUserObjectPermission.objects.filter(user=user, content_object=case)
    if permissions is not None:
        grants = grants.filter(permission__in=_permissions(permissions))
    deleted, _details = grants.delete()
    return deleted


def notifications_mark_read(*, user: User, pk: int | None = None) -> int:
    """
    Mark the user's unread notifications read: one (`pk`) or all. Notices about cases the user
    can no longer see stay as they are. Return how many were marked.
    """
    from cases.selectors import forget_unread, notifications_for

    unread = notifications_for(user=user).filter(read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    marked = unread.update(read_at=timezone.now())
    forget_unread()
    return marked


# ---------------------------------------------------------------------------------------------
# Consent (Law on Children Art. 6; Personal Data Protection Law 2025)


@audited("consent_record")
def consent_record(
    *,
    actor: User,
    case: Case,
    recipient_kinds: list[str],
    representative_name: str,
    representative_relation: str,
    representative_consented: bool,
    method: str,
    child_consented: bool | None = None,
    witness: str = "",
    given_at: datetime.datetime | None = None,
) -> ConsentRecord:
    """Record consent to share the case with kinds of service provider."""
    _require(actor, case, "change_case")
    errors: dict[str, str] = {}
    kinds = list(dict.fromkeys(recipient_kinds or []))
    if not kinds or any(k not in Organisation.Kind.values for k in kinds):
        errors["recipient_kinds"] = _("Choose the kinds of organisation the consent covers.")
    if not _text(representative_name):
        errors["representative_name"] = _("Give the name of the parent or representative.")
    if not _text(representative_relation):
        errors["representative_relation"] = _("Give their relation to the child.")
    if method not in ConsentRecord.Method.values:
        errors["method"] = _("Choose how the consent was given.")
    elif method == ConsentRecord.Method.VERBAL_WITNESSED and not _text(witness):
        errors["witness"] = _("Verbal consent needs a witness.")
    age = case.child.age
    if (age is None or age >= 7) and child_consented not in (True, False):
        errors["child_consented"] = _(
            "A child aged 7 or more (or of unknown age) must be asked too: record their answer."
        )
    given_at = given_at or timezone.now()
    if given_at > timezone.now() + CLOCK_SKEW:
        errors["given_at"] = _("This time is in the future.")
    elif given_at < EARLIEST:
        errors["given_at"] = _("This time is too far in the past.")
    check_lengths(
        ConsentRecord,
        {
            "representative_name": representative_name,
            "representative_relation": representative_relation,
            "witness": witness,
        },
    )
    if errors:
        raise ValidationError(errors)
    return ConsentRecord.objects.create(
        case=case,
        purpose=ConsentRecord.Purpose.SHARE_WITH_PROVIDER,
        recipient_kinds=kinds,
        child_age=age,
        child_consented=child_consented,
        representative_name=_text(representative_name),
        representative_relation=_text(representative_relation),
        representative_consented=bool(representative_consented),
        method=method,
        witness=_text(witness),
        given_at=given_at,
        recorded_by=actor,
    )


@audited("consent_withdraw")
def consent_withdraw(*, actor: User, consent: ConsentRecord, note: str = "") -> ConsentRecord:
    """Withdraw a consent: sharing that relied on it stops in the same transaction."""
    from cases.hooks import consent_withdrawn

    _require(actor, consent.case, "change_case")
    consent = ConsentRecord.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise StepNotAvailable(_("This consent was already withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawal_note = _text(note)
    consent.save(update_fields=["withdrawn_at", "withdrawal_note"])
    consent_withdrawn.send(sender=ConsentRecord, consent=consent, actor=actor)
    return consent


# ---------------------------------------------------------------------------------------------
# Incidents: several children harmed together, one case each


@audited("case_link_incident")
def case_link_incident(*, actor: User, case: Case, other: Case | None, title: str = "") -> Incident:
    """
    Record that `case` and `other` are about children harmed in the same incident: they join
    the incident one of them already has, or a new one named `title`.
    """
    _require(actor, case, "change_case")
    # Read both afresh and locked: either may have joined an incident a moment ago.
    case = Case.objects.select_for_update().get(pk=case.pk)
    if other is not None:
        other = Case.objects.select_for_update().get(pk=other.pk)
    errors: dict[str, str] = {}
    if other is None or other.pk == case.pk or VIEW_CASE not in case_permissions(actor, other):
        errors["other"] = _("Choose another case that you can see.")
    elif case.incident_id and other.incident_id and case.incident_id != other.incident_id:
        errors["other"] = _("The two cases already belong to different incidents.")
    incident_id = case.incident_id or (other.incident_id if other else None)
    if incident_id is None and not _text(title):
        errors["title"] = _("Name the incident.")
    check_lengths(Incident, {"title": _text(title)})
    if errors:
        raise ValidationError(errors)
    if incident_id is None:
        incident = Incident.objects.create(
            title=_text(title),
            commune=case.incident_commune or case.commune,
            occurred_on=timezone.localtime(case.received_at).date(),
        )
    else:
        incident = Incident.objects.get(pk=incident_id)
    Case.objects.filter(pk__in=[case.pk, other.pk]).update(
        incident=incident, version=F("version") + 1
    )
    _ages_at_incident(case.pk, other.pk)
    return incident


def _ages_at_incident(*pks: int) -> None:
    """The cases' incident changed: their children's ages are taken on its date again."""
    for joined in Case.objects.select_related("child", "incident").filter(pk__in=pks):
        case_age_at_incident_set(joined)


@audited("case_unlink_incident")
def case_unlink_incident(*, actor: User, case: Case) -> None:
    _require(actor, case, "change_case")
    Case.objects.filter(pk=case.pk).update(incident=None, version=F("version") + 1)
    _ages_at_incident(case.pk)
