"""
Every change to a referral goes through here. Sending grants the receiving organisation's group
the case summary (a guardian share recording which referral it serves) and the permissions on
the referral itself; declining, completing or revoking removes the share in the same
transaction, so access ends on the next request.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Organisation, Role, User
from accounts.services import organisation_group
from audit.models import AuditEntry
from audit.services import audit_record, audited
from cases import services as case_services
from cases import workflow
from cases.access import case_permissions
from cases.activities import ACTIVITY_NOT_IN_FORCE, activity_in_force
from cases.deadlines import Event, deadline_move, deadlines_on_event, due_at
from cases.models import (
    Case,
    ConsentRecord,
    DeadlineRule,
    Measure,
    Notification,
    PlanActivity,
)
from cases.workflow import OPEN_STATES, Refusal
from referrals import lifecycle
from referrals.allowlists import case_summary
from referrals.models import Referral, ReferralGroupObjectPermission, ReferralUpdate, SharingRule

RECEIVING_KINDS = (
    Organisation.Kind.SCHOOL,
    Organisation.Kind.HEALTH_FACILITY,
    Organisation.Kind.POLICE,
    Organisation.Kind.COURT,
    Organisation.Kind.SOCIAL_PROTECTION,
    Organisation.Kind.NGO,
)
SUMMARY = "view_case_summary"
CLOCK_SKEW = datetime.timedelta(minutes=5)


class ReferralNotPermitted(PermissionDenied):
    """The user sees the referral but may not do this to it (HTTP 403)."""


class ReferralStateError(Exception):
    """The referral's state rules the action out (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def referral_key(referral: Referral) -> str:
    return f"ref-{referral.public_id.hex}"


def recipients_near(*, case: Case, kind: str | None = None) -> list[Organisation]:
    """Organisations that may receive a referral, nearest first: the commune, then province."""
    organisations = Organisation.objects.filter(
        kind__in=[kind] if kind else RECEIVING_KINDS, is_active=True
    ).select_related("area")
    near = organisations.filter(area_id__in=[case.commune_id, case.province_id]) | (
        organisations.filter(area__parent_id=case.province_id)
    )
    return sorted(
        near.distinct(),
        key=lambda o: (o.area_id != case.commune_id, o.area_id != case.province_id, o.name),
    )


def _default_due(code: str, at: datetime.datetime) -> datetime.datetime:
    return due_at(DeadlineRule.objects.get(code=code), at)


def referral_defaults(*, at: datetime.datetime | None = None) -> dict[str, datetime.datetime]:
    """The dates acknowledgement and feedback are due if the sender does not set them."""
    at = at or timezone.now()
    return {
        "acknowledge_due_at": _default_due("referral_ack_1wd", at),
        "feedback_due_at": _default_due("referral_feedback_5wd", at),
    }


def sharing_rule_for(kind: str) -> SharingRule | None:
    return SharingRule.objects.filter(organisation_kind=kind).first()


def _history(case: Case, actor: User, name: str, referral: Referral, reason: str = "") -> None:
    case_services.case_history_add(
        actor=actor,
        case=case,
        name=name,
        reason=reason,
        details={"organisation": referral.organisation.name, "referral": str(referral.public_id)},
    )


def _members(organisation: Organisation) -> list[User]:
    memberships = Membership.objects.filter(
        organisation=organisation,
        organisation__is_active=True,
        role=Role.SECTOR_STAFF,
        is_active=True,
        user__is_active=True,
    ).select_related("user")
    return [m.user for m in memberships]


# The police unit working the case records the emergency intervention it takes part in (Decree
# 56 Art. 31(4)): its referral carries that permission beside the summary.
INTERVENE = "intervene_case"


def shared_by_referral(kind: str) -> list[str]:
    """The case permissions an open referral gives an organisation of this kind."""
    return [SUMMARY, INTERVENE] if kind == Organisation.Kind.POLICE else [SUMMARY]


def _share_sync(case: Case, organisation: Organisation) -> None:
    """Keep the organisation's share exactly as long as one referral to it is open."""
    group = organisation_group(organisation=organisation, role=Role.SECTOR_STAFF)
    still_open = (
        Referral.objects.filter(case=case, organisation=organisation, status__in=Referral.OPEN)
        .order_by("-sent_at")
        .first()
    )
    if still_open is None:
        case_services.case_share_revoke(case=case, group=group, permissions=[SUMMARY, INTERVENE])
    else:
        case_services.case_share_grant(
            case=case,
            permissions=shared_by_referral(organisation.kind),
            reason=f"referral:{still_open.public_id}",
            group=group,
        )


@audited("referral_send")
def referral_send(
    *,
    actor: User,
    case: Case,
    organisation: Organisation,
    purpose: str,
    message: str,
    acknowledge_due_at: datetime.datetime | None = None,
    feedback_due_at: datetime.datetime | None = None,
    consent: ConsentRecord | None = None,
    activity: PlanActivity | None = None,
    phoned_at: datetime.datetime | None = None,
) -> Referral:
    """
    Refer the case to an organisation's inbox (not to a person). A crime report's referral to
    the police may say when the police were told by phone first (Criminal Procedure Code Art.
    146(4)): the report was passed on then.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    if consent is not None:
        # Read it afresh: a consent withdrawn a moment ago must not be relied on.
        consent = ConsentRecord.objects.select_for_update().filter(pk=consent.pk).first()
    if "refer_case" not in case_permissions(actor, case):
        raise ReferralNotPermitted(_("Your role may not refer this case."))
    if case.status not in OPEN_STATES:
        raise ReferralStateError(_("Only an open case can be referred."))
    errors: dict[str, str] = {}
    if (
        organisation is None
        or organisation.kind not in RECEIVING_KINDS
        or not organisation.is_active
        or organisation not in recipients_near(case=case, kind=organisation.kind)
    ):
        errors["organisation"] = _("Choose an organisation near the case that receives referrals.")
    if purpose not in Measure.values:
        errors["purpose"] = _("Choose the purpose: a measure of Art. 49 or 50.")
    if not (message or "").strip():
        errors["message"] = _("Say what you ask of them.")
    now = timezone.now()
    defaults = referral_defaults(at=now)
    acknowledge_due_at = acknowledge_due_at or defaults["acknowledge_due_at"]
    feedback_due_at = feedback_due_at or defaults["feedback_due_at"]
    if acknowledge_due_at <= now:
        errors["acknowledge_due_at"] = _("The acknowledgement must be due in the future.")
    if feedback_due_at < acknowledge_due_at:
        errors["feedback_due_at"] = _("Feedback cannot be due before the acknowledgement.")
    if "organisation" not in errors:
        rule = sharing_rule_for(organisation.kind)
        if rule is not None and rule.consent_required:
            if (
                consent is None
                or consent.case_id != case.pk
                or not consent.covers(organisation.kind)
            ):
                errors["consent"] = _(
                    "Sharing with this kind of organisation needs a recorded consent that "
                    "covers it (the child aged 7 or more and the parent or representative)."
                )
        elif consent is not None and consent.case_id != case.pk:
            errors["consent"] = _("This consent belongs to another case.")
    if phoned_at is not None:
        if "organisation" not in errors and organisation.kind != Organisation.Kind.POLICE:
            errors["phoned_at"] = _("Only a report to the police is made by phone first.")
        elif phoned_at > now + CLOCK_SKEW:
            errors["phoned_at"] = _("This time is in the future.")
        elif phoned_at < case.received_at:
            errors["phoned_at"] = _("This time is before the case was received.")
    # The plan activity it carries out, if any: one of this case's approved plan (Art. 28(3)).
    if activity is not None and not activity_in_force(case, activity):
        errors["activity"] = str(ACTIVITY_NOT_IN_FORCE)
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        case=case,
        organisation=organisation,
        purpose=purpose,
        message=message.strip(),
        consent=consent,
        activity=activity,
        sent_by=actor,
        sent_at=now,
        acknowledge_due_at=acknowledge_due_at,
        feedback_due_at=feedback_due_at,
    )
    key = referral_key(referral)
    deadlines_on_event(case=case, event="referral_sent", at=now, key=key)
    deadline_move(case=case, rule_code="referral_ack_1wd", key=key, due=acknowledge_due_at, note="")
    deadline_move(
        case=case, rule_code="referral_feedback_5wd", key=key, due=feedback_due_at, note=""
    )
    group = organisation_group(organisation=organisation, role=Role.SECTOR_STAFF)
    for codename in ("view_referral", "respond_referral"):
        ReferralGroupObjectPermission.objects.get_or_create(
            group=group,
            permission=_permission(codename),
            content_object=referral,
        )
    _share_sync(case, organisation)
    if case.crime_report and organisation.kind == Organisation.Kind.POLICE:
        _crime_report_passed(case, referral, at=phoned_at or now, phoned_at=phoned_at)
    _history(case, actor, "referral_sent", referral)
    case_services.notify(
        _members(organisation), kind=Notification.Kind.REFERRAL_RECEIVED, case=case
    )
    return referral


def _crime_report_passed(
    case: Case,
    referral: Referral,
    *,
    at: datetime.datetime,
    phoned_at: datetime.datetime | None = None,
) -> None:
    """The police unit has the crime report: the referral is it, and its clock is met."""
    referral.is_crime_report, referral.phoned_at = True, phoned_at
    referral.save(update_fields=["is_crime_report", "phoned_at"])
    deadlines_on_event(case=case, event=Event.CRIME_REFERRAL_SENT, at=at)


def crime_report_reached_police(*, case: Case, at: datetime.datetime) -> int:
    """
    A case just flagged a crime report (cases.crime) that a police unit already holds an open
    referral of: that referral is the report, passed on at the flag. Returns how many.
    """
    open_police = Referral.objects.filter(
        case=case, organisation__kind=Organisation.Kind.POLICE, status__in=Referral.OPEN
    )
    count = 0
    for referral in open_police.select_for_update():
        _crime_report_passed(case, referral, at=at)
        count += 1
    return count


WRITTEN_DATE_PROBLEMS = (
    gettext_lazy("Give the date of the written notice."),
    gettext_lazy("The date is in the future."),
    gettext_lazy("The date is before the referral was sent."),
)


@audited("referral_written_notice", action=AuditEntry.Action.TRANSITION)
def referral_record_written_notice(
    *, actor: User, referral: Referral, reference: str, written_on: datetime.date | None
) -> Referral:
    """
    The written notice that confirms a crime report passed to the police (Criminal Procedure
    Code Art. 146(4): «sau đó phải thể hiện bằng văn bản»): its number and date, by the sender.
    """
    referral = _as_sender(actor, referral)
    if not referral.is_crime_report:
        raise ReferralStateError(_("Only a crime report to the police is confirmed in writing."))
    errors: dict[str, str] = {}
    reference = (reference or "").strip()
    if not reference:
        errors["reference"] = _("Give the number of the written notice.")
    elif len(reference) > Referral._meta.get_field("written_reference").max_length:
        errors["reference"] = _("At most %(limit)s characters.") % {
            "limit": Referral._meta.get_field("written_reference").max_length
        }
    sent_on = timezone.localdate(referral.sent_at)
    if written_on is None:
        errors["written_on"] = str(WRITTEN_DATE_PROBLEMS[0])
    elif written_on > timezone.localdate():
        errors["written_on"] = str(WRITTEN_DATE_PROBLEMS[1])
    elif written_on < sent_on:
        errors["written_on"] = str(WRITTEN_DATE_PROBLEMS[2])
    if errors:
        raise ValidationError(errors)
    referral.written_reference, referral.written_on = reference, written_on
    referral.save(update_fields=["written_reference", "written_on"])
    deadlines_on_event(
        case=referral.case,
        event=Event.CRIME_WRITTEN_RECORDED,
        at=case_services.decision_moment(written_on, after=referral.sent_at),
    )
    _history(referral.case, actor, "referral_written_notice", referral)
    return referral


def _permission(codename: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label="referrals", codename=codename)


def _as_recipient(actor: User, referral: Referral) -> Referral:
    """Lock the referral and check the actor works for the receiving organisation."""
    referral = (
        Referral.objects.select_for_update()
        .select_related("case", "organisation")
        .get(pk=referral.pk)
    )
    if not lifecycle.is_side(actor, referral, lifecycle.RECIPIENT):
        raise ReferralNotPermitted(str(lifecycle.ROLE_MESSAGES[lifecycle.RECIPIENT]))
    return referral


def _as_sender(actor: User, referral: Referral) -> Referral:
    referral = (
        Referral.objects.select_for_update()
        .select_related("case", "organisation")
        .get(pk=referral.pk)
    )
    if not lifecycle.is_side(actor, referral, lifecycle.SENDER):
        raise ReferralNotPermitted(str(lifecycle.ROLE_MESSAGES[lifecycle.SENDER]))
    return referral


def raise_refusal(refusal: Refusal | None) -> None:
    """Raise the life-cycle table's refusal (referrals.lifecycle) as its exception: 403 or 409."""
    workflow.raise_refusal(refusal, role=ReferralNotPermitted, state=ReferralStateError)


def _require_state(referral: Referral, name: str) -> None:
    raise_refusal(lifecycle.state_refusal(referral, name))


def receipt_payload(referral: Referral) -> dict[str, Any]:
    """What the recipient received: the allow-listed summary, purpose, message and dates."""
    return {
        "referral": str(referral.public_id),
        "case": referral.case.number,
        "organisation": str(referral.organisation.public_id),
        "purpose": referral.purpose,
        "message": referral.message,
        "sent_at": referral.sent_at.isoformat(),
        "summary": [
            [key, value]
            for key, _label, value in case_summary(referral.case, referral.organisation.kind)
        ],
    }


def receipt_hash(referral: Referral) -> str:
    canonical = json.dumps(receipt_payload(referral), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@audited("referral_acknowledge", action=AuditEntry.Action.TRANSITION)
def referral_acknowledge(*, actor: User, referral: Referral) -> Referral:
    """Acknowledge receipt: a receipt number, the time, and a hash of what was received."""
    referral = _as_recipient(actor, referral)
    _require_state(referral, "acknowledge")
    now = timezone.now()
    referral.status = Referral.Status.ACKNOWLEDGED
    referral.acknowledged_at, referral.acknowledged_by = now, actor
    referral.receipt_number = f"BN-{timezone.localtime(now):%Y}-{referral.pk:06d}"
    referral.receipt_hash = receipt_hash(referral)
    referral.save()
    deadlines_on_event(
        case=referral.case, event="referral_acknowledged", at=now, key=referral_key(referral)
    )
    _history(referral.case, actor, "referral_acknowledged", referral, referral.receipt_number)
    return referral


@audited("referral_accept", action=AuditEntry.Action.TRANSITION)
def referral_accept(*, actor: User, referral: Referral) -> Referral:
    referral = _as_recipient(actor, referral)
    _require_state(referral, "accept")
    referral.status = Referral.Status.ACCEPTED
    referral.responded_at = timezone.now()
    referral.save(update_fields=["status", "responded_at"])
    _history(referral.case, actor, "referral_accepted", referral)
    return referral


def _end(referral: Referral, actor: User, status: str, name: str, reason: str) -> Referral:
    now = timezone.now()
    referral.status = status
    referral.closed_at = now
    referral.save()
    deadlines_on_event(
        case=referral.case, event="referral_ended", at=now, key=referral_key(referral)
    )
    # The organisation keeps sight of the referral record, not of the case or its answering.
    ReferralGroupObjectPermission.objects.filter(
        content_object=referral, permission__codename="respond_referral"
    ).delete()
    _share_sync(referral.case, referral.organisation)
    _history(referral.case, actor, name, referral, reason)
    return referral


@audited("referral_decline", action=AuditEntry.Action.TRANSITION)
def referral_decline(*, actor: User, referral: Referral, reason: str) -> Referral:
    referral = _as_recipient(actor, referral)
    _require_state(referral, "decline")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the referral is declined.")})
    referral.decline_reason = reason.strip()
    referral.responded_at = timezone.now()
    return _end(
        referral, actor, Referral.Status.DECLINED, "referral_declined", referral.decline_reason
    )


@audited("referral_update_add")
def referral_update_add(*, actor: User, referral: Referral, kind: str, text: str) -> ReferralUpdate:
    """Record an action taken or feedback given; the first feedback meets its clock."""
    referral = _as_recipient(actor, referral)
    _require_state(referral, "update")
    if kind not in ReferralUpdate.Kind.values:
        raise ValidationError({"kind": _("Choose action or feedback.")})
    if not (text or "").strip():
        raise ValidationError({"text": _("Write what was done or found.")})
    update = ReferralUpdate.objects.create(
        referral=referral, kind=kind, text=text.strip(), author=actor
    )
    if kind == ReferralUpdate.Kind.FEEDBACK:
        deadlines_on_event(
            case=referral.case,
            event="referral_feedback",
            at=update.created_at,
            key=referral_key(referral),
        )
    return update


@audited("referral_complete", action=AuditEntry.Action.TRANSITION)
def referral_complete(*, actor: User, referral: Referral, note: str = "") -> Referral:
    """The sender closes the referral once its purpose is served; the share ends."""
    referral = _as_sender(actor, referral)
    _require_state(referral, "complete")
    return _end(
        referral, actor, Referral.Status.COMPLETED, "referral_completed", (note or "").strip()
    )


@audited("referral_revoke", action=AuditEntry.Action.TRANSITION)
def referral_revoke(*, actor: User, referral: Referral, reason: str) -> Referral:
    """The sender withdraws an open referral; the share ends."""
    referral = _as_sender(actor, referral)
    _require_state(referral, "revoke")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the referral is revoked.")})
    referral.revoke_reason = reason.strip()
    return _end(
        referral, actor, Referral.Status.REVOKED, "referral_revoked", referral.revoke_reason
    )


def _trail_revoked(referral: Referral, actor: User, operation: str, **detail: Any) -> None:
    """
    The entry of a referral revoked by something else that happened (a withdrawn consent, an
    ended case): inside that transaction, which appends it at its end.
    """
    audit_record(
        action=AuditEntry.Action.TRANSITION,
        actor=actor,
        case=referral.case,
        object_type="referral",
        object_id=str(referral.public_id),
        detail={"operation": operation, **detail},
    )


# Why a referral ended with its case, by the step that ended the case (cases.workflow steps
# marked ends_sharing): kept as the referral's revoke reason and told to the recipient.
CASE_ENDINGS = {
    "close": gettext_lazy("The case was closed (Art. 30)."),
    "mark_not_substantiated": gettext_lazy("The report was found not substantiated."),
    "merge": gettext_lazy("The case was merged into another case."),
    "transfer": gettext_lazy("The case was transferred to another commune."),
    "end_otherwise": gettext_lazy(
        "The case ended (the child turned 16, died, moved away, or continues under another "
        "authority)."
    ),
}


def referrals_end_with_case(*, case: Case, actor: User, step: str) -> int:
    """
    The case needs the referrals' organisations no more (closed, not substantiated, merged,
    transferred): every open referral ends at once, with why, and its organisation is told.
    The recipients keep the referral's own record, not the case (the shares end in _end).
    """
    count = 0
    reason = CASE_ENDINGS[step]
    open_referrals = Referral.objects.select_for_update().filter(
        case=case, status__in=Referral.OPEN
    )
    for referral in open_referrals.select_related("organisation", "case"):
        with translation.override(settings.LANGUAGE_CODE):
            referral.revoke_reason = str(reason)
        _end(referral, actor, Referral.Status.REVOKED, "referral_revoked", referral.revoke_reason)
        _trail_revoked(referral, actor, "referral_revoked_case_ended", step=step)
        case_services.notify(
            _members(referral.organisation),
            kind=Notification.Kind.REFERRAL_ENDED,
            about=referral.public_id,
        )
        count += 1
    return count


def referrals_revoke_for_withdrawn_consent(*, consent: ConsentRecord, actor: User) -> int:
    """A withdrawn consent stops the sharing that relied on it, at once."""
    count = 0
    for referral in Referral.objects.filter(consent=consent, status__in=Referral.OPEN):
        with translation.override(settings.LANGUAGE_CODE):  # the record's language, as above
            referral.revoke_reason = _("Consent withdrawn")
        _end(referral, actor, Referral.Status.REVOKED, "referral_revoked", referral.revoke_reason)
        _trail_revoked(referral, actor, "referral_revoked_consent_withdrawn")
        count += 1
    return count
