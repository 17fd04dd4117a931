"""
What each printed document contains: the template and the context it is rendered from.

Reads here take a case (or referral) the caller already passed through the access check
(printing.selectors) and gather everything the document prints, in a fixed number of queries.
A Decree 56 form whose source record does not exist yet raises SourceMissing: the form is
refused, never printed empty.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AdministrativeUnit, User
from cases import forms as case_forms
from cases.deadlines import deadline_view
from cases.hooks import HISTORY_LABELS
from cases.models import (
    Assessment,
    Case,
    CaseDeadline,
    EmergencyDecision,
    FamilyMember,
    Measure,
    NeedsMeeting,
    Plan,
    PlanActivity,
    RiskLevel,
    SignedAs,
)
from cases.workflow import STEPS
from printing.models import PrintRecord
from referrals.allowlists import case_summary
from referrals.models import Referral, ReferralUpdate

Kind = PrintRecord.Kind
FORM_NUMBERS = ("01", "02", "03", "04", "05", "06", "07")


class SourceMissing(Exception):
    """The record a form prints from does not exist yet (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Document:
    """A document ready to render: its kind, template, context, and a line saying what it is."""

    kind: str
    template: str
    context: dict[str, Any]
    description: str
    title: str
    # Official Decree 56 forms are Vietnamese documents whatever the interface language.
    language: str | None = None
    referral: Referral | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def person(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


# ---------------------------------------------------------------------------------------------
# Vietnamese administrative wording (Decree 30/2020/NĐ-CP conventions)


def place_name(unit: AdministrativeUnit | None) -> str:
    """The place name of a unit without its division type: 'Xã Đông Hà' → 'Đông Hà'."""
    if unit is None:
        return ""
    name = unit.name.strip()
    prefix = (unit.division_type or "").strip()
    if prefix and name.lower().startswith(prefix.lower() + " "):
        return name[len(prefix) + 1 :].strip()
    return name


def unit_title(unit: AdministrativeUnit | None) -> str:
    """The unit's full name in capitals for a heading: 'XÃ ĐÔNG HÀ'."""
    if unit is None:
        return ""
    name = unit.name.strip()
    prefix = (unit.division_type or "").strip()
    if prefix and not name.lower().startswith(prefix.lower()):
        name = f"{prefix} {name}"
    return name.upper()


def vn_date(value: datetime.date | datetime.datetime | None) -> str:
    """'ngày 05 tháng 02 năm 2026' (days below 10 and months 1–2 take a leading zero)."""
    if value is None:
        return "ngày … tháng … năm 20…"
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def place_and_date(unit: AdministrativeUnit | None, value: Any) -> str:
    place = place_name(unit) or "……"
    return f"{place}, {vn_date(value)}"


def decision_number(number: str) -> str:
    """«Số: 15/QĐ-UBND»: the number as recorded, with the commune's symbol if it has none."""
    number = (number or "").strip()
    if not number:
        return "……/QĐ-UBND"
    return number if "/" in number else f"{number}/QĐ-UBND"


TARGET_GROUP_SUFFIX = {
    Case.TargetGroup.ABUSED: "BỊ XÂM HẠI",
    Case.TargetGroup.AT_RISK: "CÓ NGUY CƠ BỊ BẠO LỰC, BÓC LỘT, BỎ RƠI",
    Case.TargetGroup.SPECIAL: "CÓ HOÀN CẢNH ĐẶC BIỆT",
}
LEVEL_WORDS = {RiskLevel.HIGH: "Cao", RiskLevel.MEDIUM: "Trung bình", RiskLevel.LOW: "Thấp"}

# Mẫu 06 table 1(a), word for word (DECREE56-FORMS.md §2.6); table 1(b)'s rows are not known
# from the sources, so they carry the two factors the system rates.
REVIEW_HARM_FACTORS = (
    (
        "harm_severity",
        "1. Mức độ tổn hại của trẻ em có còn nghiêm trọng không",
        (
            "tổn hại … vẫn còn rất nghiêm trọng, ảnh hưởng đến sự phát triển của trẻ em",
            "còn ít nghiêm trọng",
            "không còn nghiêm trọng",
        ),
    ),
    (
        "abuser_access",
        "2. Khả năng tiếp cận trẻ em của đối tượng xâm hại",
        (
            "vẫn có khả năng tiếp cận trẻ em và thường xuyên",
            "có cơ hội tiếp cận …, nhưng không thường xuyên",
            "ít hoặc không có khả năng tiếp cận",
        ),
    ),
    (
        "care_obstacles",
        "3. Những trở ngại trong môi trường chăm sóc trẻ em đối với việc bảo đảm an toàn cho "
        "trẻ em",
        (
            "vẫn có nhiều trở ngại đáng kể",
            "có một vài trở ngại, nhưng trẻ em vẫn có được sự bảo vệ nhất định",
            "có ít hoặc không có trở ngại nào",
        ),
    ),
)
PROTECTION_FACTORS = (
    ("self_protection", "1. Khả năng tự bảo vệ của trẻ em"),
    ("recovery", "2. Khả năng phục hồi của trẻ em"),
)
LEVELS = (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)


def _level_rows(assessment: Assessment, factors: tuple, official: bool) -> list[dict[str, Any]]:
    words = LEVEL_WORDS if official else case_forms.LEVEL_LABELS
    rows = []
    for factor in factors:
        name = factor[0]
        label = factor[1] if official else case_forms.RATING_LABELS[name]
        descriptors = factor[2] if len(factor) > 2 else ("", "", "")
        value = getattr(assessment, name)
        rows.append(
            {
                "label": label,
                "level": value,
                "word": words.get(value, "—"),
                "options": [
                    {"word": words[level], "descriptor": text, "chosen": value == level}
                    for level, text in zip(LEVELS, descriptors, strict=True)
                ],
            }
        )
    return rows


def rating_sections(assessment: Assessment, *, official: bool = True) -> dict[str, Any]:
    """
    The two tables of ratings and the «Tổng số» tally (a count per level, no weighted score).
    `official`: the forms' own Vietnamese wording; otherwise the interface's labels.
    """
    words = LEVEL_WORDS if official else case_forms.LEVEL_LABELS
    counts = assessment.tally()
    return {
        "harm": _level_rows(assessment, REVIEW_HARM_FACTORS, official),
        "protection": _level_rows(assessment, PROTECTION_FACTORS, official),
        "tally": [(words[level], counts[level.value]) for level in LEVELS],
    }


# ---------------------------------------------------------------------------------------------
# Values as a person reads them


YES_NO = {True: gettext_lazy("Yes"), False: gettext_lazy("No"), None: "—"}


def display(obj: Any, name: str) -> Any:
    """A field's value as a person reads it: choice labels, Yes/No, lists of labels."""
    value = getattr(obj, name)
    if name in case_forms.MULTI_CHOICE_FIELDS:
        labels = dict(case_forms.MULTI_CHOICE_FIELDS[name].choices)
        return ", ".join(str(labels.get(v, v)) for v in value or [])
    shown = getattr(obj, f"get_{name}_display", None)
    if shown is not None:
        return shown()
    if isinstance(value, bool):
        return YES_NO[value]
    if value is None:
        return ""
    if isinstance(value, AdministrativeUnit):
        return value.name
    return value


def facts(obj: Any, form_class: type, names: tuple[str, ...]) -> list[tuple[Any, Any]]:
    """(label, value) pairs labelled as the form that fills them in, empty values left out."""
    fields = form_class.base_fields
    pairs = [(fields[name].label, display(obj, name)) for name in names]
    return [(label, value) for label, value in pairs if value not in ("", None, [])]


RECORD_NAMES = tuple(
    n for n in case_forms.RecordFields.RECORD if n not in case_forms.RecordFields.REPORTER
)
CHILD_NAMES = tuple(case_forms.ChildFields.CHILD)


# ---------------------------------------------------------------------------------------------
# Reads


def _case(case: Case) -> Case:
    """The case again, with what every document prints about it, in one query."""
    return Case.objects.select_related(
        "child__residence_commune",
        "commune",
        "province",
        "incident_commune",
        "received_by",
    ).get(pk=case.pk)


def _family(case: Case) -> list[FamilyMember]:
    return list(case.child.family_members.all())


def _assessments(case: Case, kind: str | None = None) -> list[Assessment]:
    queryset = case.assessments.select_related("assessor")
    if kind:
        queryset = queryset.filter(kind=kind)
    return list(queryset.order_by("assessed_at", "id"))


def _activities() -> Prefetch:
    return Prefetch("activities", queryset=PlanActivity.objects.select_related("organisation"))


def _plans(case: Case) -> list[Plan]:
    return list(
        case.plans.select_related("drafted_by", "approved_by")
        .prefetch_related(_activities())
        .order_by("version")
    )


def _referrals(case: Case) -> list[Referral]:
    return list(
        case.referrals.select_related("organisation", "sent_by", "acknowledged_by")
        .prefetch_related(
            Prefetch("updates", queryset=ReferralUpdate.objects.select_related("author"))
        )
        .order_by("sent_at", "id")
    )


def _history(case: Case) -> list[dict[str, Any]]:
    rows = []
    for t in case.transitions.select_related("actor").order_by("at", "id"):
        step = STEPS.get(t.name)
        rows.append(
            {
                "at": t.at,
                "actor": person(t.actor),
                "label": step.label if step else HISTORY_LABELS.get(t.name, t.name),
                "from": t.get_from_status_display(),
                "to": t.get_to_status_display(),
                "reason": t.reason,
            }
        )
    return rows


def _deadlines(case: Case) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for deadline in CaseDeadline.objects.filter(case=case).select_related("rule"):
        view = deadline_view(deadline, now)
        rows.append(
            {
                "deadline": deadline,
                "name": deadline.rule.name,
                "citation": deadline.rule.citation,
                "state": view.state,
                "label": view.label,
            }
        )
    return rows


def _reporter(case: Case) -> dict[str, str] | None:
    # Mẫu 01 section A.3: only when the reporter agreed to be identified.
    if not case.reporter_consent:
        return None
    return {
        "name": case.reporter_name,
        "phone": case.reporter_phone,
        "address": case.reporter_address,
    }


# ---------------------------------------------------------------------------------------------
# The case file


def case_file(case: Case) -> Document:
    case = _case(case)
    assessments = _assessments(case)
    for a in assessments:
        a.ratings = rating_sections(a, official=False)
    decisions = list(
        case.emergency_decisions.select_related("decided_by").prefetch_related(
            "extensions__decided_by"
        )
    )
    context = {
        "case": case,
        "child": case.child,
        "child_facts": facts(case.child, case_forms.ChildFields, CHILD_NAMES),
        "record_facts": facts(case, case_forms.RecordFields, RECORD_NAMES),
        "reporter": _reporter(case),
        "family": _family(case),
        "assessments": assessments,
        "decisions": decisions,
        "meetings": list(case.needs_meetings.select_related("recorded_by")),
        "plans": _plans(case),
        "referrals": _referrals(case),
        "notes": list(case.notes.select_related("author")),
        "documents": list(case.documents.select_related("uploaded_by")),
        "history": _history(case),
        "deadlines": _deadlines(case),
        "person": person,
    }
    return Document(
        kind=Kind.CASE_FILE,
        template="pdf/case_file.html",
        context=context,
        description=_("The whole case file"),
        title=_("Case file %(number)s") % {"number": case.number},
    )


# ---------------------------------------------------------------------------------------------
# The Decree 56 forms


def _official(case: Case) -> dict[str, Any]:
    """The heading parts every form shares: the commune's People's Committee, the place."""
    return {
        "case": case,
        "child": case.child,
        "issuer_lines": ["ỦY BAN NHÂN DÂN", unit_title(case.commune)],
        "commune": case.commune,
    }


def _parent(family: list[FamilyMember], relation: str) -> FamilyMember | None:
    return next((m for m in family if m.relation == relation), None)


def receiving_body(case: Case) -> tuple[list[str], str]:
    """Mẫu 01 is issued by the body that received the report (Art. 25(1)) and its symbol."""
    if case.source == Case.Source.HOTLINE:
        return ["TỔNG ĐÀI ĐIỆN THOẠI QUỐC GIA", "BẢO VỆ TRẺ EM 111"], "TĐ111"
    if case.source == Case.Source.POLICE:
        return ["CÔNG AN", unit_title(case.commune)], "CA"
    return ["ỦY BAN NHÂN DÂN", unit_title(case.commune)], "UBND"


def form_01(case: Case) -> Document:
    family = _family(case)
    lines, symbol = receiving_body(case)
    received = timezone.localtime(case.received_at)
    context = {
        **_official(case),
        "issuer_lines": lines,
        "number_line": f"Số: ……/BC-{symbol}",
        "place_date": place_and_date(case.commune, received),
        "received": received,
        "title_suffix": TARGET_GROUP_SUFFIX.get(case.target_group, ""),
        "channel": case.channel,
        "channel_other": case.get_channel_display()
        if case.channel not in ("phone", "in_person", "third_party")
        else "",
        "father": _parent(family, FamilyMember.Relation.FATHER),
        "mother": _parent(family, FamilyMember.Relation.MOTHER),
        "reporter": _reporter(case),
        "receiver": person(case.received_by),
    }
    return _form("01", case, context, _("Mẫu 01 of case %(number)s") % {"number": case.number})


def _latest_assessment(case: Case, kind: str, missing: str) -> Assessment:
    assessment = (
        case.assessments.filter(kind=kind)
        .select_related("assessor")
        .order_by("-assessed_at", "-id")
        .first()
    )
    if assessment is None:
        raise SourceMissing(missing)
    assessment.ratings = rating_sections(assessment)
    return assessment


def form_02(case: Case) -> Document:
    assessment = _latest_assessment(
        case,
        Assessment.Kind.INITIAL,
        _("Mẫu 02 prints the initial risk assessment, and this case has none yet."),
    )
    context = {
        **_official(case),
        "assessment": assessment,
        "place_date": place_and_date(case.commune, assessment.assessed_at),
    }
    return _form("02", case, context, _assessed_on(assessment))


def _assessed_on(assessment: Assessment) -> str:
    return _("%(kind)s of %(date)s by %(person)s") % {
        "kind": assessment.get_kind_display(),
        "date": timezone.localtime(assessment.assessed_at).strftime("%d/%m/%Y"),
        "person": person(assessment.assessor),
    }


def form_03(case: Case) -> Document:
    assessment = _latest_assessment(
        case,
        Assessment.Kind.SPECIFIC,
        _("Mẫu 03 prints the specific risk assessment, and this case has none yet."),
    )
    meeting = (
        NeedsMeeting.objects.filter(case=case, held_at__gte=assessment.assessed_at)
        .order_by("-held_at", "-id")
        .first()
    )
    context = {
        **_official(case),
        "assessment": assessment,
        "meeting": meeting,
        "place_date": place_and_date(case.commune, assessment.assessed_at),
    }
    return _form("03", case, context, _assessed_on(assessment))


def _plan_context(plan: Plan) -> dict[str, Any]:
    activities = list(plan.activities.all())
    costs = [a.cost for a in activities if a.cost is not None]
    return {"plan": plan, "activities": activities, "total_cost": sum(costs) if costs else None}


def _plan_label(plan: Plan) -> str:
    return _("Plan version %(version)s (%(status)s)") % {
        "version": plan.version,
        "status": plan.get_status_display(),
    }


def form_04(case: Case) -> Document:
    plan = (
        case.plans.select_related("drafted_by", "approved_by")
        .prefetch_related(_activities())
        .order_by("-version")
        .first()
    )
    if plan is None:
        raise SourceMissing(_("Mẫu 04 prints the support-intervention plan, and none is drafted."))
    context = {
        **_official(case),
        **_plan_context(plan),
        "place_date": place_and_date(case.commune, plan.drafted_at),
    }
    return _form("04", case, context, _plan_label(plan))


def form_05(case: Case) -> Document:
    plan = (
        case.plans.filter(approved_at__isnull=False)
        .select_related("drafted_by", "approved_by")
        .prefetch_related(_activities())
        .order_by("-version")
        .first()
    )
    if plan is None:
        raise SourceMissing(
            _("Mẫu 05 prints the decision approving the plan, and no plan is approved yet.")
        )
    plan_context = _plan_context(plan)
    organisations = sorted(
        {a.organisation.name for a in plan_context["activities"] if a.organisation}
    )
    context = {
        **_official(case),
        **plan_context,
        "number_line": f"Số: {decision_number(plan.decision_number)}",
        "place_date": place_and_date(case.commune, plan.decision_date or plan.approved_at),
        "decision_date": vn_date(plan.decision_date or plan.approved_at),
        "signer": person(plan.approved_by),
        "signature_lines": signature_lines(plan.signed_as),
        "organisations": organisations,
    }
    label = _("Decision %(number)s approving plan version %(version)s") % {
        "number": decision_number(plan.decision_number),
        "version": plan.version,
    }
    return _form("05", case, context, label)


# The signature block of a decision of the commune's chairman, by the capacity it was signed
# in (Decree 30/2020/NĐ-CP Art. 13 and Annex I): the chairman's own, or a deputy's for him.
SIGNATURE_LINES = {
    SignedAs.CHAIRMAN: ("CHỦ TỊCH",),
    SignedAs.DEPUTY_CHAIRMAN: ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
}


def signature_lines(signed_as: str) -> tuple[str, ...]:
    """The lines above the signature (a decision made before capacities were kept: a chairman)."""
    return SIGNATURE_LINES.get(signed_as, SIGNATURE_LINES[SignedAs.CHAIRMAN])


def form_06(case: Case) -> Document:
    assessment = _latest_assessment(
        case,
        Assessment.Kind.REVIEW,
        _("Mẫu 06 prints the review after the plan, and this case has none yet."),
    )
    context = {
        **_official(case),
        "assessment": assessment,
        "place_date": place_and_date(case.commune, assessment.assessed_at),
    }
    return _form("06", case, context, _assessed_on(assessment))


def form_07(case: Case) -> Document:
    decision = (
        case.emergency_decisions.filter(kind=EmergencyDecision.Kind.SEPARATION)
        .select_related("decided_by")
        .prefetch_related("extensions__decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )
    if decision is None:
        raise SourceMissing(
            _("Mẫu 07 prints the temporary separation decision, and this case has none.")
        )
    extensions = list(decision.extensions.all())
    first_end = extensions[0].previous_ends_at if extensions else decision.ends_at
    context = {
        **_official(case),
        "decision": decision,
        "extensions": extensions,
        "first_end": first_end,
        "number_line": f"Số: {decision_number(decision.decision_number)}",
        "place_date": place_and_date(case.commune, decision.decided_at),
        "signer": person(decision.decided_by),
        "signature_lines": signature_lines(decision.signed_as),
        "child_age": case.child.age,
    }
    label = _("Separation decision %(number)s") % {
        "number": decision_number(decision.decision_number)
    }
    return _form("07", case, context, label)


FORM_TITLES = {
    "01": "Mẫu số 01: Báo cáo tiếp nhận thông tin trẻ em",
    "02": "Mẫu số 02: Đánh giá nguy cơ ban đầu",
    "03": "Mẫu số 03: Đánh giá nguy cơ cụ thể",
    "04": "Mẫu số 04: Kế hoạch hỗ trợ, can thiệp",
    "05": "Mẫu số 05: Quyết định phê duyệt kế hoạch hỗ trợ, can thiệp",
    "06": "Mẫu số 06: Rà soát, đánh giá sau khi thực hiện kế hoạch",
    "07": "Mẫu số 07: Quyết định tạm thời cách ly trẻ em",
}


def _form(number: str, case: Case, context: dict[str, Any], description: str) -> Document:
    context = {"form_number": number, "person": person, **context}
    return Document(
        kind=f"form_{number}",
        template=f"pdf/form_{number}.html",
        context=context,
        description=description,
        title=FORM_TITLES[number],
        language="vi",
    )


FORMS: dict[str, Callable[[Case], Document]] = {
    "01": form_01,
    "02": form_02,
    "03": form_03,
    "04": form_04,
    "05": form_05,
    "06": form_06,
    "07": form_07,
}


def form(case: Case, number: str) -> Document:
    """Build one Decree 56 form of the case, or raise SourceMissing. Forms print in Vietnamese."""
    with translation.override("vi"):
        return FORMS[number](_case(case))


def forms_available(case: Case) -> dict[str, bool]:
    """Which forms have their source record, in one query."""
    assessments = Assessment.objects.filter(case=OuterRef("pk"))
    row = (
        Case.objects.filter(pk=case.pk)
        .annotate(
            has_02=Exists(assessments.filter(kind=Assessment.Kind.INITIAL)),
            has_03=Exists(assessments.filter(kind=Assessment.Kind.SPECIFIC)),
            has_04=Exists(Plan.objects.filter(case=OuterRef("pk"))),
            has_05=Exists(Plan.objects.filter(case=OuterRef("pk"), approved_at__isnull=False)),
            has_06=Exists(assessments.filter(kind=Assessment.Kind.REVIEW)),
            has_07=Exists(
                EmergencyDecision.objects.filter(
                    case=OuterRef("pk"), kind=EmergencyDecision.Kind.SEPARATION
                )
            ),
        )
        .values("has_02", "has_03", "has_04", "has_05", "has_06", "has_07")
        .get()
    )
    return {"01": True, **{key.removeprefix("has_"): value for key, value in row.items()}}


# ---------------------------------------------------------------------------------------------
# The referral summary (what the receiving organisation may see, and nothing more)


def referral_summary(referral: Referral) -> Document:
    case = _case(referral.case)
    organisation = referral.organisation
    fields = [
        (label, value) for _key, label, value in case_summary(case, organisation.kind) if value
    ]
    context = {
        "case": case,
        "referral": referral,
        "organisation": organisation,
        "fields": fields,
        "purpose": dict(Measure.choices).get(referral.purpose, referral.purpose),
        "person": person,
    }
    return Document(
        kind=Kind.REFERRAL_SUMMARY,
        template="pdf/referral_summary.html",
        context=context,
        description=_("The case summary for %(organisation)s and the referral")
        % {"organisation": organisation.name},
        title=_("Referral of case %(number)s to %(organisation)s")
        % {"number": case.number, "organisation": organisation.name},
        referral=referral,
    )
