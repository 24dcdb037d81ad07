"""Agency and payer staff: roles, certifications, trainings, supervision, caseloads."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from peerpath.core.fields import DateSpan, validate_span
from peerpath.organizations.models import Agency, Payer, Site, validate_npi


class Role(models.TextChoices):
    CPSS = "cpss", "Certified Peer Support Specialist"
    SUPERVISOR = "supervisor", "Program supervisor (QP)"
    MHP = "mhp", "Mental Health Professional"
    BILLING = "billing", "Billing staff"
    UM_REVIEWER = "um_reviewer", "Utilization-management reviewer"
    AUDITOR = "auditor", "Program-integrity auditor"
    ADMIN = "admin", "Agency administrator"


class StaffMember(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    credential = models.CharField(
        max_length=40, blank=True, help_text="As signed on notes: CPSS, QP, LCSW, MD ..."
    )
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    payer = models.ForeignKey(
        Payer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text="For UM reviewers and auditors who work for a payer.",
    )
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)
    npi = models.CharField("rendering NPI", max_length=10, blank=True, validators=[validate_npi])
    hire_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = "staff member"

    def __str__(self) -> str:
        cred = f", {self.credential}" if self.credential else ""
        return f"{self.first_name} {self.last_name}{cred}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self) -> None:
        validate_span(self.hire_date, self.end_date, end_field="end_date", what="employment")
        agency_roles = {Role.CPSS, Role.SUPERVISOR, Role.MHP, Role.BILLING, Role.ADMIN}
        if self.role in agency_roles and self.agency_id is None:
            raise ValidationError({"agency": "Agency staff must belong to an agency."})
        if self.role == Role.UM_REVIEWER and self.payer_id is None:
            raise ValidationError({"payer": "A UM reviewer works for a payer: choose one."})
        if self.role == Role.CPSS and self.hire_date is None:
            raise ValidationError(
                {"hire_date": "A peer specialist's hire date sets their training deadlines."}
            )


class Certification(DateSpan):
    """A credential with issue (start) and expiry (end) dates."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(max_length=80, help_text="e.g. NC Certified Peer Support Specialist")
    number = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["staff", "-start"]

    def __str__(self) -> str:
        return f"{self.kind} {self.start}..{self.end or 'open'}"


class Training(models.Model):
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="trainings")
    topic = models.CharField(
        max_length=80, help_text="A requirement id from the policy pack (e.g. mi_intro) or a topic."
    )
    hours = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(0.25)]
    )
    completed_on = models.DateField()
    provider = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["staff", "completed_on"]

    def __str__(self) -> str:
        return f"{self.topic} {self.hours} h on {self.completed_on}"


class SupervisionAssignment(DateSpan):
    """Which supervisor (QP or MHP) supervises which peer specialist, over a span."""

    supervisor = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="supervisees"
    )
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="supervisors")

    class Meta:
        ordering = ["supervisor", "start"]

    def clean(self) -> None:
        super().clean()
        if self.supervisor_id and self.supervisor_id == self.staff_id:
            raise ValidationError({"staff": "A person cannot supervise themself."})


class CaseloadAssignment(DateSpan):
    """A person on a peer specialist's caseload, over a span."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="caseload")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="caseload_assignments"
    )

    class Meta:
        ordering = ["staff", "start"]
        indexes = [models.Index(fields=["person", "start"])]


class ContactKind(models.TextChoices):
    FACE_TO_FACE = "face_to_face", "Face to face"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"


class SupervisorContact(models.Model):
    """The program supervisor's own contact with a person served (NC: within 30 days, then
    every 60 days, face to face)."""

    supervisor = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="person_contacts"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="supervisor_contacts"
    )
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["person", "date"]


class Evaluation(models.Model):
    """An MHP's evaluation of a person's recovery and the focus of their peer support
    (SC: within 6 months of admission, then every 12 months)."""

    evaluator = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="evaluations")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="evaluations"
    )
    date = models.DateField()
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["person", "date"]
