"""
The case of one child under Decree 56/2017/NĐ-CP: the child and family, the record (Mẫu 01),
assessments (Mẫu 02, 03, 06), emergency decisions (Mẫu 07), the needs meeting, versioned plans
(Mẫu 04, 05), notes, documents, the history of every transition, and the deadlines the law sets.
"""

from __future__ import annotations

import datetime
import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import AdministrativeUnit, Organisation
from audit.rows import ShownRowsQuerySet
from cases.names import name_key


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Unknown")


class SpecialCircumstance(models.TextChoices):
    """The 14 groups of children in special circumstances (Law on Children Art. 10)."""

    ORPHANED = "orphaned", _("Orphaned of both parents")
    ABANDONED = "abandoned", _("Abandoned")
    NO_ONE_TO_RELY_ON = "no_one_to_rely_on", _("With no one to rely on")
    DISABLED = "disabled", _("Disabled")
    HIV = "hiv", _("Living with HIV/AIDS")
    CONFLICT_WITH_LAW = "conflict_with_law", _("In conflict with the law")
    DRUG_ADDICTED = "drug_addicted", _("Drug-addicted")
    DROPPED_OUT = "dropped_out", _("Dropped out of school to earn a living")
    SERIOUSLY_HARMED = "seriously_harmed", _("Seriously harmed by violence")
    EXPLOITED = "exploited", _("Exploited")
    SEXUALLY_ABUSED = "sexually_abused", _("Sexually abused")
    TRAFFICKED = "trafficked", _("Trafficked")
    ILL_POOR_HOUSEHOLD = "ill_poor_household", _("Seriously ill in a poor or near-poor household")
    MIGRANT_UNACCOMPANIED = (
        "migrant_unaccompanied",
        _("Migrant or refugee with no identified parent or carer"),
    )


class EthnicGroup(models.TextChoices):
    """
    The 54 ethnic groups of Vietnam with the General Statistics Office's codes (Decision
    121-TCTK/PPCĐ of 2 March 1979, the list the censuses and Circular 13/2021 use). "01"
    is Kinh; every other code is an ethnic minority.
    """

    KINH = "01", "Kinh"
    TAY = "02", "Tày"
    THAI = "03", "Thái"
    HOA = "04", "Hoa"
    KHO_ME = "05", "Khơ-me"
    MUONG = "06", "Mường"
    NUNG = "07", "Nùng"
    HMONG = "08", "HMông"
    DAO = "09", "Dao"
    GIA_RAI = "10", "Gia-rai"
    NGAI = "11", "Ngái"
    E_DE = "12", "Ê-đê"
    BA_NA = "13", "Ba-na"
    XO_DANG = "14", "Xơ-đăng"
    SAN_CHAY = "15", "Sán Chay"
    CO_HO = "16", "Cơ-ho"
    CHAM = "17", "Chăm"
    SAN_DIU = "18", "Sán Dìu"
    HRE = "19", "Hrê"
    MNONG = "20", "Mnông"
    RA_GLAI = "21", "Ra-glai"
    XTIENG = "22", "Xtiêng"
    BRU_VAN_KIEU = "23", "Bru-Vân Kiều"
    THO = "24", "Thổ"
    GIAY = "25", "Giáy"
    CO_TU = "26", "Cơ-tu"
    GIE_TRIENG = "27", "Gié-Triêng"
    MA = "28", "Mạ"
    KHO_MU = "29", "Khơ-mú"
    CO = "30", "Co"
    TA_OI = "31", "Tà-ôi"
    CHO_RO = "32", "Chơ-ro"
    KHANG = "33", "Kháng"
    XINH_MUN = "34", "Xinh-mun"
    HA_NHI = "35", "Hà Nhì"
    CHU_RU = "36", "Chu-ru"
    LAO = "37", "Lào"
    LA_CHI = "38", "La Chí"
    LA_HA = "39", "La Ha"
    PHU_LA = "40", "Phù Lá"
    LA_HU = "41", "La Hủ"
    LU = "42", "Lự"
    LO_LO = "43", "Lô Lô"
    CHUT = "44", "Chứt"
    MANG = "45", "Mảng"
    PA_THEN = "46", "Pà Thẻn"
    CO_LAO = "47", "Cơ Lao"
    CONG = "48", "Cống"
    BO_Y = "49", "Bố Y"
    SI_LA = "50", "Si La"
    PU_PEO = "51", "Pu Péo"
    BRAU = "52", "Brâu"
    O_DU = "53", "Ơ Đu"
    RO_MAM = "54", "Rơ-măm"


class SignedAs(models.TextChoices):
    """In which capacity a commune decision was signed (Decree 30/2020/NĐ-CP Art. 13)."""

    CHAIRMAN = "chairman", _("Chairman")
    DEPUTY_CHAIRMAN = "deputy_chairman", _("Deputy chairman, for the chairman")


class Child(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    # The name without diacritics or case (cases.names.name_key), for duplicate suggestions.
    name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    other_names = models.CharField(_("other names"), max_length=200, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    estimated_age = models.PositiveSmallIntegerField(_("estimated age"), null=True, blank=True)
    ethnic_group = models.CharField(
        _("ethnic group"), max_length=2, choices=EthnicGroup.choices, blank=True
    )
    # What was written before the list (migration 0015): kept only where it matched no group,
    # so a person can choose the group; never written anew.
    ethnicity = models.CharField(
        _("ethnicity as written (not matched to the list)"),
        max_length=60,
        blank=True,
        default="",
        db_default="",
    )
    residence_commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("commune of residence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    school_name = models.CharField(_("school"), max_length=200, blank=True)
    special_circumstances = models.JSONField(
        _("special circumstances (Law on Children Art. 10)"), default=list, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimated_age__isnull=True) | models.Q(estimated_age__lt=18),
                name="child_estimated_age_under_18",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or str(_("(name unknown)"))

    def save(self, *args: object, **kwargs: object) -> None:
        # A derived column kept in step with the name; no business logic here.
        self.name_key = name_key(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    @property
    def is_minority(self) -> bool | None:
        """An ethnic minority (any group but Kinh); None while the group is not known."""
        return None if not self.ethnic_group else self.ethnic_group != EthnicGroup.KINH

    def age_on(self, day: datetime.date) -> tuple[int | None, bool]:
        """The age in whole years on `day` from the birth date, else the estimate (estimated)."""
        if self.date_of_birth:
            born = self.date_of_birth
            years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
            return max(years, 0), False
        return self.estimated_age, self.estimated_age is not None

    @property
    def age(self) -> int | None:
        """Return the age in whole years today, from the birth date or the estimate."""
        if self.date_of_birth:
            today = timezone.localdate()
            born = self.date_of_birth
            return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return self.estimated_age


class FamilyMember(models.Model):
    class Relation(models.TextChoices):
        FATHER = "father", _("Father")
        MOTHER = "mother", _("Mother")
        STEP_PARENT = "step_parent", _("Step-parent")
        GRANDPARENT = "grandparent", _("Grandparent")
        SIBLING = "sibling", _("Sibling")
        RELATIVE = "relative", _("Other relative")
        GUARDIAN = "guardian", _("Guardian")
        CARER = "carer", _("Carer")
        OTHER = "other", _("Other")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="family_members")
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    relation = models.CharField(_("relation to the child"), max_length=20, choices=Relation.choices)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    contact = models.CharField(_("contact"), max_length=120, blank=True)
    is_caregiver = models.BooleanField(_("current carer"), default=False)
    is_alleged_perpetrator = models.BooleanField(_("alleged perpetrator"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_relation_display()}: {self.full_name}"


class Incident(models.Model):
    """One event in which several children were harmed; each child has a case of their own."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    occurred_on = models.DateField(_("date of the incident"), null=True, blank=True)
    commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("commune of the incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title


class LawfulBasis(models.TextChoices):
    """
    The ground on which a case's personal data are processed (Personal Data Protection Law
    2025, Art. 19(1) for processing without consent; Law on Children 2016 Art. 6 for consent).
    """

    STATUTORY_DUTY = (
        "statutory_duty",
        _("Statutory duty: Law on Children 2016 and Decree 56/2017 (no consent needed)"),
    )
    VITAL_INTEREST = (
        "vital_interest",
        _("Emergency: to protect the child's life or health (no consent needed)"),
    )
    CONSENT = (
        "consent",
        _("Consent of the child (aged 7 or more) and the parent or representative"),
    )


class Case(models.Model):
    """
    One child's case, owned by the commune that must act.

    `commune` and `province` are the scope columns of the access rule (docs/DESIGN.md §4): they say
    who holds the case now and are indexed, so an area-wide list is a plain filter. `status` is
    assigned only by cases.services through the table in cases.workflow.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        INITIAL_ASSESSED = "initial_assessed", _("Initial assessment done")
        EMERGENCY_PROTECTION = "emergency_protection", _("Emergency protection")
        SPECIFIC_ASSESSED = "specific_assessed", _("Specific assessment done")
        NEEDS_MEETING_HELD = "needs_meeting_held", _("Needs meeting held")
        PLAN_DRAFTED = "plan_drafted", _("Plan drafted")
        PLAN_SUBMITTED = "plan_submitted", _("Plan submitted for approval")
        PLAN_APPROVED = "plan_approved", _("Plan approved")
        IN_IMPLEMENTATION = "in_implementation", _("In implementation")
        UNDER_REVIEW = "under_review", _("Under review")
        CLOSED = "closed", _("Closed")
        NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")
        MERGED = "merged", _("Merged as duplicate")
        ENDED = "ended", _("Ended for another reason")

    class Ending(models.TextChoices):
        """How a case can end other than by an Art. 30 closure, each counted as what it is."""

        TURNED_16 = (
            "turned_16",
            _("The child turned 16 (no longer a child, Law on Children Art. 1)"),
        )
        DIED = "died", _("The child died")
        MOVED_AWAY = "moved_away", _("The child moved abroad or beyond the system's reach")
        OTHER_AUTHORITY = (
            "other_authority",
            _("The child's protection continues under another authority"),
        )

    class Source(models.TextChoices):
        HOTLINE = "hotline", _("Hotline 111")
        COLLABORATOR = "collaborator", _("Collaborator")
        COMMUNE = "commune", _("Commune People's Committee")
        POLICE = "police", _("Police")
        HEALTH = "health", _("Health sector")
        SCHOOL = "school", _("School")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        IN_PERSON = "in_person", _("In person")
        THIRD_PARTY = "third_party", _("Reported by someone else")
        APP = "app", _("App 111")
        ZALO = "zalo", _("Zalo")
        WEB = "web", _("Website")
        LETTER = "letter", _("Official letter")
        PRESS = "press", _("Press or social media")
        PETITION = "petition", _("Petition")

    class TargetGroup(models.TextChoices):
        ABUSED = "abused", _("Abused")
        AT_RISK = "at_risk", _("At risk of violence, exploitation or abandonment")
        SPECIAL = "special", _("In special circumstances")

    class AbuseForm(models.TextChoices):
        VIOLENCE = "violence", _("Violence")
        EXPLOITATION = "exploitation", _("Exploitation")
        SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse")
        TRAFFICKING = "trafficking", _("Trafficking")
        ABANDONMENT = "abandonment", _("Abandonment")
        NEGLECT = "neglect", _("Neglect")
        OTHER = "other", _("Other harm")

    class SexualAbuseType(models.TextChoices):
        RAPE = "rape", _("Rape")
        FORCED_SEX = "forced_sex", _("Forced sex")
        INTERCOURSE = "intercourse", _("Sexual intercourse with a child")
        MOLESTATION = "molestation", _("Molestation")
        PROSTITUTION_PORNOGRAPHY = (
            "prostitution_pornography",
            _("Use in prostitution or pornography"),
        )

    class Setting(models.TextChoices):
        FAMILY = "family", _("Family")
        SCHOOL = "school", _("School")
        COMMUNITY = "community", _("Community")
        ONLINE = "online", _("Online")

    class ProtectionLevel(models.TextChoices):
        """Law on Children Art. 47(1); prevention (Art. 48) is for the community, not a case."""

        SUPPORT = "support", _("Support (Art. 49)")
        INTERVENTION = "intervention", _("Intervention (Art. 50)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="cases"
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("responsible commune"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    province = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    incident_commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("commune of the incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.RECEIVED
    )
    received_at = models.DateTimeField(_("time of receipt"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receiving officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.COMMUNE
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.IN_PERSON
    )
    target_group = models.CharField(
        _("target group"), max_length=20, choices=TargetGroup.choices, default=TargetGroup.AT_RISK
    )
    abuse_forms = models.JSONField(_("forms of abuse"), default=list, blank=True)
    sexual_abuse_types = models.JSONField(_("forms of sexual abuse"), default=list, blank=True)
    abuse_settings = models.JSONField(_("setting"), default=list, blank=True)
    protection_level = models.CharField(
        _("protection level"),
        max_length=20,
        choices=ProtectionLevel.choices,
        default=ProtectionLevel.SUPPORT,
    )
    # Mẫu 01, section A.2
    incident_place = models.CharField(_("place of the incident"), max_length=255, blank=True)
    child_location = models.CharField(_("where the child is now"), max_length=255, blank=True)
    child_condition = models.TextField(_("current condition of the child"), blank=True)
    expected_consequence = models.TextField(
        _("likely consequence without support or intervention"), blank=True
    )
    family_situation = models.TextField(_("family situation"), blank=True)
    current_carer = models.CharField(_("current carer"), max_length=200, blank=True)
    prior_actions = models.TextField(_("support or intervention before the report"), blank=True)
    # Mẫu 01, section A.3: kept only when the reporter agrees.
    reporter_consent = models.BooleanField(_("reporter agrees to be identified"), default=False)
    reporter_name = models.CharField(_("reporter's name"), max_length=200, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    reporter_address = models.CharField(_("reporter's address"), max_length=255, blank=True)
    additional_notes = models.TextField(_("additional notes"), blank=True)
    # Personal Data Protection Law 2025: why this child's data may be processed at all.
    lawful_basis = models.CharField(
        _("lawful basis for processing"),
        max_length=20,
        choices=LawfulBasis.choices,
        default=LawfulBasis.STATUTORY_DUTY,
    )
    lawful_basis_note = models.CharField(
        _("legal reference or explanation"), max_length=255, blank=True
    )

    emergency_required = models.BooleanField(_("emergency measures required"), null=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The child's age when it happened (the incident's date, else the receipt), kept with the
    # case: the statistics count children by it, not by today's age (Circular 13/2021).
    child_age_at_incident = models.PositiveSmallIntegerField(
        _("age at the incident"), null=True, blank=True
    )
    child_age_estimated = models.BooleanField(
        _("the age is an estimate"), default=False, db_default=False
    )
    ending = models.CharField(
        _("how the case ended"),
        max_length=20,
        choices=Ending.choices,
        blank=True,
        default="",
        db_default="",  # bulk loads (cases.scale) may leave it out
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    # Signs of a crime (cases.crime, rules as data): the case is a crime report that must reach
    # the investigating police at once (Decree 56 Art. 25(3); Criminal Procedure Code Art.
    # 146(4)). `crime_signs` keeps the codes of the rules that matched.
    crime_report = models.BooleanField(_("crime report"), default=False, db_default=False)
    crime_signs = models.JSONField(_("signs of a crime"), default=list, blank=True, db_default=[])
    crime_flagged_at = models.DateTimeField(_("flagged a crime report at"), null=True, blank=True)
    # Optimistic concurrency: every edit of the record checks and bumps it (ETag on the API).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShownRowsQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at", "-id"]
        # Only view/change as model permissions, and those are never granted model-wide: every
        # case permission is held by jurisdiction (cases.access) or by a per-case share.
        default_permissions = ("view", "change")
        permissions = [
            ("view_case_summary", "View the summary of a case"),
            ("assess_case", "Assess a case"),
            ("plan_case", "Draft the plan of a case"),
            ("approve_plan", "Approve the plan of a case"),
            ("decide_emergency", "Decide emergency protection or separation"),
            ("intervene_case", "Record an emergency intervention"),
            ("refer_case", "Refer a case"),
            ("print_case", "Print a case"),
            ("transfer_case", "Transfer a case"),
            ("close_case", "Close a case"),
        ]
        indexes = [
            models.Index(fields=["commune", "status"], name="case_commune_status"),
            # The supervisor's overview counts a province's open cases by commune from it alone.
            models.Index(fields=["province", "status", "commune"], name="case_province_open"),
            # The lists' order within each arm of the door (cases.access): a page is the first
            # rows of one index range, and the next page starts where the last row was.
            models.Index(fields=["commune", "received_at", "id"], name="case_commune_order"),
            models.Index(fields=["province", "received_at", "id"], name="case_province_order"),
            models.Index(fields=["received_at", "id"], name="case_order"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def child_name(self) -> str:
        return self.child.full_name

    @property
    def is_open(self) -> bool:
        from cases.workflow import OPEN_STATES

        return self.status in OPEN_STATES


class CaseNumberSequence(models.Model):
    """The last case number issued in a year; locked row by row when a number is issued."""

    year = models.PositiveIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number sequence")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class CaseTransition(models.Model):
    """One row per workflow step: who, when, from, to, why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(_("step"), max_length=40)
    from_status = models.CharField(_("from"), max_length=30, choices=Case.Status.choices)
    to_status = models.CharField(_("to"), max_length=30, choices=Case.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.name} {self.at:%Y-%m-%d %H:%M}"


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Assessment(models.Model):
    """An assessment of the child's risk: initial (Mẫu 02), specific (Mẫu 03) or review (Mẫu 06)."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial risk assessment (Mẫu 02)")
        SPECIFIC = "specific", _("Specific risk assessment (Mẫu 03)")
        REVIEW = "review", _("Review after the plan (Mẫu 06)")

    class Recommendation(models.TextChoices):
        CLOSE = "close", _("Close the plan")
        NEW_PLAN = "new_plan", _("Make a new plan")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assessed by"),
    )
    # Ratings, one per factor (the forms' Cao / Trung bình / Thấp)
    harm_severity = models.CharField(
        _("severity of the harm to the child"), max_length=6, choices=RiskLevel.choices
    )
    abuser_access = models.CharField(
        _("the abuser's access to the child"), max_length=6, choices=RiskLevel.choices
    )
    care_obstacles = models.CharField(
        _("obstacles to safety in the care environment"), max_length=6, choices=RiskLevel.choices
    )
    self_protection = models.CharField(
        _("risk from the child's limited ability to protect themself"),
        max_length=6,
        choices=RiskLevel.choices,
    )
    recovery = models.CharField(
        _("risk from the child's limited ability to recover"),
        max_length=6,
        choices=RiskLevel.choices,
    )
    summary = models.TextField(_("summary"), blank=True)
    # Mẫu 02
    emergency_required = models.BooleanField(_("emergency measures required"), null=True)
    safety_measures = models.TextField(_("temporary safety measures taken"), blank=True)
    # Mẫu 03 (Art. 27(1) a–h)
    physical_emotional_state = models.TextField(
        _("physical, psychological and emotional state"), blank=True
    )
    family_capacity = models.TextField(
        _("family circumstances and capacity to protect"), blank=True
    )
    risk_factors = models.TextField(_("factors that could lead to (further) abuse"), blank=True)
    learning_and_self_protection = models.TextField(
        _("learning conditions and self-protection ability"), blank=True
    )
    community_safety = models.TextField(_("safety and support of the community"), blank=True)
    needs = models.TextField(_("needs for support and intervention"), blank=True)
    child_views = models.TextField(_("views and wishes of the child"), blank=True)
    carer_views = models.TextField(_("views and wishes of the parents or carer"), blank=True)
    carer_safe = models.BooleanField(_("parents or carer keep the child safe"), null=True)
    # A Mẫu 03 recorded again after the first (Art. 32(3): is the carer safe now; Circular
    # 14/2020 Art. 14(3): the child reassessed after 15 days of separation).
    is_reassessment = models.BooleanField(_("reassessment"), default=False, db_default=False)
    # Mẫu 06 and Art. 30
    no_remaining_risk = models.BooleanField(_("no remaining risk of abuse"), null=True)
    child_stable = models.BooleanField(
        _("physically, psychologically, cognitively and emotionally stable"), null=True
    )
    recommendation = models.CharField(
        _("recommendation"), max_length=10, choices=Recommendation.choices, blank=True
    )

    RATING_FIELDS = ("harm_severity", "abuser_access", "care_obstacles")
    PROTECTION_FIELDS = ("self_protection", "recovery")

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["assessed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.assessed_at:%Y-%m-%d}"

    def tally(self) -> dict[str, int]:
        """Count the ratings per level, as the forms' «Tổng số» does (no weighted score)."""
        counts = {level: 0 for level in RiskLevel.values}
        for name in self.RATING_FIELDS + self.PROTECTION_FIELDS:
            value = getattr(self, name)
            if value:
                counts[value] += 1
        return counts


class EmergencyDecision(models.Model):
    """Emergency intervention (Art. 31) or temporary separation (Art. 32, Mẫu 07)."""

    class Kind(models.TextChoices):
        INTERVENTION = "intervention", _("Emergency intervention")
        SEPARATION = "separation", _("Temporary separation (Mẫu 07)")

    class Ground(models.TextChoices):
        CARER_ABUSE = "carer_abuse", _("The parent or carer is abusing the child")
        CARER_REFUSES = "carer_refuses", _("The parent or carer refuses the plan")
        REPEAT_RISK = "repeat_risk", _("Risk that the abuse will be repeated")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="emergency_decisions")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    decision_number = models.CharField(_("decision number"), max_length=40)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    measures = models.TextField(_("measures"))
    signed_as = models.CharField(
        _("signed as"),
        max_length=20,
        choices=SignedAs.choices,
        blank=True,
        default="",
        db_default="",
    )
    separated_from = models.CharField(_("separated from"), max_length=200, blank=True)
    ground = models.CharField(
        _("ground (Art. 32(1))"), max_length=20, choices=Ground.choices, blank=True
    )
    safe_place = models.CharField(_("safe temporary residence"), max_length=255, blank=True)
    alternative_care = models.CharField(_("alternative care"), max_length=255, blank=True)
    starts_at = models.DateTimeField(_("separation starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("separation ends"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended or revoked at"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)
    # Art. 32(3): a separation is revoked when a Mẫu 03 finds the carer safe again; otherwise it
    # ends on the court's decision (Circular 14/2020 Art. 14(3)(b)).
    end_basis = models.CharField(
        _("what the end rests on"),
        max_length=20,
        choices=[
            ("carer_safe", _("A Mẫu 03 assessment finds the carer keeps the child safe")),
            ("court_decision", _("The court decided")),
        ],
        blank=True,
        default="",
        db_default="",
    )
    end_assessment = models.ForeignKey(
        "Assessment",
        verbose_name=_("Mẫu 03 assessment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("emergency decision")
        verbose_name_plural = _("emergency decisions")
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.decision_number}"

    @property
    def is_active_separation(self) -> bool:
        return self.kind == self.Kind.SEPARATION and self.ended_at is None


class SeparationExtension(models.Model):
    """An extension of a temporary separation, with its reason (Art. 32(3))."""

    decision = models.ForeignKey(
        EmergencyDecision, on_delete=models.CASCADE, related_name="extensions"
    )
    previous_ends_at = models.DateTimeField(_("previous end"))
    new_ends_at = models.DateTimeField(_("new end"))
    reason = models.TextField(_("reason"))
    authority_reference = models.CharField(
        _("competent authority's request (beyond 15 days)"), max_length=255, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("separation extension")
        verbose_name_plural = _("separation extensions")
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} → {self.new_ends_at:%Y-%m-%d}"


class CourtPetition(models.Model):
    """
    The commune chairman's petition to the court (Law on Children Art. 52(3); Circular 14/2020
    Art. 14(3)(b)): to continue a separation where the child cannot return after 15 days, or to
    restrict parental rights. Since 1 July 2025 the regional court (Tòa án nhân dân khu vực).
    """

    class Subject(models.TextChoices):
        CONTINUE_SEPARATION = "continue_separation", _("Continue the temporary separation")
        RESTRICT_PARENTAL_RIGHTS = (
            "restrict_parental_rights",
            _("Restrict the parents' rights over the child"),
        )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="court_petitions")
    separation = models.ForeignKey(
        EmergencyDecision,
        verbose_name=_("separation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="court_petitions",
    )
    subject = models.CharField(_("what is asked"), max_length=30, choices=Subject.choices)
    court = models.CharField(_("court"), max_length=200)
    filed_on = models.DateField(_("filed on"))
    reference = models.CharField(_("reference"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("court petition")
        verbose_name_plural = _("court petitions")
        ordering = ["filed_on", "id"]

    def __str__(self) -> str:
        return f"{self.court} {self.reference}"


class NeedsMeeting(models.Model):
    """The meeting that fixes the child's needs (Art. 27(2)), with its minutes (biên bản)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs_meetings")
    held_at = models.DateTimeField(_("held at"))
    chaired_by = models.CharField(_("chaired by"), max_length=200)
    attendees = models.TextField(_("attendees"))
    minutes = models.TextField(_("minutes"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("needs meeting")
        verbose_name_plural = _("needs meetings")
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.held_at:%Y-%m-%d}"


class Plan(models.Model):
    """A support-intervention plan (Mẫu 04) and its approval decision (Mẫu 05). Versioned."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Superseded")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="draft")
    objectives = models.TextField(_("objectives"))
    monitoring = models.TextField(_("monitoring and evaluation"), blank=True)
    review_on = models.DateField(_("review date"))
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(_("drafted at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submission_count = models.PositiveSmallIntegerField(default=0)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=40, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    signed_as = models.CharField(
        _("signed as"),
        max_length=20,
        choices=SignedAs.choices,
        blank=True,
        default="",
        db_default="",
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="plan_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.case} v{self.version}"

    @property
    def is_superseded(self) -> bool:
        """A later approved plan replaced this one; it is kept as it was, for the record."""
        return self.status == self.Status.SUPERSEDED


class Measure(models.TextChoices):
    """
    Support (Law on Children Art. 49(2) a–d) and intervention (Art. 50(2) a–h) measures. A
    support case uses the Art. 49 measures; an intervention case any (Art. 50(2)(g) takes in
    Art. 49(2)(d)). Values are stored; the labels carry the point of the article.
    """

    S_CARER_COUNSELLING = (
        "s_carer_counselling",
        _("Art. 49(2)(a): warning of the risk, counselling parents, teachers and carers"),
    )
    S_SKILLS = (
        "s_skills",
        _("Art. 49(2)(a): knowledge and skills to remove or reduce the risk"),
    )
    S_ASSESSMENT = (
        "s_assessment",
        _("Art. 49(2)(b): receiving the report, assessing the harm, measures to reduce the risk"),
    )
    S_EDUCATION = (
        "s_education",
        _("Art. 49(2)(c): education support for a child in special circumstances (Arts. 43–46)"),
    )
    S_HEALTH = (
        "s_health",
        _("Art. 49(2)(c): health care for a child in special circumstances (Arts. 43–46)"),
    )
    S_LEGAL = (
        "s_legal",
        _("Art. 49(2)(c): legal support for a child in special circumstances (Arts. 43–46)"),
    )
    S_SOCIAL_ASSISTANCE = (
        "s_social_assistance",
        _("Art. 49(2)(d): access to social assistance and other help"),
    )
    I_MEDICAL = (
        "i_medical",
        _("Art. 50(2)(a): medical care, psychotherapy, physical and mental recovery"),
    )
    I_SAFE_PLACE = (
        "i_safe_place",
        _("Art. 50(2)(b): safe temporary residence, separation from the abuser"),
    )
    I_ALTERNATIVE_CARE = (
        "i_alternative_care",
        _("Art. 50(2)(c): temporary or long-term alternative care"),
    )
    I_REINTEGRATION = (
        "i_reintegration",
        _("Art. 50(2)(d): family reunion, return to school and community"),
    )
    I_CARER_COUNSELLING = (
        "i_carer_counselling",
        _("Art. 50(2)(đ): counselling parents, carers and the family"),
    )
    I_LEGAL_AID = "i_legal_aid", _("Art. 50(2)(e): legal counselling, services and aid")
    I_SPECIAL_SUPPORT = (
        "i_special_support",
        _("Art. 50(2)(g): support measures of Arts. 43(1), 44(1) and 49(2)(d)"),
    )
    I_SAFETY_MONITORING = (
        "i_safety_monitoring",
        _("Art. 50(2)(h): monitoring and assessing the child's safety"),
    )
    OTHER = "other", _("Other support or intervention")


SUPPORT_MEASURES = frozenset(m for m in Measure.values if m.startswith("s_")) | {Measure.OTHER}
# Art. 50(2)(g) brings Art. 49(2)(d) into intervention; the other Art. 49 measures serve an
# intervention case too (counselling, assessment), so an intervention case may use every one.
INTERVENTION_MEASURES = frozenset(Measure.values)


def measures_for(level: str) -> frozenset[str]:
    """The measures a case at this protection level may use (Law on Children Arts. 49–50)."""
    return INTERVENTION_MEASURES if level == Case.ProtectionLevel.INTERVENTION else SUPPORT_MEASURES


class PlanActivity(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("Under way")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Dropped")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="activities")
    measure = models.CharField(_("measure"), max_length=30, choices=Measure.choices)
    description = models.TextField(_("activity"))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation responsible"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_responsible = models.CharField(_("person responsible"), max_length=200, blank=True)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("expected end"))
    resources = models.TextField(_("resources"), blank=True)
    cost = models.DecimalField(
        _("estimated cost (VND)"), max_digits=14, decimal_places=0, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("plan activity")
        verbose_name_plural = _("plan activities")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="plan_activity_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class ActivityProgress(models.Model):
    """One change of a plan activity's progress: planned, under way, done, or dropped (why)."""

    activity = models.ForeignKey(PlanActivity, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(_("status"), max_length=12, choices=PlanActivity.Status.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("activity progress")
        verbose_name_plural = _("activity progress")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.activity} {self.status}"


class DecisionDistribution(models.Model):
    """
    The approved decision and plan sent to one recipient (Decree 56 Art. 28(5): those who carry
    it out and the parents or carer): who received it, when and how.
    """

    class Method(models.TextChoices):
        BY_HAND = "by_hand", _("Handed over")
        POST = "post", _("By post")
        ELECTRONIC = "electronic", _("Electronically (document system, email)")
        IN_SYSTEM = "in_system", _("Through this system (referral)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="distributions")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipient = models.CharField(_("recipient"), max_length=200)
    is_carer = models.BooleanField(_("parent or carer"), default=False)
    sent_on = models.DateField(_("sent on"))
    method = models.CharField(_("how"), max_length=12, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("decision distribution")
        verbose_name_plural = _("decision distributions")
        ordering = ["sent_on", "id"]

    def __str__(self) -> str:
        return f"{self.plan} → {self.recipient}"


class Perpetrator(models.Model):
    """
    The alleged perpetrator, as a record of its own (police and the statistics need who harmed
    the child, not only family members). A family member stays in the family; the record links
    to them.
    """

    class Relation(models.TextChoices):
        PARENT = "parent", _("Parent")
        STEP_PARENT = "step_parent", _("Step-parent")
        RELATIVE = "relative", _("Relative")
        TEACHER = "teacher", _("Teacher")
        CARER = "carer", _("Carer")
        NEIGHBOUR = "neighbour", _("Neighbour")
        ACQUAINTANCE = "acquaintance", _("Acquaintance")
        STRANGER = "stranger", _("Stranger")
        ONLINE_CONTACT = "online_contact", _("Online contact")
        OTHER = "other", _("Other")

    class AgeBand(models.TextChoices):
        UNDER_16 = "under_16", _("Under 16")
        FROM_16_TO_17 = "16_17", _("16–17")
        FROM_18_TO_29 = "18_29", _("18–29")
        FROM_30_TO_44 = "30_44", _("30–44")
        FROM_45_TO_59 = "45_59", _("45–59")
        FROM_60 = "60_plus", _("60 or older")
        UNKNOWN = "unknown", _("Unknown")

    FAMILY_RELATIONS = frozenset({Relation.PARENT, Relation.STEP_PARENT, Relation.RELATIVE})

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="perpetrators")
    relation = models.CharField(_("relation to the child"), max_length=20, choices=Relation.choices)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    age_band = models.CharField(
        _("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    is_family_member = models.BooleanField(_("a member of the child's family"), default=False)
    family_member = models.ForeignKey(
        FamilyMember,
        verbose_name=_("family member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="perpetrator_records",
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("alleged perpetrator")
        verbose_name_plural = _("alleged perpetrators")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_relation_display()


class CrimeSignRule(models.Model):
    """
    When a case's facts show signs of a crime (rules as data, seeded by a migration): a form of
    abuse, optionally only with a sexual sub-form or with harm assessed as high. A case matching
    any active rule is a crime report (cases.crime).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    citation = models.CharField(_("legal citation"), max_length=200)
    abuse_form = models.CharField(_("form of abuse"), max_length=20, choices=Case.AbuseForm.choices)
    sexual_abuse_types = models.JSONField(
        _("only with these sexual sub-forms (empty: any)"), default=list, blank=True
    )
    needs_high_harm = models.BooleanField(
        _("only when an assessment rates the harm High"), default=False
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("crime sign rule")
        verbose_name_plural = _("crime sign rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class CaseNote(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class DocumentStorage(FileSystemStorage):
    """Documents live under MEDIA_ROOT/documents, outside any web root, with no public URL."""

    @cached_property
    def base_location(self) -> str:
        # Read lazily, so a changed MEDIA_ROOT (tests, deployments) is honoured.
        return os.path.join(settings.MEDIA_ROOT, "documents")

    def url(self, name: str | None) -> str:
        raise ValueError("Documents have no URL: they are served only through the access check.")


def document_storage() -> FileSystemStorage:
    return DocumentStorage()


def document_path(instance: CaseDocument, filename: str) -> str:
    # No personal data in paths: the stored name is the document's own UUID.
    return f"{instance.public_id.hex[:2]}/{instance.public_id.hex}"


class CaseDocument(models.Model):
    class Kind(models.TextChoices):
        MINUTES = "minutes", _("Meeting minutes")
        EVIDENCE = "evidence", _("Evidence")
        DECISION = "decision", _("Signed decision")
        OTHER = "other", _("Other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    description = models.CharField(_("description"), max_length=255, blank=True)
    file = models.FileField(storage=document_storage, upload_to=document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ConsentRecord(models.Model):
    """
    Consent to share a child's data beyond the statutory duty (Law on Children Art. 6; Personal
    Data Protection Law 2025): from the child when aged 7 or more, and from the parent or
    representative; how it was given, for what and to whom, and its withdrawal.
    """

    class Purpose(models.TextChoices):
        SHARE_WITH_PROVIDER = (
            "share_with_provider",
            _("Share the case with a service provider named below"),
        )

    class Method(models.TextChoices):
        WRITTEN = "written", _("Written and signed")
        VERBAL_WITNESSED = "verbal_witnessed", _("Verbal, with a witness")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    recipient_kinds = models.JSONField(_("kinds of recipient"), default=list, blank=True)
    child_age = models.PositiveSmallIntegerField(_("child's age when consenting"), null=True)
    child_consented = models.BooleanField(_("the child consents"), null=True)
    representative_name = models.CharField(_("parent or representative"), max_length=200)
    representative_relation = models.CharField(_("relation to the child"), max_length=100)
    representative_consented = models.BooleanField(_("the representative consents"))
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    witness = models.CharField(_("witness"), max_length=200, blank=True)
    given_at = models.DateTimeField(_("given at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_note = models.TextField(_("withdrawal"), blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case} {self.purpose}"

    def covers(self, organisation_kind: str) -> bool:
        """Whether this consent, as it stands, allows sharing with that kind of organisation."""
        if self.withdrawn_at is not None or not self.representative_consented:
            return False
        if organisation_kind not in self.recipient_kinds:
            return False
        # Both the child (aged 7 or more, or of unknown age) and the representative.
        child_needed = self.child_age is None or self.child_age >= 7
        return bool(self.child_consented) or not child_needed


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A per-case share to one user (e.g. an explicit, time-limited grant)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("case share to a user")


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """A per-case share to an organisation's role group (a referral, the hotline that opened it)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("case share to a group")


class DeadlineRule(models.Model):
    """
    A statutory deadline held as data: its citation, the event that starts its clock, its length,
    the events that meet or waive it, and whom a miss escalates to. Seeded by a migration.
    """

    class Unit(models.TextChoices):
        HOURS = "hours", _("hours")
        WORKING_DAYS = "working_days", _("working days")
        CALENDAR_DAYS = "calendar_days", _("calendar days")
        PLAN_DATE = "plan_date", _("date set in the plan")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    citation = models.CharField(_("legal citation"), max_length=200)
    started_by = models.JSONField(_("events that start the clock"), default=list)
    met_by = models.JSONField(_("events that meet it"), default=list)
    waived_by = models.JSONField(_("events that make it unnecessary"), default=list, blank=True)
    duration = models.PositiveIntegerField(_("length"))
    unit = models.CharField(_("unit"), max_length=15, choices=Unit.choices)
    escalate_to = models.JSONField(_("roles a miss escalates to"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    # The law sets no number here (or says only "at once"): the length is a local default that
    # the province's administrators set, and every page that shows the clock says so.
    is_local_default = models.BooleanField(
        _("local default, not statute"),
        default=False,
        help_text=_("The law sets no length for this clock; this one is the province's choice."),
    )

    class Meta:
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class RunningClock(models.Model):
    """
    What every clock keeps, on a case or on an intake item (hotline.models.IntakeClock): from
    a rule, when it started and runs out, and when it was met, waived or escalated.
    """

    rule = models.ForeignKey(DeadlineRule, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("clock started"))
    due_at = models.DateTimeField(_("due"))
    # When the law counts the clock met (a decision's own time or date).
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    waived_at = models.DateTimeField(_("no longer needed since"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.waived_at is None


class CaseDeadline(RunningClock):
    """One clock running on one case, from a rule. `key` tells apart repeats (plan versions)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    # The case's responsible commune, kept beside each clock (set when the clock starts, moved
    # with the case by a transfer): the officer's due list and the supervisor's overdue counts
    # are then one index range each, not a probe per open case of the area (issue #11).
    commune = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=40, blank=True, default="")
    # When what met it was entered: a decision signed in time and entered later is in time,
    # and shows both.
    met_entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)

    objects = ShownRowsQuerySet.as_manager()

    class Meta:
        verbose_name = _("case deadline")
        verbose_name_plural = _("case deadlines")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "rule", "key"], name="deadline_unique_clock"),
        ]
        indexes = [
            models.Index(fields=["met_at", "waived_at", "due_at"], name="deadline_open_due"),
            models.Index(
                fields=["commune", "due_at", "id"],
                condition=models.Q(met_at__isnull=True, waived_at__isnull=True),
                name="deadline_open_by_commune",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.rule.code}"

    @property
    def was_met_in_time(self) -> bool | None:
        if self.met_at is None:
            return None
        return self.met_at <= self.due_at

    def is_overdue(self, now: timezone.datetime | None = None) -> bool:
        return self.is_open and (now or timezone.now()) > self.due_at


class Notification(models.Model):
    """An in-app notice to one user (a missed deadline, a plan awaiting approval)."""

    class Kind(models.TextChoices):
        DEADLINE_MISSED = "deadline_missed", _("Deadline missed")
        CASE_ASSIGNED = "case_assigned", _("New case for your commune")
        INTAKE_RECEIVED = "intake_received", _("New report in your intake inbox")
        REFERRAL_RECEIVED = "referral_received", _("New referral to your organisation")
        REFERRAL_ENDED = "referral_ended", _("A referral to your organisation has ended")
        CALL_OVERDUE = "call_overdue", _("A report call is still waiting for triage")
        REPORT_OVERDUE = "report_overdue", _("A collaborator's report is still waiting for triage")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    case = models.ForeignKey(Case, null=True, on_delete=models.CASCADE, related_name="+")
    deadline = models.ForeignKey(
        CaseDeadline, null=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the notice is about when it is not a case the recipient sees (a referral that
    # ended, whose case is no longer theirs): a public id, linked by cases.hooks.notice_link.
    about = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The user's notices, newest first, and the unread badge on every page.
            models.Index(fields=["recipient", "created_at", "id"], name="notification_inbox"),
            models.Index(
                fields=["recipient", "created_at", "id"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_order",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "deadline"],
                condition=models.Q(kind="deadline_missed"),
                name="notification_once_per_missed_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.kind}"

    @property
    def link(self) -> str:
        """Where the notice leads when it is not about a case (cases.hooks.notice_link)."""
        from cases.hooks import notice_link

        return notice_link(self)
