"""The person-centered plan (PCP; SC: Individualized Treatment Plan), its goals in the
person's own words, objectives, interventions, signatures and crisis plan. Each revision
is a new version; earlier versions are kept."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from peerpath.core.fields import Activity, validate_span
from peerpath.people.models import Episode, Person


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Replaced by a newer version"
    CLOSED = "closed", "Closed"


class Plan(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="plans")
    episode = models.ForeignKey(Episode, null=True, blank=True, on_delete=models.SET_NULL)
    version = models.PositiveIntegerField(default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    start = models.DateField(help_text="Effective from.")
    review_due = models.DateField()
    strengths = models.TextField(blank=True, help_text="What the person is good at and values.")

    class Meta:
        ordering = ["person", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="plan_version_unique")
        ]

    def __str__(self) -> str:
        return f"Plan v{self.version} ({self.get_status_display()}) from {self.start}"

    def clean(self) -> None:
        validate_span(self.start, self.review_due, end_field="review_due", what="plan")


class WholeHealthFactor(models.TextChoices):
    """The ten health and resiliency factors of SAMHSA's Whole Health Action Management
    (WHAM): a person may set a whole-health goal under any of them."""

    STRESS = "stress_management", "Stress management"
    EATING = "healthy_eating", "Healthy eating"
    ACTIVITY = "physical_activity", "Physical activity"
    SLEEP = "restful_sleep", "Restful sleep"
    SERVICE = "service_to_others", "Service to others"
    SUPPORT = "support_network", "Support network"
    OPTIMISM = "optimism", "Optimism based on positive expectations"
    COGNITIVE = "cognitive_skills", "Cognitive skills to avoid negative thinking"
    SPIRITUAL = "spiritual_practice", "Spiritual beliefs and practices"
    MEANING = "meaning_and_purpose", "A sense of meaning and purpose"


class Goal(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    order = models.PositiveSmallIntegerField(default=1)
    own_words = models.TextField(help_text="The goal as the person says it.")
    whole_health_factor = models.CharField(
        max_length=30, choices=WholeHealthFactor.choices, blank=True
    )
    social_skill = models.BooleanField(
        "Builds social skills or a support network",
        default=False,
        help_text="The goal is to build social skills or a network of support (for example "
        "meeting new people or joining a group). Under NC policy 8G, time in a recreational "
        "activity that serves such a planned goal can be peer support.",
    )
    status = models.CharField(
        max_length=20,
        default="active",
        choices=[("active", "Working on it"), ("achieved", "Achieved"), ("changed", "Changed")],
    )

    class Meta:
        ordering = ["plan", "order"]

    def __str__(self) -> str:
        return self.own_words[:60]


class Objective(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="objectives")
    description = models.TextField(help_text="A measurable step: what, how much, by when.")
    target_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["goal", "pk"]

    def __str__(self) -> str:
        return self.description[:60]


class Intervention(models.Model):
    """What the peer specialist will do to support a goal, tied to a PSS activity type."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="interventions")
    activity = models.CharField(max_length=30, choices=Activity.choices)
    description = models.TextField()
    frequency = models.CharField(max_length=60, blank=True, help_text="e.g. weekly, 1 hour")

    class Meta:
        ordering = ["goal", "pk"]

    def __str__(self) -> str:
        return f"{self.get_activity_display()}: {self.description[:50]}"

    def clean(self) -> None:
        covered = {
            Activity.PEER_MENTORING,
            Activity.RESOURCE_CONNECTING,
            Activity.SKILLS_GROUP,
            Activity.BUILDING_COMMUNITY,
            Activity.CRISIS_SUPPORT,
            Activity.ADVOCACY,
        }
        if self.activity and self.activity not in covered:
            raise ValidationError(
                {"activity": "A plan intervention must be a peer support activity."}
            )


class SignerRole(models.TextChoices):
    PERSON = "person", "The person served"
    GUARDIAN = "guardian", "Legal guardian"
    CPSS = "cpss", "Peer support specialist"
    SUPERVISOR = "supervisor", "Program supervisor (QP)"
    CLINICIAN = "clinician", "Physician or licensed clinician"


class PlanSignature(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="signatures")
    role = models.CharField(max_length=20, choices=SignerRole.choices)
    name = models.CharField(max_length=120)
    credential = models.CharField(max_length=40, blank=True)
    signed_on = models.DateField()

    class Meta:
        ordering = ["plan", "signed_on"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "role"], name="one_signature_per_role")
        ]


class CrisisPlan(models.Model):
    """The person's own crisis plan, part of every PCP; a WRAP may be attached. It may be
    written a piece at a time while the plan is a draft; signing needs the parts the person
    will rely on (see peerpath.plans.services.plan_problems)."""

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="crisis_plan")
    triggers = models.TextField(blank=True, help_text="What tends to set off a crisis.")
    early_signs = models.TextField(
        "Warning signs", blank=True, help_text="Early signs the person and others can notice."
    )
    coping_strategies = models.TextField(
        blank=True, help_text="What the person can do on their own to stay well."
    )
    what_helps = models.TextField(blank=True, help_text="What helps, in the person's words.")
    what_does_not_help = models.TextField(blank=True)
    contacts = models.JSONField(
        default=list,
        blank=True,
        help_text="People and services to call: list of {name, relationship, phone}.",
    )
    preferences = models.TextField(
        "Preferred crisis services",
        blank=True,
        help_text="Crisis services and places the person prefers (or wants to avoid); any "
        "advance directive.",
    )
    wrap_document = models.FileField(upload_to="wrap/", blank=True)
    updated_on = models.DateField()

    def clean(self) -> None:
        contacts = self.contacts
        if not isinstance(contacts, list):
            raise ValidationError({"contacts": "Contacts must be a list."})
        for i, c in enumerate(contacts, start=1):
            if not isinstance(c, dict) or not c.get("name") or not c.get("phone"):
                raise ValidationError({"contacts": f"Contact {i} needs a name and a phone."})
