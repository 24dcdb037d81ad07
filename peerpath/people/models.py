"""People served and their clinical record: episodes, other programs and services,
diagnoses, assessments, service orders, discharge."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models

from peerpath.core import codes
from peerpath.core.fields import DateSpan, validate_span
from peerpath.organizations.models import Agency, Payer


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Not stated"


class Person(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="people")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(
        "sex on the Medicaid record", max_length=1, choices=Sex.choices, default=Sex.UNKNOWN
    )
    medicaid_id = models.CharField("Medicaid ID", max_length=20)
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="people")
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(fields=["payer", "medicaid_id"], name="medicaid_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.display_name} (#{self.pk})"

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def clean(self) -> None:
        if self.medicaid_id:
            self.medicaid_id = self.medicaid_id.strip().upper()
        if self.payer_id and self.medicaid_id:
            problem = codes.medicaid_id_problem(self.medicaid_id, self.payer.state)
            if problem:
                raise ValidationError({"medicaid_id": f"Medicaid ID is {problem}."})
        if self.date_of_birth and self.date_of_birth > dt.date.today():
            raise ValidationError({"date_of_birth": "Date of birth cannot be in the future."})


class Episode(DateSpan):
    """One episode of care with this agency: from admission to discharge."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="episodes")
    referral_source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["person", "start"]

    def __str__(self) -> str:
        return f"Episode {self.start}..{self.end or 'open'}"


class DischargeReason(models.TextChoices):
    FUNCTIONING_IMPROVED = (
        "functioning_improved_with_transition_plan",
        ("Functioning improved toward plan goals, with a transition plan"),
    )
    POSITIVE_OUTCOMES = "positive_life_outcomes", "Positive life outcomes support stable recovery"
    NO_PROGRESS = (
        "no_progress_strategies_exhausted",
        ("No progress after all reasonable strategies were tried"),
    )
    PERSON_DECLINES = "person_declines", "The person no longer wants peer support"
    MOVED = "moved", "Moved away or changed provider"
    OTHER = "other", "Other"


class Discharge(models.Model):
    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="discharge")
    date = models.DateField()
    reason = models.CharField(max_length=60, choices=DischargeReason.choices)
    transition_plan = models.TextField(blank=True)
    natural_supports = models.TextField(
        blank=True, help_text="Unpaid supports the person has built: family, friends, groups."
    )

    def clean(self) -> None:
        if self.episode_id and self.date and self.date < self.episode.start:
            raise ValidationError({"date": "Discharge cannot come before admission."})
        if self.reason == DischargeReason.FUNCTIONING_IMPROVED and not self.transition_plan:
            raise ValidationError(
                {"transition_plan": "This discharge reason needs a transition plan."}
            )


class Program(models.TextChoices):
    ACTT = "ACTT", "Assertive Community Treatment (ACT/ACTT)"
    CST = "CST", "Community Support Team"
    INNOVATIONS = "INNOVATIONS", "NC Innovations waiver"
    OTHER = "OTHER", "Other program"


class ProgramEnrollment(DateSpan):
    """Another program the person is in, which may limit peer support (NC: ACTT, CST,
    Innovations)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrollments")
    program = models.CharField(max_length=20, choices=Program.choices)
    provider_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["person", "start"]


class ServiceCategory(models.TextChoices):
    MH_CLUBHOUSE = "MH_CLUBHOUSE", "Mental health clubhouse"
    SKILLS_TRAINING = "SKILLS_TRAINING", "Skills training and development"
    CRISIS_INTERVENTION = "CRISIS_INTERVENTION", "Crisis intervention"
    CASE_MANAGEMENT = "CASE_MANAGEMENT", "Case management"
    THERAPY = "THERAPY", "Outpatient therapy"
    MEDICATION_MANAGEMENT = "MEDICATION_MANAGEMENT", "Medication management"
    OTHER = "OTHER", "Other service"


class OtherService(models.Model):
    """A service the person received from anyone (claims feed or record), used to find
    peer support billed at the same time as another service."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="other_services")
    category = models.CharField(max_length=30, choices=ServiceCategory.choices)
    procedure_code = models.CharField(max_length=5, blank=True)
    provider_name = models.CharField(max_length=200, blank=True)
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["person", "date", "start_time"]
        indexes = [models.Index(fields=["person", "date"])]

    def clean(self) -> None:
        validate_span(self.start_time, self.end_time, end_field="end_time", what="service")


class Diagnosis(DateSpan):
    """An ICD-10-CM diagnosis, from `start` (diagnosed) to `end` (resolved, if any)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.CharField("ICD-10-CM code", max_length=8)
    description = models.CharField(max_length=250, editable=False)
    category = models.CharField(
        max_length=5,
        editable=False,
        choices=[
            ("MH", "Mental health"),
            ("SUD", "Substance use (42 CFR Part 2)"),
            ("OTHER", "Other"),
        ],
    )
    is_primary = models.BooleanField(default=False)
    diagnosed_by = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["person", "-is_primary", "start"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def is_part2(self) -> bool:
        """Identifies a substance use disorder: disclosed only with consent (42 CFR Part 2)."""
        return self.category == "SUD"

    def clean(self) -> None:
        super().clean()
        if self.code:
            problem = codes.icd10_problem(self.code)
            if problem:
                raise ValidationError({"code": problem})
            self.code = codes.normalize_icd10(self.code)
            self.description = codes.icd10_description(self.code)[:250]
            self.category = codes.diagnosis_category(self.code)


class Assessment(models.Model):
    """A Comprehensive Clinical Assessment (CCA)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assessments")
    date = models.DateField()
    author_name = models.CharField(max_length=120)
    author_credential = models.CharField(max_length=40, help_text="e.g. LCSW, LCAS, LPC, MD")
    medical_necessity = models.BooleanField(
        help_text="The assessment finds peer support medically necessary."
    )
    needs_areas = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes of the needs areas the assessment documents (from the policy pack).",
    )
    no_equally_effective_alternative = models.BooleanField(
        default=True, help_text="No other service would be equally or more effective."
    )
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["person", "date"]

    def clean(self) -> None:
        if not isinstance(self.needs_areas, list) or not all(
            isinstance(x, str) and x for x in self.needs_areas
        ):
            raise ValidationError({"needs_areas": "Needs areas must be a list of area codes."})
        if len(set(self.needs_areas)) != len(self.needs_areas):
            raise ValidationError({"needs_areas": "A needs area is listed twice."})


class ServiceOrder(models.Model):
    """The order for peer support signed by a physician or licensed clinician."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="service_orders")
    signed_by = models.CharField(max_length=120)
    credential = models.CharField(max_length=40, help_text="e.g. MD, DO, LCSW, LCAS, PhD")
    signed_on = models.DateField()
    procedure_code = models.CharField(max_length=5, default="H0038")

    class Meta:
        ordering = ["person", "signed_on"]


class FamilyRelationship(models.Model):
    """A family or legal relationship between a staff member and a person served
    (NC: such staff may not deliver the person's peer support)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="family_staff")
    staff = models.ForeignKey(
        "staff.StaffMember", on_delete=models.CASCADE, related_name="family_of"
    )
    relationship = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "staff"], name="family_relation_unique")
        ]
