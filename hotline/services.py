"""
Every change to calls, collaborator reports and their triage goes through here. Opening a case
from an intake item hands it to cases.services, so the case's clocks start at the receipt time.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AdministrativeUnit, Organisation, Role, User
from accounts.selectors import memberships_of
from accounts.services import organisation_group
from audit.services import audited
from cases import services as case_services
from cases import workflow
from cases.access import can_see
from cases.deadlines import recipients_for
from cases.models import Case, Notification, Sex
from cases.names import name_key
from cases.workflow import OPEN_STATES, Refusal
from hotline import clocks, triage
from hotline.models import (
    Call,
    CloseReason,
    CollaboratorReport,
    IntakeStatus,
    TelephonyCall,
    Urgency,
)
from hotline.phones import caller_number_key, caller_number_parse

CLOCK_SKEW = datetime.timedelta(minutes=5)


class IntakeNotPermitted(PermissionDenied):
    """The user sees the item but may not do this to it (HTTP 403)."""


class IntakeAlreadyTriaged(Exception):
    """The item was already triaged (HTTP 409); the first decision stands."""

    def __init__(self, message: str = "") -> None:
        self.message = message or _("This item was already triaged; the first decision stands.")
        super().__init__(self.message)


def hotline_organisations_of(user: User) -> list[Organisation]:
    return [
        m.organisation
        for m in memberships_of(user=user)
        if m.role == Role.HOTLINE_OPERATOR and m.organisation.kind == Organisation.Kind.HOTLINE
    ]


def collaborator_communes_of(user: User) -> list[AdministrativeUnit]:
    return [
        m.organisation.area
        for m in memberships_of(user=user)
        if m.role == Role.COLLABORATOR
        and m.organisation.kind == Organisation.Kind.COMMUNE_COMMITTEE
        and m.organisation.area is not None
    ]


def officer_communes_of(user: User) -> list[AdministrativeUnit]:
    return case_services.communes_where_user_opens_cases(user=user)


def _commune(value: Any, field: str) -> AdministrativeUnit | None:
    if value in (None, ""):
        return None
    if not isinstance(value, AdministrativeUnit) or value.level != AdministrativeUnit.Level.COMMUNE:
        raise ValidationError({field: _("Choose a commune.")})
    return value


CALL_TEXT_FIELDS = (
    "child_name",
    "place",
    "narrative",
    "caller_name",
    "caller_address",
    "child_condition",
    "expected_consequence",
    "family_situation",
    "current_carer",
    "prior_actions",
)


@audited("call_log")
def call_log(*, actor: User, **data: Any) -> Call:
    """An operator logs a call. A caller who does not agree to be identified leaves no identity."""
    if not hotline_organisations_of(actor):
        raise IntakeNotPermitted(_("Only hotline operators log calls."))
    errors: dict[str, str] = {}
    call_type = data.get("call_type")
    if call_type not in Call.CallType.values:
        errors["call_type"] = _("Choose the call type.")
    channel = data.get("channel") or Call.Channel.PHONE
    if channel not in Call.Channel.values:
        errors["channel"] = _("Choose from the list.")
    relation = data.get("caller_relation") or Call.CallerRelation.UNKNOWN
    if relation not in Call.CallerRelation.values:
        errors["caller_relation"] = _("Choose from the list.")
    urgency = data.get("urgency") or Urgency.NORMAL
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose from the list.")
    sex = data.get("child_sex") or Sex.UNKNOWN
    if sex not in Sex.values:
        errors["child_sex"] = _("Choose from the list.")
    started_at = data.get("started_at") or timezone.now()
    if started_at > timezone.now() + CLOCK_SKEW:
        errors["started_at"] = _("The start time is in the future.")
    elif started_at < case_services.EARLIEST:
        errors["started_at"] = _("This time is too far in the past.")
    duration = data.get("duration_seconds")
    if duration is not None and not 0 <= duration <= 24 * 3600:
        errors["duration_seconds"] = _("The duration must be between 0 and 86,400 seconds.")
    age = data.get("child_age")
    if age is not None and not 0 <= age < 18:
        errors["child_age"] = _("The estimated age must be between 0 and 17.")
    try:
        incident = _commune(data.get("incident_commune"), "incident_commune")
        residence = _commune(data.get("residence_commune"), "residence_commune")
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
        incident = residence = None
    if call_type == Call.CallType.REPORT and incident is None and residence is None:
        errors["incident_commune"] = _(
            "A report needs the commune where it happened or where the child lives."
        )
    raw_number = data.get("caller_number")
    number_value, number_kind = "", Call.NumberKind.NONE
    if channel == Call.Channel.PHONE or raw_number:
        try:
            parsed = caller_number_parse(raw_number)
            number_value, number_kind = parsed.value, parsed.kind
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    consents = bool(data.get("caller_consents"))
    texts = {field: str(data.get(field) or "").strip() for field in CALL_TEXT_FIELDS}
    case_services.check_lengths(Call, texts)
    number_key = caller_number_key(number_value) if number_kind == Call.NumberKind.NUMBER else ""
    if not consents:
        # Mẫu 01 section A.3: the reporter's name, phone and address only with their agreement.
        texts["caller_name"] = texts["caller_address"] = ""
        if number_kind == Call.NumberKind.NUMBER:
            number_value = ""
    telephony = data.get("telephony")
    if telephony is not None and not isinstance(telephony, TelephonyCall):
        telephony = None
    if telephony is not None:
        # Lock the ringing call so two operators cannot both log it.
        telephony = TelephonyCall.objects.select_for_update().get(pk=telephony.pk)
        if Call.objects.filter(telephony=telephony).exists():
            raise ValidationError({"telephony": _("This call was already logged.")})
    call = Call.objects.create(
        operator=actor,
        call_type=call_type,
        channel=channel,
        caller_relation=relation,
        urgency=urgency,
        child_sex=sex,
        child_age=age,
        started_at=started_at,
        duration_seconds=duration,
        caller_number=number_value,
        caller_number_key=number_key,
        caller_number_kind=number_kind,
        caller_consents=consents,
        incident_commune=incident,
        residence_commune=residence,
        child_name_key=name_key(texts["child_name"]),
        telephony=telephony,
        # Only report calls wait for triage; the other types are counted, never cases.
        status=(
            IntakeStatus.RECEIVED
            if call_type == Call.CallType.REPORT
            else IntakeStatus.NO_CASE_NEEDED
        ),
        **texts,
    )
    if call.status == IntakeStatus.RECEIVED:
        # The law's clocks run from the receipt of the information, before any triage.
        clocks.intake_clocks_start(call)
    return call


@audited("report_submit")
def report_submit(
    *,
    actor: User,
    child_name: str = "",
    child_age: int | None = None,
    place: str = "",
    narrative: str = "",
    urgency: str = Urgency.NORMAL,
    commune: AdministrativeUnit | None = None,
) -> CollaboratorReport:
    """A collaborator reports a child at risk; it lands in the commune's intake inbox."""
    communes = collaborator_communes_of(actor)
    if not communes:
        raise IntakeNotPermitted(_("Only collaborators send reports."))
    commune = commune or communes[0]
    errors: dict[str, str] = {}
    if commune not in communes:
        errors["commune"] = _("You report for your own commune.")
    if not narrative.strip():
        errors["narrative"] = _("Say what is happening.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose how urgent it is.")
    if child_age is not None and not 0 <= child_age < 18:
        errors["child_age"] = _("The estimated age must be between 0 and 17.")
    if errors:
        raise ValidationError(errors)
    case_services.check_lengths(CollaboratorReport, {"child_name": child_name, "place": place})
    report = CollaboratorReport.objects.create(
        collaborator=actor,
        commune=commune,
        incident_commune=commune,
        child_name=child_name.strip(),
        child_name_key=name_key(child_name),
        child_age=child_age,
        place=place.strip(),
        narrative=narrative.strip(),
        urgency=urgency,
    )
    clocks.intake_clocks_start(report)
    case_services.notify(officers_of(commune), kind=Notification.Kind.INTAKE_RECEIVED)
    return report


def officers_of(commune: AdministrativeUnit) -> list[User]:
    probe = Case(commune=commune, province=commune.province)
    return recipients_for(probe, [Role.CP_OFFICER])


# ---------------------------------------------------------------------------------------------
# Triage


def raise_refusal(refusal: Refusal | None) -> None:
    """Raise the triage table's refusal (hotline.triage) as its exception: 403 or 409."""
    workflow.raise_refusal(refusal, role=IntakeNotPermitted, state=IntakeAlreadyTriaged)


def _may_triage(actor: User, item: Call | CollaboratorReport) -> None:
    """The table's answer before the inputs are examined (and again under the lock)."""
    raise_refusal(triage.triage_refusal(actor, item))


def _lock(item: Call | CollaboratorReport) -> Call | CollaboratorReport:
    """Lock the item and ask the table again: the first decision stands."""
    locked = type(item).objects.select_for_update().get(pk=item.pk)
    raise_refusal(triage.state_refusal(locked))
    return locked


def _decide(item: Call | CollaboratorReport, actor: User, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(item, name, value)
    item.triaged_by, item.triaged_at = actor, timezone.now()
    item.save()


@audited("intake_open_case")
def intake_open_case(
    *, actor: User, item: Call | CollaboratorReport, commune: AdministrativeUnit | None = None
) -> Case:
    """Turn a report call or a collaborator report into a case of the commune that must act."""
    _may_triage(actor, item)
    item = _lock(item)
    commune = commune or clocks.commune_that_acts(item)
    if commune is None:
        raise ValidationError({"commune": _("Choose the commune that must act.")})
    commune = _commune(commune, "commune")
    if isinstance(item, CollaboratorReport) and commune not in officer_communes_of(actor):
        # An officer opens cases of their own commune; another commune's case is a transfer.
        raise ValidationError(
            {"commune": _("Open the case in your commune; transfer it afterwards if needed.")}
        )
    child = {
        "full_name": item.child_name,
        "estimated_age": item.child_age,
        "sex": item.child_sex,
        "residence_commune": item.residence_commune,
    }
    record: dict[str, Any] = {
        "incident_commune": item.incident_commune,
        "incident_place": item.place,
        "child_condition": item.narrative,
    }
    if isinstance(item, Call):
        record.update(
            source=Case.Source.HOTLINE,
            channel={
                Call.Channel.PHONE: Case.Channel.PHONE,
                Call.Channel.APP: Case.Channel.APP,
                Call.Channel.ZALO: Case.Channel.ZALO,
                Call.Channel.WEB: Case.Channel.WEB,
                Call.Channel.LETTER: Case.Channel.LETTER,
                Call.Channel.PRESS: Case.Channel.PRESS,
                Call.Channel.IN_PERSON: Case.Channel.IN_PERSON,
            }[item.channel],
            child_condition=item.child_condition or item.narrative,
            expected_consequence=item.expected_consequence,
            family_situation=item.family_situation,
            current_carer=item.current_carer,
            prior_actions=item.prior_actions,
            reporter_consent=item.caller_consents,
            reporter_name=item.caller_name,
            reporter_phone=item.caller_number if item.caller_consents else "",
            reporter_address=item.caller_address,
            additional_notes=item.narrative if item.child_condition else "",
        )
    else:
        record.update(source=Case.Source.COLLABORATOR, channel=Case.Channel.THIRD_PARTY)
    # The case's clocks run from the intake's receipt: opening it continues the 12 hours.
    case = case_services.case_create(
        commune=commune,
        child=child,
        received_at=clocks.received_at(item),
        received_by=actor,
        **record,
    )
    if isinstance(item, Call):
        _hotline_follows(case, actor)
    _decide(item, actor, status=IntakeStatus.CASE_OPENED, case=case)
    clocks.intake_clocks_end(item, case=case)
    case_services.notify(
        [user for user in officers_of(commune) if user != actor],
        kind=Notification.Kind.CASE_ASSIGNED,
        case=case,
    )
    return case


def _hotline_follows(case: Case, actor: User) -> None:
    """The hotline keeps read access to follow the case (a share, docs/DESIGN.md §4)."""
    for organisation in hotline_organisations_of(actor):
        case_services.case_share_grant(
            case=case,
            permissions=["view_case", "view_case_summary"],
            reason=_("Received by hotline 111"),
            group=organisation_group(organisation=organisation, role=Role.HOTLINE_OPERATOR),
        )


@audited("intake_link_case")
def intake_link_case(
    *, actor: User, item: Call | CollaboratorReport, case: Case, note: str = ""
) -> Call | CollaboratorReport:
    """Attach the item to a case that already exists (a repeat caller, a duplicate report)."""
    _may_triage(actor, item)
    item = _lock(item)
    if case.status not in OPEN_STATES:
        raise ValidationError({"case": _("Choose an open case.")})
    if not can_see(actor, case):
        # Need to know (docs/DESIGN.md §4): a call is linked only to a case the hotline already
        # follows; a repeat report of a case it cannot see becomes a new case, and the commune
        # merges the duplicate.
        raise ValidationError({"case": _("Choose an open case that you can see.")})
    _decide(item, actor, status=IntakeStatus.LINKED, case=case, triage_note=note.strip())
    clocks.intake_clocks_end(item, case=case)
    return item


@audited("intake_close")
def intake_close(
    *, actor: User, item: Call | CollaboratorReport, reason: str, note: str = ""
) -> Call | CollaboratorReport:
    """Close the item without a case, with the reason; nothing is dropped silently."""
    _may_triage(actor, item)
    if reason not in CloseReason.values:
        raise ValidationError({"reason": _("Choose why the item is closed.")})
    item = _lock(item)
    _decide(item, actor, status=IntakeStatus.CLOSED, close_reason=reason, triage_note=note.strip())
    clocks.intake_clocks_end(item, case=None)
    return item
